"""Legal holds: placing and lifting them. While one is active on a contact or its
customer, erasure and retention deletion are refused with the hold's reason."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from privacy.audit_actions import AuditAction
from privacy.models import Contact, Customer, LegalHold
from privacy.services.audit import audit_event_record, staff_user


@transaction.atomic
def legal_hold_place(
    *,
    actor: AbstractBaseUser | None,
    reason: str,
    contact: Contact | None = None,
    customer: Customer | None = None,
    ends_on: dt.date | None = None,
) -> LegalHold:
    if (contact is None) == (customer is None):
        raise ValidationError("A hold applies to exactly one contact or one customer.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("A legal hold needs a reason (matter reference and the law).")
    if ends_on is not None and ends_on < timezone.localdate():
        raise ValidationError("A hold cannot end in the past.")
    if contact is not None:
        # Locked and read from the database: the caller's instance may predate an erasure.
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact is not None and contact.erased_at:
        raise ValidationError(
            "This contact has already been erased; there is nothing left to hold."
        )
    hold = LegalHold(contact=contact, customer=customer, reason=reason, ends_on=ends_on)
    hold.placed_by = staff_user(actor)
    hold.full_clean()
    hold.save()
    audit_event_record(
        actor=actor,
        action=AuditAction.LEGAL_HOLD_PLACED,
        object_type="contact" if contact else "customer",
        object_id=(contact or customer).pk,
        summary={"hold_id": hold.pk, "ends_on": ends_on.isoformat() if ends_on else None},
    )
    return hold


@transaction.atomic
def legal_hold_lift(*, actor: AbstractBaseUser | None, hold: LegalHold) -> bool:
    """Lift a hold; returns False if it was already lifted."""
    updated = LegalHold.objects.filter(pk=hold.pk, lifted_at__isnull=True).update(
        lifted_at=timezone.now(),
        lifted_by=staff_user(actor),
    )
    if updated:
        audit_event_record(
            actor=actor,
            action=AuditAction.LEGAL_HOLD_LIFTED,
            object_type="contact" if hold.contact_id else "customer",
            object_id=hold.contact_id or hold.customer_id,
            summary={"hold_id": hold.pk},
        )
    return bool(updated)
