"""A KPI's telemetry data source: the bundle field is validated with its path and reason,
nothing is written on an error; old bundles import and export unchanged (the shared
examples' round trips are tests/contracts/test_bundle_import.py); the admin's form checks
the same per field."""

import copy

import pytest
from django.core.exceptions import ValidationError

from contracts.bundles import BundleInvalid, bundle_export, bundle_import
from contracts.models import KPI, Contract

pytestmark = pytest.mark.django_db


def with_telemetry(example, source: dict, code: str = "OUT-1") -> dict:
    doc = copy.deepcopy(example("cn-steps"))
    next(k for k in doc["contract"]["kpis"] if k["code"] == code)["telemetry"] = source
    return doc


def errors_of(doc) -> list[str]:
    with pytest.raises(BundleInvalid) as caught:
        bundle_import(document=doc)
    return [str(e) for e in caught.value.errors]


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ({"metric": "availability"}, "contract.kpis[0].telemetry.stream: is required"),
        (
            {"stream": "a b", "metric": "availability"},
            "contract.kpis[0].telemetry.stream: must be a stream code",
        ),
        ({"stream": "ap", "metric": "median"}, "contract.kpis[0].telemetry.metric: must be one of"),
        ({"stream": "ap", "metric": "percentile"}, "contract.kpis[0].telemetry.p: is required"),
        (
            {"stream": "ap", "metric": "percentile", "p": "101"},
            "contract.kpis[0].telemetry.p: must be <= 100",
        ),
        (
            {"stream": "ap", "metric": "ratio", "condition": "latency < 3"},
            "contract.kpis[0].telemetry.condition: must look like",
        ),
        (
            {"stream": "ap", "metric": "mean", "p": "95"},
            "contract.kpis[0].telemetry.p: does not apply to metric mean",
        ),
        (
            {"stream": "ap", "metric": "mean", "min_sample": 0},
            "contract.kpis[0].telemetry.min_sample: must be >= 1",
        ),
        (
            {"stream": "ap", "metric": "mean", "tolerance": "-1"},
            "contract.kpis[0].telemetry.tolerance: must be >= 0",
        ),
        (
            {"stream": "ap", "metric": "mean", "places": 7},
            "contract.kpis[0].telemetry.places: must be <= 6",
        ),
        (
            {"stream": "ap", "metric": "mean", "window": "1h"},
            "contract.kpis[0].telemetry.window: unknown field",
        ),
        ("availability", "contract.kpis[0].telemetry: must be an object"),
    ],
)
def test_a_bad_telemetry_field_is_refused_with_its_path_and_nothing_is_written(
    example, source, error, english
):
    messages = errors_of(with_telemetry(example, source))
    assert any(m.startswith(error) for m in messages), messages
    assert not Contract.objects.exists()


def test_a_manual_kpi_cannot_be_computed_from_telemetry(example, english):
    doc = with_telemetry(example, {"stream": "ap", "metric": "mean"}, code="MGT-1")
    assert "contract.kpis[4].telemetry: a manual KPI cannot be computed from telemetry" in (
        errors_of(doc)
    )


def test_the_telemetry_field_imports_into_the_kpi_and_exports_back(example):
    source = {"stream": "api-requests", "metric": "percentile", "p": "95", "tolerance": "0.5",
              "min_sample": 100, "places": 1}  # fmt: skip
    contract = bundle_import(document=with_telemetry(example, source)).contract
    kpi = KPI.objects.get(code="OUT-1")
    assert (kpi.data_source, kpi.telemetry_stream, kpi.telemetry_metric, kpi.places) == (
        "telemetry", "api-requests", "percentile", 1,
    )  # fmt: skip
    exported = bundle_export(contract=contract)
    assert exported["contract"]["kpis"][0]["telemetry"] == source
    # every other KPI stays reported, without the field
    assert all("telemetry" not in k for k in exported["contract"]["kpis"][1:])


def test_the_admin_checks_a_telemetry_kpi_field_by_field(example):
    bundle_import(document=example("cn-steps"))
    kpi = KPI.objects.get(code="OUT-1")
    kpi.data_source, kpi.telemetry_metric, kpi.telemetry_condition = "telemetry", "ratio", "x"
    with pytest.raises(ValidationError) as caught:
        kpi.clean()
    assert set(caught.value.message_dict) == {"telemetry_stream", "telemetry_condition"}
    kpi.telemetry_stream, kpi.telemetry_condition = "payments", "status = ok"
    kpi.clean()
