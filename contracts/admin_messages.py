"""What the admin says after an official's action: what happened and what comes next, e.g.
"CS-WIFI-01 2026-Q3 prepared; waits for another official's approval"."""

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "measurement_accept": _("%(where)s %(kpi)s accepted."),
    "measurement_return": _(
        "%(where)s %(kpi)s returned with your reason; it waits for the enterprise's correction."
    ),
    "accept_all": _("%(where)s: %(count)s items accepted; next, compute the payment."),
    "compute": _(
        "%(where)s: the payment is being computed on a worker; this page refreshes until it is "
        "stored."
    ),
    "prepare": _("%(where)s prepared; waits for another official's approval."),
    "approve": _("%(where)s approved and the period locked; next, mark it paid once paid."),
    "return": _("%(where)s returned; it waits to be recomputed once its inputs are fixed."),
    "mark_paid": _("%(where)s marked paid."),
    "reopen": _(
        "%(where)s reopened; the approved payment stays as it is: correct it with an adjustment."
    ),
    "adjust_propose": _("%(where)s: adjustment proposed; waits for another official's approval."),
    "adjust_approve": _("%(where)s: adjustment approved; it now counts in the payment."),
    "adjust_reject": _("%(where)s: adjustment rejected; it does not count."),
}


def action_message(action: str, obj, **extra) -> str:
    """The message for `action` done on `obj` (a measurement, payment, period or adjustment)."""
    kpi = getattr(obj, "kpi", None)
    calculation = getattr(obj, "calculation", None)
    period = getattr(obj, "period", None) or getattr(calculation, "period", None) or obj
    words = {"where": f"{period.contract.code} {period.label}", "kpi": kpi.code if kpi else ""}
    return str(MESSAGES[action]) % {**words, **extra}
