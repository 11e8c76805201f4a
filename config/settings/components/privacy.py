"""Settings of the privacy core (env variables documented in README.md).

Every value has a safe development default; production sets the secrets
(``SUPPRESSION_HMAC_KEYS`` is required there, see production.py)."""

from pathlib import Path

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
# The outbox relay: rows unsent for this long are published again (younger ones are
# still being published by the request that wrote them), this many per batch; sent rows
# are deleted after this many days. The relay runs every minute (CELERY_BEAT_SCHEDULE).
PRIVACY_OUTBOX_RELAY_AFTER_SECONDS = _env.int("PRIVACY_OUTBOX_RELAY_AFTER_SECONDS", default=10)
PRIVACY_OUTBOX_RELAY_BATCH_SIZE = _env.int("PRIVACY_OUTBOX_RELAY_BATCH_SIZE", default=200)
PRIVACY_OUTBOX_KEEP_SENT_DAYS = _env.int("PRIVACY_OUTBOX_KEEP_SENT_DAYS", default=7)
# Rows per transaction in the nightly sweeps.
PRIVACY_SWEEP_BATCH_SIZE = _env.int("PRIVACY_SWEEP_BATCH_SIZE", default=1000)
# Under this age a person counts as a minor (children's data rules): our promise, and the
# default where the law of the person's home sets no higher age (privacy/minors.py).
PRIVACY_MINOR_AGE = _env.int("PRIVACY_MINOR_AGE", default=16)
# Per-jurisdiction ages that win over the table and the default ("FR=15,US-CA=18").
PRIVACY_MINOR_AGE_BY_JURISDICTION = _env("PRIVACY_MINOR_AGE_BY_JURISDICTION", default="")
# Days between learning that a contact is a minor and erasing their data.
PRIVACY_MINOR_ERASURE_DAYS = _env.int("PRIVACY_MINOR_ERASURE_DAYS", default=7)
# Largest file the admin import accepts.
IMPORT_MAX_UPLOAD_BYTES = _env.int("IMPORT_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)

# --- Erasure certificates (privacy/certificates.py, docs/privacy-core.md) ---------------
# Ed25519 key that signs downloaded erasure certificates: base64 of the 32-byte private
# key (`python -m privacy.certificates new-key`). Required in production; empty elsewhere
# means the demo's key file below, generated on first use.
PRIVACY_CERTIFICATE_SIGNING_KEY = _env("PRIVACY_CERTIFICATE_SIGNING_KEY", default="")
PRIVACY_CERTIFICATE_KEY_FILE = _env(
    "PRIVACY_CERTIFICATE_KEY_FILE",
    default=str(Path(__file__).resolve().parents[3] / "var" / "certificate-signing-key"),
)
# Earlier public keys still published after a rotation (a file of PEM blocks), so
# certificates downloaded before it can still be checked.
_previous_keys_file = _env("PRIVACY_CERTIFICATE_PREVIOUS_PUBLIC_KEYS_FILE", default="")
PRIVACY_CERTIFICATE_PREVIOUS_PUBLIC_KEYS = (
    [
        "-----BEGIN PUBLIC KEY-----" + block
        for block in Path(_previous_keys_file).read_text().split("-----BEGIN PUBLIC KEY-----")[1:]
    ]
    if _previous_keys_file
    else []
)
# Who issues the certificates (the organisation's name, printed and signed).
PRIVACY_CERTIFICATE_ISSUER = _env("PRIVACY_CERTIFICATE_ISSUER", default="Privacy Back Office")

# --- Staff pages -----------------------------------------------------------------------
# Time zone of staff pages for staff members who have not chosen their own (Admin →
# "Time zone" on the home page); times are shown to the minute in it.
STAFF_TIME_ZONE = _env("STAFF_TIME_ZONE", default="UTC")
# Staff with this permission get the morning page as the admin's home (privacy.morning).
STAFF_HOME_PERMISSION = _env("STAFF_HOME_PERMISSION", default="requests_app.process_privacyrequest")
# A Unicode TrueType font for certificate PDFs (Debian's fonts-dejavu-core); without it
# the PDF falls back to Helvetica.
PRIVACY_PDF_FONT = _env(
    "PRIVACY_PDF_FONT", default="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
)
