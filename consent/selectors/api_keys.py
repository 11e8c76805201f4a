"""Per-customer API keys: which customer a key acts for (cached per worker; a key is
stored only as its SHA-256)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from consent.models import ApiKey
from consent.selectors.caches import _api_keys


@dataclass(frozen=True)
class ApiPrincipal:
    api_key_id: int
    customer_id: int
    default_region: str


def api_key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_authenticate(raw_key: str) -> ApiPrincipal | None:
    """The customer an API key acts for, or None for an unknown or revoked key."""
    if not raw_key or len(raw_key) > 200:
        return None
    digest = api_key_hash(raw_key)
    cached = _api_keys.get(digest)
    if cached is not None:
        return cached or None
    prefix = raw_key.split("_")[1] if raw_key.count("_") >= 2 else ""
    row = (
        ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True)
        .values_list("pk", "key_hash", "customer_id", "customer__default_phone_region")
        .first()
    )
    principal: ApiPrincipal | bool = False
    if row and hmac.compare_digest(row[1], digest):
        principal = ApiPrincipal(api_key_id=row[0], customer_id=row[2], default_region=row[3])
    _api_keys.set(digest, principal)
    return principal or None
