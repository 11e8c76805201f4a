"""The production settings, loaded as a deployment would load them (a fresh process with
only environment variables): Django's deployment checklist passes, and the protections
that are optional locally are on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "m7Yq2Zp0rL9vX4cB8nW1sE6tH3jK5fD0gA2uI7oP9yR4eT1wQ8zx",
    "SUPPRESSION_HMAC_KEYS": "k1=4f7d2c9e1b8a6f3d0c5e7a9b2d4f6a8c",
    "DATABASE_URL": "postgres://pbo@db.internal:5432/privacy",
    "CELERY_BROKER_URL": "redis://cache.internal:6379/0",
    "DJANGO_ALLOWED_HOSTS": "privacy.example.com",
    "TWILIO_AUTH_TOKEN": "0123456789abcdef0123456789abcdef",
    # Our number for verification codes and SMS notices (check --deploy warns without).
    "REQUESTS_SMS_FROM_NUMBER": "+12125550100",
    # Production signs erasure certificates with its own key (none is generated there).
    "PRIVACY_CERTIFICATE_SIGNING_KEY": "dGhpcyBpcyBub3QgYSByZWFsIGtleSwganVzdCAzMmI=",
}


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.pop("DATABASE_URL", None)
    env.update(PRODUCTION_ENV)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_under_production_settings():
    result = _run("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_turns_on_two_factor_secure_cookies_and_a_shared_cache():
    result = _run(
        "-c",
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({k: getattr(s, k) for k in ("
        "'STAFF_OTP_REQUIRED', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE',"
        "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'DEBUG')},"
        " default=str) + '\\n' + s.CACHES['default']['BACKEND'])",
    )
    assert result.returncode == 0, result.stderr
    values, backend = result.stdout.strip().splitlines()
    assert json.loads(values) == {
        "STAFF_OTP_REQUIRED": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "DEBUG": False,
    }
    assert backend == "django.core.cache.backends.redis.RedisCache"
