"""Importing the shared examples, re-importing them, and the export round trip."""

import copy
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from contracts.bundles import bundle_export, bundle_import
from contracts.models import KPI, Contract, Measurement, MechanismVersion, Milestone, Period
from portfolio.models import City, Party, Project
from tests.conftest import EXAMPLE_NAMES

pytestmark = pytest.mark.django_db

MODELS = [City, Party, Project, Contract, MechanismVersion, KPI, Milestone, Period, Measurement]


def snapshot() -> dict:
    """Every row of every model the importer writes, by model."""
    return {m.__name__: sorted(map(repr, m.objects.values())) for m in MODELS}


def as_decimals(node):
    """The document with every decimal-looking string as a Decimal, so 99.0 == 99."""
    if isinstance(node, dict):
        return {k: as_decimals(v) for k, v in node.items()}
    if isinstance(node, list):
        return [as_decimals(v) for v in node]
    if isinstance(node, str):
        try:
            return Decimal(node)
        except ArithmeticError:
            return node
    return node


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_each_example_imports_with_everything_in_it(example, name):
    doc = example(name)
    result = bundle_import(document=doc)
    contract = result.contract
    assert result.contract_created
    assert contract.project.code == doc["project"]["code"]
    assert contract.private_party.name == doc["parties"][1]["name"]
    assert contract.mechanism_versions.get().type == doc["contract"]["mechanism"]["type"]
    kpis = KPI.objects.filter(mechanism_version__contract=contract)
    assert [k.code for k in kpis.order_by("position")] == [
        k["code"] for k in doc["contract"]["kpis"]
    ]
    assert contract.milestones.count() == len(doc["contract"]["milestones"])
    period = contract.periods.get()
    assert period.label == doc["evaluations"][0]["period"]
    assert period.measurements.count() == len(doc["evaluations"][0].get("measurements", []))


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_reimport_updates_in_place_and_never_duplicates(example, name):
    bundle_import(document=example(name))
    before = snapshot()

    result = bundle_import(document=example(name))

    assert not result.contract_created
    assert snapshot() == before


def test_reimport_with_changes_updates_the_same_rows(example):
    bundle_import(document=example("cn-score-coefficient"))
    kpi_ids = set(KPI.objects.values_list("pk", flat=True))
    doc = copy.deepcopy(example("cn-score-coefficient"))
    doc["contract"]["title"] = "新标题"
    doc["contract"]["kpis"][0]["target"] = "98.5"
    doc["contract"]["milestones"][2]["met_on"] = "2023-01-10"
    doc["evaluations"][0]["measurements"][0]["value"] = "98.9"

    bundle_import(document=doc)

    assert Contract.objects.get().title == "新标题"
    assert set(KPI.objects.values_list("pk", flat=True)) == kpi_ids
    assert KPI.objects.get(code="OUT-1").target == Decimal("98.5")
    assert Milestone.objects.get(code="M3").met_on.isoformat() == "2023-01-10"
    assert Measurement.objects.get(kpi__code="OUT-1").value == Decimal("98.9")


def test_a_measurement_an_enterprise_submitted_is_kept_as_an_earlier_revision(example):
    bundle_import(document=example("cn-steps"))
    measurement = Measurement.objects.get(kpi__code="OUT-1")
    Measurement.objects.filter(pk=measurement.pk).update(source=Measurement.Source.PORTAL)
    doc = copy.deepcopy(example("cn-steps"))
    doc["evaluations"][0]["measurements"][0]["value"] = "97"

    bundle_import(document=doc)

    revisions = Measurement.objects.filter(kpi__code="OUT-1").order_by("revision")
    assert [(m.revision, m.is_current, m.value) for m in revisions] == [
        (1, False, Decimal("95.5")),
        (2, True, Decimal("97")),
    ]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_round_trip_export_import_export_gives_the_same_document(example, name):
    # given an imported example
    contract = bundle_import(document=example(name)).contract
    first = bundle_export(contract=contract)
    # when its export is imported again and exported again
    contract = bundle_import(document=json.loads(json.dumps(first))).contract
    second = bundle_export(contract=contract)
    # then the two exports are identical, and carry everything the example said
    assert second == first
    original = {k: v for k, v in example(name).items() if k != "expected"}
    assert as_decimals(first) == as_decimals(original)


def test_export_bundle_command_prints_the_document(example, capsys):
    bundle_import(document=example("road-events"))
    call_command("export_bundle", "--contract", "NP-ROAD-PBM-01")
    printed = json.loads(capsys.readouterr().out)
    assert printed["contract"]["code"] == "NP-ROAD-PBM-01"
    assert printed["evaluations"][0]["events"][0] == {
        "code": "pothole_day",
        "quantity": "9",
        "note": "3 potholes overdue 2, 3 and 4 days",
    }


def test_import_bundle_command_reports_what_it_wrote(example, tmp_path, capsys):
    path = tmp_path / "steps.json"
    path.write_text(json.dumps(example("cn-steps"), ensure_ascii=False), encoding="utf-8")
    call_command("import_bundle", str(path))
    assert "contract FS-FLOOD-2017-01 created" in capsys.readouterr().out
    call_command("import_bundle", str(path), "--dry-run")
    assert "dry run" in capsys.readouterr().out
