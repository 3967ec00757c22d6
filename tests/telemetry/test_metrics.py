"""Telemetry metrics (docs/telemetry.md) equal an independent plain-Python computation for
generated streams: gaps, duplicates, devices joining and leaving mid-period, records exactly
at the period's boundaries and across the UTC / Asia-Shanghai day change. On whichever
database the suite runs (PostgreSQL: the set-based SQL; SQLite: the Python path)."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from contracts.bundles import bundle_import
from contracts.telemetry import metrics
from contracts.telemetry.models import TelemetryRecord, TelemetryStream
from tests.telemetry import reference as ref
from tests.telemetry.conftest import store

pytestmark = pytest.mark.django_db

FIRST, LAST = date(2026, 3, 30), date(2026, 4, 2)  # across a month end
START, END = ref.window(FIRST, LAST)


@pytest.fixture
def contract(example):
    """cn-steps without its evaluations: no period of the window is closed to telemetry."""
    document = example("cn-steps")
    document.pop("evaluations", None)
    return bundle_import(document=document).contract


def stream_of(contract, kind="heartbeat", interval=300, code="ap-heartbeat"):
    return TelemetryStream.objects.create(
        contract=contract,
        code=code,
        kind=kind,
        interval_seconds=interval if kind != "record" else None,
        value_field="latency_ms",
        status_field="status",
    )


def generated(seed: int, interval: int = 300) -> list[tuple]:
    """Heartbeats of six devices with everything the spec names as an edge case."""
    rng = random.Random(seed)
    records = []
    slots = int((END - START).total_seconds()) // interval
    for n in range(6):
        device = f"ap-{n:02d}"
        first, last = 0, slots
        if n == 1:  # joins mid-period, in the evening in UTC (the next day in Shanghai)
            first = slots // 3 + 7
        if n == 2:  # leaves (goes silent) mid-period
            last = slots // 2 - 5
        for k in range(first, last):
            if rng.random() < 0.07:  # gaps
                continue
            ts = START + timedelta(seconds=k * interval + rng.randrange(interval))
            status = "ok" if rng.random() < 0.9 else rng.choice(["timeout", "error"])
            value = None if rng.random() < 0.05 else round(rng.lognormvariate(3, 0.6), 3)
            records.append((device, ts, "", value, status))
            if rng.random() < 0.03:  # sent twice: the same key
                records.append((device, ts, "", value, status))
            if rng.random() < 0.02:  # a second heartbeat in the same slot
                records.append((device, ts + timedelta(microseconds=1), "", value, "ok"))
    # The boundaries: exactly at start (in), a microsecond before (out), exactly at end (out).
    records += [
        ("ap-00", START, "b", 1.0, "ok"),
        ("ap-00", START - timedelta(microseconds=1), "b", 2.0, "ok"),
        ("ap-03", END, "b", 3.0, "ok"),
        ("ap-03", END - timedelta(microseconds=1), "b", 4.5, "ok"),
        # one at 23:59:59 and one at 00:00 Shanghai time (15:59:59 / 16:00 UTC)
        ("ap-09", ref.local(date(2026, 3, 31), 23, 59, 59), "", 5.0, "ok"),
        ("ap-09", ref.local(date(2026, 4, 1)), "", 6.0, "timeout"),
    ]
    return records


def compute(stream, metric, **params):
    spec = metrics.MetricSpec(metric=metric, **params)
    return metrics.metric_compute(
        stream=stream, spec=spec, start=START, end=END, interval=stream.interval_seconds
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_availability_and_completeness_equal_the_reference(contract, seed):
    # given
    records = generated(seed)
    stream = stream_of(contract)
    store(stream, records)
    # when
    availability = compute(stream, "availability", places=4)
    completeness = compute(stream, "completeness", places=4)
    # then
    assert (availability.value, availability.sample_size) == ref.availability(
        records, START, END, 300, places=4
    )
    assert (completeness.value, completeness.sample_size) == ref.completeness(
        records, START, END, 300, places=4
    )
    # the device heard only across the day change is in service on two days
    ap09 = next(d for d in availability.devices if d.device == "ap-09")
    assert (ap09.days, ap09.covered, ap09.expected) == (2, 2, 2 * 288)


@pytest.mark.parametrize("seed", [4, 5])
def test_ratio_percentile_and_mean_equal_the_reference(contract, seed):
    # given
    records = generated(seed)
    stream = stream_of(contract, kind="record")
    store(stream, records)
    # when
    ok = compute(stream, "ratio", condition=metrics.condition_parse("status = ok"))
    fast = compute(stream, "ratio", condition=metrics.condition_parse("value <= 24"))
    p95 = compute(stream, "percentile", p=Decimal("95"), places=3)
    p50 = compute(stream, "percentile", p=Decimal("50"), places=3)
    avg = compute(stream, "mean", places=4)
    # then
    assert (ok.value, ok.sample_size) == ref.ratio(records, START, END, lambda r: r[4] == "ok")
    assert (fast.value, fast.sample_size) == ref.ratio(
        records, START, END, lambda r: r[3] is not None and r[3] <= 24
    )
    assert (p95.value, p95.sample_size) == ref.percentile(records, START, END, 95, places=3)
    assert (p50.value, p50.sample_size) == ref.percentile(records, START, END, 50, places=3)
    assert (avg.value, avg.sample_size) == ref.mean(records, START, END, places=4)


def test_fingerprint_is_the_auditors_recomputation_from_the_raw_records(contract):
    # given
    records = generated(6)
    stream = stream_of(contract)
    store(stream, records)
    # when
    result = compute(stream, "availability")
    # then: recomputed from the stored rows as an export gives them, in any order
    rows = list(TelemetryRecord.objects.filter(stream=stream).values_list(
        "device", "ts", "record_id", "value", "status"
    ))  # fmt: skip
    random.Random(0).shuffle(rows)
    assert result.fingerprint == ref.fingerprint(rows, START, END)
    assert result.fingerprint == ref.fingerprint(records, START, END)
    assert result.records == len(ref.in_window(records, START, END))


def test_fingerprint_changes_with_any_record(contract):
    # given
    records = generated(7)
    stream = stream_of(contract)
    store(stream, records)
    before = compute(stream, "availability").fingerprint
    # when: one more record with another record id at an existing instant
    device, ts, _, value, status = records[10]
    store(stream, [(device, ts, "again", value, status)])
    # then
    assert compute(stream, "availability").fingerprint != before


def test_no_records_no_value(contract, english):
    stream = stream_of(contract)
    result = compute(stream, "availability")
    assert (result.value, result.sample_size, result.records) == (None, 0, 0)
    assert result.fingerprint == ref.fingerprint([], START, END)
    assert "below the minimum" in result.problem


def test_mean_below_the_minimum_sample_has_no_value(contract):
    # given three survey scores
    stream = stream_of(contract, kind="record", code="survey")
    store(stream, [(f"s{i}", START + timedelta(hours=i), "", 80.0 + i, "") for i in range(3)])
    # when / then
    assert compute(stream, "mean", min_sample=4).value is None
    assert compute(stream, "mean", min_sample=3).value == Decimal("81.00")


def test_rounding_is_half_up_to_the_places():
    assert metrics.round_half_up(metrics.Fraction(1, 8), 2) == Decimal("0.13")
    assert metrics.round_half_up(metrics.Fraction(-1, 8), 2) == Decimal("-0.13")
    assert metrics.round_half_up(metrics.Fraction(2, 3), 0) == Decimal("1")


@pytest.mark.parametrize(
    "text",
    ["", "status", "status > ok", "value <= abc", "latency <= 24", "value <= 1e9", "value ~ 3"],
)
def test_bad_conditions_are_refused(text):
    with pytest.raises(metrics.MetricError):
        metrics.condition_parse(text)


def test_interval_metrics_need_an_interval_dividing_a_day(contract):
    stream = stream_of(contract, interval=7)
    with pytest.raises(metrics.MetricError):
        compute(stream, "availability")
