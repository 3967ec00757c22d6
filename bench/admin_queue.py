"""Benchmark: the officials' payment queue in the admin over many payments.

    .venv/bin/python bench/admin_queue.py [--sizes 1000 100000]

Builds N one-KPI synthetic contracts with computed payments on PostgreSQL (the database in
DATABASE_URL, default ppp_bench, is dropped and created again), then renders the payment
list as a preparer of their agency — plain, as the "awaiting my action" queue, searched and
filtered — and prints the queries and time of each page. Issue 4: the query count must not
grow with the number of payments.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ppp_bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "portfolio.settings.test"

from bench.payments import recreate_database  # noqa: E402

PAGES = {
    "list": "",
    "awaiting me": "?awaiting=me",
    "search": "?q=SYN00-00999",
    "filter state+label": "?state__exact=computed&period__label=2026-Q1",
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


def measure_pages() -> dict[str, tuple[int, float]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from portfolio.models import Party, User

    agency = Party.objects.get(kind="government")
    official, _ = User.objects.get_or_create(
        username="bench_preparer", defaults={"role": "preparer", "party": agency, "is_staff": True}
    )
    client = Client()
    client.force_login(official)
    url = reverse("admin:contracts_paymentcalculation_changelist")
    client.get(url)  # warm up
    results = {}
    for name, query in PAGES.items():
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url + query)
            seconds = time.perf_counter() - started
        assert response.status_code == 200, (name, response.status_code)
        results[name] = (len(queries), seconds)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100000])
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
    print(f"{'payments':>9} {'page':<20} {'queries':>8} {'time (ms)':>10}")
    for size in args.sizes:
        if not args.reuse:
            build(size)
        for name, (queries, seconds) in measure_pages().items():
            print(f"{size:>9} {name:<20} {queries:>8} {1000 * seconds:>10.1f}")


if __name__ == "__main__":
    main()
