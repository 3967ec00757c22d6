"""A real Celery worker in its own process, on the suite's broker and test database.

Tests that use it need committed data (`transactional_db`): the worker sees only what is
committed, like production."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.db import connection

from portfolio.celery import app

ROOT = Path(__file__).resolve().parents[1]


def test_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    """One worker process at a time: `start()` starts it, `kill()` kills it (SIGKILL, its pool
    included), `start()` again starts a replacement."""

    def __init__(self, concurrency: int = 2):
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None
        self.output: list[str] = []

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 60) -> "WorkerProcess":
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portfolio.settings.test",
            "DATABASE_URL": test_database_url(),
        }
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "portfolio", "worker", "--loglevel=INFO",
                f"--concurrency={self.concurrency}", "--without-gossip", "--without-mingle",
                "--without-heartbeat", "--pool=prefork", "--queues=celery,reports",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: kill() reaches the pool too
        )  # fmt: skip
        ready = threading.Event()
        threading.Thread(target=self._read, args=(self.process, ready), daemon=True).start()
        if not ready.wait(timeout):
            self.stop()
            raise RuntimeError("worker did not start:\n" + "".join(self.output[-40:]))
        return self

    def _read(self, process: subprocess.Popen, ready: threading.Event) -> None:
        for line in process.stdout:
            self.output.append(line)
            if " ready." in line:
                ready.set()

    def kill(self) -> None:
        """SIGKILL the worker and its pool, as a crashed machine would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Warm shutdown, as a deployment would; killed if it takes too long."""
        if self.running:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def purge_queue() -> None:
    """Drop messages that an earlier, interrupted run left on the broker."""
    app.control.purge()


def wait_until(condition, timeout: float = 120, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
