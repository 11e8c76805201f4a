"""The nightly jobs: deadline digest, expiry of unverified requests, scheduled erasures,
purge of expired export packages, pruning of the request log. Each is idempotent, walks
by primary key in bounded batches (one transaction per batch) and returns counts."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from privacy.audit_actions import AuditAction
from privacy.roles import PRIVACY_OFFICER
from privacy.selectors import ids_in_batches
from privacy.services import audit_event_record
from requests_app.deadlines import add_months
from requests_app.models import (
    CLOSED_STATUSES,
    DigestSent,
    ExportPackage,
    PrivacyRequest,
    ScheduledErasure,
    Status,
)
from requests_app.selectors import (
    privacy_requests_ack_owed,
    privacy_requests_due_soon,
)
from requests_app.services.deidentify import export_packages_delete
from requests_app.services.erasure import scheduled_erasure_run
from requests_app.services.notices import notice_render, notice_send
from requests_app.services.transitions import InvalidTransition, privacy_request_transition

logger = logging.getLogger(__name__)


def _batch_size(batch_size: int | None) -> int:
    return batch_size or settings.REQUESTS_JOB_BATCH_SIZE


def _job_audit(action: AuditAction, counts: dict) -> None:
    audit_event_record(actor=None, action=action, object_type="job", summary=counts)


def digest_recipients() -> list[str]:
    if settings.REQUESTS_DIGEST_RECIPIENTS:
        return list(settings.REQUESTS_DIGEST_RECIPIENTS)
    return sorted(
        get_user_model()
        .objects.filter(groups__name=PRIVACY_OFFICER, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


def deadline_digest_send(*, today: dt.date | None = None) -> dict:
    """Send the day's digest once (a second run the same day sends nothing). Runs in a
    Celery task: the mail is sent here, bounded by ``EMAIL_TIMEOUT``; when it fails the
    error is raised for the task to retry, and the day is not marked sent."""
    today = today or timezone.localdate()
    due = privacy_requests_due_soon(today=today, within_days=7)
    context = {
        "today": today,
        "overdue": [r for r in due if r["deadline_on"] < today],
        "due_2": [r for r in due if today <= r["deadline_on"] <= today + dt.timedelta(days=2)],
        "due_7": [r for r in due if today + dt.timedelta(days=2) < r["deadline_on"]],
        "ack_owed": privacy_requests_ack_owed(today=today),
    }
    counts = {key: len(value) for key, value in context.items() if key != "today"}
    recipients = digest_recipients()
    # The day is claimed first (committed), so two runs never both send it.
    with transaction.atomic():
        try:
            with transaction.atomic():
                DigestSent.objects.create(day=today, counts=counts)
        except IntegrityError:
            return {**counts, "sent": False}
    if recipients:
        subject, body = notice_render("deadline_digest", context)
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
        except Exception as exc:
            # Not sent: the day is given back, so the task's retry (or the next run)
            # sends it; it is never recorded as sent when it was not.
            DigestSent.objects.filter(day=today).delete()
            logger.error("Deadline digest of %s not sent: %s", today, type(exc).__name__)
            raise
    with transaction.atomic():
        _job_audit(
            AuditAction.REQUESTS_JOB_DEADLINE_DIGEST, {**counts, "recipients": len(recipients)}
        )
    return {**counts, "sent": bool(recipients)}


def unverified_requests_expire(
    *, now: dt.datetime | None = None, batch_size: int | None = None
) -> dict:
    """Close requests not verified within the window, with a closing notice."""
    now = now or timezone.now()
    queryset = PrivacyRequest.objects.filter(
        status=Status.AWAITING_VERIFICATION, verification_expires_at__lte=now
    )
    expired = 0
    for batch in ids_in_batches(queryset, batch_size=_batch_size(batch_size)):
        with transaction.atomic():
            for request in PrivacyRequest.objects.select_for_update().filter(
                pk__in=batch, status=Status.AWAITING_VERIFICATION
            ):
                try:
                    privacy_request_transition(
                        actor=None, request=request, to_status=Status.EXPIRED
                    )
                except InvalidTransition:
                    continue
                notice_send(request=request, code="closing_unverified")
                expired += 1
    counts = {"expired": expired}
    if expired:
        _job_audit(AuditAction.REQUESTS_JOB_UNVERIFIED_EXPIRED, counts)
    return counts


def scheduled_erasures_run(
    *, now: dt.datetime | None = None, batch_size: int | None = None
) -> dict:
    """Run every erasure whose grace period is over (each in its own transaction).
    Counts by outcome: done, blocked (a legal hold), deferred (the person has another
    open request: retried on the next run), cancelled, skipped."""
    now = now or timezone.now()
    queryset = ScheduledErasure.objects.filter(
        state=ScheduledErasure.State.SCHEDULED, scheduled_for__lte=now
    )
    results: dict[str, int] = {}
    for batch in ids_in_batches(queryset, batch_size=_batch_size(batch_size)):
        for erasure_id in batch:
            state = scheduled_erasure_run(erasure_id=erasure_id, now=now)
            results[state] = results.get(state, 0) + 1
    if results:
        _job_audit(AuditAction.REQUESTS_JOB_SCHEDULED_ERASURES, results)
        logger.info("Scheduled erasures %s", results)
    return results


def export_packages_purge(*, now: dt.datetime | None = None, batch_size: int | None = None) -> dict:
    """Delete expired packages' files; the row stays (state "purged") as the record."""
    now = now or timezone.now()
    queryset = ExportPackage.objects.filter(state=ExportPackage.State.READY, expires_at__lte=now)
    purged = 0
    for batch in ids_in_batches(queryset, batch_size=_batch_size(batch_size)):
        with transaction.atomic():
            purged += export_packages_delete(package_ids=batch, now=now)
    counts = {"purged": purged}
    if purged:
        _job_audit(AuditAction.REQUESTS_JOB_PACKAGES_PURGED, counts)
    return counts


def request_log_prune(*, now: dt.datetime | None = None, batch_size: int | None = None) -> dict:
    """Delete closed requests (with their timeline and files) once the request log's
    retention (24 months, 11 CCR §7101) is over."""
    now = now or timezone.now()
    months = settings.REQUESTS_LOG_RETENTION_MONTHS
    cutoff_day = add_months(timezone.localdate(now), -months)
    cutoff = timezone.make_aware(dt.datetime.combine(cutoff_day, dt.time.min))
    queryset = PrivacyRequest.objects.filter(
        status__in=[s.value for s in CLOSED_STATUSES], closed_at__lt=cutoff
    )
    pruned = 0
    for batch in ids_in_batches(queryset, batch_size=_batch_size(batch_size)):
        with transaction.atomic():
            files = []
            for request in PrivacyRequest.objects.filter(pk__in=batch):
                if request.agent_proof:
                    files.append((request.agent_proof.storage, request.agent_proof.name))
            for package in ExportPackage.objects.filter(request_id__in=batch).exclude(file=""):
                files.append((package.file.storage, package.file.name))
            PrivacyRequest.objects.filter(parent_id__in=batch).update(parent=None)
            deleted = (
                PrivacyRequest.objects.filter(pk__in=batch)
                .delete()[1]
                .get("requests_app.PrivacyRequest", 0)
            )
            pruned += deleted
            transaction.on_commit(lambda f=files: [s.delete(n) for s, n in f])
    counts = {"pruned": pruned, "months": months}
    if pruned:
        _job_audit(AuditAction.REQUESTS_JOB_REQUEST_LOG_PRUNED, counts)
    return counts
