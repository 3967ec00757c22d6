"""Telemetry tests: a contract whose KPIs come from telemetry, with generated streams."""

import copy
import random
from datetime import date, timedelta

import pytest
from django.utils import translation

from contracts.bundles import bundle_import
from contracts.services.periods import period_get_or_create
from contracts.telemetry.models import TelemetryRecord, TelemetryStream
from tests.telemetry import reference as ref

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
        contract=contract, code="alerts", kind="record", value_field="hours"
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
    for stream, records in ((heartbeat, beats), (alerts, answered)):
        TelemetryRecord.objects.bulk_create(
            [
                TelemetryRecord(stream=stream, device=d, ts=t, record_id=r, value=v, status=s)
                for d, t, r, v, s in records
            ]
        )
    period, _ = period_get_or_create(contract=contract, label=LABEL)
    return contract, period, heartbeat, beats, answered


@pytest.fixture
def english():
    """Messages in English (the site's default language is zh-Hans)."""
    with translation.override("en"):
        yield
