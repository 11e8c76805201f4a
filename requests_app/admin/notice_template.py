"""The notice templates staff may edit (codes are fixed)."""

from __future__ import annotations

from django.contrib import admin

from requests_app.models import NoticeTemplate


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "subject", "updated_at")
    search_fields = ("code", "subject")
    readonly_fields = ("code", "description", "updated_at")
    fields = ("code", "description", "subject", "body", "sms_body", "updated_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
