"""Benchmark: performance monitoring (contracts/monitoring.py) over many contracts.

    .venv/bin/python bench/monitoring.py [--sizes 200 2000] [--kpis 10] [--runs 5]

Builds N synthetic quarterly contracts (the database in DATABASE_URL, default
ppp_bench_monitoring on PostgreSQL, is dropped and created again), each with `--kpis` KPIs
and eight ended quarters of accepted figures, then times `contracts_monitoring` over all of
them (what the compliance flags read for a dashboard page or an agency's morning digest) and
renders an agency official's admin home, `--runs` times each, printing the queries and the
median: on a cache miss (the home computes the agency's alerted contracts) and cached (what
the morning digest stores for the day). The query count must not grow with the contracts,
periods or KPIs.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ppp_bench_monitoring")
os.environ["DJANGO_SETTINGS_MODULE"] = "portfolio.settings.test"

from bench.payments import recreate_database  # noqa: E402

QUARTERS = ["2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
TODAY = date(2026, 12, 2)  # the admin home uses the real date: run it on or after this day


def build(size: int, kpis: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from contracts.models import Measurement, Period
    from contracts.periods import period_bounds
    from contracts.synthetic import synthetic_portfolio_create

    call_command("flush", "--no-input", verbosity=0)
    for chunk in range(0, size, 1000):
        synthetic_portfolio_create(
            contracts=min(1000, size - chunk), kpis=kpis, prefix=f"MON{chunk // 1000:02d}"
        )
    first = list(Measurement.objects.select_related("period").order_by("pk"))
    for label in QUARTERS:  # seven more ended quarters with the same accepted figures
        starts_on, ends_on = period_bounds(label, "quarterly")
        periods = Period.objects.bulk_create(
            Period(
                contract_id=contract_id, label=label, starts_on=starts_on, ends_on=ends_on,
                due_on=ends_on, state=Period.State.SUBMITTED,
            )
            for contract_id in sorted({m.period.contract_id for m in first})
        )  # fmt: skip
        by_contract = {p.contract_id: p for p in periods}
        Measurement.objects.bulk_create(
            Measurement(
                period=by_contract[m.period.contract_id], kpi_id=m.kpi_id, value=m.value,
                points=m.points, state=m.state, source=m.source,
            )
            for m in first
        )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(runs: int) -> dict[str, tuple[int, float]]:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from contracts.models import Contract
    from contracts.monitoring import contracts_monitoring
    from portfolio.models import Party, User

    ids = list(Contract.objects.values_list("pk", flat=True))
    official, _ = User.objects.get_or_create(
        username="bench_preparer",
        defaults={
            "role": "preparer",
            "is_staff": True,
            "party": Party.objects.get(kind="government"),
        },
    )
    client = Client()
    client.force_login(official)

    def home_cold():
        cache.clear()  # what the morning digest or an earlier request stored: gone
        return client.get("/admin/")

    jobs = {
        "contracts_monitoring (all)": lambda: contracts_monitoring(contract_ids=ids, today=TODAY),
        "admin home, cache miss": home_cold,
        "admin home, cached": lambda: client.get("/admin/"),
    }
    results = {}
    for name, job in jobs.items():
        job()  # warm-up
        times = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                job()
                times.append((time.perf_counter() - started) * 1000)
        results[name] = (len(queries), statistics.median(times))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--kpis", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    recreate_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    for size in args.sizes:
        started = time.perf_counter()
        build(size, args.kpis)
        print(f"{size} contracts × 8 quarters × {args.kpis} KPIs built in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        for name, (queries, median) in measure(args.runs).items():
            print(f"  {name:30} {queries:3} queries  median {median:8.1f} ms")


if __name__ == "__main__":
    main()
