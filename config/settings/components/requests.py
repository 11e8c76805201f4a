"""Settings of the requests_app (env variables documented in README.md)."""

REQUESTS_BEAT_SCHEDULE: dict = {}
