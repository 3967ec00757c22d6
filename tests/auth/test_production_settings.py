"""portfolio.wsgi, portfolio.asgi and the Celery app run the production settings when
DJANGO_SETTINGS_MODULE is unset, and those refuse to start without their variables."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
    "DJANGO_ALLOWED_HOSTS": "ppp.example.gov.cn",
    "DATABASE_URL": "postgres://ppp@db.example.gov.cn:5432/ppp",
    "CELERY_BROKER_URL": "redis://redis.example.gov.cn:6379/0",
}
REPORT = (
    "from django.conf import settings; "
    "print(settings.SETTINGS_MODULE, settings.DEBUG, settings.OFFICIALS_REQUIRE_2FA, "
    "settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL)"
)
ENTRY_POINTS = {
    "wsgi": "import portfolio.wsgi",
    "asgi": "import portfolio.asgi",
    "celery": "from portfolio.celery import app; app.loader.import_default_modules()",
}


def start(entry: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in REQUIRED and k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_CACHE_URL")
    }
    return subprocess.run(
        [sys.executable, "-c", f"{ENTRY_POINTS[entry]}; {REPORT}"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_without_a_settings_module_the_entry_points_run_production(entry):
    result = start(entry, **REQUIRED)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "portfolio.settings.production",
        "False",
        "True",
        "django.db.backends.postgresql",
        "redis://redis.example.gov.cn:6379/0",
    ]


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_production_refuses_to_start_without_its_variables(entry):
    result = start(entry)
    assert result.returncode != 0
    assert (
        "ImproperlyConfigured: Production settings need these environment variables: "
        "DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL, CELERY_BROKER_URL"
    ) in result.stderr


@pytest.mark.parametrize("missing", REQUIRED)
def test_each_missing_variable_is_named(missing):
    result = start("wsgi", **{k: v for k, v in REQUIRED.items() if k != missing})
    assert result.returncode != 0
    assert f"environment variables: {missing}\n" in result.stderr


def test_manage_py_keeps_the_local_settings_for_developers():
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", REPORT],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-5:-2] == ["portfolio.settings.local", "True", "False"]
