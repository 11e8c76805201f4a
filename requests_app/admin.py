"""Staff workflow in the admin: the request queue with deadline badges, filters and
search by reference / e-mail / phone, actions that call the services (never writing
status themselves), the dashboard, the read-only jurisdiction-rule table, relays,
scheduled erasures and the editable notice templates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from privacy.admin import ScalableChangelistMixin
from privacy.identifiers import search_keys
from requests_app import selectors, services
from requests_app.forms import COUNTRIES, PUBLIC_TYPES, US_STATES
from requests_app.models import (
    OPEN_Q,
    OPEN_STATUSES,
    Appeal,
    Channel,
    DenialReason,
    ExportPackage,
    NoticeTemplate,
    PrivacyRequest,
    Relay,
    RequestEvent,
    RequestMatch,
    RequestType,
    ScheduledErasure,
    Status,
    VerificationMethod,
)
from requests_app.rules import RULES

# --- Forms for actions -------------------------------------------------------------


class VerifyForm(forms.Form):
    method = forms.ChoiceField(
        label="How was the identity verified?",
        choices=[
            (value, label)
            for value, label in VerificationMethod.choices
            if value not in ("email_link", "sms_code")
        ],
    )


class ExtendForm(forms.Form):
    reason = forms.CharField(
        label="Reason (sent to the person)", widget=forms.Textarea(attrs={"rows": 3})
    )


class DenyForm(forms.Form):
    reason = forms.ChoiceField(label="Statutory reason", choices=DenialReason.choices)
    explanation = forms.CharField(
        label="Explanation for the person (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CompleteForm(forms.Form):
    message = forms.CharField(
        label="Message to the person (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ConfirmForm(forms.Form):
    note = forms.CharField(label="Note (staff only, optional)", required=False)


class RelayAnswerForm(forms.Form):
    answer = forms.ChoiceField(label="Customer's answer", choices=Relay.Answer.choices)
    note = forms.CharField(
        label="Customer's reason or reference (no personal data)", required=False, max_length=300
    )


class IntakeForm(forms.Form):
    """A request taken by phone or post (support agents)."""

    channel = forms.ChoiceField(
        choices=[(c, label) for c, label in Channel.choices if c != Channel.WEB]
    )
    request_type = forms.ChoiceField(choices=PUBLIC_TYPES)
    country = forms.ChoiceField(choices=COUNTRIES)
    state = forms.ChoiceField(choices=US_STATES, required=False)
    full_name = forms.CharField(required=False)
    email = forms.CharField(required=False)
    phone = forms.CharField(required=False)
    details = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CorrectionForm(forms.Form):
    """A correction of one contact in scope of a correction request. Fields left empty
    are not changed."""

    contact = forms.TypedChoiceField(label="Contact record", coerce=int)
    first_name = forms.CharField(required=False, max_length=100)
    last_name = forms.CharField(required=False, max_length=100)
    address_line1 = forms.CharField(label="Address line 1", required=False, max_length=200)
    address_line2 = forms.CharField(label="Address line 2", required=False, max_length=200)
    city = forms.CharField(required=False, max_length=100)
    postal_code = forms.CharField(required=False, max_length=20)
    country = forms.CharField(label="Country (ISO code)", required=False, max_length=2)
    state = forms.CharField(label="State / region code", required=False, max_length=10)
    date_of_birth = forms.DateField(
        label="Date of birth (YYYY-MM-DD)", required=False, widget=forms.DateInput()
    )

    CHANGEABLE = (
        "first_name",
        "last_name",
        "address_line1",
        "address_line2",
        "city",
        "postal_code",
        "country",
        "state",
        "date_of_birth",
    )

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = [(c.pk, f"Contact #{c.pk}") for c in contacts]

    def clean(self):
        data = super().clean()
        if not self.changes():
            raise forms.ValidationError("Fill in at least one corrected value.")
        return data

    def changes(self) -> dict:
        data = getattr(self, "cleaned_data", {})
        changes = {}
        for name in self.CHANGEABLE:
            value = data.get(name)
            if value in (None, ""):
                continue
            changes[name] = value.upper() if name in ("country", "state") else value
        return changes


class FeeForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount", min_value=Decimal("0.01"), max_digits=8, decimal_places=2
    )


def _run_action_with_form(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    form_class: type[forms.Form],
    title: str,
    apply: Callable[[object, dict], object],
    intro: str = "",
    extra: dict | None = None,
):
    """Show ``form_class`` for the selected rows; on submit call ``apply`` per row
    (a service), report successes and the services' refusals."""
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            done, refused = 0, []
            for obj in queryset:
                try:
                    apply(obj, form.cleaned_data)
                except ValidationError as exc:
                    refused.append(f"{obj}: {' '.join(exc.messages)}")
                else:
                    done += 1
            if done:
                modeladmin.message_user(request, f"{title}: {done} done.", messages.SUCCESS)
            for line in refused:
                modeladmin.message_user(request, line, messages.ERROR)
            return None
    else:
        form = form_class()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "form": form,
        "queryset": queryset,
        "opts": modeladmin.model._meta,
        "action": request.POST.get("action"),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        **(extra or {}),
    }
    return TemplateResponse(request, "requests_app/admin/action_form.html", context)


