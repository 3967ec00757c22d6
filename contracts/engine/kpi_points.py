"""Step 1 of score_coefficient: the points each KPI earns from its measurement."""

from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from contracts.engine.decimals import (
    ONE,
    ZERO,
    non_negative,
    plain_text,
    positive,
    required,
    to_decimal,
)
from contracts.engine.errors import EngineInputError, MissingMeasurements

FULL_SCORE = Decimal(100)  # the KPIs' max_points always add up to this

# How a fractional number of steps counts; ceil is 不足一档按一档计.
PARTIAL_STEPS = {
    "ceil": lambda steps: steps.to_integral_value(rounding=ROUND_CEILING),
    "floor": lambda steps: steps.to_integral_value(rounding=ROUND_FLOOR),
    "exact": lambda steps: steps,
}


def kpi_points(kpis: list[Mapping], measurements: list[Mapping]) -> dict[str, Decimal]:
    """Points by KPI code, in contract order; every KPI needs exactly one measurement."""
    codes = [required(kpi, "code", f"kpis[{index}]") for index, kpi in enumerate(kpis)]
    known = set(codes)
    if len(known) != len(codes):
        raise EngineInputError("kpis: KPI codes must be unique")
    max_points = [_max_points(kpi) for kpi in kpis]
    max_total = sum(max_points, ZERO)
    if max_total != FULL_SCORE:
        # plain_text: the same message whether max_points came as "5" or as Decimal("5.000000")
        raise EngineInputError(
            f"kpis: max_points add up to {plain_text(max_total)}, not {FULL_SCORE}"
        )
    measured: dict[str, Mapping] = {}
    for index, measurement in enumerate(measurements):
        code = required(measurement, "kpi", f"measurements[{index}]")
        if code not in known:
            raise EngineInputError(f"measurements[{index}].kpi: unknown KPI {code!r}")
        if code in measured:
            raise EngineInputError(f"measurements[{index}].kpi: {code!r} measured twice")
        measured[code] = measurement
    missing = [code for code in codes if code not in measured]
    if missing:
        raise MissingMeasurements(missing)
    return {
        code: points_for(kpi, measured[code], most)
        for code, kpi, most in zip(codes, kpis, max_points, strict=True)
    }


def _max_points(kpi: Mapping) -> Decimal:
    where = f"kpis[{kpi['code']}]"
    return non_negative(required(kpi, "max_points", where), f"{where}.max_points")


def points_for(kpi: Mapping, measurement: Mapping, max_points: Decimal) -> Decimal:
    where = f"kpis[{kpi['code']}]"
    measured_at = f"measurements[{kpi['code']}]"
    rule = kpi.get("rule")
    if rule == "manual":
        points = to_decimal(required(measurement, "points", measured_at), f"{measured_at}.points")
        if not ZERO <= points <= max_points:
            raise EngineInputError(
                f"{measured_at}.points: {points} outside 0..{plain_text(max_points)}"
            )
        return points
    if rule not in MEASURED_RULES:
        raise EngineInputError(f"{where}.rule: unknown rule {rule!r}")
    actual = to_decimal(required(measurement, "value", measured_at), f"{measured_at}.value")
    return MEASURED_RULES[rule](kpi, actual, max_points, where)


def _higher_is_better(kpi: Mapping, where: str) -> bool:
    direction = kpi.get("direction")
    if direction not in ("higher", "lower"):
        raise EngineInputError(f"{where}.direction: must be 'higher' or 'lower'")
    return direction == "higher"


def _deduct_per_step(kpi: Mapping, actual: Decimal, max_points: Decimal, where: str) -> Decimal:
    target = to_decimal(required(kpi, "target", where), f"{where}.target")
    step = positive(required(kpi, "step", where), f"{where}.step")
    per_step = non_negative(required(kpi, "points_per_step", where), f"{where}.points_per_step")
    partial_step = kpi.get("partial_step") or "ceil"
    if partial_step not in PARTIAL_STEPS:
        raise EngineInputError(f"{where}.partial_step: unknown mode {partial_step!r}")
    shortfall = target - actual if _higher_is_better(kpi, where) else actual - target
    if shortfall <= 0:
        return max_points
    steps = PARTIAL_STEPS[partial_step](shortfall / step)
    return max(ZERO, max_points - steps * per_step)


def _proportional(kpi: Mapping, actual: Decimal, max_points: Decimal, where: str) -> Decimal:
    target = to_decimal(required(kpi, "target", where), f"{where}.target")
    floor = to_decimal(required(kpi, "floor", where), f"{where}.floor")
    if (target > floor) != _higher_is_better(kpi, where) or target == floor:
        raise EngineInputError(f"{where}: target must be better than floor in its direction")
    # (floor − actual) / (floor − target) for `lower` is the same fraction as for `higher`.
    share = (actual - floor) / (target - floor)
    return max_points * min(ONE, max(ZERO, share))


def _threshold(kpi: Mapping, actual: Decimal, max_points: Decimal, where: str) -> Decimal:
    target = to_decimal(required(kpi, "target", where), f"{where}.target")
    met = actual >= target if _higher_is_better(kpi, where) else actual <= target
    return max_points if met else ZERO


MEASURED_RULES = {
    "deduct_per_step": _deduct_per_step,
    "proportional": _proportional,
    "threshold": _threshold,
}
