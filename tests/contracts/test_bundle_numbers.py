"""Every number of a bundle is checked against the column it goes to (issue 14, finding 3):
money within `money_parse` (≤ 10^13, 2 places), KPI figures within KPI_DECIMAL (6 places;
below 10^12), integers within PostgreSQL's `integer`; refused on its path, nothing written, on
every backend, by the API (400) and by `import_bundle` (non-zero exit)."""

import copy
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from contracts.bundles import BundleInvalid, bundle_import, validate_bundle
from contracts.models import KPI, Contract, Measurement
from portfolio.models import Party, Project
from tests.conftest import load_example, on_postgresql
from tests.contracts.conftest import person

# Messages as `import_bundle` prints them (English); test_bundle_language.py checks zh-Hans.
pytestmark = pytest.mark.usefixtures("english")

MONEY_MAX = "at most 10,000,000,000,000.00"


def kpi(i):
    return lambda d, key, value: d["contract"]["kpis"][i].update({key: value})


CASES = [
    # (example, where, key, value, expected error)
    (
        "cn-steps",
        "project",
        "total_investment",
        "1e999999999",
        f"project.total_investment: {MONEY_MAX}",
    ),
    ("cn-steps", "project", "total_investment", "9" * 40, f"project.total_investment: {MONEY_MAX}"),
    (
        "cn-steps",
        "project",
        "total_investment",
        "Infinity",
        "project.total_investment: not a finite number",
    ),
    (
        "cn-steps",
        "project",
        "total_investment",
        "NaN",
        "project.total_investment: not a finite number",
    ),
    (
        "cn-steps",
        "project",
        "total_investment",
        "0.001",
        "project.total_investment: at most 2 decimal places",
    ),
    (
        "cn-steps",
        "kpi0",
        "target",
        "1e30",
        "contract.kpis[0].target: must be less than 10^12 in size",
    ),
    (
        "cn-steps",
        "kpi0",
        "step",
        "1e-999999",
        "contract.kpis[0].step: must have at most 6 decimal places",
    ),
    (
        "cn-steps",
        "kpi0",
        "points_per_step",
        "-1e12",
        "contract.kpis[0].points_per_step: must be less than 10^12 in size",
    ),
    (
        "cn-steps",
        "component0",
        "amount",
        "1e30",
        f"contract.mechanism.components[0].amount: {MONEY_MAX}",
    ),
    (
        "cn-steps",
        "measurement0",
        "value",
        "1e30",
        "evaluations[0].measurements[0].value: must be less than 10^12 in size",
    ),
    (
        "cn-steps",
        "measurement0",
        "value",
        "0.0000001",
        "evaluations[0].measurements[0].value: must have at most 6 decimal places",
    ),
    (
        "uk-deductions",
        "mechanism",
        "base_amount",
        "1e13000",
        f"contract.mechanism.base_amount: {MONEY_MAX}",
    ),
    (
        "uk-deductions",
        "evaluation0",
        "performance_points",
        2**40,
        "evaluations[0].performance_points: must be <= 2147483647",
    ),
    (
        "road-events",
        "event0",
        "quantity",
        "1e20",
        "evaluations[0].events[0].quantity: must be less than 10^12 in size",
    ),
]


def mutate(doc, where, key, value):
    target = {
        "project": lambda: doc["project"],
        "kpi0": lambda: doc["contract"]["kpis"][0],
        "component0": lambda: doc["contract"]["mechanism"]["components"][0],
        "measurement0": lambda: doc["evaluations"][0]["measurements"][0],
        "mechanism": lambda: doc["contract"]["mechanism"],
        "evaluation0": lambda: doc["evaluations"][0],
        "event0": lambda: doc["evaluations"][0]["events"][0],
    }[where]()
    target[key] = value
    return doc


def broken(name, where, key, value):
    return mutate(copy.deepcopy(load_example(name)), where, key, value)


@pytest.mark.parametrize(("name", "where", "key", "value", "expected"), CASES)
def test_a_number_the_columns_cannot_hold_is_refused_on_its_path(name, where, key, value, expected):
    assert expected in [str(e) for e in validate_bundle(broken(name, where, key, value))]


def test_component_amounts_must_add_up_to_an_amount_the_payment_holds():
    doc = load_example("cn-steps")
    for component in doc["contract"]["mechanism"]["components"]:
        component["amount"] = "6000000000000.00"  # each fine, 1.2 × 10^13 together
    assert [str(e) for e in validate_bundle(doc)] == [
        "contract.mechanism.components: amounts add up to more than 10,000,000,000,000.00"
    ]


def counts():
    return [m.objects.count() for m in (Party, Project, Contract, KPI, Measurement)]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "where", "key", "value", "expected"), CASES[:8])
def test_the_api_answers_400_with_the_path_and_writes_nothing(name, where, key, value, expected):
    # given the bundle's own agency's official
    doc = broken(name, where, key, value)
    agency = Party.objects.create(kind="government", **{
        k: doc["parties"][0][k] for k in ("name", "credit_code")
    })  # fmt: skip
    client = APIClient()
    client.force_authenticate(person("official", "preparer", agency))
    before = counts()
    # when they post the bundle
    response = client.post("/api/v1/bundles/", doc, format="json", HTTP_ACCEPT_LANGUAGE="en")
    # then 400 names the path, and nothing was written
    assert response.status_code == 400
    path, message = expected.split(": ", 1)
    assert {"path": path, "message": message} in response.json()
    assert counts() == before


@pytest.mark.django_db
def test_import_bundle_exits_non_zero_and_stores_no_infinity(tmp_path):
    file = tmp_path / "inf.json"
    file.write_text(json.dumps(broken("cn-steps", "project", "total_investment", "1e999999999")))
    with pytest.raises(CommandError) as error:
        call_command("import_bundle", str(file))
    assert f"{file}: project.total_investment: {MONEY_MAX}" in str(error.value)
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_the_largest_numbers_allowed_are_imported_and_read_back():
    doc = load_example("cn-steps")
    doc["project"]["total_investment"] = "10000000000000.00"
    doc["contract"]["kpis"][0]["target"] = "999999999999.999999"
    doc["evaluations"][0]["measurements"][0]["value"] = "-999999999999.999999"
    bundle_import(document=doc)
    target = KPI.objects.get(code="OUT-1").target
    value = Measurement.objects.get(kpi__code="OUT-1").value
    assert Project.objects.get().total_investment == Decimal("10000000000000.00")
    if on_postgresql():
        assert (str(target), str(value)) == ("999999999999.999999", "-999999999999.999999")
    else:  # SQLite keeps a float: close, and still readable (10^14 would not be)
        assert abs(target - Decimal("999999999999.999999")) < Decimal("0.001")
        assert abs(value + Decimal("999999999999.999999")) < Decimal("0.001")


@pytest.mark.django_db
def test_a_step_too_small_for_the_column_is_refused_not_an_integrity_error():
    with pytest.raises(BundleInvalid) as refused:
        bundle_import(document=broken("cn-steps", "kpi0", "step", "1e-999999"))
    assert "contract.kpis[0].step: must have at most 6 decimal places" in map(
        str, refused.value.errors
    )
    assert not KPI.objects.exists()
