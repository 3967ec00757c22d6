"""The whole telemetry flow on PostgreSQL with a real worker: ingest through the API with the
contract's key → aggregate (the official's button, on the worker) → review (accept all) →
compute (the worker) → the contract report (the worker), each step as its user does it."""

import random
from datetime import timedelta
from decimal import Decimal

import orjson
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from contracts.bundles import bundle_import
from contracts.models import Measurement, PaymentCalculation, TelemetryStream
from contracts.selectors import period_mechanism_version
from contracts.services.measurements import measurement_submit
from contracts.services.periods import period_get_or_create
from contracts.telemetry.keys import ingest_key_issue
from portfolio.models import Party
from reports.models import Report
from reports.services import report_request
from tests.contracts.conftest import person
from tests.telemetry import reference as ref
from tests.telemetry.conftest import END, HOUR, LABEL, START, telemetry_bundle
from tests.worker import wait_until

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def heartbeats() -> list[dict]:
    rng = random.Random(3)
    hours = int((END - START).total_seconds()) // HOUR
    records = []
    for n in range(3):
        last = hours if n else hours - 24 * 10  # st-0 goes silent ten days early
        for k in range(last):
            if rng.random() < 0.05:
                continue
            ts = START + timedelta(seconds=k * HOUR + rng.randrange(HOUR))
            records.append({"device": f"st-{n}", "ts": ts.isoformat()})
    return records


def test_ingest_aggregate_review_compute_report(client, example, media, celery_worker):
    # given a contract whose online rate is measured from a heartbeat stream, with a key
    contract = bundle_import(document=telemetry_bundle(example)).contract
    TelemetryStream.objects.create(
        contract=contract, code="station-heartbeat", kind="heartbeat", interval_seconds=HOUR
    )
    TelemetryStream.objects.create(
        contract=contract, code="alerts", kind="record", value_field="hours"
    )
    preparer = person("preparer", "preparer", contract.government_party)
    company = person("company", "enterprise", contract.private_party)
    auditor = person("auditor", "auditor", Party.objects.create(kind="auditor", name="审计所"))
    _key, secret = ingest_key_issue(contract=contract, name="station gateway", user=preparer)

    # when the city's monitoring sends the quarter's heartbeats, and the alerts
    records = heartbeats()
    alerts = [
        {"device": "hotline", "ts": (START + timedelta(hours=9 * i)).isoformat(),
         "record_id": f"a{i}", "hours": float(i % 30)}
        for i in range(240)
    ]  # fmt: skip
    api = APIClient()
    for name, batch in (("station-heartbeat", records), ("alerts", alerts)):
        response = api.generic(
            "POST", f"/api/v1/telemetry/{name}/",
            b"".join(orjson.dumps(r) + b"\n" for r in batch),
            content_type="application/x-ndjson", HTTP_AUTHORIZATION=f"Bearer {secret}",
        )  # fmt: skip
        assert response.status_code in (200, 201), response.content

    # when the official asks for the period's telemetry KPIs (the worker computes them)
    period, _ = period_get_or_create(contract=contract, label=LABEL)
    client.force_login(preparer)
    assert client.post(reverse("admin:period_telemetry", args=[period.pk])).status_code == 302
    computed = wait_until(
        lambda: Measurement.objects.filter(period=period, origin="telemetry").count() == 2,
        timeout=60,
    )
    assert computed, "".join(celery_worker.output[-30:])
    online = Measurement.objects.get(period=period, kpi__code="OUT-1", origin="telemetry")
    raw = [(r["device"], ref_ts(r["ts"]), "", None, "") for r in records]
    assert (online.value, online.sample_size) == ref.availability(raw, START, END, HOUR)
    assert online.fingerprint == ref.fingerprint(raw, START, END)

    # when the company submits its own figures and the official accepts all that counts
    kpis = {k.code: k for k in period_mechanism_version(period=period).kpis.all()}
    for code, value in (("OUT-1", "99.9"), ("OUT-3", "120"), ("EFF-1", "81")):
        measurement_submit(
            period=period, kpi=kpis[code], user=company, source="api", value=Decimal(value)
        )
    measurement_submit(
        period=period, kpi=kpis["MGT-1"], user=company, source="api", points=Decimal(13)
    )
    client.post(reverse("admin:contracts_period_accept_all", args=[period.pk]))
    page = client.get(reverse("admin:contracts_period_review", args=[period.pk])).content.decode()
    assert online.fingerprint[:16] in page and 'class="tolerance-flag"' in page

    # when the official computes the payment (the worker)
    assert client.post(reverse("admin:period_compute", args=[period.pk])).status_code == 302
    calculation = wait_until(
        lambda: PaymentCalculation.objects.filter(period=period).first(), timeout=60
    )
    assert calculation is not None, period.compute_problem
    given = {m["kpi"]: m for m in calculation.inputs["evaluation"]["measurements"]}
    assert Decimal(given["OUT-1"]["value"]) == online.value  # the city's figure, not 99.9

    # then the auditor's contract report (the worker) carries the sample size and fingerprint
    report, _ = report_request(contract=contract, period_label=LABEL, user=auditor)
    ready = wait_until(
        lambda: Report.objects.filter(pk=report.pk, state__in=["ready", "failed"]).first(),
        timeout=180,
    )
    assert ready.state == Report.State.READY, ready.error
    row = next(r for r in ready.inputs["kpi_rows"] if r["code"] == "OUT-1")
    assert row["telemetry"]["fingerprint"] == online.fingerprint
    assert row["telemetry"]["sample_size"] == online.sample_size


def ref_ts(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text)
