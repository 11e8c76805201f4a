"""Children's data: once we know a contact is a minor (a birth date under the age limit
of where they live, or the flag set by staff, an import or the API), their data is
scheduled for erasure ``PRIVACY_MINOR_ERASURE_DAYS`` later and stays in the staff queue
(admin: "Minors' data to erase", ``privacy.MinorErasure``) until it is done.

The erasure goes through the erasure engine (trigger "minor"), so a legal hold keeps the
data (the entry waits as "held" and is tried again every night until the hold is lifted)
and a provider's reason to wait (an open privacy request of the person) defers it. Every
step writes an audit row: scheduled, held, waiting, erased, cancelled.

``minors_data_erase`` is the nightly job: it queues the minors found since the last run
(birth dates and flags that came in through imports or the API) and erases those whose
grace period is over."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from privacy.audit_actions import AuditAction
from privacy.models import OPEN_MINOR_STATES, Contact, ErasureCertificate, MinorErasure
from privacy.selectors import (
    active_hold_reasons,
    contact_minor_status,
    ids_in_batches,
    minor_erasures_due,
    minors_to_schedule,
)
from privacy.services.audit import audit_event_record, staff_user
from privacy.services.contacts import contact_update
from privacy.services.erasure import contacts_erase_batch
from privacy.transitions import InvalidTransition, StateField

logger = logging.getLogger(__name__)

ERASURE_REFERENCE = "minors_data_erase"

M = MinorErasure.State
#: The queue entry's moves. Scheduled (or held from the start) → erased, held by a legal
#: hold, waiting for an open request, or cancelled; held and waiting entries are tried
#: again every night; a cancelled one is reopened when the contact is marked a minor again.
MINOR_ERASURE_TRANSITIONS: dict[str, frozenset[str]] = {
    M.SCHEDULED: frozenset({M.HELD, M.DEFERRED, M.DONE, M.CANCELLED}),
    M.HELD: frozenset({M.DEFERRED, M.DONE, M.CANCELLED}),
    M.DEFERRED: frozenset({M.HELD, M.DONE, M.CANCELLED}),
    M.CANCELLED: frozenset({M.SCHEDULED, M.HELD}),
    M.DONE: frozenset(),
}
MINOR_ERASURE_STATE = StateField(MinorErasure, "state", MINOR_ERASURE_TRANSITIONS)


def _move(erasure: MinorErasure, to_state: str, **fields) -> None:
    """The one way an entry changes state (guarded update); ``erasure`` is refreshed."""
    moved = MINOR_ERASURE_STATE.move(
        MinorErasure.objects.filter(pk=erasure.pk),
        from_state=erasure.state,
        to_state=to_state,
        subject=f"The erasure of contact #{erasure.contact_id}'s data",
        **fields,
    )
    if not moved:
        raise InvalidTransition("This entry changed meanwhile; reload and try again.")
    erasure.refresh_from_db()


_ACTIONS = {
    "scheduled": AuditAction.MINOR_ERASURE_SCHEDULED,
    "held": AuditAction.MINOR_ERASURE_HELD,
    "deferred": AuditAction.MINOR_ERASURE_DEFERRED,
    "erased": AuditAction.MINOR_ERASURE_ERASED,
    "cancelled": AuditAction.MINOR_ERASURE_CANCELLED,
}


def _audit(actor, action: str, erasure: MinorErasure, **summary) -> None:
    audit_event_record(
        actor=actor,
        action=_ACTIONS[action],
        object_type="contact",
        object_id=erasure.contact_id,
        summary={"minor_erasure_id": erasure.pk, **summary},
    )


@transaction.atomic
def minor_erasure_schedule(
    *, actor: AbstractBaseUser | None, contact: Contact, now: dt.datetime | None = None
) -> MinorErasure:
    """Put a contact known to be a minor in the queue: erased after the grace period,
    unless a legal hold applies (then the entry waits, "held", in the queue). Does
    nothing to an entry already open or done; reopens a cancelled one."""
    now = now or timezone.now()
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.erased_at:
        raise ValidationError(f"Contact #{contact.pk} has already been erased.")
    status = contact_minor_status(contact, on=timezone.localdate(now))
    if not status.is_minor:
        raise ValidationError(
            f"Contact #{contact.pk} is not known to be a minor: record a date of birth under "
            f"the age limit ({status.limit.age}) or mark the contact as a minor first."
        )
    hold = active_hold_reasons([contact], on=timezone.localdate(now)).get(contact.pk)
    fields = {
        "state": MinorErasure.State.HELD if hold else MinorErasure.State.SCHEDULED,
        "basis": status.basis,
        "age_limit": status.limit.age,
        "jurisdiction": status.limit.jurisdiction,
        "found_at": now,
        "erase_after": now + dt.timedelta(days=settings.PRIVACY_MINOR_ERASURE_DAYS),
        "scheduled_by": staff_user(actor),
        "reason": (hold or "")[:300],
        "certificate": None,
        "done_at": None,
    }
    erasure = MinorErasure.objects.select_for_update().filter(contact=contact).first()
    if erasure is not None and erasure.state != MinorErasure.State.CANCELLED:
        return erasure
    if erasure is None:
        erasure = MinorErasure.objects.create(contact=contact, **fields)
    else:
        _move(erasure, fields.pop("state"), **fields)
    _audit(
        actor,
        "scheduled",
        erasure,
        basis=erasure.basis,
        age_limit=erasure.age_limit,
        limit_basis=status.limit.basis,
        jurisdiction=erasure.jurisdiction,
        erase_on=timezone.localdate(erasure.erase_after).isoformat(),
        held=bool(hold),
    )
    return erasure


def minor_erasure_schedule_if_minor(
    *, actor: AbstractBaseUser | None, contact: Contact
) -> MinorErasure | None:
    """After a contact's birth date, country or flag changed (admin, API): queue the
    erasure at once if the contact is now known to be a minor; None otherwise."""
    contact = Contact.objects.get(pk=contact.pk)
    if contact.erased_at or not contact_minor_status(contact).is_minor:
        return None
    return minor_erasure_schedule(actor=actor, contact=contact)


@transaction.atomic
def contact_minor_flag(
    *, actor: AbstractBaseUser | None, contact: Contact, is_minor: bool, reason: str = ""
) -> MinorErasure | None:
    """Staff (or the API) say whether a contact is a minor. Marking one schedules the
    erasure of their data at once; returns the queue entry (None when unmarked)."""
    contact_update(actor=actor, contact=contact, reason=reason or "minor flag", is_minor=is_minor)
    if not is_minor:
        return None
    return minor_erasure_schedule(actor=actor, contact=contact)


@transaction.atomic
def minor_erasure_cancel(
    *, actor: AbstractBaseUser | None, erasure: MinorErasure, reason: str
) -> bool:
    """Take an entry off the queue (e.g. the birth date was wrong). Needs a reason; the
    nightly job does not queue the contact again unless it is marked as a minor."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the erasure is cancelled (no personal data).")
    erasure = MinorErasure.objects.select_for_update().get(pk=erasure.pk)
    if not erasure.is_open:
        raise ValidationError("Only a scheduled, held or waiting erasure can be cancelled.")
    _move(erasure, MinorErasure.State.CANCELLED, reason=reason[:300])
    _audit(actor, "cancelled", erasure, reason=reason[:100])
    return True


