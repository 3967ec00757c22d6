"""Benchmark: a month of heartbeats aggregated into KPI values on PostgreSQL, against a
hand-written GROUP BY over the same partition (the floor), at two sizes for linearity.

    .venv/bin/python bench/telemetry_aggregate.py [--devices 2000] [--days 30] [--small 1000000]

In the database of TELEMETRY_AGG_BENCH_DATABASE_URL (default ppp_tmetrics_bench, dropped and
created again, migrated): one contract with a heartbeat stream (5-minute interval). June 2026
(Asia/Shanghai: one monthly partition) is filled with `generate_series` straight into the
table: --devices devices, one heartbeat per 5 minutes, about 1 in 53 missing (gaps), a second
heartbeat in ~1 in 97 slots, latency values and an `ok`/`degraded` status. The fingerprint's
day sums (`TelemetryDigest`, which ingestion writes with the records) are then computed from
the records by SQL — a SHA-256 of every record's canonical line, as the aggregation itself did
before the sums existed: that time is printed as "hashing every record". Then, each three
times (the best counts), on a warm cache:

- `availability`: `metric_compute` (contracts/telemetry/metrics.py), what the aggregation task
  runs per KPI: distinct slots per device (`date_bin`) and counts in one grouped query, the
  fingerprint from the day sums, then Python over the 2,000 device rows;
- `ratio` (`status = ok`) and `p95` of the latency (two queries: grouped + percentile_cont);
- the floor: `SELECT device, count(*), min(ts), max(ts) … GROUP BY device` over the same rows;
- the floor with the distinct slots (`count(DISTINCT slot)`), the least availability needs.

The same at --small records (the first devices) for linearity. Figures go into
docs/benchmarks.md by hand, with the machine and the date.
"""

import argparse
import os
import platform
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Its own variable: the database named here is dropped, whatever DATABASE_URL says.
DATABASE_URL = os.environ.get(
    "TELEMETRY_AGG_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ppp_tmetrics_bench"
)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DJANGO_SETTINGS_MODULE"] = "portfolio.settings.test"

from bench.payments import recreate_database  # noqa: E402

FIRST, LAST = date(2026, 6, 1), date(2026, 6, 30)
INTERVAL = 300


