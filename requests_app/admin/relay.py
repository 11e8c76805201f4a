"""Relays to customers (processor mode): staff record each customer's answer."""

from __future__ import annotations

from django.contrib import admin

from privacy.admin_kit import ScalableChangelistMixin, run_action
from requests_app import services
from requests_app.admin.forms import RelayAnswerForm
from requests_app.models import Relay


@admin.register(Relay)
class RelayAdmin(ScalableChangelistMixin, admin.ModelAdmin):
    list_display = ("request", "customer", "sent_at", "answer", "answered_at")
    list_filter = ("answer", ("customer", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=request__reference",)
    list_select_related = ("request", "customer")
    readonly_fields = (
        "request",
        "customer",
        "sent_at",
        "answer",
        "answer_note",
        "answered_at",
        "answered_by",
    )
    actions = ("record_answer",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_process_permission(self, request):
        return request.user.has_perm("requests_app.process_privacyrequest")

    @admin.action(description="Record the customer's answer", permissions=["process"])
    def record_answer(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            form_class=RelayAnswerForm,
            title="Record the customer's answer",
            apply=lambda obj, data: services.relay_answer_record(
                actor=request.user, relay=obj, answer=data["answer"], note=data["note"]
            ),
        )
