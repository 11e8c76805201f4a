"""Erasure for deletion requests: scheduling the erasure of every contact in scope after
the grace period (refused while a legal hold applies), cancelling it until then, and
running it from the nightly job through privacy's erasure engine — or at once, when a
privacy officer runs it now with a recorded reason (``erasure_run_now``). While the
person has another open request (an access request, say), the erasure waits — it stays
scheduled, the timeline says what it waits for, and the nightly job tries again — so that
request is answered first and never left unanswerable."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from privacy import registry
from privacy.models import ErasureCertificate
from privacy.services import (
    ErasureDeferred,
    ErasureRefused,
    contact_erase,
    erasure_preview,
    staff_user,
)
from privacy.services.erasure import ErasurePreview
from requests_app import timeline
from requests_app.models import (
    OPEN_STATUSES,
    PrivacyRequest,
    RequestType,
    ScheduledErasure,
    Status,
)
from requests_app.selectors import contacts_in_scope
from requests_app.services.decisions import privacy_request_auto_complete
from requests_app.services.notices import notice_send
from requests_app.services.transitions import (
    privacy_request_lock,
    scheduled_erasures_transition,
)


def _contacts_to_erase(request: PrivacyRequest) -> list:
    """The contacts a deletion request erases (in scope, not erased yet), or why it
    erases none now: the one rule for scheduling an erasure and for running it now."""
    if request.request_type != RequestType.DELETION:
        raise ValidationError("Only deletion requests erase data.")
    if request.status not in (Status.IN_PROGRESS, Status.RELAYED):
        raise ValidationError(
            "Erasure can be scheduled or run only while the request is in progress."
        )
    contacts = [c for c in contacts_in_scope(request) if not c.erased_at]
    if not contacts:
        raise ValidationError("No contact in scope to erase (unanswered relays are not in scope).")
    return contacts


def _erasures_schedule(
    request: PrivacyRequest, contacts: list, *, run_at: dt.datetime, actor: AbstractBaseUser | None
) -> list[ScheduledErasure]:
    """One erasure per contact, scheduled for ``run_at``: a new row starts "scheduled";
    one scheduled already is moved to ``run_at``; one blocked or cancelled before is
    scheduled again (through the state field's one transition service)."""
    schedule = {"scheduled_for": run_at, "scheduled_by": staff_user(actor), "blocked_reason": ""}
    erasures = []
    for contact in contacts:
        erasure, created = ScheduledErasure.objects.get_or_create(
            request=request, contact=contact, defaults=schedule
        )
        if not created:
            rows = ScheduledErasure.objects.filter(pk=erasure.pk)
            if erasure.state == ScheduledErasure.State.SCHEDULED:
                rows.update(**schedule)
            else:
                scheduled_erasures_transition(
                    rows,
                    from_state=erasure.state,
                    to_state=ScheduledErasure.State.SCHEDULED,
                    **schedule,
                )
            erasure.refresh_from_db()
        erasures.append(erasure)
    return erasures


@transaction.atomic
def erasure_schedule(
    *, actor: AbstractBaseUser | None, request: PrivacyRequest, now: dt.datetime | None = None
) -> list[ScheduledErasure]:
    """Schedule the erasure of every contact in scope after the grace period. Refused,
    with the hold's reason, while a legal hold applies."""
    now = now or timezone.now()
    request = privacy_request_lock(request)
    contacts = _contacts_to_erase(request)
    previews = []
    for contact in contacts:
        preview = erasure_preview(contact=contact)
        if preview.blocked_by:
            raise ValidationError(f"Contact #{contact.pk} cannot be erased. {preview.blocked_by}.")
        previews.append(preview)
    run_at = now + dt.timedelta(days=settings.REQUESTS_ERASURE_GRACE_DAYS)
    scheduled = _erasures_schedule(request, contacts, run_at=run_at, actor=actor)
    timeline.erasure_scheduled(request=request, actor=actor, contacts=len(contacts), run_at=run_at)
    # Before the deletion runs, the person is told what will go and what stays, in words
    # (one policy promises it to Californians; everyone gets it), while it can still be
    # stopped: the grace period is ahead.
    erased, kept = erasure_plan_in_words(previews)
    notice_send(
        request=request,
        code="deletion_confirmation",
        actor=actor,
        extra={"run_on": timezone.localdate(run_at).isoformat(), "erased": erased, "kept": kept},
        public_message=f"We told you what will be erased on {run_at:%Y-%m-%d} and what we must keep.",
    )
    return scheduled


def erasure_plan_in_words(previews: list[ErasurePreview]) -> tuple[list[str], list[str]]:
    """What the erasures will remove and keep, as sentences for the person: one line per
    kind of data (the providers' own labels), counts added up over the person's records;
    one line per kind of record kept, with the reason."""
    labels = {provider.key: provider.label for provider in registry.providers()}
    erased: dict[str, dict[str, int]] = {}
    kept: dict[tuple[str, str], int] = {}
    for preview in previews:
        for provider_key, tables in preview.erased.items():
            totals = erased.setdefault(provider_key, {})
            for table, count in tables.items():
                totals[table] = totals.get(table, 0) + count
        for record in preview.kept:
            kept[(record.table, record.reason)] = (
                kept.get((record.table, record.reason), 0) + record.count
            )
    erased_lines = []
    for provider_key, tables in erased.items():
        parts = [f"{count} {table.replace('_', ' ')}" for table, count in tables.items() if count]
        if parts:
            erased_lines.append(f"{labels.get(provider_key, provider_key)}: {', '.join(parts)}")
    kept_lines = [f"{table} ({count}): {reason}" for (table, reason), count in kept.items()]
    return erased_lines, kept_lines


@transaction.atomic
def erasure_cancel(*, actor: AbstractBaseUser | None, erasure: ScheduledErasure) -> bool:
    updated = scheduled_erasures_transition(
        ScheduledErasure.objects.filter(pk=erasure.pk),
        from_state=ScheduledErasure.State.SCHEDULED,
        to_state=ScheduledErasure.State.CANCELLED,
    )
    if updated:
        timeline.erasure_cancelled(
            request=erasure.request, actor=actor, contact_id=erasure.contact_id
        )
    return bool(updated)


#: What scheduled_erasure_run returns for an erasure that waits for another request.
DEFERRED = "deferred"


def scheduled_erasure_run(
    *,
    erasure_id: int,
    now: dt.datetime | None = None,
    actor: AbstractBaseUser | None = None,
) -> str:
    """Run one due scheduled erasure in its own transaction; returns its new state, or
    ``DEFERRED`` when it stays scheduled because the person has another open request
    (retried on the next run; the timeline says what it waits for, once per reason).
    ``actor``: the staff member who ran it now (``erasure_run_now``); None for the
    nightly job. The certificate names them."""
    now = now or timezone.now()
    with transaction.atomic():
        erasure = (
            ScheduledErasure.objects.select_for_update()
            .select_related("request", "contact")
            .filter(pk=erasure_id, state=ScheduledErasure.State.SCHEDULED, scheduled_for__lte=now)
            .first()
        )
        if erasure is None:
            return "skipped"
        request = erasure.request
        this_one = ScheduledErasure.objects.filter(pk=erasure.pk)
        scheduled = ScheduledErasure.State.SCHEDULED
        if request.status not in OPEN_STATUSES:
            scheduled_erasures_transition(
                this_one, from_state=scheduled, to_state=ScheduledErasure.State.CANCELLED
            )
            return ScheduledErasure.State.CANCELLED
        try:
            with transaction.atomic():
                certificate = contact_erase(
                    actor=actor,
                    contact=erasure.contact,
                    trigger=ErasureCertificate.Trigger.REQUEST,
                    reference=request.reference,
                )
        except ErasureDeferred as exc:
            # It stays scheduled (no state move); what it waits for is kept on the row,
            # so staff see it on the timeline once, not every night it still waits.
            waiting = f"Waiting for {exc.reason} to be answered; the erasure is retried nightly."
            if erasure.blocked_reason != waiting[:300]:
                this_one.update(blocked_reason=waiting[:300])
                timeline.erasure_deferred(
                    request=request, contact_id=erasure.contact_id, waiting=waiting
                )
            return DEFERRED
        except ErasureRefused as exc:
            reason = exc.messages[0][:300]
            scheduled_erasures_transition(
                this_one,
                from_state=scheduled,
                to_state=ScheduledErasure.State.BLOCKED,
                blocked_reason=reason,
            )
            timeline.erasure_blocked(
                request=request, actor=actor, contact_id=erasure.contact_id, reason=reason
            )
            return ScheduledErasure.State.BLOCKED
        except ValidationError:
            # Erased meanwhile (e.g. by retention): its certificate is the proof.
            certificate = ErasureCertificate.objects.filter(contact=erasure.contact).first()
        scheduled_erasures_transition(
            this_one,
            from_state=scheduled,
            to_state=ScheduledErasure.State.DONE,
            certificate=certificate,
            done_at=now,
        )
        timeline.erasure_done(
            request=request,
            actor=actor,
            contact_id=erasure.contact_id,
            certificate_id=certificate.pk if certificate else None,
        )
        privacy_request_auto_complete(request=privacy_request_lock(request), actor=actor)
        return ScheduledErasure.State.DONE


class RunNowReason(models.TextChoices):
    """Why an officer skipped the grace period (the code goes to the audit trail; the
    officer's note stays on the staff-only timeline)."""

    PERSON_ASKED = "person_asked", "The person asked for it to be done at once"
    CONFIRMED = "confirmed", "The person confirmed; no reason to wait"
    AUTHORITY = "authority", "A regulator or a court required it"
    MINOR = "minor", "Data of a minor: erased promptly"
    OTHER = "other", "Another reason (explained in the note)"


@dataclass
class RunNowResult:
    done: int
    blocked: list[str]
    completed: bool
    #: Erasures left scheduled: the person has another open request, answered first.
    deferred: list[str] = field(default_factory=list)


@transaction.atomic
def erasure_run_now(
    *,
    actor: AbstractBaseUser | None,
    request: PrivacyRequest,
    reason: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> RunNowResult:
    """Erase every contact in scope of a deletion request now, skipping the grace period:
    erasures already scheduled are brought forward, missing ones are created. The reason
    (a code) is in the audit row, the note on the staff timeline; each certificate names
    ``actor``. A contact under a legal hold is not erased (its erasure is *blocked*, with
    the hold's reason), nor one whose person has another open request (it stays
    scheduled and the nightly job runs it once that request is answered); the request
    completes by itself once every erasure is done."""
    now = now or timezone.now()
    note = (note or "").strip()
    if reason not in RunNowReason.values:
        raise ValidationError("Say why the grace period is skipped.")
    if reason == RunNowReason.OTHER and not note:
        raise ValidationError("Explain the reason in the note.")
    request = privacy_request_lock(request)
    contacts = _contacts_to_erase(request)
    # Erasures already scheduled are brought forward to now, missing ones created.
    erasures = _erasures_schedule(request, contacts, run_at=now, actor=actor)
    timeline.erasure_run_now(
        request=request,
        actor=actor,
        contacts=len(contacts),
        reason=reason,
        reason_label=RunNowReason(reason).label,
        note=note,
        grace_days=settings.REQUESTS_ERASURE_GRACE_DAYS,
    )
    done, blocked, deferred = 0, [], []
    for erasure in erasures:
        state = scheduled_erasure_run(erasure_id=erasure.pk, now=now, actor=actor)
        if state == ScheduledErasure.State.DONE:
            done += 1
        elif state == ScheduledErasure.State.BLOCKED:
            erasure.refresh_from_db(fields=["blocked_reason"])
            blocked.append(f"contact #{erasure.contact_id}: {erasure.blocked_reason}")
        elif state == DEFERRED:
            erasure.refresh_from_db(fields=["blocked_reason"])
            deferred.append(f"contact #{erasure.contact_id}: {erasure.blocked_reason}")
    request.refresh_from_db()
    return RunNowResult(
        done=done,
        blocked=blocked,
        completed=request.status == Status.COMPLETED,
        deferred=deferred,
    )
