"""Benchmark: telemetry ingestion through the API into PostgreSQL, against a bare COPY of the
same rows (the floor), with the server processes' memory over the run.

    .venv/bin/python bench/telemetry_ingest.py [--records 10000000] [--batch 100000]
                                               [--threads 2] [--workers 2] [--devices 2000]

Builds one contract (contracts/synthetic.py) with a heartbeat stream (`latency_ms`, `status`)
and an ingest key in the database of TELEMETRY_BENCH_DATABASE_URL (default
ppp_tingest_bench, dropped and created again). Generates --records heartbeat records (--devices
devices every 5 minutes from 2026-07-01, Asia/Shanghai: 10 million is 17 days, in one monthly
partition) as gzip NDJSON batches of --batch records, before anything is timed. Then starts
gunicorn (--workers sync workers, production settings like bench/api.py) and POSTs every batch from
--threads client threads; every answer must count all its records new. The worker processes'
RSS is sampled every 0.2 s. Then the table is truncated and the same rows are loaded with
`COPY … FROM STDIN` straight into contracts_telemetryrecord (same indexes and foreign key),
from as many threads, in the same batches: the floor.
Targets: ≥ 100,000 records/s through the API, within 3× of the COPY, workers' RSS < 300 MB.
"""

import argparse
import csv
import gzip
import http.client
import io
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Its own variable: the database named here is dropped, whatever DATABASE_URL says.
DATABASE_URL = os.environ.get(
    "TELEMETRY_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ppp_tingest_bench"
)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DJANGO_SETTINGS_MODULE"] = "portfolio.settings.test"

from bench.payments import recreate_database  # noqa: E402

START = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)  # 2026-07-01 00:00 Asia/Shanghai
STEP = timedelta(minutes=5)


def build() -> tuple[int, str]:
    """The stream's id and an ingest key for it."""
    from contracts.models import Contract, TelemetryStream
    from contracts.synthetic import synthetic_portfolio_create
    from contracts.telemetry.keys import ingest_key_issue
    from portfolio.models import User

    synthetic_portfolio_create(contracts=1, kpis=1, prefix="TEL")
    contract = Contract.objects.get()
    official = User.objects.create_user(
        "bench_official", role="preparer", party=contract.government_party
    )
    stream = TelemetryStream.objects.create(
        contract=contract, code="ap-heartbeat", kind="heartbeat", interval_seconds=300,
        value_field="latency_ms", status_field="status",
    )  # fmt: skip
    _key, secret = ingest_key_issue(contract=contract, name="benchmark", user=official)
    return stream.pk, secret


