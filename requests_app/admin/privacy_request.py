"""The request queue and the request page.

The queue: open requests by default (a filter shows closed ones; a search looks among
all), the deadline in force and the days left — counted as the request's rule counts
them, so an unverified request whose clock starts at verification is never overdue —,
filters for the morning page's buckets, search by reference / e-mail / phone.

The request page is the officer's workplace: the moves open in the request's state as
buttons (``next_steps``; each runs the same action as the list, with the same
permission and confirmation page, through ``run_action``), the erasure preview in words,
the timeline and the audit trail with names and times to the minute. Nothing here
writes status: every action is a thin call to a service."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from privacy.admin_kit import PostedSearchMixin, ScalableChangelistMixin, id_list, run_action
from privacy.display import (
    audit_action_label,
    audit_summary_words,
    erased_items,
    kept_items,
    staff_name,
    staff_time,
)
from privacy.identifiers import search_keys
from requests_app import selectors, services
from requests_app.admin.ccpa_metrics import CcpaMetricFilter, CcpaMetricsReportMixin
from requests_app.admin.forms import (
    CompleteForm,
    DenyForm,
    ExtendForm,
    NoteForm,
    RunNowForm,
    VerifyForm,
)
from requests_app.admin.inlines import (
    ErasureInline,
    MatchInline,
    NoticeDeliveryInline,
    PackageInline,
    PackageTransferInline,
    PostMortemInline,
    RelayInline,
    RequestEventInline,
)
from requests_app.admin.request_tools import PrivacyRequestToolsMixin
from requests_app.models import (
    CLOSED_STATUSES,
    OPEN_Q,
    PrivacyRequest,
    RequestType,
    ScheduledErasure,
    Status,
)


class QueueFilter(admin.SimpleListFilter):
    """Open requests unless asked otherwise: closed ones leave the working queue. A
    search (a reference, an e-mail, a phone) looks among closed requests too."""

    title = "status"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            *((s.value, s.label) for s in Status),
            ("closed", "Closed (any)"),
            ("all", "All, open and closed"),
        ]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Open (default)",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            if request.GET.get("q", "").strip():
                return queryset
            return queryset.filter(OPEN_Q)
        if value == "all":
            return queryset
        if value == "closed":
            return queryset.filter(status__in=[s.value for s in CLOSED_STATUSES])
        if value in Status.values:
            return queryset.filter(status=value)
        return queryset


class DeadlineFilter(admin.SimpleListFilter):
    """The morning page's buckets, counted as each request's rule counts its clock."""

    title = "deadline"
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [
            ("overdue", "Overdue"),
            ("today", "Due today"),
            ("week", "Due in the next 7 days"),
        ]

    def queryset(self, request, queryset):
        if self.value() in selectors.DEADLINE_BUCKETS:
            bucket = selectors.privacy_requests_deadline(
                self.value(), today=timezone.localdate()
            ).values("pk")
            return queryset.filter(pk__in=bucket)
        return queryset


class AcknowledgementFilter(admin.SimpleListFilter):
    title = "acknowledgement"
    parameter_name = "ack"

    def lookups(self, request, model_admin):
        return [("owed", "Receipt not yet acknowledged")]

    def queryset(self, request, queryset):
        if self.value() == "owed":
            return queryset.filter(pk__in=selectors.privacy_requests_ack_owed_queue().values("pk"))
        return queryset


#: Buttons of the request page: step (``selectors.privacy_request_next_steps``) ->
#: the list action it runs, its label, and whether it is the dangerous kind.
STEP_ACTIONS: dict[str, tuple[str, str, bool]] = {
    "assign": ("assign_to_me", "Assign to me", False),
    "verify": ("verify_manually", "Verify identity…", False),
    "process": ("process_requests", "Start processing", False),
    "schedule_erasure": ("schedule_erasure", "Schedule erasure…", False),
    "run_erasure_now": ("run_erasure_now", "Run erasure now…", True),
    "cancel_erasure": ("cancel_erasures", "Cancel the scheduled erasure", False),
    "complete": ("complete_requests", "Complete…", False),
    "extend": ("extend_deadline", "Extend the deadline…", False),
    "deny": ("deny_requests", "Deny…", True),
    "withdraw": ("withdraw_requests", "Mark withdrawn…", False),
}


def _badge(css: str, text: str):
    return format_html('<span class="badge {}">{}</span>', css, text)


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(
    PostedSearchMixin,
    CcpaMetricsReportMixin,
    PrivacyRequestToolsMixin,
    ScalableChangelistMixin,
    admin.ModelAdmin,
):
    change_list_template = "requests_app/admin/change_list.html"
    list_display = (
        "reference",
        "request_type",
        "status",
        "rule_code",
        "customer",
        "assignee",
        "received_on",
        "due",
        "days_left",
        "over_limit",
    )
    list_filter = (
        QueueFilter,
        DeadlineFilter,
        AcknowledgementFilter,
        "request_type",
        "rule_code",
        "assignee",
        "customer",
        "over_limit",
        CcpaMetricFilter,
    )
    search_fields = ("=reference",)
    search_help_text = (
        "Reference, e-mail address or phone number (any format); closed requests too."
    )
    list_select_related = ("customer", "assignee")
    ordering = ("deadline_on", "id")
    inlines = (
        PostMortemInline,
        MatchInline,
        RelayInline,
        PackageInline,
        PackageTransferInline,
        ErasureInline,
        NoticeDeliveryInline,
        RequestEventInline,
    )
    actions = (
        "assign_to_me",
        "verify_manually",
        "process_requests",
        "extend_deadline",
        "schedule_erasure",
        "run_erasure_now",
        "cancel_erasures",
        "acknowledge_post_mortem",
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
        "objection_purposes",
        "is_agent_request",
        "agent_name",
        "agent_email",
        "agent_proof_present",
        "assignee_name",
        "received_when",
        "due_on",
        "extended_due_on",
        "extension_reason",
        "days_left",
        "acknowledge_by",
        "acknowledged_when",
        "verification_expires_when",
        "verified_when",
        "verification_method",
        "closed_when",
        "over_limit",
        "fee_estimate",
        "fee_estimate_sent_at",
        "fee",
        "denial_reason",
        "duplicate_count",
        "parent",
        "created_by_name",
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
                    "assignee_name",
                    "parent",
                )
            },
        ),
        (
            "Deadlines",
            {
                "fields": (
                    "received_when",
                    "due_on",
                    "extended_due_on",
                    "extension_reason",
                    "days_left",
                    "acknowledge_by",
                    "acknowledged_when",
                    "closed_when",
                )
            },
        ),
        (
            "Person",
            {
                "fields": (
                    "full_name",
                    "email",
                    "phone",
                    "country",
                    "state",
                    "details",
                    "objection_purposes",
                )
            },
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
                    "verification_expires_when",
                    "verified_when",
                    "verification_method",
                    "over_limit",
                    "duplicate_count",
                    "fee_estimate",
                    "fee_estimate_sent_at",
                    "fee",
                    "denial_reason",
                    "created_by_name",
                )
            },
        ),
        ("Deletion: what goes, what stays, and when", {"fields": ("erasure_preview_display",)}),
        ("Audit trail", {"fields": ("audit_trail",)}),
    )

    class Media:
        css = {"all": ("privacy/staff.css",)}

    # Permissions used by the actions.
    def has_process_permission(self, request):
        return request.user.has_perm("requests_app.process_privacyrequest")

    def has_deny_permission(self, request):
        return request.user.has_perm("requests_app.deny_privacyrequest")

    def has_erase_now_permission(self, request):
        """Running an erasure at once is a privacy officer's call: it needs the right to
        work on requests and the right to erase."""
        return self.has_process_permission(request) and request.user.has_perm(
            "privacy.erase_contact"
        )

    def has_change_permission(self, request, obj=None):
        # Nothing is edited in the form; changes go through the actions.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_ordering(self, request):
        # Open requests by deadline (the partial index prq_open_deadline); lists that
        # include closed requests newest first, by primary key: ordering a million rows
        # by deadline would sort them all (an index on it is walked through every closed
        # request before the open ones).
        if request.GET.get("queue") in ("all", "closed") or request.GET.get("q"):
            return ("-id",)
        return ("deadline_on", "id")

    # Search: reference, or an e-mail / phone normalised the way it is stored. The box
    # posts the term (PostedSearchMixin), so the list's URL carries only the ids found.
    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        ids = id_list(term)
        if ids is not None:
            return queryset.filter(pk__in=ids), False
        keys = search_keys(term)
        if keys:
            kind, key = keys[0]
            field = "email_key" if kind == "email" else "phone"
            return queryset.filter(**{field: key}), False
        return super().get_search_results(request, queryset, term.upper())

    # --- columns and read-only fields in words ---

    @admin.display(description="Received", ordering="received_at")
    def received_on(self, obj: PrivacyRequest):
        return timezone.localtime(obj.received_at).date()

    @admin.display(description="Due", ordering="deadline_on")
    def due(self, obj: PrivacyRequest):
        if obj.is_open and not obj.clock_started:
            return "after verification"
        return obj.deadline_on

    @admin.display(description="Days left", ordering="deadline_on")
    def days_left(self, obj: PrivacyRequest):
        if not obj.is_open:
            return "—"
        if not obj.clock_started:
            return _badge("badge-waiting", "clock starts at verification")
        days = obj.days_left()
        if days < 0:
            return _badge("badge-overdue", f"{-days} overdue")
        if days <= 7:
            return _badge("badge-soon", f"{days} left")
        return _badge("badge-ok", f"{days} left")

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

    @admin.display(description="Assigned to")
    def assignee_name(self, obj: PrivacyRequest):
        return staff_name(obj.assignee, system="nobody yet")

    @admin.display(description="Taken by (phone or post)")
    def created_by_name(self, obj: PrivacyRequest):
        return staff_name(obj.created_by, system="— (web form)")

    @admin.display(description="Received")
    def received_when(self, obj):
        return staff_time(obj.received_at)

    @admin.display(description="Receipt acknowledged")
    def acknowledged_when(self, obj):
        return staff_time(obj.acknowledged_at, empty="not yet")

    @admin.display(description="Closed")
    def closed_when(self, obj):
        return staff_time(obj.closed_at, empty="open")

    @admin.display(description="Verification link or code valid until")
    def verification_expires_when(self, obj):
        return staff_time(obj.verification_expires_at)

    @admin.display(description="Verified")
    def verified_when(self, obj):
        return staff_time(obj.verified_at, empty="not yet")

    @admin.display(description="Erasure")
    def erasure_preview_display(self, obj: PrivacyRequest):
        if obj.request_type != RequestType.DELETION or not obj.pk:
            return "Not a deletion request."
        return render_to_string(
            "requests_app/admin/erasure_words.html", {"previews": erasure_words(obj)}
        )

    @admin.display(description="Audit trail")
    def audit_trail(self, obj: PrivacyRequest):
        from privacy.models import AuditEvent

        events = (
            AuditEvent.objects.filter(object_type="privacy_request", object_id=str(obj.pk))
            .select_related("actor")
            .order_by("-occurred_at", "-id")[:50]
        )
        rows = (
            (
                staff_time(e.occurred_at),
                staff_name(e.actor),
                audit_action_label(e.action),
                " · ".join(audit_summary_words(e.summary)),
            )
            for e in events
        )
        table = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html(
            '<table class="audit-rows"><thead><tr><th scope="col">When</th><th scope="col">Who</th>'
            '<th scope="col">What</th><th scope="col">Details</th></tr></thead><tbody>{}</tbody>'
            '</table><p><a href="{}?object_type=privacy_request&amp;object_id={}">Whole audit trail of this request</a></p>',
            table or mark_safe('<tr><td colspan="4">Nothing yet.</td></tr>'),
            reverse("admin:privacy_auditevent_changelist"),
            obj.pk,
        )

    # --- the request page as a workplace ---

    def next_steps(self, request, obj: PrivacyRequest) -> list[dict]:
        """Buttons for the moves open in the request's state that this user may make."""
        allowed = self.get_actions(request)
        steps = []
        for step in selectors.privacy_request_next_steps(obj, today=timezone.localdate()):
            action, label, danger = STEP_ACTIONS[step]
            if action not in allowed:
                continue
            if step == "assign" and obj.assignee_id == request.user.pk:
                continue
            steps.append(
                {
                    "step": step,
                    "label": label,
                    "danger": danger,
                    "url": reverse("admin:requests_app_privacyrequest_step", args=[obj.pk, action]),
                }
            )
        return steps

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

    @admin.action(
        description="Start processing (match contacts, relay, build packages)",
        permissions=["process"],
    )
    def process_requests(self, request, queryset):
        def process(obj, data) -> int:
            if obj.status != Status.VERIFIED:
                return 0
            services.privacy_request_process(actor=request.user, request_id=obj.pk)
            return 1

        return run_action(
            self,
            request,
            queryset,
            title="Start processing",
            apply=process,
            done_message=lambda n: f"Start processing: {n} request(s) matched and under way.",
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

    def _erasure_page_extra(self, queryset):
        return lambda: {
            "previews": [
                (obj, erasure_words(obj))
                for obj in queryset
                if obj.request_type == RequestType.DELETION
            ]
        }

    @admin.action(description="Schedule erasure (deletion requests)", permissions=["process"])
    def schedule_erasure(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            confirm=True,
            title="Schedule erasure after the grace period",
            intro=(
                "Review what will be erased and what is kept. The erasure runs in the nightly "
                f"job after the {settings.REQUESTS_ERASURE_GRACE_DAYS}-day grace period and "
                "can be cancelled until then."
            ),
            template="admin/requests_app/privacyrequest/schedule_erasure.html",
            extra=self._erasure_page_extra(queryset),
            apply=lambda obj, data: services.erasure_schedule(actor=request.user, request=obj),
        )

    @admin.action(
        description="Run erasure now (skips the grace period; privacy officers)",
        permissions=["erase_now"],
    )
    def run_erasure_now(self, request, queryset):
        def run(obj, data) -> int:
            result = services.erasure_run_now(
                actor=request.user, request=obj, reason=data["reason"], note=data["note"]
            )
            if result.blocked:
                self.message_user(
                    request,
                    f"{obj.reference}: not erased — " + "; ".join(result.blocked),
                    level="ERROR",
                )
            if result.deferred:
                self.message_user(
                    request,
                    f"{obj.reference}: not erased yet — " + "; ".join(result.deferred),
                    level="WARNING",
                )
            return result.done

        return run_action(
            self,
            request,
            queryset,
            form_class=RunNowForm,
            title="Run erasure now",
            intro=(
                "The erasure runs at once, without the grace period, and cannot be undone. "
                "Your name goes on each erasure certificate; the reason goes to the audit trail."
            ),
            template="admin/requests_app/privacyrequest/schedule_erasure.html",
            extra=self._erasure_page_extra(queryset),
            apply=run,
            done_message=lambda erased: (
                f"Erased {erased} contact record(s) now; certificates recorded."
            ),
        )

    @admin.action(description="Cancel scheduled erasures", permissions=["process"])
    def cancel_erasures(self, request, queryset):
        def cancel(obj, data) -> int:
            erasures = ScheduledErasure.objects.filter(
                request=obj, state=ScheduledErasure.State.SCHEDULED
            ).select_related("request")
            return sum(
                services.erasure_cancel(actor=request.user, erasure=erasure) for erasure in erasures
            )

        return run_action(
            self,
            request,
            queryset,
            confirm=True,
            title="Cancel the scheduled erasure",
            intro="Nothing is erased; the request stays open.",
            apply=cancel,
            done_message=lambda n: f"{n} scheduled erasure(s) cancelled.",
        )

    @admin.action(
        description="Acknowledge instructions after death (completes, sends notice)",
        permissions=["process"],
    )
    def acknowledge_post_mortem(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            confirm=True,
            title="Acknowledge instructions about data after death",
            intro=(
                "The instructions are registered (earlier ones of the same person are "
                "superseded) and the person gets a notice repeating them (France, Loi "
                "Informatique et Libertés art. 85)."
            ),
            apply=lambda obj, data: services.post_mortem_instructions_acknowledge(
                actor=request.user, request=obj
            ),
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


def erasure_words(obj: PrivacyRequest) -> list[dict]:
    """Per contact in scope: what goes, what stays and why, what blocks it, and when it
    runs (or ran), in words."""
    erasures = {e.contact_id: e for e in obj.erasures.select_related("certificate", "scheduled_by")}
    grace = settings.REQUESTS_ERASURE_GRACE_DAYS
    previews = []
    for contact, preview in selectors.erasure_previews(obj):
        erasure = erasures.get(contact.pk)
        if contact.erased_at:
            when = f"Erased {staff_time(contact.erased_at)}."
        elif erasure is None or erasure.state == ScheduledErasure.State.CANCELLED:
            run_on = timezone.localdate() + dt.timedelta(days=grace)
            when = (
                f"Not scheduled yet. Once scheduled it runs in the nightly job after the "
                f"{grace}-day grace period (on or after {run_on:%Y-%m-%d} if scheduled "
                "today); a privacy officer can run it at once instead."
            )
        elif erasure.state == ScheduledErasure.State.SCHEDULED:
            when = (
                f"Scheduled by {staff_name(erasure.scheduled_by)}; runs in the first nightly "
                f"job after {staff_time(erasure.scheduled_for)} unless cancelled."
            )
        elif erasure.state == ScheduledErasure.State.BLOCKED:
            when = f"Blocked when it was due: {erasure.blocked_reason}"
        else:
            when = erasure.get_state_display() + "."
        certificate = erasure.certificate if erasure is not None else None
        previews.append(
            {
                "contact": contact,
                "erased": [] if contact.erased_at else erased_items(preview.erased),
                "kept": [] if contact.erased_at else kept_items(preview.kept),
                "blocked_by": None if contact.erased_at else preview.blocked_by,
                "deferred_by": None if contact.erased_at else getattr(preview, "deferred_by", None),
                "when": when,
                "certificate_url": reverse(
                    "admin:privacy_erasurecertificate_change", args=[certificate.pk]
                )
                if certificate
                else None,
                "certificate": certificate,
            }
        )
    return previews
