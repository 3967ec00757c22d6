"""Benchmark: the officials' workplace in the admin over many payments.

    .venv/bin/python bench/admin_queue.py [--sizes 1000 100000] [--runs 20]

Builds N one-KPI synthetic contracts with computed payments on PostgreSQL (the database in
DATABASE_URL, default ppp_bench, is dropped and created again), then renders, as a preparer
of their agency, the payment list (all payments, the "awaiting my action" queue it opens on,
searched, filtered), the admin home with its counts and a period review page, each `--runs`
times, and prints the queries, median and p95 of each page. Issue 12: p95 ≤ 300 ms at
100,000 payments; the query count must not grow with the number of payments.
"""

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ppp_bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "portfolio.settings.test"

from bench.payments import recreate_database  # noqa: E402

PAYMENTS = "/admin/contracts/paymentcalculation/"
PAGES = {
    "payments, all": PAYMENTS + "?awaiting=all",
    "awaiting my action": PAYMENTS,  # the list opens on the official's queue
    "search": PAYMENTS + "?awaiting=all&q=SYN00-00999",
    "filter state+label": PAYMENTS + "?awaiting=all&state__exact=computed&period__label=2026-Q1",
    "home counts": "/admin/",
    "period review": None,  # the review page of the first period, filled in below
}


def build(size: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from contracts.models import Period
    from contracts.services.payments import payments_compute
    from contracts.synthetic import synthetic_portfolio_create

    call_command("flush", "--no-input", verbosity=0)
    for chunk in range(0, size, 5000):
        synthetic_portfolio_create(
            contracts=min(5000, size - chunk), kpis=1, prefix=f"SYN{chunk // 5000:02d}"
        )
    ids = list(Period.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 5000):
        payments_compute(period_ids=ids[start : start + 5000], via="command")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure_pages(runs: int) -> dict[str, tuple[int, float, float]]:
    """Page → (queries, median ms, p95 ms) over `runs` requests after one warm-up."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from contracts.models import Period
    from portfolio.models import Party, User

    agency = Party.objects.get(kind="government")
    official, _ = User.objects.get_or_create(
        username="bench_preparer", defaults={"role": "preparer", "party": agency, "is_staff": True}
    )
    client = Client()
    client.force_login(official)
    period = Period.objects.order_by("pk").first()
    pages = {**PAGES, "period review": f"/admin/contracts/period/{period.pk}/review/"}
    results = {}
    for name, url in pages.items():
        client.get(url)  # warm up
        times = []
        for _run in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append(1000 * (time.perf_counter() - started))
            assert response.status_code == 200, (name, response.status_code)
        times.sort()
        p95 = times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]
        results[name] = (len(queries), statistics.median(times), p95)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100000])
    parser.add_argument("--runs", type=int, default=20, help="requests per page (p95 of them)")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database as it is (one size, built)"
    )
    args = parser.parse_args()
    if not args.reuse:
        recreate_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"{'payments':>9} {'page':<20} {'queries':>8} {'median ms':>10} {'p95 ms':>8}")
    for size in args.sizes:
        if not args.reuse:
            build(size)
        for name, (queries, median, p95) in measure_pages(args.runs).items():
            print(f"{size:>9} {name:<20} {queries:>8} {median:>10.1f} {p95:>8.1f}")


if __name__ == "__main__":
    main()
