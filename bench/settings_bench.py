"""Settings of the consent benchmark (bench/consent_bench.py): production settings, plus
a URLconf that adds the bare baseline view next to the real URLs (production URLs stay
untouched). Needs the same environment as production (DJANGO_SECRET_KEY,
SUPPRESSION_HMAC_KEYS, DATABASE_URL, CELERY_BROKER_URL, DJANGO_ALLOWED_HOSTS)."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls_bench"
