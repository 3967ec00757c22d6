"""Number handling, purity and the JSON shape of a Result."""

import copy
import dataclasses
import decimal
import json
from decimal import Decimal

import pytest

from contracts.engine import EngineInputError, Result, compute

MECHANISM = {
    "type": "score_coefficient",
    "components": [
        {"code": "fixed", "amount": "8400000.00", "linked": False},
        {"code": "linked", "amount": "6600000.00", "linked": True},
    ],
    "coefficient": {"type": "proportional", "full_at": "90"},
}
KPIS = [
    {"code": "OUT", "max_points": "80", "rule": "threshold", "direction": "higher", "target": "95"},
    {"code": "MGT", "max_points": "20", "rule": "manual"},
]


def evaluation(value: object = "96", points: object = "3") -> dict:
    return {
        "period": "2026",
        "measurements": [{"kpi": "OUT", "value": value}, {"kpi": "MGT", "points": points}],
    }


FLOAT_AMOUNT = {**MECHANISM, "components": [{"code": "f", "amount": 1.5, "linked": False}]}


@pytest.mark.parametrize(
    ("mechanism", "kpis", "evaluation"),
    [
        (MECHANISM, KPIS, evaluation(value=96.0)),
        (MECHANISM, KPIS, evaluation(points=3.0)),
        (FLOAT_AMOUNT, KPIS, evaluation()),
    ],
)
def test_floats_are_refused_wherever_they_appear(mechanism, kpis, evaluation):
    with pytest.raises(EngineInputError, match="float"):
        compute(mechanism, kpis, evaluation)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "ninety", True, None, [96]])
def test_values_that_are_not_finite_numbers_are_refused(value):
    with pytest.raises(EngineInputError):
        compute(MECHANISM, KPIS, evaluation(value=value))


def test_strings_ints_and_decimals_are_the_same_number():
    results = {
        compute(MECHANISM, KPIS, evaluation(value=value, points=points)).as_dict()["payable"]
        for value, points in [("96", "3"), (96, 3), (Decimal("96.000"), Decimal("3"))]
    }

    assert len(results) == 1


def as_stored(kpi: dict) -> dict:
    """A KPI as read from the database: Decimals with six places, None or "" when unset."""
    stored = {name: Decimal(value).quantize(Decimal("1e-6")) for name, value in kpi.items()
              if name in ("target", "max_points")}  # fmt: skip
    return {"direction": "", "floor": None, "step": None, "partial_step": "", **kpi, **stored}


def test_kpis_read_as_stored_decimals_give_the_same_result_as_the_bundle_strings():
    stored = [as_stored(kpi) for kpi in KPIS]

    assert stored[0]["max_points"] == Decimal("80.000000")
    assert compute(MECHANISM, stored, evaluation()) == compute(MECHANISM, KPIS, evaluation())
    assert (
        compute(MECHANISM, stored, evaluation()).as_dict()
        == compute(MECHANISM, KPIS, evaluation()).as_dict()
    )


def test_kpi_error_messages_do_not_depend_on_how_the_numbers_were_written():
    stored = [as_stored(kpi) for kpi in KPIS]
    short = [{**stored[0], "max_points": Decimal("70.000000")}, stored[1]]

    with pytest.raises(EngineInputError, match=r"add up to 90, not 100$"):
        compute(MECHANISM, short, evaluation())
    with pytest.raises(EngineInputError, match=r"21 outside 0\.\.20$"):
        compute(MECHANISM, stored, evaluation(points="21"))


def test_unknown_mechanism_type_is_refused():
    with pytest.raises(EngineInputError, match="unknown mechanism"):
        compute({**MECHANISM, "type": "gain_share"}, KPIS, evaluation())


def test_absurd_magnitudes_are_refused_not_raised_as_decimal_errors():
    huge = {**MECHANISM, "components": [{"code": "f", "amount": "1E+40", "linked": False}]}

    with pytest.raises(EngineInputError, match="out of range"):
        compute(huge, KPIS, evaluation())


def test_the_callers_decimal_context_does_not_change_the_result():
    expected = compute(MECHANISM, KPIS, evaluation()).as_dict()

    with decimal.localcontext() as hostile:
        hostile.prec = 3
        hostile.rounding = decimal.ROUND_DOWN
        hostile.traps[decimal.Inexact] = True
        result = compute(MECHANISM, KPIS, evaluation())
        shown = result.as_dict()

    assert shown == expected
    assert shown["coefficient"] == "0.9222222222"


def test_compute_does_not_modify_its_inputs():
    inputs = (MECHANISM, KPIS, evaluation())
    before = copy.deepcopy(inputs)

    compute(*inputs)

    assert inputs == before


def test_result_is_frozen():
    result = compute(MECHANISM, KPIS, evaluation())

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.payable = Decimal(0)  # type: ignore[misc]


def test_as_dict_is_json_ready_with_money_at_money_places_and_plain_decimals():
    # given full marks: W = 100, which Decimal.normalize() alone would write as 1E+2
    full_marks = evaluation(points="20")

    # when
    shown = compute(MECHANISM, KPIS, full_marks).as_dict()

    # then
    assert json.loads(json.dumps(shown, ensure_ascii=False)) == shown
    assert (shown["score"], shown["coefficient"], shown["grade"]) == ("100", "1", "优")
    assert shown["kpi_points"] == {"OUT": "80", "MGT": "20"}
    assert (shown["payable"], shown["deduction"]) == ("15000000.00", "0.00")
    assert [line["amount"] for line in shown["lines"]] == ["8400000.00", "6600000.00"]


def test_result_fields_for_score_coefficient():
    result = compute(MECHANISM, KPIS, evaluation(value="90", points="18"))

    assert isinstance(result, Result)
    assert result.mechanism_type == "score_coefficient"
    assert result.period == "2026"
    assert result.kpi_points == {"OUT": Decimal(0), "MGT": Decimal(18)}
    assert (result.score, result.grade) == (Decimal(18), "差")
    assert result.coefficient == Decimal(18) / Decimal(90)
    assert result.payable == Decimal("9720000.00")  # 8.4 M + 0.2 × 6.6 M
