"""Keyed hashes of identifiers for the suppression list: HMAC-SHA256 under the
installation's secret (``SUPPRESSION_HMAC_KEYS``), one key active, all keys checked."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from privacy.identifiers import email_match_key


def _canonical(channel: str, value: str) -> str:
    # Phones are E.164 already; e-mails are matched case-insensitively everywhere.
    return email_match_key(value) if channel == "email" else value


def identifier_hmac(*, channel: str, value: str, key_id: str | None = None) -> str:
    key_id = key_id or settings.SUPPRESSION_HMAC_ACTIVE_KEY_ID
    secret = settings.SUPPRESSION_HMAC_KEYS[key_id].encode()
    message = f"{channel}:{_canonical(channel, value)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def identifier_hmacs_all_keys(*, channel: str, value: str) -> list[str]:
    """The identifier's HMAC under every configured key, so lookups survive rotation."""
    return [
        identifier_hmac(channel=channel, value=value, key_id=key_id)
        for key_id in settings.SUPPRESSION_HMAC_KEYS
    ]
