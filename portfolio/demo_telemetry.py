"""The demo's simulated telemetry: deterministic streams for three contracts, with incidents.

Pure data and arithmetic, like ``demo_data``: no Django, no I/O, no wall clock. Every draw
comes from a ``random.Random`` seeded with the contract code and the period label, so a
period's records do not change when the reference day moves on, and the same period always
gives the same records (hence the same value and fingerprint once the city computes it).

Three contracts measure one of their KPIs from telemetry (the bundle field ``telemetry``,
docs/telemetry.md) instead of the company's report:

- **CS-WIFI-01** (长沙 public WiFi): OUT-1 公共WiFi网络可用率 is the ``availability`` of the
  access points' heartbeats (one an hour). Incidents: a fibre cut takes a group of
  access points down for hours, single access points lose power for a day, and a planned
  maintenance window the company leaves out of its own figure.
- **BJ-FLOOD-01** (北京 waterlogging monitoring): OUT-1 内涝监测站点在线率 is the
  ``completeness`` of the sensors' water-level readings (one an hour). Incident: a sensor
  goes silent in the middle of the period and reports again only after its battery is
  replaced weeks later (a sensor silent until the period's end would not count against it:
  a device is in service from its first to its last day, docs/telemetry.md).
- **SZ-BUSPAY-01** (深圳 transit payment): OUT-1 移动支付交易成功率 is the ``ratio`` of
  transactions with ``status = ok``, OUT-3 平均交易时长 the ``mean`` latency. Incident: a bad
  day on which a payment gateway's certificate expired and many transactions failed (and the
  ones that failed timed out slowly).

Only the last evaluated periods of each (``StreamSpec.record_periods``: two, one for the
flood sensors) are computed from records, the ones an official and an auditor look at first;
earlier periods carry the city's figure in the bundle (imported telemetry measurements,
without records). That keeps the demo to about 85,000 records and the seed fast on SQLite
(the ingest service writes some 15,000 records a second there).
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import orjson

SEED = "ppp-demo-telemetry/1"
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))  # no daylight saving since 1991
DAY = 86_400


@dataclass(frozen=True)
class StreamSpec:
    contract: str  # the project code (demo_data.PROJECTS), the contract is "<code>-01"
    code: str
    kind: str  # heartbeat, reading, record
    interval_seconds: int | None
    # the evaluated periods nearest to the reference day whose KPIs are computed from records
    record_periods: int = 1
    value_field: str = ""
    status_field: str = ""
    # KPI code -> the bundle's `telemetry` object
    kpis: dict[str, dict] = field(default_factory=dict)


STREAMS = [
    StreamSpec(
        contract="CS-WIFI",
        code="ap-heartbeat",
        kind="heartbeat",
        interval_seconds=3600,
        record_periods=2,
        kpis={"OUT-1": {"stream": "ap-heartbeat", "metric": "availability", "tolerance": "0.5"}},
    ),
    StreamSpec(
        contract="BJ-FLOOD",
        code="water-level",
        kind="reading",
        interval_seconds=3600,
        value_field="level_cm",
        status_field="status",
        kpis={
            "OUT-1": {
                "stream": "water-level",
                "metric": "completeness",
                "min_sample": 1000,
                "tolerance": "1",
            }
        },
    ),
    StreamSpec(
        contract="SZ-BUSPAY",
        code="payments",
        kind="record",
        interval_seconds=None,
        record_periods=2,
        value_field="latency_ms",
        status_field="status",
        kpis={
            "OUT-1": {
                "stream": "payments",
                "metric": "ratio",
                "condition": "status = ok",
                "tolerance": "0.05",
            },
            "OUT-3": {"stream": "payments", "metric": "mean", "places": 0, "tolerance": "20"},
        },
    ),
]
STREAMS_BY_CONTRACT = {s.contract: s for s in STREAMS}

# The company's own figure for a telemetry KPI (optional in the contract; shown beside the
# computed value on the review page): CS-WIFI's operator leaves its "planned maintenance"
# windows out of its availability, which the contract does not allow. In the most recent
# evaluated period the window is long, so the two differ beyond the tolerance.
COMPANY_FIGURES = {"CS-WIFI": "OUT-1"}

SITES = ["WYL", "YLS", "HXJ"]  # 五一广场, 岳麓山, 湘江新区
ACCESS_POINTS = [f"AP-{site}-{n:02d}" for site in SITES for n in range(1, 5)]
SENSORS = [f"WL-{n:03d}" for n in (101, 102, 103, 104, 105, 106, 107, 108, 109, 110)]
GATEWAYS = ["GW-BUS-01", "GW-BUS-02", "GW-METRO-01"]
PAYMENTS_PER_DAY = 60


def _rng(*parts) -> random.Random:
    return random.Random(":".join([SEED, *map(str, parts)]))


def _window(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime, int]:
    """The period's first instant (00:00 Asia/Shanghai) in UTC and its number of days."""
    start = datetime.datetime.combine(first, datetime.time(), tzinfo=SHANGHAI)
    return start.astimezone(datetime.UTC), (last - first).days + 1


