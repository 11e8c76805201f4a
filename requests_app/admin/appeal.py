"""Appeals: read-only links between a denied request and its appeal."""

from __future__ import annotations

from django.contrib import admin

from requests_app.models import Appeal


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ("original", "appeal_request", "submitted_at")
    list_select_related = ("original", "appeal_request")
    readonly_fields = ("original", "appeal_request", "statement", "submitted_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
