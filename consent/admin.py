"""Admin of the consent app. Read-only where the data is evidence (ledger, states,
inbound log); every change goes through ``consent.services``.

A contact's consent history is at ``admin:consent_contactconsent_change`` (a proxy of
``privacy.Contact``), so the privacy admin can link to it without importing us.

The evidence tables grow to millions of rows (the ledger to 5M and more): their
changelists use privacy's ``EstimatedCountPaginator`` (never a full ``COUNT(*)``),
``list_select_related`` for every related column shown, and searches on indexed
columns only."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import path, reverse
from django.utils.html import format_html
from import_export.admin import ImportMixin

from consent import admin_evidence, admin_opt_out, selectors, services
from consent.forms import RECEIVED_BY
from consent.imports import ConsentEvidenceResource
from consent.models import (
    ApiKey,
    ConsentEvent,
    ConsentState,
    ContactConsent,
    CookieConsent,
    InboundMessage,
    Notice,
    NoticeChangeNotification,
    Purpose,
    RevocationReview,
    SenderNumber,
    SmsProgramme,
    SmsSubscription,
)
from consent.services.revocation import REVOCATION_NOTE_MAX_LENGTH
from privacy.admin_kit import (
    EstimatedCountPaginator,
    PostedSearchMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    run_action,
)
from privacy.contact_actions import contact_page_actions
from privacy.selectors import contacts_matching_identifier
from privacy.services import contact_viewed


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Evidence: staff see it, nobody edits or deletes it here. Big tables: the count is
    estimated or capped, never a full ``COUNT(*)``."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False


# Each link is a message to a person: staff send them a page of contacts at most.
PREFERENCE_LINK_BATCH = 50


def _contact_link(contact_id: int | None) -> str:
    if not contact_id:
        return "—"
    url = reverse("admin:consent_contactconsent_change", args=[contact_id])
    return format_html('<a href="{}">Contact #{}</a>', url, contact_id)


@admin.register(Purpose)
class PurposeAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "channel",
        "legal_basis",
        "is_marketing",
        "requires_double_opt_in",
        "is_active",
    )
    list_filter = ("channel", "legal_basis", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("created_at",)

    def get_readonly_fields(self, request, obj=None):
        # The code is referenced by API clients and the ledger: fixed once created.
        return ("code", "created_at") if obj else ("created_at",)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = (
        "purpose",
        "version",
        "kind",
        "language",
        "is_material_change",
        "published_at",
        "short_hash",
    )
    list_filter = (
        "purpose",
        "kind",
        "is_material_change",
        ("published_at", admin.EmptyFieldListFilter),
    )
    list_select_related = ("purpose",)
    readonly_fields = ("version", "text_sha256", "published_at", "created_at", "created_by")
    actions = ("publish", "new_version")

    @admin.display(description="SHA-256")
    def short_hash(self, obj: Notice) -> str:
        return obj.text_sha256[:12]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_published:
            return (
                "purpose",
                "kind",
                "language",
                "text",
                "is_material_change",
                *self.readonly_fields,
            )
        return self.readonly_fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        try:
            services.notice_draft_save(actor=request.user, notice=obj)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("consent.publish_notice")

    @admin.action(description="Publish (the text is frozen from then on)", permissions=["publish"])
    def publish(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            title="Publish",
            apply=lambda notice, data: services.notice_publish(actor=request.user, notice=notice),
            done_message=lambda done: f"{done} notice(s) published.",
        )

    @admin.action(description="New version (a draft copy to edit)", permissions=["add"])
    def new_version(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            title="New version",
            apply=lambda notice, data: services.notice_new_version(
                actor=request.user, notice=notice
            ),
            done_message=lambda done: f"{done} draft version(s) created.",
        )


@admin.register(SenderNumber)
class SenderNumberAdmin(admin.ModelAdmin):
    list_display = ("number", "kind", "customer", "brand_name", "is_default_marketing", "is_active")
    list_filter = ("kind", "is_active")
    list_select_related = ("customer",)
    search_fields = ("=number",)
    raw_id_fields = ("customer",)

    # The inbound webhook caches sender numbers per worker process for
    # CONSENT_API_CACHE_SECONDS: this process sees a change as soon as it is committed,
    # the other workers when their entry expires (docs/consent.md).
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(selectors.caches_clear)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(selectors.caches_clear)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(selectors.caches_clear)


@admin.register(ConsentEvent)
class ConsentEventAdmin(ImportMixin, ReadOnlyAdmin):
    """The ledger: read-only. Staff may import consent evidence (all-or-nothing)."""

    resource_classes = [ConsentEvidenceResource]
    list_display = (
        "occurred_at",
        "purpose",
        "action",
        "method",
        "contact_link",
        "customer",
        "notice_version",
        "deidentified_at",
    )
    list_filter = ("purpose", "method", "action", "occurred_at")
    list_select_related = ("purpose", "customer", "notice")
    search_fields = ("=contact__id", "=reference")
    search_help_text = "A contact id (digits or #id), or a reference such as a MessageSid."
    exclude = ("identifier",)
    ordering = ("-occurred_at", "-id")
    sortable_by = ()  # only the indexed default order; sorting 5M rows by a column is not

    def get_search_results(self, request, queryset, search_term):
        # One indexed equality, never an OR across columns (a scan of the whole ledger).
        term = search_term.strip()
        if not term:
            return queryset, False
        digits = term.removeprefix("#")
        if digits.isdigit():
            if len(digits) > 18:  # beyond bigint: no such contact
                return queryset.none(), False
            return queryset.filter(contact_id=int(digits)), False
        return queryset.filter(reference=term[:100]), False

    @admin.display(description="Contact")
    def contact_link(self, obj: ConsentEvent) -> str:
        return _contact_link(obj.contact_id) if obj.contact_id else "anonymous visitor"

    @admin.display(description="Notice")
    def notice_version(self, obj: ConsentEvent) -> str:
        return f"v{obj.notice.version}" if obj.notice_id else "—"

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "actor": request.user}


@admin.register(ConsentState)
class ConsentStateAdmin(ReadOnlyAdmin):
    list_display = ("purpose", "is_granted", "since", "method", "contact_link", "sender")
    list_filter = ("purpose", "is_granted", "method")
    list_select_related = ("purpose",)
    search_fields = ("=contact__id",)
    exclude = ("identifier",)

    @admin.display(description="Contact")
    def contact_link(self, obj: ConsentState) -> str:
        return _contact_link(obj.contact_id) if obj.contact_id else "anonymous visitor"


@admin.register(SmsSubscription)
class SmsSubscriptionAdmin(PostedSearchMixin, ReadOnlyAdmin):
    list_display = ("id", "customer", "sender", "program", "status", "updated_at", "contact_link")
    list_filter = ("program", "status")
    list_select_related = ("customer",)
    search_fields = ("=sender", "=contact__id")
    actions = ("opt_out",)

    @admin.display(description="Contact")
    def contact_link(self, obj: SmsSubscription) -> str:
        return _contact_link(obj.contact_id)

    def get_search_results(self, request, queryset, search_term):
        # A phone number typed in any format finds its subscriptions. The box posts it
        # (PostedSearchMixin): the list's URL carries the ids found, never the number.
        from privacy.admin_kit import id_list
        from privacy.identifiers import search_keys

        ids = id_list(search_term.strip())
        if ids is not None:
            return queryset.filter(pk__in=ids), False
        keys = [k for kind, k in search_keys(search_term) if kind == "phone"]
        if keys:
            return queryset.filter(phone__in=keys), False
        return super().get_search_results(request, queryset, search_term)

    def has_opt_out_permission(self, request) -> bool:
        return request.user.has_perm("consent.opt_out_smssubscription")

    @admin.action(
        description="Opt out (STOP received elsewhere, complaint)", permissions=["opt_out"]
    )
    def opt_out(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            title="Opt out",
            form_class=SubscriptionOptOutForm,
            intro="A revocation of texts from each subscription's sender, as if the person "
            "had texted STOP to it: every text from that number stops, and the person gets "
            "one confirmation text.",
            apply=lambda subscription, data: _subscription_opt_out_apply(
                request.user, subscription, data
            ),
            done_message=lambda done: f"{done} subscription(s) opted out.",
            label=lambda subscription: f"Subscription #{subscription.pk}",
        )


def _subscription_opt_out_apply(actor, subscription: SmsSubscription, data) -> int:
    """Staff's opt-out of one subscription is the staff revocation of texts from its
    sender (``contact_revocation_record``, the one service for the act)."""
    if subscription.status == SmsSubscription.Status.OPTED_OUT:
        return 0
    if not subscription.phone or subscription.contact_id is None:
        raise ValidationError(
            "No number or contact is left on this subscription: record the revocation "
            "from the contact's page."
        )
    services.contact_revocation_record(
        actor=actor,
        contact=subscription.contact,
        channel="sms",
        identifier=subscription.phone,
        sender=subscription.sender,
        method=data["method"],
        received_at=data.get("received_at"),
        note=data.get("note", ""),
    )
    return 1


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "keyword", "outcome", "sender", "customer", "contact_link")
    list_filter = ("keyword", "outcome", "received_at")
    list_select_related = ("customer",)
    search_fields = ("=message_sid", "=contact__id")

    @admin.display(description="Contact")
    def contact_link(self, obj: InboundMessage) -> str:
        return _contact_link(obj.contact_id)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "customer", "prefix", "created_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)
    readonly_fields = ("prefix", "created_at", "created_by", "revoked_at")
    actions = ("revoke",)

    def get_fields(self, request, obj=None):
        return ("customer", "name") if obj is None else ("customer", "name", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is None else ("customer", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        if change:
            ApiKey.objects.filter(pk=obj.pk).update(name=obj.name)
            return
        key, raw_key = services.api_key_create(
            actor=request.user, customer=obj.customer, name=obj.name
        )
        obj.pk = key.pk
        self.message_user(
            request,
            f"API key created. Copy it now, it will not be shown again: {raw_key}",
            messages.WARNING,
        )

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke", permissions=["change"])
    def revoke(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            title="Revoke",
            apply=lambda api_key, data: services.api_key_revoke(
                actor=request.user, api_key=api_key
            ),
            done_message=lambda done: f"{done} key(s) revoked.",
        )


@admin.register(CookieConsent)
class CookieConsentAdmin(ReadOnlyAdmin):
    list_display = ("recorded_at", "categories", "notice_version", "gpc")
    list_filter = ("gpc", "notice_version", "recorded_at")


class ConsentEventInline(ReadOnlyInline):
    model = ConsentEvent
    fk_name = "contact"
    fields = (
        "occurred_at",
        "purpose",
        "action",
        "method",
        "sender",
        "notice",
        "reference",
        "recorded_by_name",
    )
    readonly_fields = fields
    ordering = ("-occurred_at", "-id")
    related = ("purpose", "notice", "recorded_by")

    def get_fields(self, request, obj=None):
        # The number or address a consent names is personal data: shown to staff who may
        # see contacts (support agents, officers, auditors), so they can tell which of a
        # person's numbers a STOP was about.
        fields = list(self.fields)
        if request.user.has_perm("privacy.view_contact"):
            fields.insert(fields.index("purpose") + 1, "identifier")
        return fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="Recorded by")
    def recorded_by_name(self, obj) -> str:
        user = obj.recorded_by
        if user is None:
            return "system (the person, by text or web)"
        full = user.get_full_name()
        return f"{full} ({user.get_username()})" if full else user.get_username()

    verbose_name = "consent event"
    verbose_name_plural = "Consent history (ledger, newest first)"


class ConsentStateInline(ConsentEventInline):
    model = ConsentState
    fields = ("purpose", "is_granted", "since", "method", "sender", "notice")
    readonly_fields = fields
    ordering = ("purpose__code",)
    related = ("purpose", "notice")
    verbose_name = "current consent"
    verbose_name_plural = "Current consents"


class RevocationForm(forms.Form):
    """How a revocation that is not a keyword reached us (agent on the phone, e-mail)."""

    channel = forms.ChoiceField(
        choices=[("sms", "Stop texting me"), ("email", "Stop e-mailing me (marketing)")],
        widget=forms.RadioSelect,
    )
    method = forms.ChoiceField(label="Received by", choices=RECEIVED_BY, widget=forms.RadioSelect)
    received_at = forms.DateTimeField(
        required=False,
        help_text="When the person asked (empty: now). A confirmation text goes out only "
        "within 5 minutes of it.",
    )
    note = forms.CharField(
        required=False,
        max_length=REVOCATION_NOTE_MAX_LENGTH,
        help_text="How it came in (no personal data needed).",
    )


class SubscriptionOptOutForm(RevocationForm):
    """The subscription admin's opt-out: texts only, from the subscription's sender."""

    channel = None


class ObjectionForm(forms.Form):
    direct_marketing = forms.BooleanField(
        required=False,
        label="Direct marketing (all marketing purposes; sets 'do not contact')",
    )
    purposes = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The processing the person objects to.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purposes"].choices = [
            (p.code, p.name)
            for p in Purpose.objects.filter(is_active=True).exclude(channel="web").order_by("code")
        ]

    def clean(self):
        data = super().clean()
        if not data.get("direct_marketing") and not data.get("purposes"):
            raise ValidationError("Choose what the person objects to.")
        return data


def _revocation_apply(actor, contact, data) -> int:
    """Every number (or address) of the contact: the person revoked, not one line."""
    from privacy.models import ContactIdentifier

    kind = "phone" if data["channel"] == "sms" else "email"
    done = 0
    for match_key in ContactIdentifier.objects.filter(contact=contact, kind=kind).values_list(
        "match_key", flat=True
    ):
        result = services.contact_revocation_record(
            actor=actor,
            contact=contact,
            channel=data["channel"],
            identifier=match_key,
            method=data["method"],
            received_at=data.get("received_at"),
            note=data.get("note", ""),
        )
        done += len(result.events)
    if not done:
        raise ValidationError("This contact has no such number or address.")
    return done


@admin.register(ContactConsent)
class ContactConsentAdmin(PostedSearchMixin, admin.ModelAdmin):
    """A contact's consent history and current consents; search by id, e-mail or phone."""

    list_display = ("id", "customer", "kind", "erased_at")
    list_select_related = ("customer",)
    list_filter = ("kind",)
    search_fields = ("=id",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    fields = ("customer", "kind", "do_not_contact", "is_restricted", "erased_at")
    readonly_fields = fields
    inlines = (ConsentStateInline, ConsentEventInline)
    change_form_template = "admin/consent/contactconsent/change_form.html"
    actions = (
        "withdraw_all",
        "record_revocation",
        "record_objection",
        "send_preference_link_email",
        "send_preference_link_sms",
    )

    def get_urls(self):
        def view(function):
            wrapped = self.admin_site.admin_view(
                lambda request, *args, **kwargs: function(self, request, *args, **kwargs)
            )
            return wrapped

        name = "consent_contactconsent"
        return [
            path(
                "evidence/",
                view(admin_evidence.evidence_search_view),
                name=f"{name}_evidence_search",
            ),
            path(
                "<int:contact_id>/evidence/",
                view(admin_evidence.evidence_contact_view),
                name=f"{name}_evidence",
            ),
            path(
                "<int:contact_id>/evidence/<int:identifier_id>/",
                view(admin_evidence.evidence_identifier_view),
                name=f"{name}_evidence_identifier",
            ),
            path(
                "<int:contact_id>/opt-out/",
                view(admin_opt_out.opt_out_view),
                name=f"{name}_opt_out",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The history, with who the person is for staff who may see contacts (the
        number the consent was for, so an agent knows they have the right person), and
        what they may do about it."""
        extra_context = dict(extra_context or {})
        contact = self.get_object(request, object_id)
        if contact is not None and self.has_view_permission(request, contact):
            user = request.user
            if user.has_perm("privacy.view_contact"):
                extra_context["identifiers"] = list(
                    contact.identifiers.order_by("kind", "-is_primary", "id")
                )
                extra_context["show_person"] = True
                if request.method == "GET":
                    contact_viewed(actor=user, contact_id=contact.pk, via="consent_history")
            extra_context["contact_actions"] = [
                (action, url)
                for action, url in contact_page_actions(user=user, contact=contact)
                if action.key.startswith("consent.")
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    def get_search_results(self, request, queryset, search_term):
        matches = contacts_matching_identifier(search_term)
        if matches.query.is_empty():
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(pk__in=matches.values("pk")), False

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_withdraw_consent_permission(self, request) -> bool:
        return request.user.has_perm("consent.withdraw_consent")

    @admin.action(
        description="Withdraw all consent (complaint or request by phone)",
        permissions=["withdraw_consent"],
    )
    def withdraw_all(self, request, queryset):
        return run_action(
            self,
            request,
            queryset.filter(erased_at__isnull=True),
            title="Withdraw all consent",
            apply=lambda contact, data: services.contact_consent_withdraw(
                actor=request.user, contact=contact, method="staff", reference="admin"
            ),
            done_message=lambda total: f"{total} consent(s) withdrawn.",
        )

    @admin.action(
        description='Record a revocation ("stop texting / e-mailing me") by phone or e-mail',
        permissions=["withdraw_consent"],
    )
    def record_revocation(self, request, queryset):
        return run_action(
            self,
            request,
            queryset.filter(erased_at__isnull=True),
            title="Record a revocation",
            form_class=RevocationForm,
            intro="Every number (or address) of the person is opted out at once, for "
            "every sender; a text revocation gets one confirmation text.",
            apply=lambda contact, data: _revocation_apply(request.user, contact, data),
            done_message=lambda total: f"{total} consent(s) revoked.",
            label=lambda contact: f"Contact #{contact.pk}",
        )

    @admin.action(
        description="Record an objection (GDPR Art. 21), per purpose",
        permissions=["withdraw_consent"],
    )
    def record_objection(self, request, queryset):
        return run_action(
            self,
            request,
            queryset.filter(erased_at__isnull=True),
            title="Record an objection",
            form_class=ObjectionForm,
            apply=lambda contact, data: (
                services.contact_objection_record(
                    actor=request.user,
                    contact=contact,
                    purpose_codes=list(data["purposes"]),
                    direct_marketing=data["direct_marketing"],
                    method=ConsentEvent.Method.STAFF,
                    reference="admin",
                ).events
            ),
            done_message=lambda total: f"{total} objection(s) recorded.",
            label=lambda contact: f"Contact #{contact.pk}",
        )

    def has_send_preference_link_permission(self, request) -> bool:
        return request.user.has_perm("consent.send_preference_link")

    def _send_preference_links(self, request, queryset, channel: str):
        return run_action(
            self,
            request,
            queryset.order_by("pk"),
            title="Send the preference-centre link",
            limit=PREFERENCE_LINK_BATCH,
            apply=lambda contact, data: services.preference_link_send(
                actor=request.user, contact=contact, channel=channel
            ),
            done_message=lambda sent: f"Preference-centre link queued for {sent} contact(s).",
            label=lambda contact: f"Contact #{contact.pk}",
        )

    @admin.action(
        description="Send preference-centre link by e-mail", permissions=["send_preference_link"]
    )
    def send_preference_link_email(self, request, queryset):
        return self._send_preference_links(request, queryset, "email")

    @admin.action(
        description="Send preference-centre link by SMS (customer's default sender)",
        permissions=["send_preference_link"],
    )
    def send_preference_link_sms(self, request, queryset):
        return self._send_preference_links(request, queryset, "sms")


# --- FCC revocation rules, objections, material notice changes -------------------------


@admin.register(SmsProgramme)
class SmsProgrammeAdmin(admin.ModelAdmin):
    """Per customer: from when an opt-out at one sender stops all its senders."""

    list_display = ("customer", "revoke_all_from", "revoke_all_effective", "updated_at")
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)
    fields = ("customer", "revoke_all_from", "revoke_all_effective", "updated_at")
    readonly_fields = ("revoke_all_effective", "updated_at")

    @admin.display(description="In effect from (with the FCC's date)")
    def revoke_all_effective(self, obj: SmsProgramme) -> str:
        day = selectors.revoke_all_from(obj.customer) if obj.customer_id else None
        return f"{day:%Y-%m-%d}" if day else "not scheduled"

    def get_readonly_fields(self, request, obj=None):
        return ("customer", *self.readonly_fields) if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        try:
            services.sms_programme_set(
                actor=request.user, customer=obj.customer, revoke_all_from=obj.revoke_all_from
            )
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RevocationReview)
class RevocationReviewAdmin(ReadOnlyAdmin):
    """Texts that might revoke consent, for staff to decide within 10 business days."""

    list_display = (
        "received_at",
        "due_on",
        "days_left",
        "status",
        "signal",
        "customer",
        "sender",
        "contact_link",
    )
    list_filter = ("status", "due_on")
    list_select_related = ("customer",)
    search_fields = ("=contact__id",)
    ordering = ("due_on", "id")
    fields = (
        "text",
        "received_at",
        "due_on",
        "signal",
        "status",
        "customer",
        "sender",
        "contact_link",
        "resolved_at",
        "resolved_by",
    )
    readonly_fields = fields
    actions = ("mark_revoked", "mark_not_revocation")

    @admin.display(description="The text")
    def text(self, obj: RevocationReview) -> str:
        return obj.message.body or "—"

    @admin.display(description="Contact")
    def contact_link(self, obj: RevocationReview) -> str:
        return _contact_link(obj.contact_id)

    @admin.display(description="Days left")
    def days_left(self, obj: RevocationReview) -> str:
        if obj.status != RevocationReview.Status.OPEN:
            return "—"
        from django.utils import timezone

        left = (obj.due_on - timezone.localdate()).days
        return f"overdue by {-left}" if left < 0 else str(left)

    def has_resolve_permission(self, request) -> bool:
        return request.user.has_perm("consent.resolve_revocationreview")

    def _resolve(self, request, queryset, revoke: bool, title: str):
        return run_action(
            self,
            request,
            queryset.filter(status=RevocationReview.Status.OPEN),
            title=title,
            confirm=True,
            apply=lambda review, data: services.revocation_review_resolve(
                actor=request.user, review=review, revoke=revoke
            ),
            done_message=lambda done: f"{title}: {done} text(s) decided.",
            label=lambda review: f"Review #{review.pk}",
        )

    @admin.action(description="It revokes consent: opt the number out", permissions=["resolve"])
    def mark_revoked(self, request, queryset):
        return self._resolve(request, queryset, True, "Revocation")

    @admin.action(description="It does not revoke consent", permissions=["resolve"])
    def mark_not_revocation(self, request, queryset):
        return self._resolve(request, queryset, False, "Not a revocation")


@admin.register(NoticeChangeNotification)
class NoticeChangeNotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "notice", "channel", "outcome", "reason", "contact_link")
    list_filter = ("outcome", "channel", "notice")
    list_select_related = ("notice", "notice__purpose")
    search_fields = ("=contact__id",)

    @admin.display(description="Contact")
    def contact_link(self, obj: NoticeChangeNotification) -> str:
        return _contact_link(obj.contact_id)
