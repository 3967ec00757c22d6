"""Settings shared by every environment; each environment module imports and adjusts these.

Everything that differs between machines comes from environment variables.
"""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parents[2]


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h]

INSTALLED_APPS = [
    "pghistory.admin",  # before django.contrib.admin: its templates add "Events" links
    "portfolio.admin_apps.PortfolioAdminConfig",  # django.contrib.admin with our AdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "pgtrigger",
    "pghistory",
    "portfolio",
    "contracts",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portfolio.access.SessionExpiryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused by the lockout into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portfolio.urls"
WSGI_APPLICATION = "portfolio.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/ppp; default: a SQLite file here.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker share the file: wait for locks rather than fail, and
    # take the write lock at BEGIN so two writers never deadlock upgrading a read lock.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "portfolio.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "portfolio" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
MEDIA_URL = "media/"
# Uploaded evidence lives here under random keys; never served by the web server directly.
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "var" / "media"))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# JSON bodies of the API and bundle files of import_bundle (portfolio/jsonparse.py).
JSON_MAX_BYTES = int(os.environ.get("JSON_MAX_BYTES", str(10 * 1024 * 1024)))
JSON_MAX_DEPTH = 32
JSON_MAX_INT_DIGITS = 32

# Login defences (django-axes): every authenticate() call — /accounts/login/, /admin/login/,
# the API token endpoint — counts failures per username in the database (shared by every
# process); LOGIN_FAILURE_LIMIT wrong passwords lock the account for LOGIN_LOCKOUT_MINUTES.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("LOGIN_LOCKOUT_MINUTES", "30")))
# Per account, and per client address (against one password tried on many accounts).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_VERBOSE = False
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "portfolio.access.client_ip"
AXES_LOCKOUT_CALLABLE = "portfolio.access.lockout_response"
# Proxies in front of the site that append to X-Forwarded-For (0: trust none, use
# REMOTE_ADDR). Used for the lockout's logs and the API throttles alike.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# Two-factor authentication (django-otp, TOTP with recovery codes) for officials and
# superusers: the admin and the API's official actions need an OTP-verified session.
OFFICIALS_REQUIRE_2FA = env_bool("OFFICIALS_REQUIRE_2FA", False)
OTP_TOTP_ISSUER = "PPP portfolio"
# Officials' sessions end after this many hours without a request; everyone else's this
# many hours after login.
SESSION_OFFICIAL_HOURS = float(os.environ.get("SESSION_OFFICIAL_HOURS", "8"))
SESSION_COOKIE_AGE = int(float(os.environ.get("SESSION_HOURS", "12")) * 3600)


def cache_settings(url: str | None, folder: Path) -> dict:
    """The cache shared by every process (API throttles): Redis from `DJANGO_CACHE_URL`,
    else files under `folder` (one machine, several processes)."""
    if url:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured("DJANGO_CACHE_URL must be a redis:// URL")
        return {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        }
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(folder),
        }
    }


CACHES = cache_settings(os.environ.get("DJANGO_CACHE_URL"), BASE_DIR / "var" / "cache")

# Content-Security-Policy (django-csp). Scripts only from the site itself (Swagger UI and
# ReDoc ship with it: drf-spectacular-sidecar). Styles allow inline ones: the admin's
# templates, Swagger UI and ReDoc use style attributes and blocks.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        # ReDoc renders in a web worker it starts from a blob.
        "worker-src": [SELF, "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_PARSER_CLASSES": [
        "portfolio.api.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "portfolio.api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "portfolio.api.schema.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "auth": os.environ.get("API_THROTTLE_AUTH", "20/min"),
        "uploads": os.environ.get("API_THROTTLE_UPLOADS", "60/min"),
    },
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "portfolio.api.exceptions.api_exception_handler",
    # Throttles count per client address: REMOTE_ADDR unless proxies are trusted.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
# API tokens (django-rest-knox): stored as a hash, expire after API_TOKEN_HOURS, revoked by
# the user (POST /api/v1/auth/logout/, /logoutall/) or by an administrator (admin: Auth tokens).
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=float(os.environ.get("API_TOKEN_HOURS", "10"))),
    "AUTH_HEADER_PREFIX": "Token",
    "USER_SERIALIZER": None,
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PPP smart-city portfolio API",
    "DESCRIPTION": "Contracts, KPI measurements, evidence and performance-based payments. "
    "Money and scores are decimal strings.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # An error body declared `many=True` (bundles' 400) is a list, as for a 2xx.
    "ENABLE_LIST_MECHANICS_ON_NON_2XX": True,
    # /api/docs/ and /api/redoc/ load their scripts from our static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "state" field with choices of their own: each names its enum.
    "ENUM_NAME_OVERRIDES": {
        "ObjectionStateEnum": "contracts.objections.Objection.State",
        "RectificationStateEnum": "contracts.models.RectificationNotice.State",
    },
}
# Evidence uploads: the largest file accepted.
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", str(20 * 1024 * 1024)))
# An XLSX is a ZIP: the most its members may unpack to (a zip bomb is refused before).
EVIDENCE_XLSX_MAX_UNCOMPRESSED = int(
    os.environ.get("EVIDENCE_XLSX_MAX_UNCOMPRESSED", str(100 * 1024 * 1024))
)
# New versions of evaluation reports (each a stored PDF, kept for good) per hour.
REPORT_VERSIONS_PER_REPORT_HOUR = int(os.environ.get("REPORT_VERSIONS_PER_REPORT_HOUR", "10"))
REPORT_VERSIONS_PER_USER_HOUR = int(os.environ.get("REPORT_VERSIONS_PER_USER_HOUR", "30"))

