"""Suite-wide setup: which services the run has, and the shared spec examples.

Under CI (CI=true) the suite must run on PostgreSQL with a Redis broker: a missing service
is a failure, never a skip. Locally, PostgreSQL-only tests are skipped with the reason, and
so are the MQTT bridge's tests (marked `mqtt`) when no broker answers.
"""

import json
import os
import shutil
import socket
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"
EXAMPLES_DIR = SHARED_DIR / "spec" / "examples"
EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES_DIR.glob("*.json"))
IN_CI = os.environ.get("CI", "").lower() == "true"


def on_postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_configure(config):
    if not EXAMPLE_NAMES:
        raise pytest.UsageError(f"no shared examples in {EXAMPLES_DIR}: clone with shared/ beside")
    if not IN_CI:
        return
    problems = []
    if not on_postgresql():
        problems.append("DATABASE_URL must point at PostgreSQL under CI")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        problems.append("CELERY_BROKER_URL must point at Redis under CI")
    if problems:
        raise pytest.UsageError("; ".join(problems))


def mqtt_broker_problem() -> str | None:
    """Why the MQTT broker of TELEMETRY_MQTT_URL cannot be reached (None: it can)."""
    from urllib.parse import urlsplit

    url = urlsplit(settings.TELEMETRY_MQTT_URL)
    host, port = url.hostname or "127.0.0.1", url.port or 1883
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError as exc:
        return f"needs an MQTT broker at {host}:{port} (mosquitto; TELEMETRY_MQTT_URL): {exc}"
    return None


def pytest_collection_modifyitems(config, items):
    mqtt_items = [item for item in items if item.get_closest_marker("mqtt")]
    if mqtt_items and (problem := mqtt_broker_problem()):
        if IN_CI:
            raise pytest.UsageError(f"{problem}; CI starts it (.ci/run)")
        skip_mqtt = pytest.mark.skip(reason=f"{problem}; runs in CI")
        for item in mqtt_items:
            item.add_marker(skip_mqtt)
    if on_postgresql():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); runs in CI")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@contextmanager
def rolled_back():
    """A block whose writes are rolled back at its end, marked as a test case's own (as
    Django's TestCase marks its blocks), so that services which insist on a transaction of
    their own — the ingest service, one durable transaction per telemetry batch — run inside
    it as they do inside any test. For fixtures that seed the demo once for many tests."""
    from django.db import transaction

    block = transaction.atomic()
    block._from_testcase = True
    with block:
        yield
        transaction.set_rollback(True)


def load_example(name: str) -> dict:
    return json.loads((EXAMPLES_DIR / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def example():
    return load_example


@pytest.fixture(scope="session")
def _worker_process(django_db_setup):
    from tests.worker import WorkerProcess, purge_queue

    purge_queue()
    worker = WorkerProcess()
    yield worker
    worker.stop()


@pytest.fixture
def celery_worker(transactional_db, _worker_process):
    """A real worker process, shared by the tests that need one (started once, and again
    after a test killed it). It reads only committed data: hence transactional_db."""
    if not _worker_process.running:
        _worker_process.start()
    return _worker_process


@pytest.fixture
def media(settings):
    """A media folder of the test's own under var/test-media, removed afterwards (uploaded
    evidence is stored there)."""
    base = Path(settings.BASE_DIR) / "var" / "test-media"
    base.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="media-", dir=base))
    settings.MEDIA_ROOT = root
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with empty throttle counts (the cache outlives a test's rollback)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's default language: a request's Accept-Language stays
    active in the thread after the response (LocaleMiddleware does not reset it)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def english():
    """Messages in English (the site's default language is zh-Hans)."""
    from django.utils import translation

    with translation.override("en"):
        yield