# --- Filters ---------------------------------------------------------------------


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


# --- Inlines -----------------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False
    #: Foreign keys shown in the rows, fetched with them (one query, not one per row).
    related: tuple[str, ...] = ()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.related)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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


# --- The queue -------------------------------------------------------------------


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(ScalableChangelistMixin, admin.ModelAdmin):
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
        return format_html(
            '{} — respond within {}; <a href="{}">rule table</a>',
            rule.name,
            rule.respond,
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
        for obj in queryset:
            services.privacy_request_assign(actor=request.user, request=obj, assignee=request.user)
        self.message_user(request, f"{queryset.count()} request(s) assigned to you.")

    @admin.action(description="Verify identity manually", permissions=["process"])
    def verify_manually(self, request, queryset):
        return _run_action_with_form(
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
        return _run_action_with_form(
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
        previews = [
            (obj, selectors.erasure_previews(obj))
            for obj in queryset
            if obj.request_type == RequestType.DELETION
        ]
        return _run_action_with_form(
            self,
            request,
            queryset,
            form_class=ConfirmForm,
            title="Schedule erasure after the grace period",
            intro="Review what will be erased and what is kept. The erasure runs in the nightly job after the grace period and can be cancelled until then.",
            extra={"previews": previews},
            apply=lambda obj, data: services.erasure_schedule(actor=request.user, request=obj),
        )

    @admin.action(description="Complete (sends notice)", permissions=["process"])
    def complete_requests(self, request, queryset):
        return _run_action_with_form(
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
        return _run_action_with_form(
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
        return _run_action_with_form(
            self,
            request,
            queryset,
            form_class=ConfirmForm,
            title="Mark withdrawn",
            intro="The person withdrew these requests. Scheduled erasures are cancelled.",
            apply=lambda obj, data: services.privacy_request_withdraw(
                actor=request.user, request=obj, note=data["note"]
            ),
        )

    # --- Extra views: intake by phone, dashboard, rule table ---

    def get_urls(self):
        return [
            path(
                "dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name="requests_app_privacyrequest_dashboard",
            ),
            path(
                "rules/",
                self.admin_site.admin_view(self.rules_view),
                name="requests_app_privacyrequest_rules",
            ),
            path(
                "<int:object_id>/agent-proof/",
                self.admin_site.admin_view(self.agent_proof_view),
                name="requests_app_privacyrequest_agent_proof",
            ),
            path(
                "<int:object_id>/correction/",
                self.admin_site.admin_view(self.correction_view),
                name="requests_app_privacyrequest_correction",
            ),
            path(
                "<int:object_id>/fee-estimate/",
                self.admin_site.admin_view(self.fee_estimate_view),
                name="requests_app_privacyrequest_fee_estimate",
            ),
            path(
                "<int:object_id>/fee-record/",
                self.admin_site.admin_view(self.fee_record_view),
                name="requests_app_privacyrequest_fee_record",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IntakeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result = services.privacy_request_submit(actor=request.user, **data)
            except ValidationError as exc:
                for field, errors in getattr(
                    exc, "message_dict", {"__all__": exc.messages}
                ).items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                verb = "recorded" if result.created else "linked to the open identical request"
                self.message_user(request, f"Request {result.request.reference} {verb}.")
                return redirect("admin:requests_app_privacyrequest_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Take a privacy request (phone or post)",
            "form": form,
            "opts": self.model._meta,
            "intro": "The person gets the receipt and a verification link or code like on the web form.",
        }
        return TemplateResponse(request, "requests_app/admin/intake.html", context)

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Privacy requests dashboard",
            "opts": self.model._meta,
            "stats": selectors.dashboard_stats(),
            "type_labels": dict(RequestType.choices),
        }
        return TemplateResponse(request, "requests_app/admin/dashboard.html", context)

    # --- Object tools on one request: agent's proof, correction, fees ---

    def has_agent_proof_permission(self, request) -> bool:
        return request.user.has_perm("requests_app.view_agent_proof")

    def _object_tools(self, request, obj: PrivacyRequest) -> list[tuple[str, str]]:
        """(label, url) of the tools this user may use on this request now."""
        tools = []

        def url(name):
            return reverse(f"admin:requests_app_privacyrequest_{name}", args=[obj.pk])

        if obj.agent_proof and self.has_agent_proof_permission(request):
            tools.append(("Agent's proof", url("agent_proof")))
        if self.has_process_permission(request):
            if obj.request_type == RequestType.CORRECTION and obj.status in (
                Status.IN_PROGRESS,
                Status.RELAYED,
            ):
                tools.append(("Apply correction", url("correction")))
            if obj.rule.fee_allowed and obj.status in OPEN_STATUSES:
                tools.append(("Fee estimate", url("fee_estimate")))
                if obj.fee_estimate_sent_at:
                    tools.append(("Record fee", url("fee_record")))
        return tools

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        tools = self._object_tools(request, obj) if obj is not None else []
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "request_tools": tools}
        )

    def _object_or_404(self, request, object_id: int) -> PrivacyRequest:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(PrivacyRequest, pk=object_id)

    def agent_proof_view(self, request, object_id: int):
        """Stream the agent's proof from private storage to a permitted staff member."""
        obj = self._object_or_404(request, object_id)
        if not self.has_agent_proof_permission(request):
            raise PermissionDenied
        try:
            handle, filename, content_type = services.privacy_request_agent_proof_open(
                actor=request.user, request=obj
            )
        except ValidationError as exc:
            raise Http404(exc.messages[0]) from None
        response = FileResponse(
            handle, as_attachment=True, filename=filename, content_type=content_type
        )
        response["Cache-Control"] = "no-store, private"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def _object_form_view(
        self,
        request,
        object_id: int,
        *,
        form_class,
        title: str,
        intro: str,
        apply: Callable[[PrivacyRequest, forms.Form], str],
        form_kwargs: Callable[[PrivacyRequest], dict] | None = None,
    ):
        """A form about one request; on submit ``apply`` calls a service and returns the
        success message; the service's refusal is shown on the form."""
        obj = self._object_or_404(request, object_id)
        if not self.has_process_permission(request):
            raise PermissionDenied
        kwargs = form_kwargs(obj) if form_kwargs else {}
        form = form_class(request.POST or None, **kwargs)
        if request.method == "POST" and form.is_valid():
            try:
                message = apply(obj, form)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                self.message_user(request, message, messages.SUCCESS)
                return redirect("admin:requests_app_privacyrequest_change", obj.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "form": form,
            "opts": self.model._meta,
            "original": obj,
        }
        return TemplateResponse(request, "requests_app/admin/object_form.html", context)

    def correction_view(self, request, object_id: int):
        def apply(obj, form):
            contact = next(
                c for c in selectors.contacts_in_scope(obj) if c.pk == form.cleaned_data["contact"]
            )
            changed = services.correction_apply(
                actor=request.user, request=obj, contact=contact, changes=form.changes()
            )
            return f"Contact #{contact.pk} corrected: {', '.join(changed) or 'nothing changed'}."

        return self._object_form_view(
            request,
            object_id,
            form_class=CorrectionForm,
            title="Apply a correction",
            intro=(
                "Enter only the corrected values; empty fields stay as they are. The change "
                "is applied through the contact service and the changed field names go to "
                "the audit trail."
            ),
            apply=apply,
            form_kwargs=lambda obj: {"contacts": selectors.contacts_in_scope(obj)},
        )

    def fee_estimate_view(self, request, object_id: int):
        def apply(obj, form):
            services.privacy_request_fee_estimate(
                actor=request.user, request=obj, amount=form.cleaned_data["amount"]
            )
            return f"Fee estimate of {form.cleaned_data['amount']} sent for {obj.reference}."

        return self._object_form_view(
            request,
            object_id,
            form_class=FeeForm,
            title="Send a fee estimate",
            intro=(
                "Only where the rule allows a fee (manifestly unfounded or excessive "
                "requests). The estimate is sent to the person before any fee is charged."
            ),
            apply=apply,
        )

    def fee_record_view(self, request, object_id: int):
        def apply(obj, form):
            services.privacy_request_fee_record(
                actor=request.user, request=obj, amount=form.cleaned_data["amount"]
            )
            return f"Fee of {form.cleaned_data['amount']} recorded for {obj.reference}."

        return self._object_form_view(
            request,
            object_id,
            form_class=FeeForm,
            title="Record the fee charged",
            intro="Recorded after the estimate was sent.",
            apply=apply,
        )

    def rules_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Jurisdiction rules",
            "opts": self.model._meta,
            "rules": RULES.values(),
        }
        return TemplateResponse(request, "requests_app/admin/rules.html", context)


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
        return _run_action_with_form(
            self,
            request,
            queryset,
            form_class=RelayAnswerForm,
            title="Record the customer's answer",
            apply=lambda obj, data: services.relay_answer_record(
                actor=request.user, relay=obj, answer=data["answer"], note=data["note"]
            ),
        )


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
        cancelled = sum(services.erasure_cancel(actor=request.user, erasure=e) for e in queryset)
        self.message_user(request, f"{cancelled} scheduled erasure(s) cancelled.")


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ("original", "appeal_request", "submitted_at")
    list_select_related = ("original", "appeal_request")
    readonly_fields = ("original", "appeal_request", "statement", "submitted_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "subject", "updated_at")
    search_fields = ("code", "subject")
    readonly_fields = ("code", "description", "updated_at")
    fields = ("code", "description", "subject", "body", "updated_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
