"""The demo's telemetry KPIs (portfolio/demo_telemetry.py): three contracts whose KPIs the
city computes from simulated streams, with their incidents, reviewed and paid like the
others, one waiting for review beside the company's own figure. Values are recomputed here
with the tests' independent reading of docs/telemetry.md (tests/telemetry/reference.py)."""

import csv
import datetime
import io
import itertools
from collections import Counter

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from contracts.admin_selectors import period_review
from contracts.models import (
    Measurement,
    PaymentCalculation,
    Period,
    TelemetryRecord,
    TelemetryStream,
)
from portfolio import demo_telemetry
from portfolio.demo_seed import demo_seed
from portfolio.models import User
from tests.demo.test_demo_plausibility import snapshot
from tests.telemetry import reference as ref

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 23)
CONTRACTS = {"CS-WIFI-01": "OUT-1", "BJ-FLOOD-01": "OUT-1", "SZ-BUSPAY-01": "OUT-1"}


@pytest.fixture
def seeded(media):
    demo_seed(today=TODAY)


def evaluated(code: str) -> list[Period]:
    return list(
        Period.objects.filter(contract__code=code)
        .exclude(state=Period.State.OPEN)
        .order_by("starts_on")
    )


def computed(code: str, kpi: str = "OUT-1") -> Measurement:
    """The city's value of `kpi` in the contract's most recent evaluated period."""
    return Measurement.objects.get(
        period=evaluated(code)[-1], kpi__code=kpi, origin="telemetry", is_current=True
    )


def records(period: Period):
    stream = TelemetryStream.objects.get(contract=period.contract)
    start, end = ref.window(period.starts_on, period.ends_on)
    rows = TelemetryRecord.objects.filter(stream=stream).values_list(
        "device", "ts", "record_id", "value", "status"
    )
    return list(rows), start, end, stream


def summary(measurement: Measurement) -> list[dict]:
    evidence = measurement.evidence.get()
    assert evidence.original_name == (
        f"telemetry-{measurement.kpi.code}-{measurement.period.label}.csv"
    )
    with default_storage.open(evidence.file.name) as f:
        text = f.read().decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[-1]["device"] == "fingerprint" and rows[-1]["first_ts"] == measurement.fingerprint
    return [r for r in rows if r["device"] not in ("total", "sample_size", "value", "fingerprint")]


def test_three_contracts_have_computed_telemetry_kpis_with_fingerprint_and_evidence(seeded):
    for code, kpi in CONTRACTS.items():
        m = computed(code, kpi)
        assert m.source == Measurement.Source.TELEMETRY and m.submitted_by is None
        rows, start, end, stream = records(m.period)
        assert len(rows) > 5000
        assert m.fingerprint == ref.fingerprint(rows, start, end)
        if stream.kind == "heartbeat":
            value, n = ref.availability(rows, start, end, stream.interval_seconds)
        elif stream.kind == "reading":
            value, n = ref.completeness(rows, start, end, stream.interval_seconds)
        else:
            value, n = ref.ratio(rows, start, end, lambda r: r[4] == "ok")
        assert (m.value, m.sample_size) == (value, n), code
        assert len(summary(m)) >= 3
    mean = computed("SZ-BUSPAY-01", "OUT-3")
    rows, start, end, _stream = records(mean.period)
    assert (mean.value, mean.sample_size) == ref.mean(rows, start, end, places=0)
    assert mean.fingerprint == computed("SZ-BUSPAY-01").fingerprint  # one record set
    # the demo stays small enough for a quick seed on SQLite
    assert TelemetryRecord.objects.count() < 120_000


