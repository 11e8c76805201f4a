"""Settings of the privacy core (env variables documented in README.md).

Every value has a safe development default; production sets the secrets
(``SUPPRESSION_HMAC_KEYS`` is required there, see production.py)."""

import environ

# base.py has read .env before importing this module. The nightly retention sweep is
# scheduled in base.py's CELERY_BEAT_SCHEDULE with all the other jobs.
_env = environ.Env()

# Suppression-list HMAC keys: {key_id: secret}. New rows use the active key; lookups try
# every key, so a key can be rotated by adding a new one and making it active.
SUPPRESSION_HMAC_KEYS = _env.dict(
    "SUPPRESSION_HMAC_KEYS", default={"k1": "insecure-suppression-key-change-me"}
)
SUPPRESSION_HMAC_ACTIVE_KEY_ID = _env(
    "SUPPRESSION_HMAC_ACTIVE_KEY_ID", default=next(iter(SUPPRESSION_HMAC_KEYS))
)
# Rows per transaction in the nightly sweeps.
PRIVACY_SWEEP_BATCH_SIZE = _env.int("PRIVACY_SWEEP_BATCH_SIZE", default=1000)
# Under this age a person counts as a minor (children's data rules).
PRIVACY_MINOR_AGE = _env.int("PRIVACY_MINOR_AGE", default=16)
# Largest file the admin import accepts.
IMPORT_MAX_UPLOAD_BYTES = _env.int("IMPORT_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
