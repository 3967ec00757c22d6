"""Test suite: same as local, with fast hashing and a file-backed SQLite test database so a
worker process can see what the tests commit."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, CELERY_BROKER_URL, DATABASES, filesystem_broker_options

DEBUG = False
SECRET_KEY = "test-only-not-secret"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / "var" / "test-media"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file (a worker process opens it too), one per test run so that runs can overlap.
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")
    }

if CELERY_BROKER_URL.startswith("redis://"):
    # Tasks of a killed worker come back within seconds, not an hour.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 5,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
        # A worker killed while restoring others' tasks leaves its restore lock behind: held
        # 300 s by default, it would keep the killed worker's tasks away past the test's wait.
        "unacked_mutex_expire": 5,
    }
elif CELERY_BROKER_URL == "filesystem://":
    # Apart from the queue of a `make run` worker on the same checkout.
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(
        BASE_DIR / "var" / "test-celery-broker"
    )

# Throttle counts per test process (cleared before each test: tests/conftest.py); the
# shared file or Redis cache of the other settings is checked in tests/auth/.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
