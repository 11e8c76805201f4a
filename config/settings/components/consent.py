"""Settings of the consent app (env variables documented in README.md).

Every value has a safe development default; production sets the secrets."""

import datetime as _dt

import environ
from django.core.exceptions import ImproperlyConfigured

# base.py has read .env before importing this module. The nightly job is scheduled in
# base.py's CELERY_BEAT_SCHEDULE with all the others.
env = environ.Env()

# --- Twilio: inbound webhook signature and the production SMS gateway ----------------
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="dev-twilio-auth-token")
# Seconds a call to Twilio's REST API may take (connect and read) before it fails.
TWILIO_HTTP_TIMEOUT = env.float("TWILIO_HTTP_TIMEOUT", default=10.0)
# The public base URL Twilio posts to (e.g. "https://pbo.example.com"), when a proxy
# in front changes the scheme or host the signature was computed over. Empty: use the
# request's own absolute URL.
CONSENT_TWILIO_WEBHOOK_BASE_URL = env("CONSENT_TWILIO_WEBHOOK_BASE_URL", default="")

# --- Outbound SMS (double opt-in prompts) ---------------------------------------------
# consent.sms.ConsoleGateway (development), consent.sms.TwilioGateway (production),
# consent.sms.LocmemGateway (tests: messages collect in consent.sms.outbox).
CONSENT_SMS_GATEWAY = env("CONSENT_SMS_GATEWAY", default="consent.sms.ConsoleGateway")

# --- Replies to keywords --------------------------------------------------------------
CONSENT_SMS_BRAND_NAME = env("CONSENT_SMS_BRAND_NAME", default="Privacy Back Office")
CONSENT_SMS_HELP_CONTACT = env("CONSENT_SMS_HELP_CONTACT", default="help.example.com")
CONSENT_SMS_MARKETING_FREQUENCY = env(
    "CONSENT_SMS_MARKETING_FREQUENCY", default="Recurring msgs, up to 4/week"
)

# --- Quiet hours (federal default; stricter states are in consent/quiet_hours.py) -------
CONSENT_QUIET_HOURS_START = env.int("CONSENT_QUIET_HOURS_START", default=8)
CONSENT_QUIET_HOURS_END = env.int("CONSENT_QUIET_HOURS_END", default=21)
# Used for numbers whose time zone the numbering plan does not tell.
CONSENT_QUIET_HOURS_FALLBACK_TZ = env("CONSENT_QUIET_HOURS_FALLBACK_TZ", default="America/New_York")

# --- Public pages -------------------------------------------------------------------
# Base of the preference-centre links sent by e-mail/SMS; empty: REQUESTS_PUBLIC_BASE_URL.
CONSENT_PUBLIC_BASE_URL = env("CONSENT_PUBLIC_BASE_URL", default="")
CONSENT_PREFERENCE_LINK_MAX_AGE_DAYS = env.int("CONSENT_PREFERENCE_LINK_MAX_AGE_DAYS", default=30)
CONSENT_VISITOR_COOKIE_NAME = env("CONSENT_VISITOR_COOKIE_NAME", default="pbo_visitor")

# --- Retention ----------------------------------------------------------------------
# Cookie-banner records and anonymous visitors' consents: 12 months.
CONSENT_COOKIE_RETENTION_DAYS = env.int("CONSENT_COOKIE_RETENTION_DAYS", default=365)
# SMS consent proof after its last use (TCPA limitation period is 4 years; one spare day
# for the leap year).
CONSENT_SMS_PROOF_RETENTION_DAYS = env.int("CONSENT_SMS_PROOF_RETENTION_DAYS", default=4 * 365 + 1)
CONSENT_PURGE_BATCH_SIZE = env.int("CONSENT_PURGE_BATCH_SIZE", default=1000)

# --- API ----------------------------------------------------------------------------
# How long a worker trusts a resolved API key (and the purpose table) before asking the
# database again: a revoked key stops working within this many seconds.
CONSENT_API_CACHE_SECONDS = env.int("CONSENT_API_CACHE_SECONDS", default=30)

# --- Revocation of consent to texts (FCC, 47 CFR 64.1200(a)(10)-(12); docs/law.md) -----
# From this day (UTC) an opt-out sent to one sender number stops every sender of the
# customer ("revoke-all"), unless the customer's SMS programme (admin) names an earlier
# day. The FCC's currently scheduled date: 2027-01-31 (CGB order DA 26-12, released
# 2026-01-06, extending the waiver of FCC 24-24's revoke-all part; checked 2026-11-30).
# Empty: no default date (only customers with their own date apply it).
_revoke_all_from = env.str("CONSENT_REVOKE_ALL_FROM", default="2027-01-31").strip()
try:
    CONSENT_REVOKE_ALL_FROM = _dt.date.fromisoformat(_revoke_all_from) if _revoke_all_from else None
except ValueError:
    raise ImproperlyConfigured(
        "CONSENT_REVOKE_ALL_FROM must be a date (YYYY-MM-DD) or empty."
    ) from None
# Texts that might be a revocation are decided by staff within this many US business
# days of receipt (64.1200(a)(11): honour a revocation within 10 business days).
CONSENT_REVOCATION_REVIEW_BUSINESS_DAYS = env.int(
    "CONSENT_REVOCATION_REVIEW_BUSINESS_DAYS", default=10
)
# The one confirmation text of a revocation is sent only within this many minutes of
# receipt (64.1200(a)(12)); a second revocation of the number within the same window
# gets no second text.
CONSENT_REVOCATION_CONFIRMATION_MINUTES = env.int(
    "CONSENT_REVOCATION_CONFIRMATION_MINUTES", default=5
)

# --- Material changes of a notice --------------------------------------------------
# Consents given under an earlier version than a material change stay valid this many
# days after the change is published; then the check answers reconfirmation_needed
# until the person confirms under the new version.
CONSENT_RECONFIRMATION_GRACE_DAYS = env.int("CONSENT_RECONFIRMATION_GRACE_DAYS", default=30)
