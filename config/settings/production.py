"""Production: PostgreSQL and Redis from the environment; secrets must be set."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env
from .components.security import shared_cache

SECRET_KEY = env("DJANGO_SECRET_KEY")
SUPPRESSION_HMAC_KEYS = env.dict("SUPPRESSION_HMAC_KEYS")
# Erasure certificates are signed with the installation's own key, never a generated one.
PRIVACY_CERTIFICATE_SIGNING_KEY = env("PRIVACY_CERTIFICATE_SIGNING_KEY")
PRIVACY_CERTIFICATE_KEY_FILE = ""
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["OPTIONS"] = {
    "pool": {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
        "timeout": 10,
    }
}
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
# --- Security (the rest is in components/security.py) ----------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's plain-HTTP health check
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
STAFF_OTP_REQUIRED = env.bool("STAFF_OTP_REQUIRED", default=True)
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")

# Real SMS in production: the console gateways print message bodies (links, codes).
CONSENT_SMS_GATEWAY = env("CONSENT_SMS_GATEWAY", default="consent.sms.TwilioGateway")
if "Console" in CONSENT_SMS_GATEWAY:
    raise ImproperlyConfigured("Console SMS gateways print message bodies; not for production.")

# Rate-limit counters must be shared by every web process: Redis (by default the
# broker's server; a database of its own, e.g. redis://host:6379/1, is tidier).
CACHES = {"default": shared_cache(env("DJANGO_CACHE_URL", default=CELERY_BROKER_URL))}
if CACHES["default"]["BACKEND"].endswith(("LocMemCache", "DummyCache")):
    raise ImproperlyConfigured("Production needs a shared cache (Redis or the database cache).")