def _ts(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Batch:
    """One period's records of one stream, as the NDJSON body a gateway would send, with what
    the simulation knows about it."""

    stream: StreamSpec
    label: str
    body: bytes
    records: int
    incidents: list[str]


def _ndjson(rows: list[dict]) -> bytes:
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)


@dataclass
class WifiPlan:
    """Which hourly slots each access point is down in a period, and why."""

    start: datetime.datetime
    slots: int
    down: dict[str, set[int]]  # faults: the company's figure counts them too
    maintenance: dict[str, set[int]]  # "planned": the company leaves them out of its figure
    incidents: list[str]


def wifi_plan(label: str, first: datetime.date, last: datetime.date, *, recent: bool) -> WifiPlan:
    """A fibre cut (the four access points of one site, 5–9 hours), power failures (one access
    point, 10–30 hours each) and a planned maintenance window of a site (3 hours; a
    weekend-long controller upgrade of 40 hours in the most recent period, `recent`). Never
    on the first or the last day: every access point is in service the whole period."""
    spec = STREAMS_BY_CONTRACT["CS-WIFI"]
    rng = _rng("wifi", label)
    start, days = _window(first, last)
    slots = days * DAY // spec.interval_seconds
    per_hour = 3600 // spec.interval_seconds
    plan = WifiPlan(start, slots, {ap: set() for ap in ACCESS_POINTS},
                    {ap: set() for ap in ACCESS_POINTS}, [])  # fmt: skip

    def outage(aps, hours: int, into: dict) -> None:
        at = rng.randrange(per_hour * 24, slots - per_hour * (48 + hours))
        for ap in aps:
            into[ap].update(range(at, at + hours * per_hour))

    site, hours = rng.choice(SITES), rng.randint(5, 9)
    outage([ap for ap in ACCESS_POINTS if f"-{site}-" in ap], hours, plan.down)
    plan.incidents.append(f"fibre cut: the 4 access points of site {site} down {hours} h")
    for _ in range(rng.randint(2, 4)):
        ap, hours = rng.choice(ACCESS_POINTS), rng.randint(10, 30)
        outage([ap], hours, plan.down)
        plan.incidents.append(f"power failure: {ap} down {hours} h")
    site, hours = rng.choice(SITES), 40 if recent else 3
    outage([ap for ap in ACCESS_POINTS if f"-{site}-" in ap], hours, plan.maintenance)
    plan.incidents.append(f"planned maintenance: site {site} down {hours} h")
    return plan


