"""Telemetry KPIs at period close: a measurement of origin telemetry, submitted for review
like any other, with the per-device summary as evidence and the fingerprint; idempotent;
the company's own figure kept beside it; the payment computed from the telemetry value."""

import copy
import csv
import hashlib
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from contracts import tasks
from contracts.bundles import bundle_export, bundle_import
from contracts.models import KPI, Evidence, Measurement, Period
from contracts.services.measurements import (
    measurement_accept,
    measurement_submit,
)
from contracts.services.payments import payments_compute
from contracts.telemetry.aggregation import period_telemetry_aggregate, periods_to_aggregate
from contracts.telemetry.models import TelemetryRecord
from portfolio.models import Party
from tests.contracts.conftest import person
from tests.telemetry import reference as ref
from tests.telemetry.conftest import (
    AFTER,
    END,
    FIRST,
    HOUR,
    LAST,
    START,
    reopened_to_telemetry,
    store,
)

pytestmark = pytest.mark.django_db


def current_telemetry(period, code):
    return Measurement.objects.get(
        period=period, kpi__code=code, origin="telemetry", is_current=True
    )


def test_aggregation_stores_telemetry_measurements_for_review(setup):
    _contract, period, _heartbeat, beats, answered = setup
    # when
    outcome = period_telemetry_aggregate(period_id=period.pk, today=AFTER)
    # then
    assert sorted(outcome.stored) == ["OUT-1", "OUT-2"] and not outcome.problems
    availability = current_telemetry(period, "OUT-1")
    expected, sample = ref.availability(beats, START, END, HOUR)
    assert (availability.value, availability.sample_size) == (expected, sample)
    assert availability.fingerprint == ref.fingerprint(beats, START, END)
    assert (availability.state, availability.source, availability.submitted_by) == (
        "submitted", "telemetry", None,
    )  # fmt: skip
    ratio = current_telemetry(period, "OUT-2")
    value, n = ref.ratio(answered, START, END, lambda r: r[3] <= 24)
    assert (ratio.value, ratio.sample_size) == (value, n) and n == 200
    assert ratio.fingerprint == ref.fingerprint(answered, START, END)


def test_the_per_device_summary_is_stored_as_evidence(setup):
    _contract, period, _heartbeat, _beats, _answered = setup
    period_telemetry_aggregate(period_id=period.pk, today=AFTER)
    measurement = current_telemetry(period, "OUT-1")
    evidence = Evidence.objects.get(measurement=measurement)
    content = evidence.file.read()
    assert hashlib.sha256(content).hexdigest() == evidence.sha256
    rows = list(csv.reader(io.StringIO(content.decode())))
    devices = {r[0]: r for r in rows[1:5]}
    assert sorted(devices) == ["st-0", "st-1", "st-2", "st-3"]
    # the station that went silent 20 days early is counted to its last day only
    assert int(devices["st-2"][4]) == (LAST - FIRST).days + 1 - 20
    assert rows[-1] == ["fingerprint", measurement.fingerprint, "", "", "", "", "", "", ""]


def test_the_fingerprint_is_recomputed_from_the_raw_export(setup, client):
    # given the aggregated period, and an auditor
    _contract, period, heartbeat, *_ = setup
    period_telemetry_aggregate(period_id=period.pk, today=AFTER)
    auditors = Party.objects.create(kind="auditor", name="某审计机构")
    client.force_login(person("auditor", "auditor", auditors))
    # when the auditor downloads the records as canonical lines
    response = client.get(
        f"/api/v1/telemetry/{heartbeat.code}/export/",
        {"period": period.label, "contract": period.contract.code, "format": "lines"},
    )
    assert response.status_code == 200, response.content[:300]
    text = b"".join(response.streaming_content).decode()
    # then hashing them line by line gives the stored fingerprint
    lines = text.split("\n")[:-1]
    in_period = TelemetryRecord.objects.filter(stream=heartbeat, ts__gte=START, ts__lt=END)
    assert len(lines) == in_period.count()
    assert ref.fingerprint_of_lines(lines) == current_telemetry(period, "OUT-1").fingerprint
    # and the measurements API gives the auditor the figure with its sample size and fingerprint
    listed = client.get(
        "/api/v1/measurements/",
        {"contract": period.contract.code, "kpi": "OUT-1", "origin": "telemetry"},
    ).json()["results"]
    stored = current_telemetry(period, "OUT-1")
    assert [(m["origin"], m["sample_size"], m["fingerprint"]) for m in listed] == [
        ("telemetry", stored.sample_size, stored.fingerprint)
    ]


