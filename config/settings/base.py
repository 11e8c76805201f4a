"""Settings shared by every run mode. Everything that differs between machines comes
from environment variables (django-environ); README.md lists them all with defaults."""

from pathlib import Path

import environ
from celery.schedules import crontab
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"  # runtime state of the embedded default; git-ignored
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Per-app settings (read after .env so its values reach them).
from .components.consent import *  # noqa: E402, F403
from .components.privacy import *  # noqa: E402, F403
from .components.requests import *  # noqa: E402, F403
from .components.security import *  # noqa: E402, F403

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-dev-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "config.apps.PrivacyAdminConfig",  # django.contrib.admin with the two-factor login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "import_export",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "privacy.apps.PrivacyConfig",
    "consent.apps.ConsentConfig",
    "requests_app.apps.RequestsAppConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "config.middleware.StaffIdleTimeoutMiddleware",
    "privacy.middleware.StaffTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Global Privacy Control on every public page (after sessions: it reads the session).
    "consent.middleware.GlobalPrivacyControlMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out accounts first
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# The embedded default is SQLite in var/; production points DATABASE_URL at PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's own pool; CONN_MAX_AGE must stay 0 with it.
    DATABASES["default"].setdefault("OPTIONS", {})
    if env.bool("DATABASE_POOL", default=True):
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
            "timeout": 10,
        }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server, worker and beat share one file.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
# Private files (export packages, agent proofs) live outside MEDIA_ROOT and are only
# ever served through views that check a token.
PRIVATE_STORAGE_ROOT = env("PRIVATE_STORAGE_ROOT", default=str(VAR_DIR / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "config.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# Seconds an SMTP connection may block (connect and each read): a mail server that
# never answers fails the sending task, which retries, instead of holding a worker.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="privacy@example.com")

# --- Celery -------------------------------------------------------------------------
# The embedded default is kombu's filesystem transport: no server needed.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=30 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=35 * 60)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must fail fast when the broker is down: a visitor's request never hangs on
# it. Work queued after a commit goes through privacy's outbox, whose relay publishes it
# again once the broker is back (docs/privacy-core.md, "Queued work and broker outages").
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=3.0)
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
        "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=5.0),
    }

# Two queues (docs/scaling.md): "interactive" for work a person, a webhook or an officer
# is waiting on (seconds), "sweeps" for the nightly jobs that may run for many minutes,
# so a long sweep never delays an opt-in prompt or a request's processing. A worker
# started without -Q consumes both (development, tests); in production run a pool per
# queue: `celery -A config worker -Q interactive` and `celery -A config worker -Q sweeps`.
# Every task has a route (tests/test_celery_routes.py); the outbox relay re-publishes
# through the same routes.
CELERY_TASK_DEFAULT_QUEUE = "interactive"
CELERY_TASK_QUEUES = (Queue("interactive"), Queue("sweeps"))
_INTERACTIVE = {"queue": "interactive"}
_SWEEPS = {"queue": "sweeps"}
CELERY_TASK_ROUTES = {
    # Waited on: after a commit, by a person, a webhook or an officer.
    "privacy.tasks.outbox_relay": _INTERACTIVE,  # every minute; must not queue behind sweeps
    "consent.tasks.sms_opt_in_prompt_send": _INTERACTIVE,
    "consent.tasks.preference_link_deliver": _INTERACTIVE,
    "privacy.tasks.disclosure_notice_deliver": _INTERACTIVE,  # one person's notice
    "requests_app.tasks.notice_deliver": _INTERACTIVE,  # receipts, links, codes: a person waits
    "requests_app.tasks.submission_notices_deliver": _INTERACTIVE,  # a form sending's notices
    "requests_app.tasks.process_request": _INTERACTIVE,
    "requests_app.tasks.build_export_package": _INTERACTIVE,
    # Sweeps: scheduled, long, idempotent.
    "privacy.tasks.retention_sweep": _SWEEPS,
    "privacy.tasks.minors_data_erase": _SWEEPS,
    "privacy.tasks.disclosure_notices_send": _SWEEPS,
    "privacy.tasks.staff_login_records_purge": _SWEEPS,
    "consent.tasks.consent_records_purge": _SWEEPS,
    # One notice change tells everyone who consented under the old version: a fan-out.
    "consent.tasks.material_notice_change_notify": _SWEEPS,
    "consent.tasks.material_notice_changes_notify": _SWEEPS,
    "requests_app.tasks.deadline_digest_send": _SWEEPS,
    "requests_app.tasks.unverified_requests_expire": _SWEEPS,
    "requests_app.tasks.scheduled_erasures_run": _SWEEPS,
    "requests_app.tasks.export_packages_purge": _SWEEPS,
    "requests_app.tasks.request_log_prune": _SWEEPS,
    "requests_app.tasks.notice_deliveries_requeue": _SWEEPS,
}

