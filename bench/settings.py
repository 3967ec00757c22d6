"""Settings of bench/api.py's gunicorn: production's, with a URLconf that adds the plain view."""

from portfolio.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.plain_urls"
