"""The erasure engine. Erasing subjects runs every registered provider inside one
transaction, so each subject is either wholly erased or not at all; adds identifiers
that carried an opt-out to the suppression list (HMAC only); and writes an erasure
certificate and an audit event per subject. Erasure is refused while a legal hold
applies, with the hold's reason, and deferred while a provider names a reason to wait
(e.g. an open privacy request of the person), with that reason.

Batches exist for the retention sweep (thousands of subjects a second); staff and
privacy requests erase one subject, which is a batch of one."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from privacy import registry
from privacy.audit_actions import AuditAction
from privacy.bulk import bulk_insert
from privacy.models import AuditEvent, Contact, ErasureCertificate
from privacy.selectors import active_hold_reasons
from privacy.services.audit import audit_events_record_bulk, staff_user
from privacy.services.suppression import suppressions_add


class ErasureRefused(ValidationError):
    """Erasure is not allowed now; the message says why (e.g. the legal hold)."""


class ErasureDeferred(ErasureRefused):
    """Erasure must wait until something else is done first (e.g. an open privacy
    request of the person is answered); the message says what, and ``reason`` is the
    provider's words (e.g. "open privacy request PR-7KQ2-M9XD"). Unlike a hold, the
    reason goes away by itself: the retention sweep and scheduled erasures try again."""

    def __init__(self, message: str, *, reason: str = "", **kwargs):
        super().__init__(message, **kwargs)
        self.reason = reason


@dataclass
class ErasurePreview:
    """What erasing a subject would do: counts per provider, what is kept and why,
    and the hold that would block it, if any."""

    erased: dict[str, dict[str, int]]
    kept: list[registry.KeptRecords]
    blocked_by: str | None
    #: Why the erasure would wait now (an open privacy request…), if it would.
    deferred_by: str | None = None


def erasure_preview(
    *,
    contact: Contact,
    trigger: str = ErasureCertificate.Trigger.STAFF,
    reference: str = "",
) -> ErasurePreview:
    erased: dict[str, dict[str, int]] = {}
    kept: list[registry.KeptRecords] = []
    for provider in registry.providers():
        outcome = provider.preview([contact]).get(contact.pk, registry.ErasureOutcome())
        erased[provider.key] = outcome.erased
        kept.extend(outcome.kept)
    blocked_by = active_hold_reasons([contact]).get(contact.pk)
    deferral = registry.deferrals([contact], trigger=trigger, reference=reference).get(contact.pk)
    deferred_by = deferral.reason if deferral else None
    return ErasurePreview(erased=erased, kept=kept, blocked_by=blocked_by, deferred_by=deferred_by)


def _kept_entry(record: registry.KeptRecords) -> dict:
    """A certificate's ``kept`` entry; references only where the provider names any."""
    entry = {"table": record.table, "count": record.count, "reason": record.reason}
    if record.references:
        entry["references"] = sorted(record.references)
    return entry


@dataclass
class BatchErasureResult:
    certificates: list[ErasureCertificate]
    refused: dict[int, str]  # contact id -> reason (a legal hold)
    #: contact id -> why it must wait (e.g. "open privacy request R-ABC123"); taken on a
    #: later run once the reason is gone.
    deferred: dict[int, str] = field(default_factory=dict)
    #: How many were deferred, by the kind of reason (e.g. {"open request": 2}).
    deferred_kinds: dict[str, int] = field(default_factory=dict)


