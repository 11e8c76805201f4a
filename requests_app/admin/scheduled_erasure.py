"""Scheduled erasures of deletion requests: read-only, cancellable until they run."""

from __future__ import annotations

from django.contrib import admin

from privacy.admin_kit import ScalableChangelistMixin, run_action
from requests_app import services
from requests_app.models import ScheduledErasure


@admin.register(ScheduledErasure)
class ScheduledErasureAdmin(ScalableChangelistMixin, admin.ModelAdmin):
    list_display = ("request", "contact", "state", "scheduled_for", "certificate", "done_at")
    list_filter = ("state",)
    search_fields = ("=request__reference",)
    list_select_related = ("request",)
    raw_id_fields = ("contact", "certificate")
    readonly_fields = (
        "request",
        "contact",
        "state",
        "scheduled_for",
        "scheduled_by",
        "blocked_reason",
        "certificate",
        "done_at",
    )
    actions = ("cancel",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_process_permission(self, request):
        return request.user.has_perm("requests_app.process_privacyrequest")

    @admin.action(description="Cancel the scheduled erasure", permissions=["process"])
    def cancel(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            title="Cancel the scheduled erasure",
            apply=lambda erasure, data: services.erasure_cancel(
                actor=request.user, erasure=erasure
            ),
            done_message=lambda cancelled: f"{cancelled} scheduled erasure(s) cancelled.",
        )
