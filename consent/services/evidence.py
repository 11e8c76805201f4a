"""Recording that staff saw or downloaded a consent evidence pack.

The pack itself is a read (``consent.selectors.evidence``); who looked at whose consent
evidence, and in which form, is personal-data access and goes to the audit trail: one
row per contact record in the pack (so each contact's own trail shows it), or one row
for a pack that found no contact. The identifier is never written, only ids and
counts."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from consent.selectors.evidence import EvidencePack
from privacy.audit_actions import AuditAction
from privacy.services import audit_event_record

EVIDENCE_PACK_FORMATS = ("html", "pdf", "json")


@transaction.atomic
def consent_evidence_pack_viewed(
    *, actor: AbstractBaseUser | None, pack: EvidencePack, output: str, via: str
) -> int:
    """Record that ``actor`` opened (``html``) or downloaded (``pdf``/``json``) the pack,
    found ``via`` a search or a contact's page. Returns the number of audit rows."""
    if output not in EVIDENCE_PACK_FORMATS:
        raise ValidationError("Unknown evidence pack format.", code="format")
    summary = {
        "format": output,
        "via": via,
        "kind": pack.kind,
        "events": len(pack.events),
        "contacts": len(pack.contacts),
    }
    if not pack.contacts:
        audit_event_record(
            actor=actor,
            action=AuditAction.CONSENT_EVIDENCE_PACK_VIEWED,
            object_type="consent_evidence",
            summary=summary,
        )
        return 1
    for contact in pack.contacts:
        audit_event_record(
            actor=actor,
            action=AuditAction.CONSENT_EVIDENCE_PACK_VIEWED,
            object_type="contact",
            object_id=contact.id,
            summary=summary,
        )
    return len(pack.contacts)
