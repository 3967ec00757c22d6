"""A contract with telemetry streams, ingest keys and a client that sends batches; a contract
whose KPIs come from telemetry, with generated streams (`setup`)."""

import copy
import gzip
import io
import random
from datetime import date, timedelta
from types import SimpleNamespace

import orjson
import pytest
from rest_framework.test import APIClient

from contracts.bundles import bundle_import
from contracts.models import Contract, Measurement, TelemetryRecord, TelemetryStream
from contracts.services.measurements import measurement_return
from contracts.services.periods import period_get_or_create
from contracts.telemetry.ingest import IngestResult, telemetry_ingest
from contracts.telemetry.keys import ingest_key_issue
from contracts.telemetry.partitions import forget_known_partitions
from tests.contracts.conftest import people  # noqa: F401 — the same cast
from tests.telemetry import reference as ref

URL = "/api/v1/telemetry/{stream}/"


@pytest.fixture(autouse=True)
def _partitions_rolled_back():
    """Each test's transaction is rolled back, partitions created in it too."""
    forget_known_partitions()
    yield
    forget_known_partitions()


@pytest.fixture
def telemetry(people):  # noqa: F811 — the fixture imported above
    """cn-steps (term 2017-07-01 to 2029-06-30, quarterly; 2026-Q2 is submitted: closed to
    telemetry) with a reading stream and a record stream, and a key; a second contract of
    another agency with its own key and a stream of the same code."""
    contract = people.contract
    levels = TelemetryStream.objects.create(
        contract=contract,
        code="water-level",
        kind="reading",
        interval_seconds=300,
        value_field="level_cm",
        status_field="status",
    )
    payments = TelemetryStream.objects.create(
        contract=contract, code="payments", kind="record", value_field="amount",
        status_field="result",
    )  # fmt: skip
    key, secret = ingest_key_issue(contract=contract, name="gauge gateway", user=people.preparer)
    other = Contract.objects.get(pk=contract.pk)
    other.pk, other.code = None, "OTHER-2026-01"
    other.government_party = people.other_official.party
    other.save()
    TelemetryStream.objects.create(
        contract=other, code="water-level", kind="reading", interval_seconds=60,
        value_field="level_cm",
    )  # fmt: skip
    _other_key, other_secret = ingest_key_issue(
        contract=other, name="elsewhere", user=people.other_official
    )
    return SimpleNamespace(
        **vars(people),
        levels=levels,
        payments=payments,
        key=key,
        secret=secret,
        other_contract=other,
        other_secret=other_secret,
    )


def ndjson(records) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


@pytest.fixture
def send():
    """send(secret, stream, body, content_type=…, gz=False, language="en") → the response
    (language None: the site's default, Chinese)."""

    def post(
        secret, stream, body: bytes, *, content_type="application/x-ndjson", gz=False,
        language="en",
    ):  # fmt: skip
        headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
        if secret is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        if gz:
            body = gzip.compress(body)
            headers["HTTP_CONTENT_ENCODING"] = "gzip"
        return APIClient().generic(
            "POST", URL.format(stream=stream), body, content_type=content_type, **headers
        )

    return post


def stored() -> int:
    return TelemetryRecord.objects.count()


def store(stream, records) -> IngestResult:
    """Records (device, ts, record_id, value, status) sent to the stream as one batch, through
    the ingest service: stored once each, with the fingerprint's day sums."""

    def line(device, ts, record_id, value, status) -> dict:
        record = {"device": device, "ts": ts.isoformat(), "record_id": record_id}
        assert stream.value_field or value is None, "the stream has no value field"
        assert stream.status_field or not status, "the stream has no status field"
        if stream.value_field:
            record[stream.value_field] = value
        if stream.status_field:
            record[stream.status_field] = status
        return record

    body = ndjson(line(*record) for record in records)
    return telemetry_ingest(
        stream=stream, body=io.BytesIO(body), content_type="application/x-ndjson"
    )


def reopened_to_telemetry(period, official):
    """The official returns the computed figures (records were missing): the period takes
    records again."""
    for measurement in Measurement.objects.filter(period=period, is_current=True):
        measurement_return(measurement=measurement, user=official, reason="records missing")


LABEL = "2026-Q1"
FIRST, LAST = date(2026, 1, 1), date(2026, 3, 31)
START, END = ref.window(FIRST, LAST)
AFTER = date(2026, 4, 2)  # the day the nightly aggregation runs
HOUR = 3600


def telemetry_bundle(example) -> dict:
    """cn-steps with its station online rate and its alert timeliness measured by the city,
    and no evaluations of its own."""
    doc = copy.deepcopy(example("cn-steps"))
    doc.pop("evaluations", None)
    kpis = {k["code"]: k for k in doc["contract"]["kpis"]}
    kpis["OUT-1"]["telemetry"] = {
        "stream": "station-heartbeat",
        "metric": "availability",
        "tolerance": "0.5",
    }
    kpis["OUT-2"]["telemetry"] = {
        "stream": "alerts",
        "metric": "ratio",
        "condition": "value <= 24",
        "min_sample": 10,
    }
    return doc


@pytest.fixture
def setup(example, media):
    contract = bundle_import(document=telemetry_bundle(example)).contract
    heartbeat = TelemetryStream.objects.create(
        contract=contract, code="station-heartbeat", kind="heartbeat", interval_seconds=HOUR
    )
    alerts = TelemetryStream.objects.create(
        contract=contract, code="alerts", kind="record", value_field="hours", status_field="state"
    )
    rng = random.Random(17)
    beats, answered = [], []
    hours = int((END - START).total_seconds()) // HOUR
    for n in range(4):
        first = 0 if n != 3 else hours // 2  # one station joins mid-quarter
        last = hours if n != 2 else hours - 24 * 20  # one goes silent 20 days early
        for k in range(first, last):
            if rng.random() < 0.04:
                continue
            ts = START + timedelta(seconds=k * HOUR + rng.randrange(HOUR))
            beats.append((f"st-{n}", ts, "", None, ""))
    for i in range(200):
        ts = START + timedelta(minutes=rng.randrange(90 * 24 * 60))
        answered.append(("hotline", ts, f"t{i}", round(rng.uniform(1, 40), 1), "closed"))
    answered.append(("hotline", END, "late", 1.0, "closed"))  # belongs to the next quarter
    store(heartbeat, beats)
    store(alerts, answered)
    period, _ = period_get_or_create(contract=contract, label=LABEL)
    return contract, period, heartbeat, beats, answered
