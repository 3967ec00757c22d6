"""Property tests of stored money, on whichever database the suite runs (SQLite in
`make test`, PostgreSQL in CI): generated contracts of both mechanisms, with amounts that
carry cents up to 10^12, imported as bundles and computed through the real service. What is
stored and read back equals the engine's result exactly, and payable + deduction = full."""

import itertools
import json
import random
from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import engine
from contracts.bundles import BundleInvalid, bundle_import
from contracts.models import MechanismVersion, PaymentCalculation, Period
from contracts.services.payments import payments_compute
from contracts.synthetic import synthetic_kpis, synthetic_portfolio_create
from tests.conftest import EXAMPLE_NAMES
from tests.engine.test_properties import (
    coefficients,
    decimals,
    deduction_cases,
    kpi_sets,
    measurement,
)

pytestmark = pytest.mark.django_db

# Every example writes a contract; the database is not reset between examples, so each one
# gets codes of its own.
STORED_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CODES = itertools.count()
AMOUNTS = decimals("0.01", 10**12)  # cents included, up to 10^12


@st.composite
def score_coefficient_contracts(draw) -> tuple[dict, list[dict], dict]:
    kpis = draw(kpi_sets())
    linked = [True, *draw(st.lists(st.booleans(), max_size=3))]
    mechanism = {
        "type": "score_coefficient",
        "components": [
            {"code": f"C{i}", "name": f"服务费{i}", "amount": str(draw(AMOUNTS)), "linked": flag}
            for i, flag in enumerate(draw(st.permutations(linked)))
        ],
        "coefficient": draw(coefficients()),
        "money_places": draw(st.integers(0, 2)),
    }
    evaluation = {"period": "2026", "measurements": [measurement(draw, k) for k in kpis]}
    return mechanism, kpis, evaluation


@st.composite
def deduction_contracts(draw) -> tuple[dict, list[dict], dict]:
    mechanism, evaluation = draw(deduction_cases())
    mechanism["base_amount"] = str(draw(AMOUNTS))
    mechanism["money_places"] = draw(st.integers(0, 2))
    return mechanism, [], evaluation


def within_bundle_rules(mechanism: dict, kpis: list[dict], evaluation: dict) -> None:
    """The engine's generators (tests/engine) range wider than a bundle may: adjust a case in
    place to what the bundle validator accepts, keeping its amounts."""
    coefficient = mechanism.get("coefficient", {})
    if coefficient.get("type") == "proportional":
        coefficient["full_at"] = str(min(Decimal(coefficient["full_at"]), Decimal(100)))
    if coefficient.get("type") == "steps" and all(b["min"] != "0" for b in coefficient["bands"]):
        coefficient["bands"].append({"min": "0", "base": "0", "per_point": "0"})
    empty = {k["code"] for k in kpis if Decimal(str(k["max_points"])) == 0}
    kpis[:] = [k for k in kpis if k["code"] not in empty]
    for kpi in kpis:
        if "points_per_step" in kpi and Decimal(kpi["points_per_step"]) == 0:
            kpi["points_per_step"] = "1"
    if "measurements" in evaluation:
        evaluation["measurements"] = [
            m for m in evaluation["measurements"] if m["kpi"] not in empty
        ]
    if "cap_fraction" in mechanism and Decimal(mechanism["cap_fraction"]) == 0:
        mechanism["cap_fraction"] = "0.5"
    for rate in mechanism.get("event_rates", []):
        rate["name"] = f"事件{rate['code']}"
    if "performance_points" in mechanism:
        bands = mechanism["performance_points"]["bands"]
        bands.sort(key=lambda b: (b["up_to"] is None, b["up_to"] or 0))


def bundle(mechanism: dict, kpis: list[dict], evaluation: dict) -> dict:
    """A ppp-bundle/1 document around a generated mechanism, with codes of its own."""
    within_bundle_rules(mechanism, kpis, evaluation)
    code = f"PROP-{next(CODES):05d}"
    deductions = mechanism["type"] == "deductions"
    return json.loads(
        json.dumps(
            {
                "format": "ppp-bundle/1",
                "project": {
                    "code": code, "name": f"{code} 项目", "city": "性质市",
                    "sector": "public_wifi", "stage": "execution", "operation_mode": "BOT",
                    "return_mechanism": "government_pays", "total_investment": "123456789.01",
                    "cooperation_years": 10,
                },
                "parties": [
                    {"key": "gov", "kind": "government", "name": "性质市数据资源局"},
                    {"key": "spv", "kind": "enterprise", "name": f"{code} 项目公司"},
                ],
                "contract": {
                    "code": code, "title": f"{code} 合同", "government_party": "gov",
                    "private_party": "spv", "signed_on": "2020-01-01", "starts_on": "2020-01-01",
                    "ends_on": "2035-12-31", "currency": "CNY",
                    "frequency": "monthly" if deductions else "annual",
                    "mechanism": mechanism,
                    "kpis": [
                        {"name": k["code"], "dimension": "output", "unit": "%", **k}
                        for k in kpis
                    ],
                    "milestones": [],
                },
                "evaluations": [evaluation],
            },
            default=str,
        )
    )  # fmt: skip


