"""Security settings: the shared cache behind the rate limits, the trusted proxy, staff
two-factor authentication and login lockout, browser security headers and sessions.
README ("Security") lists the variables; docs/security.md says what each one stops.
production.py tightens a few defaults (2FA required, secure cookies, HSTS)."""

import datetime as dt

import environ
from csp.constants import NONE, SELF

env = environ.Env()

# --- Proxies: whose X-Forwarded-For we believe (privacy.http.client_ip) --------------
# Addresses or networks of the reverse proxies in front of the web servers. Empty: the
# connection's own address is the client and X-Forwarded-For is ignored.
TRUSTED_PROXIES = env.list("DJANGO_TRUSTED_PROXIES", default=[])


# --- The cache every process shares (rate limits) -----------------------------------
# Embedded default: a table in the database (`manage.py createcachetable`); production:
# Redis. Django's own Redis backend: requests_app.ratelimit counts on it atomically.
def shared_cache(url: str) -> dict:
    """The cache settings of a cache URL (dbcache://TABLE, redis://HOST:PORT/DB)."""
    config = environ.Env.cache_url_config(url)
    if "redis" in config["BACKEND"].lower():
        config["BACKEND"] = "django.core.cache.backends.redis.RedisCache"
    return {**config, "KEY_PREFIX": "pbo"}


CACHES = {"default": shared_cache(env("DJANGO_CACHE_URL", default="dbcache://pbo_cache"))}

# --- Staff two-factor authentication (django-otp) -----------------------------------
# On: the admin asks for a one-time code (TOTP app or a recovery code) after the
# password, and a staff member without a device enrols one first. production.py
# turns it on; the local demo leaves it off unless set.
STAFF_OTP_REQUIRED = env.bool("STAFF_OTP_REQUIRED", default=False)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Privacy back office")
STAFF_RECOVERY_CODES = 10

# --- Login throttling and lockout (django-axes) -------------------------------------
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# An account is locked after this many failures wherever they come from, and so is an
# address that fails this often whatever names it tries (the cool-off bounds the
# nuisance of a locked colleague; with two factors a guessed password alone is useless).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "privacy.http.client_ip"
AXES_RESET_ON_SUCCESS = True
# Successful logins are not kept by axes (its log would hold addresses and browsers).
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# Masked in what axes keeps and logs of a failed login (recovery codes are long-lived).
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "password",
    "otp_token",
    "csrfmiddlewaretoken",
]
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# axes' records of failed sign-ins (address, browser, name typed) are deleted by the
# nightly staff_login_records_purge after this many days (docs/security.md says why 90);
# the audit trail keeps each failure and lockout of an account, without them.
STAFF_LOGIN_RECORDS_RETENTION_DAYS = env.int("STAFF_LOGIN_RECORDS_RETENTION_DAYS", default=90)

# --- Sessions -----------------------------------------------------------------------
# A staff session ends after this long without a request (config.middleware), and
# after SESSION_COOKIE_AGE whatever happens.
STAFF_IDLE_TIMEOUT_SECONDS = env.int("STAFF_IDLE_TIMEOUT_SECONDS", default=30 * 60)
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=12 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Browser security headers -------------------------------------------------------
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Nothing here uses these browser features (config.middleware sends the header).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)
# Only this site's own files: no inline script. Inline attributes of code we don't own
# are allowed one by one, by the hash of their exact text: django-import-export's export
# page (its "select all" handler and two styles). The request queue's "days left" badges
# are CSS classes in static/privacy/staff.css.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "script-src-attr": [
            "'unsafe-hashes'",
            "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='",
        ],  # onSelectToggleChange(event)
        "style-src": [SELF],
        "style-src-attr": [
            "'unsafe-hashes'",
            "'sha256-mHgUAqxc8GPXM/QhzkHrHujcrQTU9fd6ZjWz+icxKcA='",  # padding: 0;
            "'sha256-+YWRMZ88jMyO7jVlBA52tZADiPobPIUA8LAWee68Fvs='",  # font-weight: bold;
        ],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