@transaction.atomic
def contacts_erase_batch(
    *,
    actor: AbstractBaseUser | None,
    contact_ids: Sequence[int],
    trigger: str,
    reference: str = "",
    now: dt.datetime | None = None,
) -> BatchErasureResult:
    """Erase the given contacts. Already-erased ones are skipped (idempotent); held ones
    are refused and returned with the hold's reason; ones a provider defers (see
    ``registry.DeferringProvider``) are left alone and returned with its reason."""
    now = now or timezone.now()
    contacts = list(
        Contact.objects.select_for_update(of=("self",))
        .filter(pk__any=contact_ids, erased_at__isnull=True)
        .select_related("customer")
        .order_by("pk")
    )
    # The hold's end date is a local date, as the retention selectors compare it.
    refused = active_hold_reasons(contacts, on=timezone.localdate(now))
    contacts = [c for c in contacts if c.pk not in refused]
    # Asked after the lock: a request opened meanwhile waits for the lock's holder, and
    # one opened before is seen here.
    deferrals = registry.deferrals(contacts, trigger=trigger, reference=reference)
    deferred = {contact_id: d.reason for contact_id, d in deferrals.items()}
    deferred_kinds = dict(Counter(d.kind for d in deferrals.values()))
    contacts = [c for c in contacts if c.pk not in deferred]
    if not contacts:
        return BatchErasureResult(
            certificates=[], refused=refused, deferred=deferred, deferred_kinds=deferred_kinds
        )

    providers = registry.providers()

    # Opted-out identifiers are read before any provider removes them.
    opted_out: dict[int, set[registry.OptedOutIdentifier]] = defaultdict(set)
    for provider in providers:
        for contact_id, identifiers in provider.opted_out_identifiers(contacts).items():
            opted_out[contact_id] |= identifiers
    by_customer: dict[int | None, set[tuple[str, str]]] = defaultdict(set)
    for contact in contacts:
        for identifier in opted_out.get(contact.pk, ()):
            by_customer[contact.customer_id].add((identifier.channel, identifier.value))
    customers = {c.customer_id: c.customer for c in contacts}
    for customer_id, identifiers in by_customer.items():
        suppressions_add(identifiers=identifiers, customer=customers[customer_id])

    counts: dict[int, dict[str, dict[str, int]]] = defaultdict(dict)
    kept: dict[int, list[dict]] = defaultdict(list)
    for provider in providers:
        for contact_id, outcome in provider.erase(contacts, now=now).items():
            counts[contact_id][provider.key] = outcome.erased
            kept[contact_id].extend(_kept_entry(k) for k in outcome.kept)

    actor_user = staff_user(actor)
    certificates = bulk_insert(
        [
            ErasureCertificate(
                contact_id=contact.pk,
                performed_by=actor_user,
                performed_at=now,
                trigger=trigger,
                reference=reference[:100],
                counts=counts[contact.pk],
                kept=kept[contact.pk],
                suppressed=len(opted_out.get(contact.pk, ())),
            )
            for contact in contacts
        ]
    )
    audit_events_record_bulk(
        [
            AuditEvent(
                actor_id=actor_user.pk if actor_user else None,
                action=AuditAction.CONTACT_ERASED,
                object_type="contact",
                object_id=str(cert.contact_id),
                occurred_at=now,
                summary={
                    "certificate_id": cert.pk,
                    "trigger": trigger,
                    "reference": reference[:100],
                    "erased": cert.counts,
                    "kept": [{"table": k["table"], "count": k["count"]} for k in cert.kept],
                    "suppressed": cert.suppressed,
                },
            )
            for cert in certificates
        ]
    )
    return BatchErasureResult(
        certificates=certificates,
        refused=refused,
        deferred=deferred,
        deferred_kinds=deferred_kinds,
    )


@transaction.atomic
def contact_erase(
    *,
    actor: AbstractBaseUser | None,
    contact: Contact,
    trigger: str = ErasureCertificate.Trigger.STAFF,
    reference: str = "",
) -> ErasureCertificate:
    """Erase one contact now. Raises ``ErasureRefused`` under a legal hold,
    ``ErasureDeferred`` while a provider defers it (an open privacy request…), and
    ``ValidationError`` if the contact was already erased."""
    result = contacts_erase_batch(
        actor=actor, contact_ids=[contact.pk], trigger=trigger, reference=reference
    )
    if contact.pk in result.refused:
        raise ErasureRefused(f"Erasure refused. {result.refused[contact.pk]}.")
    if contact.pk in result.deferred:
        raise ErasureDeferred(
            f"Erasure deferred: {result.deferred[contact.pk]}. "
            "The contact can be erased once that is closed.",
            code="deferred",
            reason=result.deferred[contact.pk],
        )
    if not result.certificates:
        raise ValidationError("This contact has already been erased.")
    return result.certificates[0]
