"""The suppression list: identifiers that must never be contacted again, stored only as
HMAC-SHA256 under the installation's secret key (see ``privacy.hashing``)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from privacy.hashing import identifier_hmac
from privacy.models import Customer, Suppression


def suppressions_add(
    *,
    identifiers: Iterable[tuple[str, str]],
    customer: Customer | None,
    reason: str = "erasure",
) -> int:
    """Add (channel, normalised value) pairs; returns how many were new. Idempotent.

    Called inside the erasure transaction, which writes the audit event for it."""
    key_id = settings.SUPPRESSION_HMAC_ACTIVE_KEY_ID
    scope = Suppression.Scope.CUSTOMER if customer else Suppression.Scope.GLOBAL
    # (channel, digest under the active key) -> its digests under every configured key,
    # so an identifier suppressed before a key rotation is not listed a second time.
    rows: dict[tuple[str, str], set[str]] = {}
    for channel, value in identifiers:
        by_key = {
            kid: identifier_hmac(channel=channel, value=value, key_id=kid)
            for kid in settings.SUPPRESSION_HMAC_KEYS
        }
        rows[(channel, by_key[key_id])] = set(by_key.values())
    if not rows:
        return 0
    existing = set(
        Suppression.objects.filter(
            customer=customer, identifier_hmac__any={d for ds in rows.values() for d in ds}
        ).values_list("channel", "identifier_hmac")
    )
    new = [
        Suppression(
            identifier_hmac=digest,
            key_id=key_id,
            channel=channel,
            scope=scope,
            customer=customer,
            created_on=timezone.localdate(),
            reason=reason,
        )
        for (channel, digest), digests in rows.items()
        if not any((channel, d) in existing for d in digests)
    ]
    Suppression.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