def compute_and_read_back(document: dict) -> PaymentCalculation:
    try:
        bundle_import(document=document)
    except BundleInvalid as invalid:  # say which rule a generated case broke
        pytest.fail(f"generated bundle refused: {invalid.errors}")
    code = document["contract"]["code"]
    periods = Period.objects.filter(contract__code=code)
    outcome = payments_compute(period_ids=list(periods.values_list("pk", flat=True)), via="command")
    assert outcome.problems == []
    return PaymentCalculation.objects.get(period__contract__code=code)


def assert_stored_exactly(calculation: PaymentCalculation, expected: engine.Result) -> None:
    # the columns read back are the engine's amounts, to the cent
    assert calculation.full_amount == expected.full_amount
    assert calculation.deduction == expected.deduction
    assert calculation.payable == expected.payable
    # and they add up exactly, in Python and in the database's own arithmetic
    assert calculation.payable + calculation.deduction == calculation.full_amount
    assert PaymentCalculation.objects.filter(pk=calculation.pk, full_amount=expected.full_amount)
    # the stored result JSON is the engine's, figure for figure
    assert calculation.result == json.loads(json.dumps(expected.as_dict()))


@STORED_SETTINGS
@given(case=score_coefficient_contracts() | deduction_contracts())
def test_generated_contracts_store_and_read_back_exactly(case):
    mechanism, kpis, evaluation = case
    document = bundle(mechanism, kpis, evaluation)

    calculation = compute_and_read_back(document)

    contract = document["contract"]
    expected = engine.compute(contract["mechanism"], contract["kpis"], document["evaluations"][0])
    assert_stored_exactly(calculation, expected)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_shared_example_stores_exactly(example, name):
    # given a shared example, imported
    document = example(name)
    bundle_import(document=document)
    contract = document["contract"]
    periods = Period.objects.filter(contract__code=contract["code"])

    # when the service computes its periods
    outcome = payments_compute(period_ids=list(periods.values_list("pk", flat=True)), via="command")

    # then each stored calculation is the engine's result and the example's expected figures
    assert outcome.problems == []
    evaluations = {e["period"]: e for e in document["evaluations"]}
    for label, figures in document["expected"].items():
        calculation = PaymentCalculation.objects.get(period__label=label)
        expected = engine.compute(contract["mechanism"], contract["kpis"], evaluations[label])
        assert_stored_exactly(calculation, expected)
        for name_ in ("full_amount", "deduction", "payable"):
            assert getattr(calculation, name_) == Decimal(figures[name_]), name_


def test_two_hundred_generated_contracts_computed_together_store_exactly():
    # given 200 contracts whose component amounts carry cents, up to 10^12 each
    evaluations = synthetic_portfolio_create(contracts=200, kpis=5, prefix="CENTS")
    rng = random.Random(13)
    versions = list(MechanismVersion.objects.filter(contract__code__startswith="CENTS-"))
    for version in versions:
        for component in version.definition["components"]:
            component["amount"] = str(Decimal(rng.randint(1, 10**14)).scaleb(-2))
    MechanismVersion.objects.bulk_update(versions, ["definition"])

    # when the service computes them in one batch (on PostgreSQL: through COPY)
    periods = Period.objects.filter(contract__code__startswith="CENTS-")
    outcome = payments_compute(period_ids=list(periods.values_list("pk", flat=True)), via="run")

    # then every one is stored and reads back as the engine computes it
    assert outcome.problems == []
    assert len(outcome.computed) == 200
    kpis = synthetic_kpis(5)
    stored = {
        c.period.contract.code: c
        for c in PaymentCalculation.objects.filter(period__in=periods).select_related(
            "period__contract"
        )
    }
    for version in versions:
        code = version.contract.code
        expected = engine.compute(version.definition, kpis, evaluations[code])
        assert_stored_exactly(stored[code], expected)
    # and the database sums them exactly
    total = PaymentCalculation.objects.filter(period__in=periods).aggregate(total=Sum("payable"))
    assert total["total"] == sum((c.payable for c in stored.values()), Decimal(0))
