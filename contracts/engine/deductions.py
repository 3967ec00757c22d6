"""Mechanism 2, deductions (UK availability/performance, per-event rates).

payable = base_amount − D, D = Σ lines (each rounded), capped at cap_fraction × base_amount.
"""

from collections.abc import Mapping
from decimal import Decimal

from contracts.engine.decimals import (
    ONE,
    ZERO,
    non_negative,
    non_negative_or,
    places_setting,
    plain_text,
    positive,
    required,
    round_half_up,
)
from contracts.engine.errors import EngineInputError
from contracts.engine.results import DEDUCTIONS, Line, Result

AVAILABILITY = "mechanism.availability"
PERFORMANCE = "mechanism.performance_points"


def compute_deductions(mechanism: Mapping, evaluation: Mapping) -> Result:
    places = places_setting(mechanism, "money_places", "mechanism", 2)
    base_amount = non_negative(
        required(mechanism, "base_amount", "mechanism"), "mechanism.base_amount"
    )
    cap_fraction = non_negative_or(mechanism, "cap_fraction", "mechanism", ONE)
    if cap_fraction > ONE:
        raise EngineInputError("mechanism.cap_fraction: must be between 0 and 1")

    lines = [
        *_availability_lines(mechanism, evaluation, places),
        *_performance_lines(mechanism, evaluation, places),
        *_event_lines(mechanism, evaluation, places),
    ]
    uncapped = sum((line.amount for line in lines), ZERO)
    cap = round_half_up(cap_fraction * base_amount, places)
    if uncapped > cap:
        # The cap is shown as its own negative line so that the lines still add up to D.
        lines.append(
            Line(
                kind="cap",
                code="cap",
                description="Deductions capped at cap_fraction × base_amount",
                amount=cap - uncapped,
                inputs={"cap_fraction": cap_fraction, "base_amount": base_amount, "cap": cap},
            )
        )
    full_amount = round_half_up(base_amount, places)
    deduction = round_half_up(sum((line.amount for line in lines), ZERO), places)
    return Result(
        mechanism_type=DEDUCTIONS,
        period=str(required(evaluation, "period", "evaluation")),
        money_places=places,
        full_amount=full_amount,
        deduction=deduction,
        payable=full_amount - deduction,
        lines=tuple(lines),
    )


def _availability_lines(mechanism: Mapping, evaluation: Mapping, places: int) -> list[Line]:
    failures = evaluation.get("availability_failures") or []
    if not failures:
        return []
    config = required(mechanism, "availability", "mechanism")
    area_rate = _area_rate(config)
    used_factor = non_negative_or(config, "unavailable_but_used_factor", AVAILABILITY, ONE)
    ratchet = _ratchet(config)
    lines = []
    for index, failure in enumerate(failures):
        at = f"availability_failures[{index}]"
        area = str(required(failure, "area", at))
        weighting = non_negative(required(failure, "weighting", at), f"{at}.weighting")
        periods = non_negative(required(failure, "periods", at), f"{at}.periods")
        count = non_negative(
            required(failure, "failures_in_period", at), f"{at}.failures_in_period"
        )
        used = failure.get("used")
        if not isinstance(used, bool):
            raise EngineInputError(f"{at}.used: must be true or false")
        factor = used_factor if used else ONE
        ratchet_factor = ONE
        for more_than, band_factor in ratchet:
            if more_than < count:
                ratchet_factor = band_factor
        amount = area_rate * weighting * periods * factor * ratchet_factor
        lines.append(
            Line(
                kind="availability",
                code=area,
                description=f"Availability failure: {area}",
                amount=round_half_up(amount, places),
                inputs={
                    "area_rate": area_rate,
                    "weighting": weighting,
                    "periods": periods,
                    "used": used,
                    "used_factor": factor,
                    "failures_in_period": count,
                    "ratchet_factor": ratchet_factor,
                },
            )
        )
    return lines


