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
    rows = {
        (channel, identifier_hmac(channel=channel, value=value, key_id=key_id))
        for channel, value in identifiers
    }
    if not rows:
        return 0
    existing = set(
        Suppression.objects.filter(
            customer=customer, identifier_hmac__in=[h for _, h in rows]
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
        for channel, digest in rows - existing
    ]
    Suppression.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
