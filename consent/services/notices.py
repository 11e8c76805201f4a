"""Notices: the exact words shown when consent is asked. A draft may change; a
published version never does (a change is a new version). Publishing a version marked
as a material change tells the people who consented under an earlier one
(``consent.services.notice_changes``)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from consent.models import Notice
from privacy.audit_actions import AuditAction
from privacy.services import audit_event_record, staff_user, task_enqueue


def notice_text_hash(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@transaction.atomic
def notice_draft_save(
    *,
    actor: AbstractBaseUser | None,
    notice: Notice,
) -> Notice:
    """Save a draft notice (new or changed); published ones are refused."""
    if notice.pk and Notice.objects.filter(pk=notice.pk, published_at__isnull=False).exists():
        raise ValidationError("A published notice never changes: create a new version.")
    if not notice.pk and not notice.version:
        latest = Notice.objects.filter(purpose=notice.purpose).aggregate(v=Max("version"))["v"]
        notice.version = (latest or 0) + 1
    notice.text_sha256 = notice_text_hash(notice.text)
    notice.published_at = None
    if not notice.pk:
        notice.created_by = staff_user(actor)
    notice.save()
    audit_event_record(
        actor=actor,
        action=AuditAction.CONSENT_NOTICE_SAVED,
        object_type="notice",
        object_id=notice.pk,
        summary={"purpose_id": notice.purpose_id, "version": notice.version},
    )
    return notice


@transaction.atomic
def notice_publish(*, actor: AbstractBaseUser | None, notice: Notice) -> bool:
    """Publish a draft: from now on it never changes. False if already published."""
    now = timezone.now()
    text = Notice.objects.filter(pk=notice.pk).values_list("text", flat=True).first()
    updated = Notice.objects.filter(pk=notice.pk, published_at__isnull=True).update(
        published_at=now, text_sha256=notice_text_hash(text or "")
    )
    if updated:
        material = Notice.objects.filter(pk=notice.pk, is_material_change=True).exists()
        audit_event_record(
            actor=actor,
            action=AuditAction.CONSENT_NOTICE_PUBLISHED,
            object_type="notice",
            object_id=notice.pk,
            summary={
                "purpose_id": notice.purpose_id,
                "version": notice.version,
                "material_change": material,
            },
        )
        if material:
            # The people who consented under an earlier version are told (and, after the
            # grace period, asked again): queued through privacy's outbox, so a broker
            # outage delays it by a minute once the broker is back (the nightly run
            # catches anything else).
            task_enqueue(task="consent.tasks.material_notice_change_notify", args=[notice.pk])
    return bool(updated)


@transaction.atomic
def notice_new_version(*, actor: AbstractBaseUser | None, notice: Notice) -> Notice:
    """A new draft version of a notice, starting from its text."""
    draft = Notice(
        purpose=notice.purpose, kind=notice.kind, language=notice.language, text=notice.text
    )
    return notice_draft_save(actor=actor, notice=draft)
