"""A KPI's target and scoring rule in words, from its definition (the engine's KPI
document), e.g. "每低于目标0.1个百分点扣2分" — in the language of the request."""

from django.utils.translation import gettext as _

from contracts.models import KPI


def quantity(number: str, unit: str) -> str:
    """A difference in the KPI's unit: a difference of percentages is in percentage points."""
    if unit == "%":
        return _("%(number)s percentage points") % {"number": number}
    return _("%(number)s %(unit)s") % {"number": number, "unit": unit}


def target_in_words(kpi: dict) -> str:
    if kpi["rule"] == KPI.Rule.MANUAL:
        return ""
    sign = "≥" if kpi["direction"] == KPI.Direction.HIGHER else "≤"
    return f"{sign} {kpi['target']}{kpi['unit']}"


def rule_in_words(kpi: dict) -> str:
    rule, higher, unit = kpi["rule"], kpi.get("direction") == KPI.Direction.HIGHER, kpi["unit"]
    if rule == KPI.Rule.DEDUCT_PER_STEP:
        words = {"step": quantity(kpi["step"], unit), "points": kpi["points_per_step"]}
        if higher:
            text = _("%(points)s points off for every %(step)s below the target") % words
        else:
            text = _("%(points)s points off for every %(step)s above the target") % words
        partial = KPI.PartialStep(kpi.get("partial_step") or KPI.PartialStep.CEIL).label
        return _("%(rule)s (%(partial)s), down to 0") % {"rule": text, "partial": partial}
    if rule == KPI.Rule.PROPORTIONAL:
        words = {"floor": f"{kpi['floor']}{unit}"}
        if higher:
            return _("full points at the target, 0 at %(floor)s or below, pro rata between") % words
        return _("full points at the target, 0 at %(floor)s or above, pro rata between") % words
    if rule == KPI.Rule.THRESHOLD:
        if higher:
            return _("full points if the target is reached, else 0")
        return _("full points if the target is not exceeded, else 0")
    return _("points set by the evaluator, 0 to %(max)s; the enterprise proposes them") % {
        "max": kpi["max_points"]
    }
