"""Mechanism 2: availability, performance points and event lines, and the cap."""

from decimal import Decimal

import pytest

from contracts.engine import EngineInputError, compute

AVAILABILITY = {
    "area_rate": "2.00",
    "unavailable_but_used_factor": "0.5",
    # listed out of order on purpose: the engine sorts by failures_more_than
    "ratchet": [
        {"failures_more_than": 8, "factor": "2"},
        {"failures_more_than": 4, "factor": "1.5"},
    ],
}
PERFORMANCE = {
    "threshold": 20,
    "rate": "3.00",
    "bands": [
        {"up_to": None, "multiplier": "1.5"},
        {"up_to": 200, "multiplier": "1.2"},
        {"up_to": 100, "multiplier": "1.0"},
    ],
}
EVENT_RATES = [{"code": "pothole_day", "name": "Pothole per day", "rate": "1000"}]


def run(evaluation: dict, **mechanism):
    mechanism = {
        "type": "deductions",
        "base_amount": "10000.00",
        "availability": AVAILABILITY,
        "performance_points": PERFORMANCE,
        "event_rates": EVENT_RATES,
        **mechanism,
    }
    return compute(mechanism, [], {"period": "2026-03", **evaluation})


def failure(**fields) -> dict:
    return {"area": "Hall", "weighting": 10, "periods": 3, "used": False, **fields}


@pytest.mark.parametrize(
    ("failures_in_period", "ratchet"), [(0, "1"), (4, "1"), (5, "1.5"), (8, "1.5"), (9, "2")]
)
def test_ratchet_applies_the_last_band_whose_count_is_exceeded(failures_in_period, ratchet):
    # when 2.00 × weighting 10 × 3 periods
    result = run({"availability_failures": [failure(failures_in_period=failures_in_period)]})

    # then
    (line,) = result.lines
    assert line.inputs["ratchet_factor"] == Decimal(ratchet)
    assert line.amount == Decimal(60) * Decimal(ratchet)


def test_an_area_still_used_is_charged_at_the_unavailable_but_used_factor():
    result = run({"availability_failures": [failure(used=True, failures_in_period=1)]})

    assert result.deduction == Decimal("30.00")


def test_without_an_unavailable_but_used_factor_a_used_area_is_charged_in_full():
    availability = {"area_rate": "2.00"}

    result = run(
        {"availability_failures": [failure(used=True, failures_in_period=1)]},
        availability=availability,
    )

    assert result.deduction == Decimal("60.00")


def test_area_rate_is_computed_from_the_annual_charge_when_not_given():
    # given 1000 / 3 = 333.33… per unit of weighting
    availability = {"annual_charge": "1000", "total_weighting": "3"}

    result = run(
        {"availability_failures": [failure(weighting=1, periods=1, failures_in_period=1)]},
        availability=availability,
    )

    assert result.deduction == Decimal("333.33")


def test_availability_failures_need_an_availability_regime():
    evaluation = {"availability_failures": [failure(failures_in_period=1)]}

    with pytest.raises(EngineInputError, match=r"mechanism\.availability: missing"):
        run(evaluation, availability=None)


@pytest.mark.parametrize(
    ("points", "expected"),
    [(0, "0.00"), (20, "0.00"), (21, "3.00"), (100, "240.00"), (101, "243.60"), (230, "735.00")],
)
def test_performance_points_above_the_threshold_are_charged_band_by_band(points, expected):
    result = run({"performance_points": points})

    assert result.deduction == Decimal(expected)
    assert all(line.kind == "performance" for line in result.lines)


def test_performance_points_above_the_last_bounded_band_are_rejected():
    bounded = {"threshold": 0, "rate": "1", "bands": [{"up_to": 100, "multiplier": "1"}]}

    with pytest.raises(EngineInputError, match="above the last band"):
        run({"performance_points": 101}, performance_points=bounded)


def test_events_are_charged_at_their_rate():
    events = [{"code": "pothole_day", "quantity": "9"}, {"code": "pothole_day", "quantity": 1}]

    result = run({"events": events})

    assert [line.amount for line in result.lines] == [Decimal("9000.00"), Decimal("1000.00")]
    assert result.as_dict()["event_deduction"] == "10000.00"


def test_an_event_code_missing_from_event_rates_is_rejected():
    with pytest.raises(EngineInputError, match=r"not in mechanism\.event_rates"):
        run({"events": [{"code": "graffiti", "quantity": "1"}]})


def test_cap_limits_the_deduction_and_shows_itself_as_a_negative_line():
    # given deductions of 1,500.00 against a cap of 10% of 10,000.00
    evaluation = {"events": [{"code": "pothole_day", "quantity": "1.5"}]}

    # when
    result = run(evaluation, cap_fraction="0.1")

    # then
    assert (result.deduction, result.payable) == (Decimal("1000.00"), Decimal("9000.00"))
    assert [(line.kind, line.amount) for line in result.lines] == [
        ("event", Decimal("1500.00")),
        ("cap", Decimal("-500.00")),
    ]
    assert sum(line.amount for line in result.lines) == result.deduction
    assert result.as_dict()["event_deduction"] == "1500.00"


def test_default_cap_is_the_whole_base_amount():
    result = run({"events": [{"code": "pothole_day", "quantity": "25"}]})

    assert (result.deduction, result.payable) == (Decimal("10000.00"), Decimal("0.00"))
    assert result.lines[-1].kind == "cap"


def test_no_cap_line_when_the_cap_does_not_bite():
    result = run({"events": [{"code": "pothole_day", "quantity": "1"}]}, cap_fraction="0.1")

    assert [line.kind for line in result.lines] == ["event"]


@pytest.mark.parametrize("cap_fraction", ["-0.1", "1.01"])
def test_cap_fraction_outside_zero_to_one_is_rejected(cap_fraction):
    with pytest.raises(EngineInputError, match="cap_fraction"):
        run({}, cap_fraction=cap_fraction)


@pytest.mark.parametrize(("money_places", "expected"), [(0, "3"), (2, "2.50")])
def test_each_line_is_rounded_half_up_to_money_places(money_places, expected):
    rates = [{"code": "half", "rate": "0.5"}]

    result = run(
        {"events": [{"code": "half", "quantity": "5"}]},
        event_rates=rates,
        money_places=money_places,
    )

    assert result.as_dict()["deduction"] == expected


def test_deduction_result_has_the_deduction_keys_and_no_score():
    shown = run({"performance_points": 230}).as_dict()

    assert shown["availability_deduction"] == "0.00"
    assert shown["performance_deduction"] == "735.00"
    assert shown["event_deduction"] == "0.00"
    assert "score" not in shown
    assert [line["code"] for line in shown["lines"]] == ["band-1", "band-2", "band-3"]
