"""The read-only sections under a privacy request: matched contacts, relays, export
packages, erasures (with their certificates) and the timeline."""

from __future__ import annotations

from privacy.admin_kit import ReadOnlyInline
from requests_app.models import ExportPackage, Relay, RequestEvent, RequestMatch, ScheduledErasure


class RequestEventInline(ReadOnlyInline):
    model = RequestEvent
    verbose_name_plural = "Timeline"
    fields = ("occurred_at", "kind", "from_status", "to_status", "actor", "note", "person_facing")
    readonly_fields = fields
    related = ("actor",)


class MatchInline(ReadOnlyInline):
    model = RequestMatch
    verbose_name_plural = "Matched contacts"
    fields = ("contact", "customer", "matched_on", "created_at")
    readonly_fields = fields
    related = ("contact", "customer")


class RelayInline(ReadOnlyInline):
    model = Relay
    fields = ("customer", "sent_at", "answer", "answer_note", "answered_at", "answered_by")
    readonly_fields = fields
    related = ("customer", "answered_by")


class PackageInline(ReadOnlyInline):
    model = ExportPackage
    fields = ("contact", "state", "size_bytes", "ready_at", "expires_at", "download_count")
    readonly_fields = fields
    related = ("contact",)


class ErasureInline(ReadOnlyInline):
    model = ScheduledErasure
    verbose_name_plural = "Erasures (with certificates)"
    fields = ("contact", "state", "scheduled_for", "blocked_reason", "certificate", "done_at")
    readonly_fields = fields
    related = ("contact", "certificate")
