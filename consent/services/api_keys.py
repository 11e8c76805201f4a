"""Per-customer API keys: created (the full key shown once, only its hash stored) and
revoked."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from consent.models import ApiKey
from consent.selectors import api_key_hash, caches_clear
from privacy.audit_actions import AuditAction
from privacy.models import Customer
from privacy.services import audit_event_record, staff_user


@transaction.atomic
def api_key_create(
    *, actor: AbstractBaseUser | None, customer: Customer, name: str
) -> tuple[ApiKey, str]:
    """A new key for the customer. Returns the row and the full key, which is shown
    once and never stored."""
    prefix = secrets.token_hex(6)
    raw_key = f"pbo_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        customer=customer,
        name=name[:100],
        prefix=prefix,
        key_hash=api_key_hash(raw_key),
        created_by=staff_user(actor),
    )
    audit_event_record(
        actor=actor,
        action=AuditAction.CONSENT_API_KEY_CREATED,
        object_type="api_key",
        object_id=key.pk,
        summary={"customer_id": customer.pk},
    )
    return key, raw_key


@transaction.atomic
def api_key_revoke(*, actor: AbstractBaseUser | None, api_key: ApiKey) -> bool:
    updated = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        caches_clear()
        audit_event_record(
            actor=actor,
            action=AuditAction.CONSENT_API_KEY_REVOKED,
            object_type="api_key",
            object_id=api_key.pk,
            summary={"customer_id": api_key.customer_id},
        )
    return bool(updated)
