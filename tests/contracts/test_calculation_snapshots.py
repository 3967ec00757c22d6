"""The stored JSON of a calculation (`inputs`, `result`) is pinned byte for byte: reports,
exports and audits read it, so a faster way of computing must write exactly the same text.

To record the snapshots again after a deliberate change of the format:
    PIN_SNAPSHOTS=1 .venv/bin/python -m pytest tests/contracts/test_calculation_snapshots.py
"""

import json
import os
from pathlib import Path

import pytest

from contracts.bundles import bundle_import
from contracts.models import Period
from contracts.services.payments import payments_compute
from contracts.synthetic import synthetic_portfolio_create
from tests.conftest import EXAMPLE_NAMES

pytestmark = pytest.mark.django_db

SNAPSHOTS = Path(__file__).parent / "snapshots"


def stored_json(calculations) -> str:
    """What the upsert writes for each calculation: its JSON fields as `json.dumps` text."""
    return "".join(
        f"{c.period.contract.code} {c.period.label}\n"
        f"{json.dumps(c.inputs)}\n{json.dumps(c.result)}\n"
        for c in sorted(calculations, key=lambda c: (c.period.contract.code, c.period.label))
    )


def assert_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("PIN_SNAPSHOTS"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def compute_all() -> list:
    period_ids = list(Period.objects.order_by("pk").values_list("pk", flat=True))
    outcome = payments_compute(period_ids=period_ids, via="command")
    assert outcome.problems == []
    return outcome.computed


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_an_examples_stored_json_is_unchanged(example, name):
    # given an imported example, when its periods are computed
    bundle_import(document=example(name))
    # then the JSON written is the pinned text
    assert_snapshot(name, stored_json(compute_all()))


def test_a_synthetic_portfolios_stored_json_is_unchanged():
    # given contracts with every KPI rule, values and points of every shape
    synthetic_portfolio_create(contracts=12, seed=7)
    # then the JSON written is the pinned text
    assert_snapshot("synthetic", stored_json(compute_all()))