# Every periodic job, in one place (times UTC). Each job has one name: its beat key here,
# its task (<app>.tasks.<name>), its service (<app>.services.<name>) and its management
# command (manage.py <name>); README's Jobs table lists them.
CELERY_BEAT_SCHEDULE = {
    "outbox_relay": {
        "task": "privacy.tasks.outbox_relay",
        "schedule": 60.0,  # every minute: queued work is re-sent soon after an outage
    },
    "unverified_requests_expire": {
        "task": "requests_app.tasks.unverified_requests_expire",
        "schedule": crontab(hour=1, minute=30),
    },
    "retention_sweep": {
        "task": "privacy.tasks.retention_sweep",
        "schedule": crontab(hour=2, minute=15),
    },
    "minors_data_erase": {
        "task": "privacy.tasks.minors_data_erase",
        "schedule": crontab(hour=2, minute=30),
    },
    "staff_login_records_purge": {
        "task": "privacy.tasks.staff_login_records_purge",
        "schedule": crontab(hour=3, minute=50),
    },
    "disclosure_notices_send": {
        "task": "privacy.tasks.disclosure_notices_send",
        "schedule": crontab(hour=5, minute=30),
    },
    "scheduled_erasures_run": {
        "task": "requests_app.tasks.scheduled_erasures_run",
        "schedule": crontab(hour=2, minute=45),
    },
    "consent_records_purge": {
        "task": "consent.tasks.consent_records_purge",
        "schedule": crontab(hour=3, minute=10),
    },
    "material_notice_changes_notify": {
        "task": "consent.tasks.material_notice_changes_notify",
        "schedule": crontab(hour=3, minute=30),
    },
    "export_packages_purge": {
        "task": "requests_app.tasks.export_packages_purge",
        "schedule": crontab(hour=3, minute=15),
    },
    "request_log_prune": {
        "task": "requests_app.tasks.request_log_prune",
        "schedule": crontab(hour=3, minute=45),
    },
    "deadline_digest_send": {
        "task": "requests_app.tasks.deadline_digest_send",
        "schedule": crontab(hour=6, minute=0),
    },
    "notice_deliveries_requeue": {
        "task": "requests_app.tasks.notice_deliveries_requeue",
        "schedule": crontab(minute=20),  # hourly: notices whose task was lost
    },
}

# --- Uploads --------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# django-import-export: the admin import runs inside one transaction, so any bad row
# saves nothing.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"

LOGIN_URL = "admin:login"

# Logs carry ids and counts, never personal data (see docs/privacy-rules.md). Tokens in
# the URLs of the public pages are masked in every record, the request log included
# (config.logs; gunicorn's access log: config/gunicorn.conf.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_tokens": {"()": "config.logs.MaskTokensFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_tokens"],
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["mask_tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["mask_tokens"]},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["mask_tokens"],
        },
        # django-axes names usernames and addresses in its messages: errors only.
        "axes": {"level": "ERROR"},
    },
}

# Covering indexes (INCLUDE) are a PostgreSQL optimisation; SQLite just ignores the
# extra columns, which is fine for the embedded demo.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
