"""E-mails to the people who must act next (console backend unless configured)."""

from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mass_mail
from django.utils.translation import gettext as _

from contracts.models import Measurement, PaymentCalculation, Period
from portfolio.models import User


def _addresses(*, party_id: int, roles: list[str]) -> list[str]:
    people = User.objects.filter(party_id=party_id, role__in=roles, is_active=True)
    return [email for email in people.values_list("email", flat=True) if email]


def notify_measurement_returned(*, measurement_id: int) -> int:
    m = Measurement.objects.select_related("period__contract", "kpi", "reviewed_by").get(
        pk=measurement_id
    )
    contract = m.period.contract
    to = _addresses(party_id=contract.private_party_id, roles=[User.Role.ENTERPRISE])
    subject = _("Returned for revision: %(contract)s %(period)s %(kpi)s") % {
        "contract": contract.code,
        "period": m.period.label,
        "kpi": m.kpi.code,
    }
    body = _("%(official)s returned %(kpi)s %(name)s for revision:\n\n%(reason)s") % {
        "official": m.reviewed_by,
        "kpi": m.kpi.code,
        "name": m.kpi.name,
        "reason": m.review_reason,
    }
    return send_mass_mail([(subject, body, settings.DEFAULT_FROM_EMAIL, to)]) if to else 0


def notify_payment_prepared(*, calculation_id: int) -> int:
    calculation = PaymentCalculation.objects.select_related("period__contract", "prepared_by").get(
        pk=calculation_id
    )
    contract = calculation.period.contract
    to = _addresses(party_id=contract.government_party_id, roles=[User.Role.APPROVER])
    subject = _("Awaiting your approval: %(contract)s %(period)s") % {
        "contract": contract.code,
        "period": calculation.period.label,
    }
    body = _("%(official)s prepared the payment of %(payable)s %(currency)s.") % {
        "official": calculation.prepared_by,
        "payable": calculation.payable,
        "currency": contract.currency,
    }
    return send_mass_mail([(subject, body, settings.DEFAULT_FROM_EMAIL, to)]) if to else 0


def notify_submissions_due(*, today: date, within_days: int = 7) -> int:
    """Remind each enterprise of its open periods due within `within_days` or overdue."""
    due = Period.objects.filter(
        state=Period.State.OPEN, ends_on__lt=today, due_on__lte=today + timedelta(days=within_days)
    ).select_related("contract")
    messages = []
    for period in due:
        to = _addresses(party_id=period.contract.private_party_id, roles=[User.Role.ENTERPRISE])
        if to:
            subject = _("Measurements due by %(due)s: %(contract)s %(period)s") % {
                "due": period.due_on,
                "contract": period.contract.code,
                "period": period.label,
            }
            messages.append((subject, subject, settings.DEFAULT_FROM_EMAIL, to))
    return send_mass_mail(messages) if messages else 0
