"""Benchmark: exporting 100,000 payments through the API as CSV and XLSX in bounded memory.

    .venv/bin/python bench/exports.py [--payments 100000] [--reuse]

Needs PostgreSQL (default: the local service; override with DATABASE_URL; the database named
there is dropped and created again unless --reuse). Each export runs in a fresh Python process
that reads the whole response, and prints its peak resident memory (ru_maxrss), its time and
its size. Target (issue 15): a 100,000-row payment export stays under 200 MB RSS.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ppp_bench_exports")
os.environ["DJANGO_SETTINGS_MODULE"] = "portfolio.settings.test"

CONTRACTS = 1000
EXPORT = """
import resource, sys, time
import django
django.setup()
from django.test import Client
from portfolio.models import User
client = Client()
client.force_login(User.objects.get(username="bench-auditor"))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
answer = client.get("/api/v1/payments/?format=" + sys.argv[1])
size = sum(len(chunk) for chunk in answer.streaming_content)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(answer.status_code, size, f"{seconds:.1f}", before // 1024, peak // 1024)
"""


def build(payments: int) -> None:
    """CONTRACTS synthetic contracts computed by the engine, then each calculation copied onto
    more quarterly periods of its contract until there are `payments` of them."""
    from django.core.management import call_command
    from django.db import transaction

    from bench.payments import recreate_database
    from contracts.models import PaymentCalculation, Period
    from contracts.periods import period_bounds
    from contracts.services.payments import payments_compute
    from contracts.synthetic import synthetic_portfolio_create
    from portfolio.models import Party, User

    recreate_database(os.environ["DATABASE_URL"])
    call_command("migrate", verbosity=0)
    synthetic_portfolio_create(contracts=CONTRACTS, kpis=4)
    payments_compute(period_ids=list(Period.objects.values_list("pk", flat=True)), via="command")
    auditors = Party.objects.create(kind="auditor", name="基准审计机构")
    User.objects.create_user("bench-auditor", role="auditor", party=auditors)
    per_contract = payments // CONTRACTS - 1
    labels = [f"{2000 + q // 4}-Q{q % 4 + 1}" for q in range(per_contract)]
    for calculation in PaymentCalculation.objects.select_related("period"):
        with transaction.atomic():
            periods = Period.objects.bulk_create(
                Period(
                    contract_id=calculation.period.contract_id,
                    label=label,
                    starts_on=period_bounds(label, "quarterly")[0],
                    ends_on=period_bounds(label, "quarterly")[1],
                    due_on=period_bounds(label, "quarterly")[1],
                    state="submitted",
                )
                for label in labels
            )
            copies = []
            for period in periods:
                copy = PaymentCalculation(**{
                    f.attname: getattr(calculation, f.attname)
                    for f in PaymentCalculation._meta.concrete_fields
                    if not f.primary_key
                })  # fmt: skip
                copy.period_id = period.pk
                copies.append(copy)
            PaymentCalculation.objects.bulk_create(copies)


def export(fmt: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", EXPORT, fmt],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    status, size, seconds, before, peak = result.stdout.split()
    return (
        f"{fmt:>4}: status {status}, {int(size) / 1e6:.1f} MB in {seconds} s, "
        f"RSS {before} MB before the request, peak {peak} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    import django

    django.setup()
    if not args.reuse:
        started = time.perf_counter()
        build(args.payments)
        print(f"built {args.payments} payments in {time.perf_counter() - started:.0f} s")
    from contracts.models import PaymentCalculation

    print(f"payments in the database: {PaymentCalculation.objects.count()}")
    for fmt in ("csv", "xlsx"):
        print(export(fmt))


if __name__ == "__main__":
    main()