def company_figure(contract: str, label: str, first: datetime.date, last: datetime.date,
                   *, recent: bool) -> str:  # fmt: skip
    """The company's own availability: the heartbeats' availability with its maintenance
    windows counted as up (two places, as it reports)."""
    assert contract == "CS-WIFI", contract
    plan = wifi_plan(label, first, last, recent=recent)
    expected = plan.slots * len(ACCESS_POINTS)
    missing = sum(len(plan.down[ap]) for ap in ACCESS_POINTS)
    claimed = Decimal(100 * (expected - missing)) / expected
    return str(claimed.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def wifi_heartbeats(label: str, first: datetime.date, last: datetime.date,
                    *, recent: bool) -> Batch:  # fmt: skip
    """Every access point sends a heartbeat in each hour it is up (`wifi_plan`)."""
    spec = STREAMS_BY_CONTRACT["CS-WIFI"]
    plan = wifi_plan(label, first, last, recent=recent)
    rng = _rng("wifi-heartbeats", label)
    interval = spec.interval_seconds
    rows = []
    for ap in ACCESS_POINTS:
        missing = plan.down[ap] | plan.maintenance[ap]
        for slot in range(plan.slots):
            if slot in missing:
                continue
            offset = slot * interval + rng.randrange(interval)
            rows.append({"device": ap, "ts": _ts(plan.start + datetime.timedelta(seconds=offset))})
    return Batch(spec, label, _ndjson(rows), len(rows), plan.incidents)


def flood_readings(label: str, first: datetime.date, last: datetime.date) -> Batch:
    """Every sensor reads the water level once an hour (a few readings are lost in transit);
    one sensor goes silent in the middle of the period for 2–5 weeks, until its battery is
    replaced. Levels are centimetres of standing water: mostly 0, with a few storms."""
    spec = STREAMS_BY_CONTRACT["BJ-FLOOD"]
    rng = _rng("flood", label)
    start, days = _window(first, last)
    interval = spec.interval_seconds
    slots = days * DAY // interval
    per_day = DAY // interval
    silent = rng.choice(SENSORS)
    silent_from = rng.randrange(days // 3, days // 2) * per_day + rng.randrange(per_day)
    silent_days = rng.randint(10, 24)
    silent_to = min(slots - 2 * per_day, silent_from + silent_days * per_day)
    storms = sorted(rng.sample(range(per_day, slots - per_day), 3))
    incidents = [
        f"sensor {silent} silent from day {silent_from // per_day + 1} for "
        f"{(silent_to - silent_from) // per_day} days (battery replaced)"
    ]
    rows = []
    for sensor in SENSORS:
        depth_scale = rng.uniform(0.5, 1.5)
        for slot in range(slots):
            if sensor == silent and silent_from <= slot < silent_to:
                continue
            if rng.random() < 0.002 and 0 < slot < slots - 1:  # lost in transit
                continue
            level = 0.0
            for storm in storms:
                if 0 <= slot - storm < 10:
                    level = max(level, round(depth_scale * 12 * (10 - (slot - storm)) / 10, 1))
            status = "ok" if level < 15 else "alarm"
            moment = start + datetime.timedelta(seconds=slot * interval + rng.randrange(60))
            rows.append({"device": sensor, "ts": _ts(moment), "level_cm": level,
                         "status": status})  # fmt: skip
    return Batch(spec, label, _ndjson(rows), len(rows), incidents)


def transit_payments(label: str, first: datetime.date, last: datetime.date) -> Batch:
    """A sample of the period's mobile payments at the three gateways, with their latency:
    nearly all succeed, except on one bad day (a gateway's certificate expired) when about a
    third of its transactions failed after a long wait."""
    spec = STREAMS_BY_CONTRACT["SZ-BUSPAY"]
    rng = _rng("payments", label)
    start, days = _window(first, last)
    bad_day = rng.randrange(5, days - 5)
    bad_gateway = rng.choice(GATEWAYS)
    incidents = [f"bad day: day {bad_day + 1}, gateway {bad_gateway} certificate expired"]
    rows = []
    for day in range(days):
        for n in range(PAYMENTS_PER_DAY):
            gateway = GATEWAYS[n % len(GATEWAYS)]
            # rush hours: most payments between 07:00 and 09:30 and 17:00 and 19:30 local
            hour = rng.choice([7, 7, 8, 8, 9, 12, 17, 17, 18, 18, 19, 21])
            second = day * DAY + hour * 3600 + rng.randrange(3600)
            moment = start + datetime.timedelta(seconds=second, microseconds=rng.randrange(10**6))
            failed = rng.random() < (0.5 if day == bad_day and gateway == bad_gateway else 0.0002)
            if failed:
                latency, status = rng.randint(2500, 6000), "failed"
            else:
                latency, status = max(80, round(rng.gauss(240, 60))), "ok"
            rows.append({"device": gateway, "ts": _ts(moment), "record_id": f"T{day:03d}{n:04d}",
                         "latency_ms": latency, "status": status})  # fmt: skip
    return Batch(spec, label, _ndjson(rows), len(rows), incidents)


def period_batch(contract: str, label: str, first: datetime.date, last: datetime.date,
                 *, recent: bool) -> Batch:  # fmt: skip
    """The records of `contract`'s stream for one period (`recent`: the most recent evaluated
    period, where the company's figure differs most)."""
    if contract == "CS-WIFI":
        return wifi_heartbeats(label, first, last, recent=recent)
    if contract == "BJ-FLOOD":
        return flood_readings(label, first, last)
    return transit_payments(label, first, last)


def telemetry_kpi(contract: str, kpi: str) -> dict | None:
    """The bundle's `telemetry` object of a demo KPI, if it is measured from telemetry."""
    spec = STREAMS_BY_CONTRACT.get(contract)
    source = spec.kpis.get(kpi) if spec else None
    return dict(source) if source else None
