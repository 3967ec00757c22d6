"""Step 3 of score_coefficient: the coefficient E in [0, 1] that scales linked components."""

from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal

from contracts.engine.decimals import ONE, ZERO, positive, required, to_decimal
from contracts.engine.errors import EngineInputError

WHERE = "mechanism.coefficient"


def coefficient_for(spec: Mapping, score: Decimal) -> Decimal:
    kind = spec.get("type")
    if kind == "proportional":
        full_at = positive(required(spec, "full_at", WHERE), f"{WHERE}.full_at")
        coefficient = ONE if score >= full_at else score / full_at
    elif kind == "steps":
        coefficient = _from_steps(spec, score)
    else:
        raise EngineInputError(f"{WHERE}.type: unknown coefficient type {kind!r}")
    # The contract can never pay more than the linked amount nor less than nothing.
    return min(ONE, max(ZERO, coefficient))


def _from_steps(spec: Mapping, score: Decimal) -> Decimal:
    rounding = spec.get("score_rounding") or "exact"
    if rounding not in ("exact", "floor"):
        raise EngineInputError(f"{WHERE}.score_rounding: unknown mode {rounding!r}")
    bands = required(spec, "bands", WHERE)
    if not bands:
        raise EngineInputError(f"{WHERE}.bands: at least one band is needed")
    table = []
    for index, band in enumerate(bands):
        at = f"{WHERE}.bands[{index}]"
        table.append(
            (
                to_decimal(required(band, "min", at), f"{at}.min"),
                to_decimal(required(band, "base", at), f"{at}.base"),
                to_decimal(required(band, "per_point", at), f"{at}.per_point"),
            )
        )
    # Bands are searched from the highest min down, whatever order the contract lists them in.
    table.sort(key=lambda band: band[0], reverse=True)
    counted = score
    if rounding == "floor":
        # 每增1分 counts whole points; a fractional min would make W' fall below its own band.
        if any(minimum != minimum.to_integral_value() for minimum, _, _ in table):
            raise EngineInputError(f"{WHERE}.bands: score_rounding 'floor' needs whole-number mins")
        counted = score.to_integral_value(rounding=ROUND_FLOOR)
    for minimum, base, per_point in table:
        if score >= minimum:
            return base + per_point * (counted - minimum)
    # Below the lowest band the contract pays no linked amount.
    return ZERO
