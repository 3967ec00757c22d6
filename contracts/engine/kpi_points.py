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
    codes = [_code(kpi, index) for index, kpi in enumerate(kpis)]
    known = set(codes)
    if len(known) != len(codes):
        raise EngineInputError("kpis: KPI codes must be unique")
    max_points = [_term(kpi, "max_points", non_negative) for kpi in kpis]
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


# Locations in error messages ("kpis[K01].target") are worded only when a value is wrong:
# the engine reads hundreds of thousands of values a run, nearly all of them fine.
ACCEPTS = {to_decimal: lambda number: True, non_negative: ZERO.__le__, positive: ZERO.__lt__}


def _code(kpi: Mapping, index: int) -> object:
    code = kpi.get("code")
    return code if code is not None else required(kpi, "code", f"kpis[{index}]")


def _term(kpi: Mapping, key: str, check=to_decimal) -> Decimal:
    """A KPI's number, checked by `check` (to_decimal, non_negative or positive)."""
    value = kpi.get(key)
    if type(value) is Decimal and value.is_finite() and ACCEPTS[check](value):
        return value
    where = f"kpis[{kpi['code']}]"
    return check(required(kpi, key, where), f"{where}.{key}")


def _measured(kpi: Mapping, measurement: Mapping, key: str) -> Decimal:
    """The measurement's value or points."""
    value = measurement.get(key)
    if type(value) is Decimal and value.is_finite():
        return value
    where = f"measurements[{kpi['code']}]"
    return to_decimal(required(measurement, key, where), f"{where}.{key}")


def points_for(kpi: Mapping, measurement: Mapping, max_points: Decimal) -> Decimal:
    rule = kpi.get("rule")
    if rule == "manual":
        points = _measured(kpi, measurement, "points")
        if not ZERO <= points <= max_points:
            raise EngineInputError(
                f"measurements[{kpi['code']}].points: {points} outside 0..{plain_text(max_points)}"
            )
        return points
    if rule not in MEASURED_RULES:
        raise EngineInputError(f"kpis[{kpi['code']}].rule: unknown rule {rule!r}")
    return MEASURED_RULES[rule](kpi, _measured(kpi, measurement, "value"), max_points)


def _higher_is_better(kpi: Mapping) -> bool:
    direction = kpi.get("direction")
    if direction == "higher":
        return True
    if direction == "lower":
        return False
    raise EngineInputError(f"kpis[{kpi['code']}].direction: must be 'higher' or 'lower'")


def _deduct_per_step(kpi: Mapping, actual: Decimal, max_points: Decimal) -> Decimal:
    target = _term(kpi, "target")
    step = _term(kpi, "step", positive)
    per_step = _term(kpi, "points_per_step", non_negative)
    partial_step = kpi.get("partial_step") or "ceil"
    if partial_step not in PARTIAL_STEPS:
        raise EngineInputError(f"kpis[{kpi['code']}].partial_step: unknown mode {partial_step!r}")
    shortfall = target - actual if _higher_is_better(kpi) else actual - target
    if shortfall <= 0:
        return max_points
    steps = PARTIAL_STEPS[partial_step](shortfall / step)
    return max(ZERO, max_points - steps * per_step)


def _proportional(kpi: Mapping, actual: Decimal, max_points: Decimal) -> Decimal:
    target = _term(kpi, "target")
    floor = _term(kpi, "floor")
    if (target > floor) != _higher_is_better(kpi) or target == floor:
        raise EngineInputError(
            f"kpis[{kpi['code']}]: target must be better than floor in its direction"
        )
    # (floor − actual) / (floor − target) for `lower` is the same fraction as for `higher`.
    share = (actual - floor) / (target - floor)
    return max_points * min(ONE, max(ZERO, share))


def _threshold(kpi: Mapping, actual: Decimal, max_points: Decimal) -> Decimal:
    target = _term(kpi, "target")
    met = actual >= target if _higher_is_better(kpi) else actual <= target
    return max_points if met else ZERO


MEASURED_RULES = {
    "deduct_per_step": _deduct_per_step,
    "proportional": _proportional,
    "threshold": _threshold,
}
