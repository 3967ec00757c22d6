"""Step 1 of score_coefficient: each rule and option, through the public compute()."""

import pickle
from decimal import Decimal

import pytest

from contracts.engine import EngineInputError, MissingMeasurements, compute

MECHANISM = {
    "type": "score_coefficient",
    "components": [{"code": "fee", "amount": "1000.00", "linked": True}],
    "coefficient": {"type": "proportional", "full_at": "100"},
}


def points(measurement: dict, max_points: str = "20", **kpi) -> Decimal:
    """Points of KPI "K"; a manual filler KPI makes the max_points add up to 100."""
    kpis = [
        {"code": "K", "max_points": max_points, **kpi},
        {"code": "FILL", "max_points": str(100 - Decimal(max_points)), "rule": "manual"},
    ]
    evaluation = {
        "period": "2026",
        "measurements": [{"kpi": "K", **measurement}, {"kpi": "FILL", "points": "0"}],
    }
    return compute(MECHANISM, kpis, evaluation).kpi_points["K"]


def per_step(**options) -> dict:
    return {
        "rule": "deduct_per_step",
        "direction": "higher",
        "target": "99",
        "step": "0.1",
        "points_per_step": "2",
        **options,
    }


@pytest.mark.parametrize(
    ("partial_step", "expected"),
    [(None, "12"), ("ceil", "12"), ("floor", "14"), ("exact", "13")],
)
def test_deduct_per_step_counts_a_partial_step_by_its_mode(partial_step, expected):
    # given a shortfall of 0.35 = 3.5 steps of 0.1, 2 points each
    kpi = per_step() if partial_step is None else per_step(partial_step=partial_step)

    # then ceil (the default) counts 4 steps, floor 3, exact 3.5
    assert points({"value": "98.65"}, **kpi) == Decimal(expected)


def test_deduct_per_step_direction_lower_counts_the_excess():
    kpi = per_step(direction="lower", target="60", step="1")

    assert points({"value": "62.5"}, **kpi) == Decimal(14)  # 3 steps (ceil of 2.5)


@pytest.mark.parametrize(("direction", "value"), [("higher", "99.5"), ("lower", "98.5")])
def test_deduct_per_step_gives_full_points_when_the_target_is_met(direction, value):
    assert points({"value": value}, **per_step(direction=direction)) == Decimal(20)
    assert points({"value": "99"}, **per_step(direction=direction)) == Decimal(20)


def test_deduct_per_step_never_goes_below_zero():
    assert points({"value": "10"}, **per_step()) == Decimal(0)


def proportional(direction: str, target: str, floor: str) -> dict:
    return {"rule": "proportional", "direction": direction, "target": target, "floor": floor}


@pytest.mark.parametrize(
    ("value", "expected"), [("75", "10"), ("50", "0"), ("49", "0"), ("100", "20"), ("120", "20")]
)
def test_proportional_higher_is_linear_between_floor_and_target_and_clamped(value, expected):
    assert points({"value": value}, **proportional("higher", "100", "50")) == Decimal(expected)


@pytest.mark.parametrize(
    ("value", "expected"), [("120", "15"), ("300", "0"), ("400", "0"), ("60", "20"), ("30", "20")]
)
def test_proportional_lower_is_linear_between_floor_and_target_and_clamped(value, expected):
    assert points({"value": value}, **proportional("lower", "60", "300")) == Decimal(expected)


@pytest.mark.parametrize(
    "kpi", [proportional("higher", "50", "100"), proportional("lower", "300", "60")]
)
def test_proportional_rejects_a_floor_better_than_the_target(kpi):
    with pytest.raises(EngineInputError, match="floor"):
        points({"value": "70"}, **kpi)


@pytest.mark.parametrize(
    ("direction", "value", "expected"),
    [
        ("higher", "95", "20"),
        ("higher", "94.99", "0"),
        ("lower", "95", "20"),
        ("lower", "95.01", "0"),
    ],
)
def test_threshold_is_all_or_nothing(direction, value, expected):
    kpi = {"rule": "threshold", "direction": direction, "target": "95"}

    assert points({"value": value}, **kpi) == Decimal(expected)


@pytest.mark.parametrize("entered", ["0", "7.5", "20"])
def test_manual_points_are_taken_as_entered(entered):
    assert points({"points": entered}, rule="manual") == Decimal(entered)


@pytest.mark.parametrize("entered", ["-0.01", "20.01"])
def test_manual_points_outside_zero_to_max_are_rejected(entered):
    with pytest.raises(EngineInputError, match=r"outside 0\.\.20"):
        points({"points": entered}, rule="manual")


@pytest.mark.parametrize(
    "kpi",
    [
        {"rule": "by_feel", "direction": "higher", "target": "1"},
        per_step(partial_step="round"),
        per_step(direction=None),
        per_step(step="0"),
    ],
)
def test_impossible_kpi_definitions_are_rejected(kpi):
    with pytest.raises(EngineInputError):
        points({"value": "98"}, **kpi)


def test_measured_kpi_needs_a_value_and_manual_kpi_needs_points():
    with pytest.raises(EngineInputError, match="value"):
        points({"points": "5"}, **per_step())
    with pytest.raises(EngineInputError, match="points"):
        points({"value": "5"}, rule="manual")


def manual_kpis(*codes: str) -> list[dict]:
    share = str(Decimal(100) / len(codes))
    return [{"code": code, "max_points": share, "rule": "manual"} for code in codes]


def test_max_points_must_add_up_to_100():
    kpis = [{"code": "A", "max_points": "60", "rule": "manual"}]

    with pytest.raises(EngineInputError, match="add up to 60"):
        compute(MECHANISM, kpis, {"period": "2026", "measurements": [{"kpi": "A", "points": 1}]})


def test_missing_measurements_are_listed_in_contract_order():
    # given KPIs whose contract order is not alphabetical, and only "A" measured
    kpis = manual_kpis("Z", "A", "M", "B")
    evaluation = {"period": "2026", "measurements": [{"kpi": "A", "points": "1"}]}

    # when
    with pytest.raises(MissingMeasurements) as caught:
        compute(MECHANISM, kpis, evaluation)

    # then
    assert caught.value.kpi_codes == ["Z", "M", "B"]
    assert isinstance(caught.value, EngineInputError)
    assert "Z, M, B" in str(caught.value)


def test_missing_measurements_survive_pickling():
    error = pickle.loads(pickle.dumps(MissingMeasurements(["B", "A"])))

    assert error.kpi_codes == ["B", "A"]


def test_no_measurements_at_all_is_missing_every_kpi():
    with pytest.raises(MissingMeasurements) as caught:
        compute(MECHANISM, manual_kpis("A", "B"), {"period": "2026"})

    assert caught.value.kpi_codes == ["A", "B"]


@pytest.mark.parametrize(
    ("measurements", "message"),
    [
        ([{"kpi": "A", "points": "1"}, {"kpi": "A", "points": "2"}], "twice"),
        ([{"kpi": "A", "points": "1"}, {"kpi": "X", "points": "2"}], "unknown KPI 'X'"),
    ],
)
def test_duplicate_or_unknown_measurements_are_rejected(measurements, message):
    evaluation = {"period": "2026", "measurements": measurements}

    with pytest.raises(EngineInputError, match=message):
        compute(MECHANISM, manual_kpis("A"), evaluation)