def test_running_again_over_the_same_records_changes_nothing(setup):
    _contract, period, *_ = setup
    period_telemetry_aggregate(period_id=period.pk, today=AFTER)
    # when
    again = period_telemetry_aggregate(period_id=period.pk, today=AFTER)
    # then
    assert again.stored == [] and sorted(again.unchanged) == ["OUT-1", "OUT-2"]
    assert Measurement.objects.filter(period=period).count() == 2
    assert Evidence.objects.count() == 2


def test_late_records_make_a_new_revision(setup):
    contract, period, heartbeat, _beats, _answered = setup
    period_telemetry_aggregate(period_id=period.pk, today=AFTER)
    first = current_telemetry(period, "OUT-1")
    # when a station's missing hours arrive late
    reopened_to_telemetry(period, person("official", "preparer", contract.government_party))
    assert store(heartbeat, [("st-9", START, "", None, "")]).new == 1
    period_telemetry_aggregate(period_id=period.pk, today=AFTER)
    # then
    second = current_telemetry(period, "OUT-1")
    assert second.revision == 2 and second.fingerprint != first.fingerprint
    first.refresh_from_db()
    assert not first.is_current


def test_below_the_minimum_sample_no_value_and_the_period_says_why(setup):
    contract, period, _heartbeat, _beats, _answered = setup
    KPI.objects.filter(mechanism_version__contract=contract, code="OUT-2").update(
        telemetry_min_sample=201
    )
    # when: 200 answered tickets in the quarter
    outcome = period_telemetry_aggregate(period_id=period.pk, today=AFTER)
    # then
    assert "OUT-2" in outcome.problems
    period.refresh_from_db()
    assert "200" in period.telemetry_problems["OUT-2"]
    assert "201" in period.telemetry_problems["OUT-2"]
    assert not Measurement.objects.filter(period=period, kpi__code="OUT-2").exists()


def test_nothing_before_the_period_ends_or_once_it_is_locked(setup):
    _contract, period, *_ = setup
    assert period_telemetry_aggregate(period_id=period.pk, today=LAST).skipped
    Period.objects.filter(pk=period.pk).update(state=Period.State.LOCKED)
    assert period_telemetry_aggregate(period_id=period.pk, today=AFTER).skipped
    assert not Measurement.objects.exists()


def test_the_nightly_task_aggregates_ended_periods(setup, settings):
    _contract, period, *_ = setup
    assert periods_to_aggregate(today=AFTER) == [period.pk]
    assert periods_to_aggregate(today=LAST) == []  # not ended yet
    assert periods_to_aggregate(today=period.due_on + timedelta(days=2)) == []  # window over
    # the task (run in this process) takes the id and calls the service
    tasks.aggregate_period_telemetry.apply(args=[period.pk]).get()
    assert Measurement.objects.filter(period=period, origin="telemetry").count() == 2


def test_company_figure_kept_beside_and_the_payment_uses_the_telemetry_value(setup):
    contract, period, _heartbeat, _beats, _answered = setup
    company = person("company", "enterprise", contract.private_party)
    official = person("official", "approver", contract.government_party)
    period_telemetry_aggregate(period_id=period.pk, today=AFTER)
    # the company reports its own (higher) online rate, and every other KPI
    kpis = {k.code: k for k in period_telemetry_kpis_version(period)}
    for code, value in (("OUT-1", "99.9"), ("OUT-3", "120"), ("EFF-1", "81")):
        measurement_submit(
            period=period, kpi=kpis[code], user=company, source="api", value=Decimal(value)
        )
    measurement_submit(
        period=period, kpi=kpis["MGT-1"], user=company, source="api", points=Decimal(13)
    )
    period.refresh_from_db()
    assert period.state == Period.State.SUBMITTED  # telemetry KPIs are not the company's to submit
    # when an official accepts what counts
    counting = Measurement.objects.filter(period=period, is_current=True, state="submitted")
    for m in counting.exclude(kpi__code="OUT-1", origin="reported"):
        measurement_accept(measurement=m, user=official)
    outcome = payments_compute(period_ids=[period.pk], via="command")
    # then the engine was given the telemetry value, not the company's
    assert not outcome.problems
    given = {m["kpi"]: m for m in outcome.computed[0].inputs["evaluation"]["measurements"]}
    assert given["OUT-1"]["value"] == str(current_telemetry(period, "OUT-1").value.normalize())
    # and the company's figure is still there, not reviewed
    own = Measurement.objects.get(period=period, kpi__code="OUT-1", origin="reported")
    assert (own.value, own.state, own.is_current) == (Decimal("99.9"), "submitted", True)


