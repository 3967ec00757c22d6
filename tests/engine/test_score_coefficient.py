"""Steps 2–4 of score_coefficient: score, grade, coefficient, components and rounding."""

from decimal import Decimal

import pytest

from contracts.engine import EngineInputError, compute, grade_for

STEPS = [
    {"min": "0", "base": "0.40", "per_point": "0"},
    {"min": "60", "base": "0.60", "per_point": "0.02"},
    {"min": "80", "base": "1.00", "per_point": "0"},
    {"min": "70", "base": "0.80", "per_point": "0.02"},
]


def run(score: str, coefficient: dict, components: list | None = None, **mechanism):
    """One manual KPI worth 100 points, so the score is exactly what is entered."""
    mechanism = {
        "type": "score_coefficient",
        "components": components or [{"code": "fee", "amount": "1000.00", "linked": True}],
        "coefficient": coefficient,
        **mechanism,
    }
    kpis = [{"code": "MGT", "max_points": "100", "rule": "manual"}]
    evaluation = {"period": "2026-Q2", "measurements": [{"kpi": "MGT", "points": score}]}
    return compute(mechanism, kpis, evaluation)


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("0", "差"),
        ("59.99", "差"),
        ("60", "中"),
        ("79.99", "中"),
        ("80", "良"),
        ("89.99", "良"),
        ("90", "优"),
        ("100", "优"),
    ],
)
def test_grade_boundaries(score, grade):
    assert grade_for(Decimal(score)) == grade
    assert run(score, {"type": "proportional", "full_at": "90"}).grade == grade


def test_grade_for_refuses_a_float():
    with pytest.raises(EngineInputError, match="float"):
        grade_for(89.99)


@pytest.mark.parametrize(("score", "expected"), [("45", "0.5"), ("90", "1"), ("95", "1")])
def test_proportional_coefficient_reaches_one_at_full_at(score, expected):
    assert run(score, {"type": "proportional", "full_at": "90"}).coefficient == Decimal(expected)


@pytest.mark.parametrize(
    ("score", "expected"),
    [("74", "0.88"), ("74.6", "0.892"), ("70", "0.80"), ("85", "1"), ("59.5", "0.40")],
)
def test_steps_coefficient_uses_the_highest_band_reached_whatever_the_listed_order(score, expected):
    result = run(score, {"type": "steps", "bands": STEPS})

    assert result.coefficient == Decimal(expected)


def test_steps_coefficient_with_floor_rounding_counts_whole_points_only():
    # given W = 74.6 in the band from 70: 0.80 + 0.02 per point
    coefficient = {"type": "steps", "score_rounding": "floor", "bands": STEPS}

    # when
    result = run("74.6", coefficient)

    # then 4 whole points count, while the score itself keeps its fraction
    assert result.coefficient == Decimal("0.88")
    assert result.score == Decimal("74.6")


def test_steps_floor_rounding_rejects_fractional_band_minimums():
    bands = [{"min": "70.5", "base": "0.8", "per_point": "0.02"}]

    with pytest.raises(EngineInputError, match="whole-number"):
        run("74", {"type": "steps", "score_rounding": "floor", "bands": bands})


def test_score_below_every_band_gets_no_linked_payment():
    bands = [{"min": "60", "base": "0.6", "per_point": "0.01"}]

    result = run("59", {"type": "steps", "bands": bands})

    assert result.coefficient == 0
    assert result.payable == Decimal("0.00")


def test_a_band_promising_more_than_full_payment_is_capped_at_one():
    bands = [{"min": "80", "base": "1.00", "per_point": "0.01"}]

    result = run("95", {"type": "steps", "bands": bands})

    assert result.coefficient == 1
    assert result.payable == result.full_amount


@pytest.mark.parametrize(
    "coefficient",
    [
        {"type": "guesswork"},
        {"type": "proportional", "full_at": "0"},
        {"type": "steps", "bands": []},
        {"type": "steps", "score_rounding": "ceil", "bands": STEPS},
    ],
)
def test_impossible_coefficient_specs_are_rejected(coefficient):
    with pytest.raises(EngineInputError):
        run("80", coefficient)


def test_score_places_rounds_the_score_half_up_before_grade_and_coefficient():
    proportional = {"type": "proportional", "full_at": "90"}

    exact = run("89.96", proportional)
    rounded = run("89.96", proportional, score_places=1)

    assert (exact.score, exact.grade) == (Decimal("89.96"), "良")
    assert exact.coefficient < 1
    assert (rounded.score, rounded.grade, rounded.coefficient) == (Decimal("90.0"), "优", 1)


@pytest.mark.parametrize("where", ["mechanism", "coefficient"])
def test_coefficient_places_rounds_the_coefficient_half_up_before_use(where):
    # given E = 83/90 = 0.92222… and 6,600,000 linked
    components = [{"code": "linked", "amount": "6600000.00", "linked": True}]
    coefficient = {"type": "proportional", "full_at": "90"}
    if where == "coefficient":
        result = run("83", {**coefficient, "coefficient_places": 2}, components)
    else:
        result = run("83", coefficient, components, coefficient_places=2)

    # then 0.92 × 6,600,000, not 0.92222… × 6,600,000
    assert result.coefficient == Decimal("0.92")
    assert result.payable == Decimal("6072000.00")


def test_coefficient_places_set_twice_differently_is_rejected():
    coefficient = {"type": "proportional", "full_at": "90", "coefficient_places": 2}

    with pytest.raises(EngineInputError, match="twice"):
        run("83", coefficient, coefficient_places=3)


@pytest.mark.parametrize(
    ("money_places", "payable", "deduction"), [(None, "66.67", "33.33"), (0, "67", "33")]
)
def test_money_is_rounded_half_up_to_money_places(money_places, payable, deduction):
    # given E = 60/90 on 100.00 linked: 66.666…
    settings = {} if money_places is None else {"money_places": money_places}
    components = [{"code": "linked", "amount": "100.00", "linked": True}]

    result = run("60", {"type": "proportional", "full_at": "90"}, components, **settings)

    shown = result.as_dict()
    assert (shown["payable"], shown["deduction"]) == (payable, deduction)
    assert shown["full_amount"] == ("100.00" if money_places is None else "100")


def test_payable_is_rounded_once_and_the_component_lines_still_add_up_to_it():
    # given three linked cents paid at E = 0.5: half a cent each
    components = [{"code": f"c{n}", "amount": "0.01", "linked": True} for n in range(3)]

    result = run("45", {"type": "proportional", "full_at": "90"}, components)

    # then payable is round(0.015) = 0.02, not 3 × round(0.005) = 0.03
    assert result.payable == Decimal("0.02")
    assert sum(line.amount for line in result.lines) == result.payable
    assert [line.amount for line in result.lines] == [Decimal("0.01"), 0, Decimal("0.01")]


def test_fixed_components_are_paid_in_full_whatever_the_score():
    components = [
        {"code": "fixed", "amount": "700.00", "linked": False},
        {"code": "linked", "amount": "300.00", "linked": True},
    ]

    result = run("0", {"type": "proportional", "full_at": "90"}, components)

    assert [(line.code, line.amount) for line in result.lines] == [
        ("fixed", Decimal("700.00")),
        ("linked", Decimal("0.00")),
    ]
    assert (result.payable, result.deduction) == (Decimal("700.00"), Decimal("300.00"))


def test_component_without_a_linked_flag_is_rejected():
    components = [{"code": "fee", "amount": "100.00"}]

    with pytest.raises(EngineInputError, match="linked"):
        run("50", {"type": "proportional", "full_at": "90"}, components)