# Telemetry ingestion: the largest batch accepted, counted after decompression (a gzip body
# that unpacks beyond it is refused as it unpacks).
TELEMETRY_MAX_BATCH_BYTES = int(os.environ.get("TELEMETRY_MAX_BATCH_BYTES", str(64 * 1024 * 1024)))
# The broker the MQTT bridge (`manage.py telemetry_mqtt`) subscribes to: mqtt:// or mqtts://,
# optionally with user:password@ for the broker's own login.
TELEMETRY_MQTT_URL = os.environ.get("TELEMETRY_MQTT_URL", "mqtt://127.0.0.1:1883")

# Celery: the broker comes from the environment. The local default (kombu's filesystem
# transport under var/) needs no server; production uses Redis or RabbitMQ.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")


def filesystem_broker_options(folder: Path) -> dict:
    """kombu's filesystem transport: a queue in a folder, no server (measured: 50 tasks/s)."""
    for sub in ("processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


CELERY_BROKER_TRANSPORT_OPTIONS = (
    filesystem_broker_options(BASE_DIR / "var" / "celery-broker")
    if CELERY_BROKER_URL == "filesystem://"
    # Redis redelivers a task whose worker died (acks_late) after this many seconds.
    else {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))}
)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
# The memory PostgreSQL may use to sort one telemetry aggregation query (docs/benchmarks.md).
TELEMETRY_AGGREGATE_WORK_MEM = os.environ.get("TELEMETRY_AGGREGATE_WORK_MEM", "256MB")
CELERY_BEAT_SCHEDULE = {
    # Telemetry KPIs of the periods that ended (docs/telemetry.md), before the payment run.
    "aggregate-ended-periods": {
        "task": "contracts.tasks.aggregate_ended_periods",
        "schedule": crontab(hour=0, minute=30),
    },
    # Periods whose submission window closed yesterday are computed overnight.
    "start-due-payment-runs": {
        "task": "contracts.tasks.start_due_payment_runs",
        "schedule": crontab(hour=1, minute=0),
    },
    # A run still running this long after its start has its missing periods sent again.
    "resume-stalled-payment-runs": {
        "task": "contracts.tasks.resume_stalled_payment_runs",
        "schedule": crontab(minute="*/10"),
    },
    "send-submission-reminders": {
        "task": "contracts.tasks.send_submission_reminders",
        "schedule": crontab(hour=8, minute=0),
    },
    # Telemetry partitions (PostgreSQL): this month and the next two exist ahead of time.
    "create-telemetry-partitions": {
        "task": "contracts.tasks.create_telemetry_partitions",
        "schedule": crontab(hour=0, minute=30),
    },
}
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "ppp-tracker@localhost")
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
# PDF rendering has a queue of its own, so a slow report never delays payments; its workers
# recycle their processes (WeasyPrint does not give memory back).
CELERY_TASK_ROUTES = {"reports.tasks.*": {"queue": "reports"}}
# Celery closes a worker's database connection only every this many tasks; in between
# portfolio.celery closes it by Django's rules (DATABASE_CONN_MAX_AGE, broken connections).
CELERY_DB_REUSE_MAX = 1000
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 400_000  # KiB: a render grows a process ~60 MiB a page
# A period run is split into equal tasks of at most PAYMENT_RUN_CHUNK_SIZE contract periods, as
# many as a multiple of PAYMENT_RUN_WORKERS (the worker processes computing runs), so every
# process gets the same share. Each task has a fixed cost: 1,000 beat 500 (docs/benchmarks.md).
PAYMENT_RUN_CHUNK_SIZE = int(os.environ.get("PAYMENT_RUN_CHUNK_SIZE", "1000"))
PAYMENT_RUN_WORKERS = int(os.environ.get("PAYMENT_RUN_WORKERS", "2"))
# Minutes after its start a run still running is resumed (its missing periods sent again).
PAYMENT_RUN_RESUME_MINUTES = int(os.environ.get("PAYMENT_RUN_RESUME_MINUTES", "30"))