def _no_longer_minor(erasure: MinorErasure) -> bool:
    """The facts changed since the entry was queued (flag cleared, birth date corrected):
    judged on the day it was found, so a child who turned 16 in the grace period is
    still erased."""
    status = contact_minor_status(erasure.contact, on=timezone.localdate(erasure.found_at))
    return not status.is_minor


def _set_state(erasure: MinorErasure, state: str, reason: str, action: str) -> bool:
    """Move an entry to a waiting state; audits only a change (not every night)."""
    if erasure.state == state:
        if erasure.reason != reason[:300]:
            MinorErasure.objects.filter(pk=erasure.pk).update(reason=reason[:300])
        return False
    _move(erasure, state, reason=reason[:300])
    _audit(None, action, erasure)
    return True


def _erase_due_batch(ids: list[int], *, now: dt.datetime, counts: dict[str, int]) -> None:
    with transaction.atomic():
        erasures = list(
            MinorErasure.objects.select_for_update()
            .select_related("contact")
            .filter(pk__in=ids, state__in=[s.value for s in OPEN_MINOR_STATES])
            .order_by("pk")
        )
        to_erase = []
        for erasure in erasures:
            if erasure.contact.erased_at is None and _no_longer_minor(erasure):
                _move(
                    erasure,
                    MinorErasure.State.CANCELLED,
                    reason="No longer known to be a minor (flag cleared or birth date corrected).",
                )
                _audit(None, "cancelled", erasure, reason="no longer known to be a minor")
                counts["cancelled"] += 1
            else:
                to_erase.append(erasure)
        if not to_erase:
            return
        result = contacts_erase_batch(
            actor=None,
            contact_ids=[e.contact_id for e in to_erase],
            trigger=ErasureCertificate.Trigger.MINOR,
            reference=ERASURE_REFERENCE,
            now=now,
        )
        certificates = {c.contact_id: c for c in result.certificates}
        deferred = getattr(result, "deferred", {})
        for erasure in to_erase:
            contact_id = erasure.contact_id
            if contact_id in result.refused:
                counts["held"] += 1
                _set_state(erasure, MinorErasure.State.HELD, result.refused[contact_id], "held")
                continue
            if contact_id in deferred:
                counts["deferred"] += 1
                _set_state(erasure, MinorErasure.State.DEFERRED, deferred[contact_id], "deferred")
                continue
            # Erased now, or earlier by another path (its certificate is the proof).
            certificate = certificates.get(contact_id) or (
                ErasureCertificate.objects.filter(contact_id=contact_id).first()
            )
            _move(erasure, MinorErasure.State.DONE, certificate=certificate, done_at=now, reason="")
            _audit(None, "erased", erasure, certificate_id=certificate.pk if certificate else None)
            counts["erased"] += 1


