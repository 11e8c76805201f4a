"""Settings of the consent app (env variables documented in README.md)."""

CONSENT_BEAT_SCHEDULE: dict = {}