def test_the_incidents_show_in_the_values(seeded):
    # WiFi: access points down for hours
    wifi = computed("CS-WIFI-01")
    assert wifi.value < 100
    gaps = [int(r["intervals_expected"]) - int(r["intervals_covered"]) for r in summary(wifi)]
    assert sum(1 for gap in gaps if gap >= 5) >= 4  # a site's four access points at least

    # waterlogging: a sensor silent for weeks in the middle of the period
    flood = computed("BJ-FLOOD-01")
    assert flood.value < 100
    rows, start, end, _stream = records(flood.period)
    longest = {}
    for device in {r[0] for r in rows}:
        times = sorted(r[1] for r in rows if r[0] == device and start <= r[1] < end)
        longest[device] = max(b - a for a, b in itertools.pairwise(times))
    silent = [d for d, gap in longest.items() if gap > datetime.timedelta(days=7)]
    assert len(silent) == 1
    others = [gap for d, gap in longest.items() if d not in silent]
    assert max(others) < datetime.timedelta(hours=6)
    # without the silent sensor's gap, completeness would be nearly full
    row = next(r for r in summary(flood) if r["device"] == silent[0])
    assert int(row["intervals_expected"]) - int(row["records"]) > 7 * 24

    # payments: one bad day of failures
    payments = computed("SZ-BUSPAY-01")
    assert payments.value < 99.9  # below the contract's target
    rows, start, end, _stream = records(payments.period)
    failed = Counter(
        r[1].astimezone(ref.SHANGHAI).date() for r in rows if r[4] == "failed" and start <= r[1]
    )
    (_bad_day, count), *rest = failed.most_common()
    assert count >= 10 and all(n <= 2 for _day, n in rest)


def test_telemetry_periods_are_reviewed_and_paid_and_the_latest_waits_with_a_difference(seeded):
    preparer = User.objects.get(username="gov_preparer")
    wifi = evaluated("CS-WIFI-01")
    # the most recent evaluated period: computed, waiting for review, the company's figure
    # beside it differing beyond the tolerance; its payment waits for the review
    latest = computed("CS-WIFI-01")
    assert latest.state == Measurement.State.SUBMITTED
    row = next(r for r in period_review(period=wifi[-1], user=preparer).rows if r.kpi.is_telemetry)
    assert row.shown == latest and row.reported.submitted_by.username == "enterprise_a"
    assert row.beyond_tolerance and row.reviewable
    assert not PaymentCalculation.objects.filter(period=wifi[-1]).exists()
    # the one before: both figures within the tolerance, accepted, its payment decided
    row = next(r for r in period_review(period=wifi[-2], user=preparer).rows if r.kpi.is_telemetry)
    assert row.shown.source == "telemetry" and row.shown.state == "accepted"
    assert row.reported is not None and not row.beyond_tolerance
    assert wifi[-2].calculation.state in ("prepared", "approved")
    # the other two: accepted, their payments computed (and SZ-BUSPAY's period before it
    # approved or prepared)
    for code in ("BJ-FLOOD-01", "SZ-BUSPAY-01"):
        m = computed(code)
        assert m.state == Measurement.State.ACCEPTED and m.reviewed_by is not None
        assert m.period.calculation.state == "computed"
    assert evaluated("SZ-BUSPAY-01")[-2].calculation.state in ("prepared", "approved")
    # earlier periods: the city's figures imported with the bundle, accepted and paid
    earlier = Measurement.objects.get(period=wifi[0], kpi__code="OUT-1", is_current=True)
    assert (earlier.origin, earlier.source, earlier.state) == ("telemetry", "import", "accepted")
    assert wifi[0].calculation.state == "paid"


def test_seeding_again_changes_nothing(seeded, capsys, settings):
    settings.DEBUG = True  # seed_demo's guard
    before = snapshot(), TelemetryRecord.objects.count()
    demo_seed(today=TODAY)
    assert (snapshot(), TelemetryRecord.objects.count()) == before
    call_command("seed_demo", "--skip-if-seeded")
    assert "already loaded" in capsys.readouterr().out
    assert (snapshot(), TelemetryRecord.objects.count()) == before


def test_simulated_streams_are_deterministic():
    first, last = datetime.date(2026, 4, 1), datetime.date(2026, 6, 30)
    for contract in ("CS-WIFI", "BJ-FLOOD", "SZ-BUSPAY"):
        a = demo_telemetry.period_batch(contract, "2026-Q2", first, last, recent=True)
        b = demo_telemetry.period_batch(contract, "2026-Q2", first, last, recent=True)
        assert a.body == b.body and a.records == b.records > 5000
        other = demo_telemetry.period_batch(contract, "2026-Q1", datetime.date(2026, 1, 1),
                                            datetime.date(2026, 3, 31), recent=False)  # fmt: skip
        assert other.body != a.body
