"""The read-only sections under a privacy request: matched contacts, relays, export
packages (with the officer's check), erasures (with their certificates) and the
timeline — staff by name, times to the minute in the reader's time zone."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from privacy.admin_kit import ReadOnlyInline
from privacy.display import staff_name, staff_time
from requests_app.models import (
    ExportPackage,
    NoticeDelivery,
    PackageTransfer,
    PostMortemInstructions,
    Relay,
    RequestEvent,
    RequestMatch,
    ScheduledErasure,
    Status,
)

_STATUS_LABELS = dict(Status.choices)


class RequestEventInline(ReadOnlyInline):
    model = RequestEvent
    verbose_name_plural = "Timeline"
    fields = ("when", "kind", "change", "by", "note", "person_facing")
    readonly_fields = fields
    related = ("actor",)

    @admin.display(description="When")
    def when(self, obj):
        return staff_time(obj.occurred_at)

    @admin.display(description="Status")
    def change(self, obj):
        if not obj.to_status:
            return ""
        if not obj.from_status:
            return _STATUS_LABELS.get(obj.to_status, obj.to_status)
        return f"{_STATUS_LABELS.get(obj.from_status, obj.from_status)} → {_STATUS_LABELS.get(obj.to_status, obj.to_status)}"

    @admin.display(description="By")
    def by(self, obj):
        return staff_name(obj.actor, system="the system")


class NoticeDeliveryInline(ReadOnlyInline):
    """Each notice queued for sending: its channel, whether and when it left, the
    attempts and the last error's type (never the address or text)."""

    model = NoticeDelivery
    verbose_name_plural = "Notices sent and queued"
    fields = ("code", "channel", "queued", "sent", "given_up", "attempts", "last_error")
    readonly_fields = fields

    @admin.display(description="Queued")
    def queued(self, obj):
        return staff_time(obj.queued_at)

    @admin.display(description="Sent")
    def sent(self, obj):
        return staff_time(obj.sent_at) if obj.sent_at else "not yet"

    @admin.display(description="Given up")
    def given_up(self, obj):
        return staff_time(obj.given_up_at) if obj.given_up_at else ""


class MatchInline(ReadOnlyInline):
    model = RequestMatch
    verbose_name_plural = "Matched contacts"
    fields = ("contact", "customer", "matched_on", "created_at")
    readonly_fields = fields
    related = ("contact", "customer")


class RelayInline(ReadOnlyInline):
    model = Relay
    fields = ("customer", "sent", "answer", "answer_note", "answered", "answered_by_name")
    readonly_fields = fields
    related = ("customer", "answered_by")

    @admin.display(description="Sent")
    def sent(self, obj):
        return staff_time(obj.sent_at)

    @admin.display(description="Answered")
    def answered(self, obj):
        return staff_time(obj.answered_at, empty="waiting")

    @admin.display(description="Recorded by")
    def answered_by_name(self, obj):
        return staff_name(obj.answered_by, system="—") if obj.answered_at else "—"


class PackageInline(ReadOnlyInline):
    model = ExportPackage
    fields = ("contact", "state", "size_bytes", "ready", "expires", "download_count", "check_link")
    readonly_fields = fields
    related = ("contact",)

    @admin.display(description="Ready")
    def ready(self, obj):
        return staff_time(obj.ready_at, empty="building")

    @admin.display(description="Link works until")
    def expires(self, obj):
        return staff_time(obj.expires_at)

    @admin.display(description="Check it")
    def check_link(self, obj):
        if obj.state != ExportPackage.State.READY:
            return "—"
        url = reverse("admin:requests_app_privacyrequest_package", args=[obj.request_id, obj.pk])
        return format_html('<a href="{}">Look at the package</a>', url)


class ErasureInline(ReadOnlyInline):
    model = ScheduledErasure
    verbose_name_plural = "Erasures (with certificates)"
    fields = (
        "contact",
        "state",
        "runs",
        "scheduled_by_name",
        "blocked_reason",
        "certificate_link",
        "done",
    )
    readonly_fields = fields
    related = ("contact", "certificate", "scheduled_by")

    @admin.display(description="Runs after")
    def runs(self, obj):
        return staff_time(obj.scheduled_for)

    @admin.display(description="Scheduled by")
    def scheduled_by_name(self, obj):
        return staff_name(obj.scheduled_by)

    @admin.display(description="Done")
    def done(self, obj):
        return staff_time(obj.done_at, empty="not yet")

    @admin.display(description="Certificate")
    def certificate_link(self, obj):
        if not obj.certificate_id:
            return "—"
        url = reverse("admin:privacy_erasurecertificate_change", args=[obj.certificate_id])
        return format_html('<a href="{}">Erasure certificate #{}</a>', url, obj.certificate_id)


class PackageTransferInline(ReadOnlyInline):
    model = PackageTransfer
    verbose_name_plural = "Transfers to another organisation"
    fields = (
        "package",
        "recipient_name",
        "state",
        "created_at",
        "confirmed_at",
        "download_expires_at",
        "download_count",
    )
    readonly_fields = fields
    related = ("package",)


class PostMortemInline(ReadOnlyInline):
    model = PostMortemInstructions
    verbose_name_plural = "Instructions after death (France, art. 85)"
    fields = (
        "wishes",
        "trusted_person_name",
        "trusted_person_contact",
        "acknowledged_at",
        "acknowledged_by",
        "superseded_at",
    )
    readonly_fields = fields
    related = ("acknowledged_by",)
