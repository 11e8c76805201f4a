"""Test settings. PostgreSQL and Redis are used when reachable (always under CI);
otherwise the suite falls back to SQLite and the service tests skip with a reason."""

import os
import socket

from .base import *  # noqa: F403
from .base import env


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


# TEST_DATABASE=sqlite runs the suite on SQLite (the embedded default of the demo) even
# where PostgreSQL is reachable; CI runs the suite both ways.
FORCE_SQLITE = env("TEST_DATABASE", default="") == "sqlite"
POSTGRES_AVAILABLE = not FORCE_SQLITE and (
    bool(os.environ.get("DATABASE_URL")) or _reachable("127.0.0.1", 5432)
)
REDIS_URL = env("TEST_REDIS_URL", default="redis://127.0.0.1:6379/15")
REDIS_AVAILABLE = _reachable("127.0.0.1", 6379)

if POSTGRES_AVAILABLE:
    DATABASES = {
        "default": env.db(
            "DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/privacy_back_office"
        )
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A test database of its own per run, so concurrent runs on one server never meet.
    _run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8] or str(os.getpid())
    DATABASES["default"]["TEST"] = {"NAME": f"test_pbo_{_run_id}"}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

SECRET_KEY = "test-secret-key"  # noqa: S105
SUPPRESSION_HMAC_KEYS = {"t1": "test-suppression-key"}
SUPPRESSION_HMAC_ACTIVE_KEY_ID = "t1"
# A fixed certificate signing key for the tests (generated once; signs nothing real).
PRIVACY_CERTIFICATE_SIGNING_KEY = "Q3b4q4gcl5l2Au2EtJFL0nUEewCMnRMt0f6wTmjDhok="
PRIVACY_CERTIFICATE_KEY_FILE = ""
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Each test process counts in its own memory; the rate-limit tests point the counters at
# the "database" alias (whose table the test database gets) or at a real Redis.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "database": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "pbo_cache"},
}