def build(devices: int, small_devices: int, days: int) -> list[tuple[object, int]]:
    from django.core.management import call_command
    from django.db import connection

    from contracts.models import Contract, TelemetryStream
    from contracts.synthetic import synthetic_portfolio_create
    from contracts.telemetry.partitions import telemetry_partitions_ensure
    from contracts.telemetry.windows import period_window

    call_command("migrate", verbosity=0)
    synthetic_portfolio_create(contracts=2, kpis=1, prefix="AGG")
    contracts = list(Contract.objects.order_by("code"))
    streams = [
        TelemetryStream.objects.create(
            contract=c, code="ap-heartbeat", kind="heartbeat", interval_seconds=INTERVAL,
            value_field="latency_ms", status_field="status",
        )
        for c in contracts
    ]  # fmt: skip
    telemetry_partitions_ensure(first=FIRST, last=LAST)
    start, _ = period_window(FIRST, LAST)
    slots = days * 86400 // INTERVAL
    built = []
    for stream, count in zip(streams, (devices, small_devices), strict=True):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO contracts_telemetryrecord
                    (stream_id, device, ts, record_id, value, status)
                SELECT %(stream)s, 'ap-' || lpad(d::text, 5, '0'),
                       %(start)s::timestamptz + make_interval(secs => k * %(interval)s
                           + (d * 7 + k * 13) %% %(interval)s + e),
                       '', (5 + (d * 7919 + k) %% 200) / 4.0,
                       CASE WHEN (d + k) %% 97 = 0 THEN 'degraded' ELSE 'ok' END
                FROM generate_series(0, %(devices)s - 1) d,
                     generate_series(0, %(slots)s - 1) k,
                     generate_series(0, 1) e
                WHERE (d * 31 + k * 17) %% 53 <> 0
                  AND (e = 0 OR (d * 13 + k) %% 97 = 0)
                """,
                {"stream": stream.pk, "start": start, "interval": INTERVAL,
                 "devices": count, "slots": slots},
            )  # fmt: skip
            cursor.execute(
                "SELECT count(*) FROM contracts_telemetryrecord WHERE stream_id = %s", [stream.pk]
            )
            rows = cursor.fetchone()[0]
        elapsed = time.perf_counter() - started
        print(f"generated {rows:,} records ({count} devices) in {elapsed:.1f} s", flush=True)
        started = time.perf_counter()
        digests_from_records(stream)
        elapsed = time.perf_counter() - started
        print(f"  their day sums, hashing every record in SQL: {elapsed:.1f} s", flush=True)
        built.append((stream, rows))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE contracts_telemetryrecord")
    return built


# 256 bits as limbs of (16, 60, 60, 60, 60) bits: every limb fits a positive bigint, and
# PostgreSQL sums bigints exactly (as numeric).
LIMBS = [(1, 4), (5, 15), (20, 15), (35, 15), (50, 15)]  # (1-based hex offset, hex digits)
LIMB_SHIFTS = [240, 180, 120, 60, 0]


def digests_from_records(stream) -> None:
    """The stream's day sums (docs/telemetry.md, Fingerprint) from its stored records: one
    SHA-256 per record in SQL, summed exactly by limbs per device and local day."""
    from django.conf import settings
    from django.db import connection, transaction

    from contracts.telemetry.export import CANONICAL_LINE_SQL
    from contracts.telemetry.fingerprint import MODULUS
    from contracts.telemetry.models import TelemetryDigest

    limbs = ", ".join(
        f"sum(('x' || substr(h, {offset}, {digits}))::bit({digits * 4})::bigint)"
        for offset, digits in LIMBS
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL extra_float_digits = 1")
        cursor.execute(
            f"""
            SELECT device, day, count(*), {limbs}
            FROM (
                SELECT device, (ts AT TIME ZONE %s)::date AS day,
                       encode(sha256(convert_to({CANONICAL_LINE_SQL}, 'UTF8')), 'hex') AS h
                FROM contracts_telemetryrecord WHERE stream_id = %s
            ) r
            GROUP BY device, day
            """,
            [settings.TIME_ZONE, stream.pk],
        )
        rows = []
        for device, day, records, *sums in cursor.fetchall():
            total = sum(int(v) << k for v, k in zip(sums, LIMB_SHIFTS, strict=True)) % MODULUS
            rows.append(
                TelemetryDigest(
                    stream=stream,
                    device=device,
                    day=day,
                    records=records,
                    hash_sum=f"{total:064x}",
                )
            )
        TelemetryDigest.objects.bulk_create(rows, batch_size=5000)


def best_of(runs: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def floors(stream, start, end, interval):
    from django.db import connection

    where = "stream_id = %s AND ts >= %s AND ts < %s"
    params = [stream.pk, start, end]

    def plain():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT device, count(*), min(ts), max(ts) FROM contracts_telemetryrecord "
                f"WHERE {where} GROUP BY device",
                params,
            )
            return len(cursor.fetchall())

    def distinct_slots():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT device, count(*), count(DISTINCT date_bin(%s, ts, %s)),"
                f" min(ts), max(ts) FROM contracts_telemetryrecord WHERE {where} GROUP BY device",
                [timedelta(seconds=interval), start, *params],
            )
            return len(cursor.fetchall())

    return plain, distinct_slots


def measure(stream, label: str) -> dict:
    from django.db import transaction

    from contracts.telemetry import metrics
    from contracts.telemetry.fingerprint import digest_total
    from contracts.telemetry.windows import period_window

    start, end = period_window(FIRST, LAST)
    plain, distinct_slots = floors(stream, start, end, INTERVAL)

    def fingerprint_sums():
        return digest_total(stream_id=stream.pk, first_day=FIRST, last_day=LAST)

    def compute(spec):
        def work():
            with transaction.atomic():  # as the task runs it, the fingerprint included
                return metrics.metric_compute(
                    stream=stream, spec=spec, start=start, end=end, interval=INTERVAL
                )

        return work

    availability = metrics.MetricSpec(metric="availability", places=4)
    ratio = metrics.MetricSpec(metric="ratio", condition=metrics.condition_parse("status = ok"))
    p95 = metrics.MetricSpec(metric="percentile", p=95)
    figures = {"label": label}
    figures["fingerprint"], _ = best_of(3, fingerprint_sums)
    figures["floor"], _ = best_of(3, plain)
    figures["floor_distinct"], _ = best_of(3, distinct_slots)
    figures["availability"], result = best_of(3, compute(availability))
    figures["records"] = result.records
    figures["value"] = result.value
    figures["ratio"], _ = best_of(3, compute(ratio))
    figures["p95"], _ = best_of(3, compute(p95))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--small", type=int, default=1_000_000, help="records of the small run")
    parser.add_argument("--reuse", action="store_true", help="measure the data of a last run")
    args = parser.parse_args()
    if not args.reuse:
        recreate_database(DATABASE_URL)
    import django

    django.setup()
    per_device = args.days * 86400 // INTERVAL
    small_devices = max(1, round(args.small / per_device))
    if args.reuse:
        from contracts.models import TelemetryStream

        full, small = TelemetryStream.objects.order_by("pk")[:2]
    else:
        (full, _), (small, _) = build(args.devices, small_devices, args.days)
    print(f"machine: {platform.node()} {os.cpu_count()} CPUs, {platform.platform()}")
    for figures in (measure(full, "full"), measure(small, "small")):
        print(
            f"{figures['label']}: {figures['records']:,} records; "
            f"availability {figures['availability']:.2f} s (value {figures['value']}), "
            f"ratio {figures['ratio']:.2f} s, p95 {figures['p95']:.2f} s; "
            f"floor GROUP BY {figures['floor']:.2f} s, with distinct slots "
            f"{figures['floor_distinct']:.2f} s; availability / floor "
            f"{figures['availability'] / figures['floor']:.2f}×, / distinct floor "
            f"{figures['availability'] / figures['floor_distinct']:.2f}×; "
            f"of which the fingerprint from the day sums {figures['fingerprint']:.3f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