def _area_rate(config: Mapping) -> Decimal:
    if config.get("area_rate") is not None:
        return non_negative(config["area_rate"], f"{AVAILABILITY}.area_rate")
    annual_charge = required(config, "annual_charge", AVAILABILITY)
    total_weighting = required(config, "total_weighting", AVAILABILITY)
    return non_negative(annual_charge, f"{AVAILABILITY}.annual_charge") / positive(
        total_weighting, f"{AVAILABILITY}.total_weighting"
    )


def _ratchet(config: Mapping) -> list[tuple[Decimal, Decimal]]:
    """(failures_more_than, factor) sorted ascending, so the last band below a failure
    count is the one that applies, whatever order the contract lists them in."""
    bands = []
    for index, band in enumerate(config.get("ratchet") or []):
        at = f"{AVAILABILITY}.ratchet[{index}]"
        more_than = required(band, "failures_more_than", at)
        factor = required(band, "factor", at)
        bands.append(
            (
                non_negative(more_than, f"{at}.failures_more_than"),
                non_negative(factor, f"{at}.factor"),
            )
        )
    return sorted(bands, key=lambda band: band[0])


def _performance_lines(mechanism: Mapping, evaluation: Mapping, places: int) -> list[Line]:
    points = non_negative_or(evaluation, "performance_points", "evaluation", ZERO)
    if points == 0:
        return []
    config = required(mechanism, "performance_points", "mechanism")
    threshold = non_negative_or(config, "threshold", PERFORMANCE, ZERO)
    rate = non_negative(required(config, "rate", PERFORMANCE), f"{PERFORMANCE}.rate")
    bands = []
    for index, band in enumerate(required(config, "bands", PERFORMANCE)):
        at = f"{PERFORMANCE}.bands[{index}]"
        up_to = band.get("up_to")
        bands.append(
            (
                None if up_to is None else non_negative(up_to, f"{at}.up_to"),
                non_negative(required(band, "multiplier", at), f"{at}.multiplier"),
            )
        )
    # up_to is an absolute point count; the open-ended band (null) comes last.
    bands.sort(key=lambda band: (band[0] is None, band[0] or ZERO))
    lines = []
    charged_up_to = threshold  # the first `threshold` points are free
    for number, (up_to, multiplier) in enumerate(bands, start=1):
        top = points if up_to is None else min(points, up_to)
        if top <= charged_up_to:
            continue
        charged = top - charged_up_to
        lines.append(
            Line(
                kind="performance",
                code=f"band-{number}",
                description=(
                    f"Performance points {plain_text(charged_up_to)}–{plain_text(top)}"
                    f" × {plain_text(rate)} × {plain_text(multiplier)}"
                ),
                amount=round_half_up(charged * rate * multiplier, places),
                inputs={
                    "above": charged_up_to,
                    "up_to": top,
                    "points": charged,
                    "rate": rate,
                    "multiplier": multiplier,
                },
            )
        )
        charged_up_to = top
    if points > charged_up_to:
        raise EngineInputError(f"performance_points: {points} lie above the last band's up_to")
    return lines


def _event_lines(mechanism: Mapping, evaluation: Mapping, places: int) -> list[Line]:
    rates: dict[str, tuple[str, Decimal]] = {}
    for index, entry in enumerate(mechanism.get("event_rates") or []):
        at = f"mechanism.event_rates[{index}]"
        code = str(required(entry, "code", at))
        if code in rates:
            raise EngineInputError(f"{at}.code: {code!r} listed twice")
        rate = non_negative(required(entry, "rate", at), f"{at}.rate")
        rates[code] = (str(entry.get("name") or code), rate)
    lines = []
    for index, event in enumerate(evaluation.get("events") or []):
        at = f"events[{index}]"
        code = str(required(event, "code", at))
        if code not in rates:
            raise EngineInputError(f"{at}.code: {code!r} is not in mechanism.event_rates")
        name, rate = rates[code]
        quantity = non_negative(required(event, "quantity", at), f"{at}.quantity")
        inputs: dict[str, object] = {"rate": rate, "quantity": quantity}
        if event.get("note"):
            inputs["note"] = str(event["note"])
        lines.append(
            Line(
                kind="event",
                code=code,
                description=name,
                amount=round_half_up(rate * quantity, places),
                inputs=inputs,
            )
        )
    return lines