def minors_data_erase(
    *, now: dt.datetime | None = None, batch_size: int | None = None
) -> dict[str, int]:
    """The nightly job: queue minors found since the last run, then erase the queued
    ones whose grace period is over. Idempotent; bounded batches, each its own
    transaction; counts only in the result and the audit row."""
    now = now or timezone.now()
    batch_size = batch_size or settings.PRIVACY_SWEEP_BATCH_SIZE
    counts = dict.fromkeys(("scheduled", "erased", "held", "deferred", "cancelled", "failed"), 0)
    for ids in ids_in_batches(
        minors_to_schedule(on=timezone.localdate(now)), batch_size=batch_size
    ):
        with transaction.atomic():
            for contact in Contact.objects.filter(pk__in=ids, erased_at__isnull=True):
                minor_erasure_schedule(actor=None, contact=contact, now=now)
                counts["scheduled"] += 1
    for ids in ids_in_batches(minor_erasures_due(now=now), batch_size=batch_size):
        try:
            _erase_due_batch(ids, now=now, counts=counts)
        except Exception as exc:
            # One bad subject must not stop the others: retry one by one, log ids and
            # the exception's type only (database errors quote values).
            if len(ids) == 1:
                logger.error(
                    "Minor's data erasure failed for entry id=%s: %s", ids[0], type(exc).__name__
                )
                counts["failed"] += 1
                continue
            for single in ids:
                try:
                    _erase_due_batch([single], now=now, counts=counts)
                except Exception as single_exc:
                    logger.error(
                        "Minor's data erasure failed for entry id=%s: %s",
                        single,
                        type(single_exc).__name__,
                    )
                    counts["failed"] += 1
    if any(counts.values()):
        with transaction.atomic():
            audit_event_record(
                actor=None, action=AuditAction.MINORS_JOB_RAN, object_type="job", summary=counts
            )
    return counts
