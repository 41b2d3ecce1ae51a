"""Settings shared by every environment. Everything that differs between machines comes from the environment.

Environment variables (documented in README.md):
DATABASE_URL, REDIS_URL, EMAIL_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS, TIME_ZONE, DEFAULT_CURRENCY,
PUBLIC_BASE_URL, DEFAULT_FROM_EMAIL, AMENDS_VAR_DIR.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

# Lets admin and generic classes be subscripted at run time, as the type checker sees them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# Runtime files of the embedded mode (SQLite database, file broker, letters written to disk, uploads).
VAR_DIR = Path(env.str("AMENDS_VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The address customers reach the site at; used for links in letters (a letter has no request).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "template_partials",
    "customers",
    "complaints",
    "compensation",
    "notifications",
]

MIDDLEWARE = [
    "config.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
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

# --- Database -------------------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'amends.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file in the embedded mode: wait for locks, take the write lock
    # up front, and let readers run beside a writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Reports run their independent passes side by side on PostgreSQL, each on its own connection (one snapshot).
REPORTS_PARALLEL = env.bool("REPORTS_PARALLEL", default=True)
# The reports' covering indexes carry extra columns on PostgreSQL; SQLite (the embedded mode) keeps their keys only.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Redis: broker and cache ----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "amends",
        }
    }
else:
    # Shared by every process on one machine, which rate limits need; the embedded mode is single-machine.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# "localhost" only keeps kombu from warning that the file transport was given no host.
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost/"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = (
    {
        "visibility_timeout": 3600,
        # A Redis outage must not hang a request: publishing fails fast and the sweeper sends the letter later.
        "socket_connect_timeout": env.float("CELERY_BROKER_CONNECT_TIMEOUT", default=2.0),
        "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=10.0),
        # Lets several deployments (or test runs) share one Redis database without taking each other's tasks.
        "global_keyprefix": env.str("CELERY_BROKER_KEY_PREFIX", default=""),
    }
    if REDIS_URL
    else {
        "data_folder_in": str(VAR_DIR / "broker" / "queue"),
        "data_folder_out": str(VAR_DIR / "broker" / "queue"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
        "polling_interval": 0.5,
    }
)
if not REDIS_URL:
    # The file broker does not create its folders; any process (web, worker, beat) may be the first to start.
    for _folder in ("queue", "processed", "control"):
        (VAR_DIR / "broker" / _folder).mkdir(parents=True, exist_ok=True)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing retries briefly, then gives up: the letter stays queued in the outbox for the sweeper.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection before and after every task unless this is set; the worker
# keeps it like a web request does instead (config/celery.py: CONN_MAX_AGE, health checks).
CELERY_DB_REUSE_MAX = 1_000_000_000
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = "UTC"
# How often beat runs the promise sweep (seconds); a minute in production, seconds in the tests that run beat.
SLA_SWEEP_EVERY_SECONDS = env.int("SLA_SWEEP_EVERY_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    "letters-redispatch-stale": {
        "task": "notifications.tasks.letters_redispatch_stale",
        "schedule": timedelta(minutes=1),
    },
    # A worker records that it is alive; an unclaimed beat expires rather than piling up while workers are down.
    "worker-heartbeat": {
        "task": "notifications.tasks.worker_heartbeat",
        "schedule": timedelta(seconds=30),
        "options": {"expires": 25},
    },
    # The SLA watchers (complaints.services.sla_watch): every minute the sweep warns and escalates and the guard
    # acknowledges what went unacknowledged; daily (CELERY_TIMEZONE) the health check proves yesterday and the
    # managers get their digest. Each expires before the next run, so a backlog never piles up.
    "sla-sweep": {
        "task": "complaints.tasks.sla_sweep_task",
        "schedule": timedelta(seconds=SLA_SWEEP_EVERY_SECONDS),
        "options": {"expires": SLA_SWEEP_EVERY_SECONDS * 0.9},
    },
    "sla-guard": {
        "task": "complaints.tasks.sla_guard_task",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 55},
    },
    "sla-health-check": {"task": "complaints.tasks.sla_health_check_task", "schedule": crontab(hour=0, minute=10)},
    "sla-digest": {"task": "complaints.tasks.sla_digest_task", "schedule": crontab(hour=8, minute=0)},
    # Offers the customer did not answer in time expire (compensation.services.offers_expire), hourly.
    "offers-expire": {
        "task": "compensation.tasks.offers_expire_task",
        "schedule": crontab(minute=5),
        "options": {"expires": 3000},
    },
}

# --- Email ----------------------------------------------------------------------------------------------
# Without EMAIL_URL letters are written as files to var/mail/. (Not "filemail:///abs/path": django-environ drops
# the leading slash, which made the path relative to the working directory.)
_email = env.email_url("EMAIL_URL", default="filemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH") or str(VAR_DIR / "mail")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Amends Customer Care <care@amends.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The domain in each letter's stable Message-ID header.
LETTER_MESSAGE_ID_DOMAIN = env.str("LETTER_MESSAGE_ID_DOMAIN", default="amends.localhost")
# Replies by email: the mailbox customers answer to, read every minute by Celery beat, e.g.
# imap://user:password@127.0.0.1:143/INBOX or imaps://… (993). Empty: replies by email are not read.
IMAP_URL = env.str("IMAP_URL", default="")
# The Reply-To of our letters (that mailbox's address); empty: replies go to DEFAULT_FROM_EMAIL.
REPLY_TO_EMAIL = env.str("REPLY_TO_EMAIL", default="")
if IMAP_URL:
    CELERY_BEAT_SCHEDULE["inbound-mail-poll"] = {
        "task": "notifications.tasks.inbound_mail_poll_task",
        "schedule": timedelta(minutes=1),
    }

# --- Abuse limits on public pages ------------------------------------------------------------------------
# Complaints per client address and per email address, and "lost link" requests, per hour.
COMPLAINT_LIMIT_PER_IP = env.int("COMPLAINT_LIMIT_PER_IP", default=10)
COMPLAINT_LIMIT_PER_EMAIL = env.int("COMPLAINT_LIMIT_PER_EMAIL", default=5)
LOST_LINK_LIMIT = env.int("LOST_LINK_LIMIT", default=5)
# How long the queue's tab counts may be reused (0: count on every page view).
QUEUE_COUNTS_CACHE_SECONDS = env.int("QUEUE_COUNTS_CACHE_SECONDS", default=10)
# Set when a reverse proxy puts the client's address in X-Forwarded-For.
TRUSTED_PROXY = env.bool("TRUSTED_PROXY", default=False)

# --- Auth -----------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:queue"
LOGOUT_REDIRECT_URL = "login"

# --- i18n and time --------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# ISO 4217 code used where a figure has no currency of its own.
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="RUB").upper()

# --- Static and uploaded files --------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Bodies larger than this are refused with 400 before a view sees them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Uploads larger than this go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- REST API -------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies; the endpoints that take files add multipart themselves.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "config.api.StandardPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "config.schema.AmendsAutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"complaint_submit": env.str("API_SUBMIT_RATE", default="30/hour")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Amends API",
    "DESCRIPTION": "Complaint tracking: intake, timeline, replies and status changes.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # A complaint's reference in a path: letters, digits and hyphens (config.api.ReferenceConverter).
    # One name per choice set, whatever the field that uses it is called.
    "ENUM_NAME_OVERRIDES": {
        "ComplaintStatusEnum": "complaints.models.Status",
        "EventKindEnum": "complaints.models.EventKind",
        "LetterKindEnum": "notifications.models.LetterKind",
        "LetterStatusEnum": "notifications.models.LetterStatus",
        "OfferKindEnum": "compensation.models.OfferKind",
        "OfferStatusEnum": "compensation.models.OfferStatus",
        "ProductKindEnum": "customers.models.Product.Kind",
        "RunStatusEnum": "compensation.models.RunStatus",
    },
    "PATH_CONVERTER_OVERRIDES": {"reference": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,32}$"}},
}

# --- Logging --------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Incidents ------------------------------------------------------------------------------------------
# "Apologise and compensate" handles this many customers per task (one transaction each).
INCIDENT_BATCH_SIZE = env.int("INCIDENT_BATCH_SIZE", default=500)
# A run with pending customers and no progress for this long is resumed by Celery beat.
INCIDENT_RUN_STALE_MINUTES = env.int("INCIDENT_RUN_STALE_MINUTES", default=5)
# A complaint from an affected customer links itself to an incident still going on or ended this recently.
INCIDENT_AUTO_LINK_DAYS = env.int("INCIDENT_AUTO_LINK_DAYS", default=14)
CELERY_BEAT_SCHEDULE["incident-runs-resume-stale"] = {
    "task": "compensation.tasks.incident_runs_resume_stale_task",
    "schedule": timedelta(minutes=1),
    "options": {"expires": 55},
}

# --- Outgoing webhooks ----------------------------------------------------------------------------------
# Seconds to wait before each retry of a failed delivery; after the last one the delivery is given up (failed).
WEBHOOK_RETRY_DELAYS: list[float] = env.list(
    "WEBHOOK_RETRY_DELAYS", cast=float, default=[60, 300, 1800, 7200, 21600, 43200, 86400]
)
# A receiver that has not answered in this many seconds has failed the attempt.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Subscribers on private, loopback or link-local addresses (the internal network) are refused unless this is set.
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=False)
CELERY_BEAT_SCHEDULE["webhooks-retry-due"] = {
    "task": "notifications.tasks.webhooks_retry_due_task",
    "schedule": timedelta(minutes=1),
    "options": {"expires": 55},
}
