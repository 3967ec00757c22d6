"""Benchmark: GET /api/v1/contracts/?page_size=50 over 10,000 contracts under gunicorn, side by
side with a plain Django view of the same page (bench/plain_urls.py: `.values()`, no DRF).

    .venv/bin/python bench/api.py [--contracts 10000] [--requests 300] [--warmup 20]
                                  [--threads 2] [--reuse]

Builds the contracts (contracts/synthetic.py, one KPI each, in transactions of 5,000) on
PostgreSQL in the database of API_BENCH_DATABASE_URL (default ppp_apibench), which is dropped
and created again unless --reuse. Then starts gunicorn (2 sync workers, 127.0.0.1, a free
port) with production settings plus the plain view's URLconf (bench/settings.py), checks that
both answer the same first page, and sends --requests requests to each, alternating, from
--threads client threads on loopback, as an auditor with a token; the header
`X-Forwarded-Proto: https` (trusted by the production settings) keeps SECURE_SSL_REDIRECT
from redirecting. DATABASE_CONN_MAX_AGE passes through to gunicorn (production's default, 0,
opens a database connection per request). Prints p50, p95 and mean of both and their ratio.
Targets: the API within 2x the plain view, and its p95 within 100 ms.
"""

import argparse
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from statistics import mean

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Its own variable: the database named here is dropped, whatever DATABASE_URL says.
DATABASE_URL = os.environ.get(
    "API_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ppp_apibench"
)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DJANGO_SETTINGS_MODULE"] = "portfolio.settings.test"

from bench.payments import recreate_database  # noqa: E402

API = "/api/v1/contracts/?page_size=50"
PLAIN = "/bench/plain/contracts/?page_size=50"
CHUNK = 5000


def build(contracts: int) -> None:
    from django.db import connection

    from contracts.synthetic import synthetic_portfolio_create

    for start in range(0, contracts, CHUNK):
        # One transaction each (the function is atomic).
        synthetic_portfolio_create(
            contracts=min(CHUNK, contracts - start), kpis=1, prefix=f"API{start // CHUNK:02d}"
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def auditor_token() -> str:
    from knox.models import AuthToken

    from portfolio.models import Party, User

    party, _ = Party.objects.get_or_create(name="基准测试审计机构", defaults={"kind": "auditor"})
    user, _ = User.objects.get_or_create(
        username="bench_auditor", defaults={"role": "auditor", "party": party}
    )
    return AuthToken.objects.create(user=user)[1]  # stored hashed: a new one each run


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_start(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": DATABASE_URL,
        # Required by the production settings; these GETs enqueue nothing.
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"),
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "portfolio.wsgi:application",
        "--workers", "2",
        "--bind", f"127.0.0.1:{port}",
        "--chdir", str(ROOT),
        "--log-level", "warning",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, cwd=ROOT)


def get(port: int, path: str, token: str) -> tuple[int, bytes, float]:
    """One request on a new connection (gunicorn's sync workers close each): status, body and
    seconds from connecting to the last byte."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "GET", path, headers={"Authorization": f"Token {token}", "X-Forwarded-Proto": "https"}
        )
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    return response.status, body, time.perf_counter() - started


def wait_until_up(port: int, server: subprocess.Popen, token: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            get(port, PLAIN, token)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 60 s")


def same_first_page(port: int, token: str, contracts: int) -> None:
    pages = {}
    for name, path in (("API", API), ("plain", PLAIN)):
        status, body, _ = get(port, path, token)
        assert status == 200, (name, status, body[:300])
        pages[name] = json.loads(body)
    api, plain = pages["API"], pages["plain"]
    assert api["count"] == plain["count"] == contracts, (api["count"], plain["count"])
    assert len(api["results"]) == 50 and api["results"] == plain["results"], "pages differ"


def measure(port: int, token: str, requests: int, threads: int) -> dict[str, list[float]]:
    """`requests` of each view, alternating, taken from one list by `threads` threads."""
    work = [API, PLAIN] * requests
    lock, seconds = threading.Lock(), {API: [], PLAIN: []}
    failures = []

    def client() -> None:
        while True:
            with lock:
                if not work:
                    return
                path = work.pop()
            status, body, took = get(port, path, token)
            with lock:
                if status != 200:
                    failures.append((path, status, body[:200]))
                seconds[path].append(took)

    pool = [threading.Thread(target=client) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert not failures, failures[:3]
    return seconds


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, round(fraction * len(ordered) + 0.5) - 1)]


def summary(values: list[float]) -> tuple[float, float, float]:
    return (
        1000 * percentile(values, 0.50),
        1000 * percentile(values, 0.95),
        1000 * mean(values),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=300, help="per view")
    parser.add_argument("--warmup", type=int, default=20, help="per view, not counted")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="measure the database as it is")
    args = parser.parse_args()

    if not args.reuse:
        recreate_database(DATABASE_URL)
    import django

    django.setup()
    from django.core.management import call_command

    from contracts.models import Contract

    call_command("migrate", verbosity=0)
    if not args.reuse:
        started = time.perf_counter()
        build(args.contracts)
        print(f"built {args.contracts} contracts in {time.perf_counter() - started:.1f} s")
    contracts = Contract.objects.count()
    token = auditor_token()
    from django.db import connections

    connections.close_all()

    port = free_port()
    server = gunicorn_start(port)
    try:
        wait_until_up(port, server, token)
        same_first_page(port, token, contracts)
        measure(port, token, args.warmup, args.threads)
        seconds = measure(port, token, args.requests, args.threads)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    api, plain = summary(seconds[API]), summary(seconds[PLAIN])
    conn_max_age = os.environ.get("DATABASE_CONN_MAX_AGE", "0")
    print(
        f"{contracts} contracts; gunicorn 2 sync workers; {args.threads} client threads; "
        f"{args.requests} requests per view after {args.warmup} warm-up; "
        f"DATABASE_CONN_MAX_AGE={conn_max_age}"
    )
    print(f"API: {API}   plain: {PLAIN}")
    print(f"{'':<18} {'p50 (ms)':>9} {'p95 (ms)':>9} {'mean (ms)':>10}")
    print(f"{'API (DRF)':<18} {api[0]:>9.1f} {api[1]:>9.1f} {api[2]:>10.1f}")
    print(f"{'plain view':<18} {plain[0]:>9.1f} {plain[1]:>9.1f} {plain[2]:>10.1f}")
    ratios = [a / p for a, p in zip(api, plain, strict=True)]
    print(f"{'ratio API / plain':<18} {ratios[0]:>9.2f} {ratios[1]:>9.2f} {ratios[2]:>10.2f}")
    print(
        f"target API <= 2x plain (p50): {'met' if ratios[0] <= 2 else 'NOT met'}; "
        f"API p95 <= 100 ms: {'met' if api[1] <= 100 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