def batches(records: int, size: int, devices: int, stream_id: int):
    """(gzip NDJSON body, CSV rows for COPY) per batch, deterministic."""
    import orjson

    for first in range(0, records, size):
        lines, rows = [], io.StringIO()
        writer = csv.writer(rows, lineterminator="\n")
        for i in range(first, min(first + size, records)):
            device = f"ap-{i % devices:05d}"
            ts = START + STEP * (i // devices)
            latency = float(5 + (i * 7919) % 200) / 4
            status = "ok" if i % 97 else "degraded"
            text = ts.isoformat()
            lines.append(
                orjson.dumps(
                    {"device": device, "ts": text, "latency_ms": latency, "status": status}
                )
            )
            writer.writerow((stream_id, device, text, "", latency, status))
        yield gzip.compress(b"\n".join(lines) + b"\n", compresslevel=1), rows.getvalue()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_start(port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": DATABASE_URL,
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"),
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "portfolio.wsgi:application",
        "--workers", str(workers),
        "--bind", f"127.0.0.1:{port}",
        "--chdir", str(ROOT),
        "--timeout", "300",
        "--log-level", "warning",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, cwd=ROOT)


def post(port: int, body: bytes, secret: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        connection.request(
            "POST",
            "/api/v1/telemetry/ap-heartbeat/",
            body=body,
            headers={
                "Authorization": f"Bearer {secret}",
                "Content-Type": "application/x-ndjson",
                "Content-Encoding": "gzip",
                "X-Forwarded-Proto": "https",
            },
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_until_up(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            post(port, gzip.compress(b""), "none")
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 60 s")


def workers_of(master: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True
    ).stdout
    return [int(pid) for pid in out.split()]


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


class Sampler(threading.Thread):
    """RSS of each gunicorn worker every 0.2 s: {pid: [MiB, …]}."""

    def __init__(self, master: int):
        super().__init__(daemon=True)
        self.master, self.samples, self.stop = master, {}, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for pid in workers_of(self.master):
                self.samples.setdefault(pid, []).append(rss_mib(pid))
            time.sleep(0.2)


def in_threads(work: list, threads: int, job) -> float:
    """Run job(item) over `work` from `threads` threads; seconds taken."""
    lock, failures = threading.Lock(), []
    todo = list(reversed(work))

    def client() -> None:
        while True:
            with lock:
                if not todo:
                    return
                item = todo.pop()
            try:
                job(item)
            except Exception as exc:
                with lock:
                    failures.append(repr(exc))

    started = time.perf_counter()
    pool = [threading.Thread(target=client) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    took = time.perf_counter() - started
    assert not failures, failures[:3]
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    args = parser.parse_args()

    recreate_database(DATABASE_URL)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", verbosity=0)
    stream_id, secret = build()
    started = time.perf_counter()
    work = list(batches(args.records, args.batch, args.devices, stream_id))
    gz_bytes = sum(len(body) for body, _rows in work)
    print(
        f"generated {args.records:,} records in {len(work)} batches "
        f"({gz_bytes / len(work) / 1e6:.1f} MB gzip each) in {time.perf_counter() - started:.0f} s"
    )
    connections.close_all()

    port = free_port()
    server = gunicorn_start(port, args.workers)
    sampler = Sampler(server.pid)
    try:
        wait_until_up(port, server)
        sampler.start()

        def send(item) -> None:
            status, body = post(port, item[0], secret)
            assert status == 200, (status, body[:500])
            assert b'"duplicates":0' in body, body

        api_seconds = in_threads(work, args.threads, send)
        time.sleep(0.5)
        sampler.stop.set()
        sampler.join()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM contracts_telemetryrecord")
        stored = cursor.fetchone()[0]
        assert stored == args.records, (stored, args.records)
        cursor.execute("TRUNCATE contracts_telemetryrecord")
    connections.close_all()

    import psycopg2

    local = threading.local()

    def copy(item) -> None:
        if not hasattr(local, "db"):
            local.db = psycopg2.connect(DATABASE_URL)
        with local.db, local.db.cursor() as cursor:
            cursor.copy_expert(
                "COPY contracts_telemetryrecord (stream_id, device, ts, record_id, value, status) "
                "FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (record_id, status))",
                io.StringIO(item[1]),
            )

    copy_seconds = in_threads(work, args.threads, copy)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM contracts_telemetryrecord")
        assert cursor.fetchone()[0] == args.records

    api_rate, copy_rate = args.records / api_seconds, args.records / copy_seconds
    peaks = {pid: max(values) for pid, values in sampler.samples.items() if values}
    firsts = {pid: values[0] for pid, values in sampler.samples.items() if values}
    lasts = {pid: values[-1] for pid, values in sampler.samples.items() if values}
    print(
        f"{args.records:,} records, batches of {args.batch:,} (gzip NDJSON), "
        f"{args.threads} client threads, gunicorn {args.workers} sync workers"
    )
    print(f"API:  {api_seconds:7.1f} s  {api_rate:>10,.0f} records/s")
    print(f"COPY: {copy_seconds:7.1f} s  {copy_rate:>10,.0f} records/s")
    print(f"ratio API / COPY (time): {api_seconds / copy_seconds:.2f}")
    for pid in sorted(peaks):
        print(
            f"worker {pid}: RSS first {firsts[pid]:.0f} MiB, last {lasts[pid]:.0f} MiB, "
            f"peak {peaks[pid]:.0f} MiB ({len(sampler.samples[pid])} samples)"
        )
    peak = max(peaks.values(), default=0)
    print(
        f"targets: >= 100,000 records/s: {'met' if api_rate >= 100_000 else 'NOT met'}; "
        f"within 3x of COPY: {'met' if api_seconds <= 3 * copy_seconds else 'NOT met'}; "
        f"RSS < 300 MB: {'met' if peak * 1.048576 < 300 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