def period_telemetry_kpis_version(period):
    from contracts.selectors import period_mechanism_version

    return period_mechanism_version(period=period).kpis.all()


def test_bundle_export_import_export_round_trips_the_telemetry_field(setup, example):
    contract, _period, *_ = setup
    exported = bundle_export(contract=contract)
    assert {k["code"]: k.get("telemetry") for k in exported["contract"]["kpis"]}["OUT-2"] == {
        "stream": "alerts", "metric": "ratio", "condition": "value <= 24", "min_sample": 10,
    }  # fmt: skip
    # when imported again (an update in place) and exported
    bundle_import(document=copy.deepcopy(exported))
    # then
    assert bundle_export(contract=contract) == exported


def test_the_contract_report_shows_sample_size_and_fingerprint_of_telemetry_kpis(setup):
    from reports.models import Report
    from reports.rendering import report_html
    from reports.selectors import contract_report_document, texts_shown

    contract, period, *_ = setup
    company = person("company", "enterprise", contract.private_party)
    official = person("official", "approver", contract.government_party)
    period_telemetry_aggregate(period_id=period.pk, today=AFTER)
    kpis = {k.code: k for k in period_telemetry_kpis_version(period)}
    for code, value in (("OUT-3", "120"), ("EFF-1", "81")):
        measurement_submit(
            period=period, kpi=kpis[code], user=company, source="api", value=Decimal(value)
        )
    measurement_submit(
        period=period, kpi=kpis["MGT-1"], user=company, source="api", points=Decimal(13)
    )
    for m in Measurement.objects.filter(period=period, state="submitted"):
        measurement_accept(measurement=m, user=official)
    payments_compute(period_ids=[period.pk], via="command")
    # when
    document = contract_report_document(period=period, language="en")
    # then the telemetry KPIs carry their source, sample size and fingerprint; the others not
    rows = {row["code"]: row for row in document["kpi_rows"]}
    computed = current_telemetry(period, "OUT-1")
    assert rows["OUT-1"]["telemetry"] == {
        "stream": "station-heartbeat", "metric": "availability",
        "sample_size": computed.sample_size, "fingerprint": computed.fingerprint,
    }  # fmt: skip
    assert "telemetry" in rows["OUT-2"] and "telemetry" not in rows["OUT-3"]
    # rendered as the report service renders it (its texts added)
    document["texts"] = {"findings": "", "recommendations": ""}
    document["texts_shown"] = texts_shown(period=period, language="en", texts=document["texts"])
    page = report_html(Report(kind="contract", language="en", inputs=document))
    assert f"telemetry station-heartbeat, sample {computed.sample_size}" in page
    assert computed.fingerprint[:16] in page


def test_the_portal_submits_a_period_without_the_companys_telemetry_figures(setup):
    from contracts.portal.forms import PeriodForm
    from contracts.selectors import period_sheet

    contract, period, *_ = setup
    company = person("company", "enterprise", contract.private_party)
    sheet = period_sheet(period=period, company=True)
    data = {
        PeriodForm.value_name(row): {"OUT-3": "120", "EFF-1": "81", "MGT-1": "13"}.get(
            row.kpi.code, ""
        )
        for row in sheet.rows
    }
    # when the company submits with the telemetry KPIs left empty
    form = PeriodForm(data=data, sheet=sheet, submitting=True)
    # then the form is valid and the period submits
    assert form.is_valid(), form.errors
    form.save(user=company)
    from contracts.services.measurements import period_submit

    period_submit(period=period, user=company)
    period.refresh_from_db()
    assert period.state == Period.State.SUBMITTED
    assert not Measurement.objects.filter(period=period, kpi__code__in=["OUT-1", "OUT-2"]).exists()