# Days after a period ends by which the enterprise must submit its measurements.
PERIOD_SUBMISSION_DAYS = int(os.environ.get("PERIOD_SUBMISSION_DAYS", "15"))
# Days before a period ends that the enterprise may already submit it (0: only once it ended).
PERIOD_SUBMIT_DAYS_EARLY = int(os.environ.get("PERIOD_SUBMIT_DAYS_EARLY", "0"))
# Working days (portfolio/working_days.py) the company has to object to a figure once it is
# shown to it (a payment computed, a measurement returned or accepted).
OBJECTION_WINDOW_WORKING_DAYS = int(os.environ.get("OBJECTION_WINDOW_WORKING_DAYS", "5"))

# OCDS export: the ocid prefix registered with the Open Contracting Partnership (ocds-
# and 6 characters), who publishes, and the site's public address for package URIs.
OCDS_OCID_PREFIX = os.environ.get("OCDS_OCID_PREFIX", "ocds-pppdev")
OCDS_PUBLISHER_NAME = os.environ.get("OCDS_PUBLISHER_NAME", "PPP smart-city portfolio tracker")
OCDS_BASE_URL = os.environ.get("OCDS_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Compliance lines (contracts/compliance.py), from the rules that set them:
# a city's PPP payment obligations against its general public budget (财金〔2015〕21号: at
# most 10%; above 5% no new government-pays projects), in percent;
FISCAL_CEILING_PERCENT = Decimal("10")
FISCAL_WARNING_PERCENT = Decimal("5")
# the least share of the availability payment tied to performance (财办金〔2017〕92号);
PERFORMANCE_LINKED_MIN_SHARE = Decimal("0.30")
# the longest a contract in operation may go without an evaluation (财金〔2020〕13号: yearly);
EVALUATION_MAX_DAYS = 365
# the longest a submitted measurement may wait for an official's review.
REVIEW_MAX_DAYS = 15
# Performance monitoring (contracts/monitoring.py): the ended periods it looks back over, the
# periods in a row a KPI may miss its target before it is an alert, and how close (points)
# above the lowest score of its grade a score raises one.
MONITOR_PERIODS = int(os.environ.get("MONITOR_PERIODS", "8"))
MONITOR_CONSECUTIVE_MISSES = int(os.environ.get("MONITOR_CONSECUTIVE_MISSES", "2"))
MONITOR_GRADE_MARGIN = Decimal(os.environ.get("MONITOR_GRADE_MARGIN", "3"))
# The accepted figures in a row, each worse than the one before, that raise a falling trend.
MONITOR_TREND_PERIODS = int(os.environ.get("MONITOR_TREND_PERIODS", "3"))
# How long the officials' home keeps an agency's contracts with alerts when it had to compute
# them (the morning digest computes them for the day).
MONITOR_CACHE_SECONDS = int(os.environ.get("MONITOR_CACHE_SECONDS", "900"))
# More contracts than this are not computed within a page (home, contract list filter): a
# worker computes them and the count shows "…" until it is done.
MONITOR_SYNC_CONTRACTS = int(os.environ.get("MONITOR_SYNC_CONTRACTS", "300"))
# Years after the current one whose obligations the dashboard shows and the flags check.
FISCAL_YEARS_AHEAD = 2

# Demo accounts are created only by seed_demo (refused with DEBUG off unless --force).
DEMO_PASSWORD = os.environ.get("DJANGO_DEMO_PASSWORD", "ppp-demo-2026")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refused or missing page (403, 404) is expected: one line, not a traceback.
    "filters": {"expected_refusals": {"()": "portfolio.log_filters.ExpectedRefusalsOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["expected_refusals"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
