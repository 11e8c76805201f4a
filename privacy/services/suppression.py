"""The suppression list: identifiers that must never be contacted again, stored only as
HMAC-SHA256 under the installation's secret key (see ``privacy.hashing``).

Rows are added by erasure and lifted only by the person's own provable act from the
identifier, which the consent app records in its ledger first (``suppressions_lift``
takes that event's id); a customer's call alone never lifts one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from privacy.audit_actions import AuditAction
from privacy.hashing import identifier_hmac, identifier_hmacs_all_keys
from privacy.models import Customer, Suppression
from privacy.services.audit import audit_event_record


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
            customer=customer,
            identifier_hmac__any={d for ds in rows.values() for d in ds},
            lifted_at__isnull=True,  # a lifted row is the record of the lift, not a block
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


@transaction.atomic
def suppressions_lift(
    *,
    actor: AbstractBaseUser | None,
    channel: str,
    value: str,
    customer_id: int,
    event_id: int,
    method: str,
    now: dt.datetime | None = None,
) -> list[int]:
    """Lift the live suppressions of a normalised identifier for one customer, because
    the person's own act from it (``method``: e.g. an SMS keyword) was recorded as the
    consent ledger event ``event_id``. Returns the ids of the rows lifted (under any
    key); writes one ``suppression.lifted`` audit row when there were any.

    Global suppressions (our own erased contacts) are not lifted by an act towards one
    customer. Called only by the service that recorded the act, in its transaction."""
    now = now or timezone.now()
    rows = Suppression.objects.select_for_update().filter(
        channel=channel,
        customer_id=customer_id,
        identifier_hmac__in=identifier_hmacs_all_keys(channel=channel, value=value),
        lifted_at__isnull=True,
    )
    ids = sorted(rows.values_list("pk", flat=True))
    if not ids:
        return []
    Suppression.objects.filter(pk__in=ids).update(lifted_at=now, lifted_by_event_id=event_id)
    audit_event_record(
        actor=actor,
        action=AuditAction.SUPPRESSION_LIFTED,
        object_type="suppression",
        object_id=ids[0],
        summary={
            "suppression_ids": ids,
            "channel": channel,
            "customer_id": customer_id,
            "event_id": event_id,
            "method": method,
        },
    )
    return ids
