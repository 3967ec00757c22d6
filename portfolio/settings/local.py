"""Developer machine and `make run`: DEBUG on, SQLite and a filesystem broker by default."""

from .base import *  # noqa: F403
from .base import SECRET_KEY

DEBUG = True
SECRET_KEY = SECRET_KEY or "local-development-only-not-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
