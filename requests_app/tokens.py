"""Unguessable tokens for public links. The database stores only SHA-256 hashes.

Status and download tokens are *derived* (HMAC of the server secret, the object's
reference and a per-object random salt), so a later notice can repeat the link without
the plain token ever being stored; a database copy alone cannot produce one. Verification
secrets are random, single-use, and exist in plain form only in the message sent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_salt() -> str:
    return secrets.token_hex(16)


def derive_token(*, purpose: str, ident: str, salt: str) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{purpose}:{ident}:{salt}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def random_token() -> str:
    return secrets.token_urlsafe(32)


def sms_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def sms_code_hash(*, request_id: int, code: str) -> str:
    # Keyed, so the million possible codes cannot be tried offline against a DB copy.
    return hmac.new(
        settings.SECRET_KEY.encode(), f"sms:{request_id}:{code}".encode(), hashlib.sha256
    ).hexdigest()


def new_reference(prefix: str = "PR") -> str:
    """A human-friendly, non-sequential reference such as ``PR-7KQ2-M9XD`` (a request) or
    ``SR-…`` (a submission of the public form)."""
    # Each group starts with a letter, so a reference never looks like a phone number
    # (the audit trail refuses long digit runs).
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    alphabet = "23456789" + letters

    def group() -> str:
        return secrets.choice(letters) + "".join(secrets.choice(alphabet) for _ in range(3))

    return f"{prefix}-{group()}-{group()}"
