"""Benchmark: one full period run (computed and persisted by real Celery workers) against the
SQL floor, a single GROUP BY over the same measurement rows.

    .venv/bin/python bench/payments.py [--sizes 1000 10000] [--repeat 3] [--concurrency 2]
    .venv/bin/python bench/payments.py --reuse --sizes 10000   # measure again, no rebuild

Needs PostgreSQL and Redis (defaults: the local services; override with DATABASE_URL and
CELERY_BROKER_URL). The database named in DATABASE_URL is dropped and created again.
Target (issue 3): 10,000 contracts in <= 5 s on 2 cores, <= 20x the floor, linear 1k -> 10k.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ppp_bench")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
os.environ["DJANGO_SETTINGS_MODULE"] = "portfolio.settings.test"
# Workers keep their database connection across tasks, as the README recommends for
# production workers; DATABASE_CONN_MAX_AGE=0 measures a new connection per task.
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "60")

FLOOR_SQL = """
SELECT p.contract_id,
       SUM(CASE WHEN k.rule = 'manual' THEN m.points
                WHEN k.direction = 'higher' AND m.value >= k.target THEN k.max_points
                WHEN k.direction = 'lower' AND m.value <= k.target THEN k.max_points
                ELSE GREATEST(0, k.max_points - ABS(m.value - k.target)) END) AS score,
       700000 + 550000 * LEAST(1, SUM(CASE WHEN k.rule = 'manual' THEN m.points
                                          ELSE k.max_points END) / 90) AS payable
FROM contracts_measurement m
JOIN contracts_period p ON p.id = m.period_id
JOIN contracts_kpi k ON k.id = m.kpi_id
WHERE p.label = %s AND m.is_current AND m.state = 'accepted'
GROUP BY p.contract_id
"""


def recreate_database(url: str) -> None:
    import psycopg2

    name = urlparse(url).path.lstrip("/")
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


SLICE = 1000  # contracts per transaction: one huge transaction is slow with audit triggers


def build(size: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from contracts.synthetic import synthetic_portfolio_create

    call_command("flush", "--no-input", verbosity=0)
    for n, start in enumerate(range(0, size, SLICE)):
        synthetic_portfolio_create(contracts=min(SLICE, size - start), seed=n, prefix=f"S{n:02d}")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def measure_once(size: int) -> tuple[float, float]:
    """One run from a state without calculations, then the floor: (run s, floor s)."""
    from django.db import connection

    from contracts.models import PaymentCalculation, PaymentRun
    from contracts.services.payment_runs import payment_run_start
    from contracts.synthetic import LABEL

    PaymentCalculation.objects.all().delete()
    PaymentRun.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE contracts_paymentcalculation")

    started = time.perf_counter()
    run = payment_run_start(label=LABEL)
    while PaymentRun.objects.filter(pk=run.pk, state=PaymentRun.State.RUNNING).exists():
        time.sleep(0.05)
    run_seconds = time.perf_counter() - started
    run.refresh_from_db()
    assert (run.done, run.failed) == (size, 0), (run.done, run.failed, run.problems[:3])

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, [LABEL])
        rows = cursor.fetchall()
    floor_seconds = time.perf_counter() - started
    assert len(rows) == size
    return run_seconds, floor_seconds


def measure(size: int, repeat: int, reuse: bool) -> dict:
    if not reuse:
        build(size)
    runs, floors = zip(*(measure_once(size) for _ in range(repeat)), strict=True)
    return {
        "size": size,
        "run": statistics.median(runs),
        "floor": statistics.median(floors),
        "runs": runs,
        "floors": floors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (medians shown)")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database a previous run of one size built"
    )
    args = parser.parse_args()

    if not args.reuse:
        recreate_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    from tests.worker import WorkerProcess, purge_queue

    call_command("migrate", verbosity=0)
    purge_queue()
    worker = WorkerProcess(concurrency=args.concurrency).start()
    try:
        results = [measure(size, args.repeat, args.reuse) for size in args.sizes]
    finally:
        worker.stop()

    print(f"{'contracts':>10} {'run (s)':>9} {'floor (s)':>10} {'ratio':>7} {'ms/contract':>12}")
    for r in results:
        print(
            f"{r['size']:>10} {r['run']:>9.2f} {r['floor']:>10.3f} "
            f"{r['run'] / r['floor']:>7.1f} {1000 * r['run'] / r['size']:>12.3f}"
        )
    for r in results:
        runs = ", ".join(f"{x:.2f}" for x in r["runs"])
        floors = ", ".join(f"{x:.3f}" for x in r["floors"])
        print(f"{r['size']:>10} runs (s): {runs}; floors (s): {floors}")
    if len(results) > 1:
        first, last = results[0], results[-1]
        scale = (last["run"] / first["run"]) / (last["size"] / first["size"])
        print(f"scaling {first['size']} -> {last['size']}: {scale:.2f} x linear")


if __name__ == "__main__":
    main()
