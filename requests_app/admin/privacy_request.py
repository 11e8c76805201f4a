"""The request queue: deadline badges, filters, search by reference / e-mail / phone, the
request page with its read-only sections, and the actions (each a thin call to a service
through ``run_action``; none writes status itself)."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from privacy.admin_kit import ScalableChangelistMixin, run_action
from privacy.identifiers import search_keys
from requests_app import selectors, services
from requests_app.admin.forms import (
    CompleteForm,
    DenyForm,
    ExtendForm,
    NoteForm,
    VerifyForm,
)
from requests_app.admin.inlines import (
    ErasureInline,
    MatchInline,
    PackageInline,
    RelayInline,
    RequestEventInline,
)
from requests_app.admin.request_tools import PrivacyRequestToolsMixin
from requests_app.models import OPEN_Q, PrivacyRequest, RequestType


class DeadlineFilter(admin.SimpleListFilter):
    title = "deadline"
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("week", "Due this week (7 days)")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "overdue":
            return queryset.filter(OPEN_Q, deadline_on__lt=today)
        if self.value() == "week":
            return queryset.filter(
                OPEN_Q, deadline_on__gte=today, deadline_on__lte=today + dt.timedelta(days=7)
            )
        return queryset


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(PrivacyRequestToolsMixin, ScalableChangelistMixin, admin.ModelAdmin):
    change_list_template = "requests_app/admin/change_list.html"
    list_display = (
        "reference",
        "request_type",
        "status",
        "rule_code",
        "customer",
        "assignee",
        "received_at",
        "days_left",
        "over_limit",
    )
    list_filter = (
        "status",
        "request_type",
        "rule_code",
        DeadlineFilter,
        ("customer", admin.RelatedOnlyFieldListFilter),
        ("assignee", admin.RelatedOnlyFieldListFilter),
        "over_limit",
    )
    search_fields = ("=reference",)
    search_help_text = "Reference, e-mail address or phone number (any format)."
    list_select_related = ("customer", "assignee")
    ordering = ("deadline_on", "id")
    inlines = (MatchInline, RelayInline, PackageInline, ErasureInline, RequestEventInline)
    actions = (
        "assign_to_me",
        "verify_manually",
        "extend_deadline",
        "schedule_erasure",
        "complete_requests",
        "deny_requests",
        "withdraw_requests",
    )
    readonly_fields = (
        "reference",
        "request_type",
        "status",
        "rule_summary",
        "channel",
        "country",
        "state",
        "customer",
        "full_name",
        "email",
        "phone",
        "details",
        "is_agent_request",
        "agent_name",
        "agent_email",
        "agent_proof_present",
        "assignee",
        "received_at",
        "due_on",
        "extended_due_on",
        "extension_reason",
        "days_left",
        "acknowledge_by",
        "acknowledged_at",
        "verification_expires_at",
        "verified_at",
        "verification_method",
        "closed_at",
        "over_limit",
        "fee_estimate",
        "fee_estimate_sent_at",
        "fee",
        "denial_reason",
        "duplicate_count",
        "parent",
        "created_by",
        "erasure_preview_display",
        "audit_trail",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "request_type",
                    "status",
                    "rule_summary",
                    "channel",
                    "customer",
                    "assignee",
                    "parent",
                )
            },
        ),
        (
            "Deadlines",
            {
                "fields": (
                    "received_at",
                    "due_on",
                    "extended_due_on",
                    "extension_reason",
                    "days_left",
                    "acknowledge_by",
                    "acknowledged_at",
                    "closed_at",
                )
            },
        ),
        (
            "Person",
            {"fields": ("full_name", "email", "phone", "country", "state", "details")},
        ),
        (
            "Authorised agent",
            {
                "classes": ("collapse",),
                "fields": ("is_agent_request", "agent_name", "agent_email", "agent_proof_present"),
            },
        ),
        (
            "Verification, limits and fees",
            {
                "fields": (
                    "verification_expires_at",
                    "verified_at",
                    "verification_method",
                    "over_limit",
                    "duplicate_count",
                    "fee_estimate",
                    "fee_estimate_sent_at",
                    "fee",
                    "denial_reason",
                    "created_by",
                )
            },
        ),
        ("Deletion: what will go and what is kept", {"fields": ("erasure_preview_display",)}),
        ("Audit trail", {"classes": ("collapse",), "fields": ("audit_trail",)}),
    )

    # Permissions used by the actions.
    def has_process_permission(self, request):
        return request.user.has_perm("requests_app.process_privacyrequest")

    def has_deny_permission(self, request):
        return request.user.has_perm("requests_app.deny_privacyrequest")

    def has_change_permission(self, request, obj=None):
        # Nothing is edited in the form; changes go through the actions.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # Search: reference, or an e-mail / phone normalised the way it is stored.
    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        keys = search_keys(term)
        if keys:
            kind, key = keys[0]
            field = "email_key" if kind == "email" else "phone"
            return queryset.filter(**{field: key}), False
        return super().get_search_results(request, queryset, term.upper())

    @admin.display(description="Days left", ordering="deadline_on")
    def days_left(self, obj: PrivacyRequest):
        if not obj.is_open:
            return "—"
        days = obj.days_left()
        if days < 0:
            color, text = "#a4161a", f"{-days} overdue"
        elif days <= 7:
            color, text = "#b45309", f"{days} left"
        else:
            color, text = "#2b7a0b", f"{days} left"
        return format_html(
            '<span style="background:{};color:#fff;padding:2px 8px;border-radius:10px;'
            'white-space:nowrap">{}</span>',
            color,
            text,
        )

    @admin.display(description="Jurisdiction rule")
    def rule_summary(self, obj: PrivacyRequest):
        rule = obj.rule
        promise = f" (our promise: {rule.promise})" if rule.promise else ""
        return format_html(
            '{} — respond within {}{}; <a href="{}">rule table</a>',
            rule.name,
            rule.respond,
            promise,
            reverse("admin:requests_app_privacyrequest_rules"),
        )

    @admin.display(description="Signed permission on file", boolean=True)
    def agent_proof_present(self, obj: PrivacyRequest):
        return bool(obj.agent_proof)

    @admin.display(description="Erasure preview")
    def erasure_preview_display(self, obj: PrivacyRequest):
        if obj.request_type != RequestType.DELETION or not obj.pk:
            return "—"
        rows = []
        for contact, preview in selectors.erasure_previews(obj):
            erased = ", ".join(
                f"{provider}: {sum(counts.values())}" for provider, counts in preview.erased.items()
            )
            kept = "; ".join(f"{k.table} ({k.count}): {k.reason}" for k in preview.kept)
            blocked = f" BLOCKED — {preview.blocked_by}" if preview.blocked_by else ""
            rows.append((contact.pk, erased, kept, blocked))
        if not rows:
            return "No contact in scope yet (matching runs after verification; relays must answer)."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "", "<li>Contact #{}: erased {} — kept {}<strong>{}</strong></li>", rows
            ),
        )

    @admin.display(description="Audit trail")
    def audit_trail(self, obj: PrivacyRequest):
        from privacy.models import AuditEvent

        events = AuditEvent.objects.filter(object_type="privacy_request", object_id=str(obj.pk))[
            :50
        ]
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} {} by user #{}</li>",
                ((e.occurred_at, e.action, e.actor_id or "system") for e in events),
            ),
        )

    # --- Actions (each a thin call to a service) ---

    @admin.action(description="Assign to me", permissions=["process"])
    def assign_to_me(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            title="Assign to me",
            apply=lambda obj, data: services.privacy_request_assign(
                actor=request.user, request=obj, assignee=request.user
            ),
            done_message=lambda assigned: f"{assigned} request(s) assigned to you.",
        )

    @admin.action(description="Verify identity manually", permissions=["process"])
    def verify_manually(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            form_class=VerifyForm,
            title="Verify identity manually",
            apply=lambda obj, data: services.privacy_request_verify_manually(
                actor=request.user, request=obj, method=data["method"]
            ),
        )

    @admin.action(description="Extend the deadline (sends notice)", permissions=["process"])
    def extend_deadline(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            form_class=ExtendForm,
            title="Extend the deadline",
            intro="Allowed once per request, before the original deadline. The reason is sent to the person.",
            apply=lambda obj, data: services.privacy_request_extend(
                actor=request.user, request=obj, reason=data["reason"]
            ),
        )

    @admin.action(description="Schedule erasure (deletion requests)", permissions=["process"])
    def schedule_erasure(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            confirm=True,
            title="Schedule erasure after the grace period",
            intro="Review what will be erased and what is kept. The erasure runs in the nightly job after the grace period and can be cancelled until then.",
            template="admin/requests_app/privacyrequest/schedule_erasure.html",
            extra=lambda: {
                "previews": [
                    (obj, selectors.erasure_previews(obj))
                    for obj in queryset
                    if obj.request_type == RequestType.DELETION
                ]
            },
            apply=lambda obj, data: services.erasure_schedule(actor=request.user, request=obj),
        )

    @admin.action(description="Complete (sends notice)", permissions=["process"])
    def complete_requests(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            form_class=CompleteForm,
            title="Complete",
            apply=lambda obj, data: services.privacy_request_complete(
                actor=request.user, request=obj, message=data["message"]
            ),
        )

    @admin.action(description="Deny (sends notice with appeal instructions)", permissions=["deny"])
    def deny_requests(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            form_class=DenyForm,
            title="Deny",
            apply=lambda obj, data: services.privacy_request_deny(
                actor=request.user,
                request=obj,
                reason=data["reason"],
                explanation=data["explanation"],
            ),
        )

    @admin.action(description="Mark withdrawn", permissions=["process"])
    def withdraw_requests(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            form_class=NoteForm,
            title="Mark withdrawn",
            intro="The person withdrew these requests. Scheduled erasures are cancelled.",
            apply=lambda obj, data: services.privacy_request_withdraw(
                actor=request.user, request=obj, note=data["note"]
            ),
        )
