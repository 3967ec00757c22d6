"""The four worked examples of shared/spec are the acceptance tests of the engine."""

import json
from pathlib import Path

import pytest

from contracts.engine import compute

EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "examples"


def _cases():
    for path in sorted(EXAMPLES.glob("*.json")):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        for evaluation in bundle["evaluations"]:
            expected = bundle["expected"][evaluation["period"]]
            yield pytest.param(bundle["contract"], evaluation, expected, id=path.stem)


def test_all_four_examples_are_found():
    assert len(list(_cases())) == 4


@pytest.mark.parametrize(("contract", "evaluation", "expected"), list(_cases()))
def test_example_matches_its_expected_result(contract, evaluation, expected):
    # when
    result = compute(contract["mechanism"], contract["kpis"], evaluation).as_dict()

    # then
    assert {key: result[key] for key in expected} == expected
    assert result["period"] == evaluation["period"]
    assert result["mechanism_type"] == contract["mechanism"]["type"]
