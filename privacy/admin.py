"""The privacy back office admin.

Thin by design: every change goes through ``privacy.services`` (which writes the audit
trail), actions call one service per object and report counts. Changelists are built
for tables of a million rows: no full ``COUNT(*)`` (``EstimatedCountPaginator``),
``list_select_related`` everywhere, nothing per row in ``list_display``, and searches
that use an index (e-mail and phone through the identifier table, names exactly).

Roles (``privacy.roles``) are plain permissions: the custom ones are
``export_<model>`` / ``import_<model>`` (files and the contact's data package),
``erase_contact`` and ``manage_legalhold``. The audit trail, the suppression list and
erasure certificates are read-only for everyone, superusers included."""

from __future__ import annotations

import json
import tempfile

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from import_export.admin import ImportExportMixin

from privacy import registry
from privacy.admin_kit import (
    PostedSearchMixin,
    ReadOnlyAdminMixin,
    ScalableChangelistMixin,
    id_list,
    run_action,
)
from privacy.certificate_pdf import certificate_pdf
from privacy.certificates import certificate_readable, certificate_signed
from privacy.contact_actions import contact_page_actions
from privacy.display import (
    audit_action_choices,
    audit_action_label,
    audit_object_types,
    audit_object_words,
    audit_summary_words,
    staff_name,
    staff_time,
)
from privacy.forms import (
    CONTACT_EDITABLE_FIELDS,
    ContactAddForm,
    ContactChangeForm,
    ContactConfirmImportForm,
    ContactImportForm,
    DisclosureAddForm,
    LegalHoldActionForm,
    LegalHoldAddForm,
    ReasonForm,
    SizeLimitedImportForm,
)
from privacy.hashing import identifier_hmacs_all_keys
from privacy.identifiers import search_keys
from privacy.models import (
    OPEN_MINOR_STATES,
    AuditEvent,
    Contact,
    Customer,
    DataCategory,
    DataTransfer,
    Disclosure,
    ErasureCertificate,
    Interaction,
    LegalHold,
    MinorErasure,
    OutboxTask,
    RetentionRule,
    Suppression,
)
from privacy.resources import (
    EXPORT_FORMATS,
    IMPORT_FORMATS,
    ContactExportResource,
    ContactResource,
    CustomerResource,
    InteractionResource,
)
from privacy.selectors import contacts_matching_identifier
from privacy.services import (
    contact_create,
    contact_erase,
    contact_export,
    contact_identifier_add,
    contact_minor_flag,
    contact_update,
    contact_viewed,
    contacts_bulk_read,
    disclosure_notice_release,
    disclosure_record,
    erasure_preview,
    legal_hold_lift,
    legal_hold_place,
    minor_erasure_cancel,
    minor_erasure_schedule_if_minor,
)


class PrivacyImportExportMixin(ImportExportMixin):
    """Import/export with the privacy rules: custom ``import_<model>`` /
    ``export_<model>`` permissions, line-numbered formats, the upload size limit, and a
    bulk-read audit event for every export."""

    import_formats = IMPORT_FORMATS
    export_formats = EXPORT_FORMATS
    import_form_class = SizeLimitedImportForm
    import_template_name = "admin/privacy/import.html"
    import_error_display = ("message",)

    def has_import_permission(self, request):
        return request.user.has_perm(f"privacy.import_{self.opts.model_name}")

    def has_export_permission(self, request):
        return request.user.has_perm(f"privacy.export_{self.opts.model_name}")

    def get_import_resource_kwargs(self, request, **kwargs):
        return {}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {}

    def get_data_for_export(self, request, queryset, **kwargs):
        dataset = super().get_data_for_export(request, queryset, **kwargs)
        contacts_bulk_read(
            actor=request.user,
            object_type=self.opts.model_name,
            count=len(dataset),
            via="admin_export",
        )
        return dataset


# --- legal hold actions (contacts and customers) -------------------------------------------


def _place_holds(modeladmin, request, queryset, target: str):
    """A page asks the reason and end date; then ``legal_hold_place`` per object."""
    return run_action(
        modeladmin,
        request,
        queryset,
        title="Place a legal hold",
        form_class=LegalHoldActionForm,
        intro=(
            f"While the hold applies, erasure and retention deletion of the "
            f"{modeladmin.opts.verbose_name_plural} below are refused, with the hold's reason."
        ),
        apply=lambda obj, data: legal_hold_place(
            actor=request.user, reason=data["reason"], ends_on=data["ends_on"], **{target: obj}
        ),
        done_message=lambda placed: f"Legal hold placed on {placed} {target}(s).",
    )


def _lift_holds(modeladmin, request, queryset, target: str):
    """Lift every open hold of each selected object."""

    def lift(obj, data) -> int:
        holds = LegalHold.objects.filter(lifted_at__isnull=True, **{target: obj})
        return sum(legal_hold_lift(actor=request.user, hold=hold) for hold in holds)

    return run_action(
        modeladmin,
        request,
        queryset,
        title="Lift legal holds",
        apply=lift,
        done_message=lambda lifted: f"Lifted {lifted} legal hold(s).",
    )


class HoldPermissionMixin:
    def has_hold_permission(self, request):
        return request.user.has_perm("privacy.manage_legalhold")


# --- customers -------------------------------------------------------------------------------


@admin.register(Customer)
class CustomerAdmin(HoldPermissionMixin, ScalableChangelistMixin, PrivacyImportExportMixin, admin.ModelAdmin):  # fmt: skip
    resource_classes = [CustomerResource]
    list_display = ("name", "slug", "status", "default_phone_region", "contract_ended_on", "last_activity_at")  # fmt: skip
    list_filter = ("status",)
    search_fields = ("name", "=slug")
    readonly_fields = ("created_at",)
    actions = ["place_hold", "lift_holds"]

    @admin.action(description="Place a legal hold on the selected customers", permissions=["hold"])
    def place_hold(self, request, queryset):
        return _place_holds(self, request, queryset, "customer")

    @admin.action(description="Lift legal holds of the selected customers", permissions=["hold"])
    def lift_holds(self, request, queryset):
        return _lift_holds(self, request, queryset, "customer")


# --- contacts ----------------------------------------------------------------------------------


class ErasedFilter(admin.SimpleListFilter):
    title = "erased"
    parameter_name = "erased"

    def lookups(self, request, model_admin):
        return (("no", "Not erased"), ("yes", "Erased"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(erased_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(erased_at__isnull=True)
        return queryset


def _name_variants(text: str) -> list[str]:
    return list(dict.fromkeys([text, text.title(), text.capitalize(), text.lower(), text.upper()]))


CONTACT_SECTION_LIMIT = 50


@admin.register(Contact)
class ContactAdmin(PostedSearchMixin, HoldPermissionMixin, ScalableChangelistMixin, PrivacyImportExportMixin, admin.ModelAdmin):  # fmt: skip
    resource_classes = [ContactResource]
    import_form_class = ContactImportForm
    confirm_form_class = ContactConfirmImportForm
    change_form_template = "admin/privacy/contact/change_form.html"
    list_display = ("__str__", "name", "customer", "kind", "email", "phone", "created_at")
    list_select_related = ("customer",)
    list_filter = ("kind", ErasedFilter, "customer")
    sortable_by = ()
    search_fields = ("last_name",)  # shows the search box; get_search_results does the work
    search_help_text = (
        "An e-mail address or a phone number in any format, a last name, "
        "a first and last name (exact), or #id."
    )
    autocomplete_fields = ("customer",)
    actions = ["export_data", "erase_contacts", "mark_minor", "place_hold", "lift_holds"]
    readonly_on_change = (
        "customer",
        "email",
        "phone",
        "is_restricted",
        "created_at",
        "last_interaction_at",
        "erased_at",
    )

    # -- permissions --

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.erased_at:
            return False  # an erased contact's page is read-only
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # personal data leaves through erasure, which is certified

    def has_erase_permission(self, request):
        return request.user.has_perm("privacy.erase_contact")

    def has_flag_minor_permission(self, request):
        return request.user.has_perm("privacy.flag_minor_contact")

    # -- changelist --

    @admin.display(description="Name")
    def name(self, obj):
        return obj.display_name

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        ids = id_list(term)
        if ids is not None:
            return queryset.filter(pk__in=ids), False
        region = self._search_region(request)
        if search_keys(term, default_region=region):
            matches = contacts_matching_identifier(term, default_region=region)
            return queryset.filter(pk__in=matches.values("pk")), False
        if "@" in term or any(ch.isdigit() for ch in term):
            return queryset.none(), False
        words = term.split()
        condition = Q(last_name__in=_name_variants(term))
        if len(words) > 1:
            condition |= Q(
                first_name__in=_name_variants(words[0]),
                last_name__in=_name_variants(" ".join(words[1:])),
            )
        return queryset.filter(condition), False

    def _search_region(self, request) -> str:
        customer_id = request.GET.get("customer__id__exact") or request.POST.get(
            "customer__id__exact", ""
        )
        if customer_id.isdigit():
            region = (
                Customer.objects.filter(pk=customer_id)
                .values_list("default_phone_region", flat=True)
                .first()
            )
            if region:
                return region
        return "US"

    # -- the change page --

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ContactChangeForm if obj is not None else ContactAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        details = ("first_name", "last_name", "kind")
        address = Contact.ADDRESS_FIELDS
        other = ("date_of_birth", "is_minor", "source", "notes", "do_not_contact")
        if obj is None:
            return [
                (None, {"fields": ("customer", *details)}),
                ("Identifiers", {"fields": ("email_address", "phone_number")}),
                ("Address", {"fields": address}),
                ("Other", {"fields": other}),
            ]
        identifiers = ("email", "phone")
        if self.has_change_permission(request, obj):
            identifiers += ("add_email", "add_phone")
        return [
            (None, {"fields": ("customer", *details)}),
            ("Identifiers", {"fields": identifiers}),
            ("Address", {"fields": address}),
            ("Other", {"fields": other}),
            (
                "Status",
                {"fields": ("is_restricted", "created_at", "last_interaction_at", "erased_at")},
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_on_change if obj is not None else ()

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {
                name: data[name] for name in form.changed_data if name in CONTACT_EDITABLE_FIELDS
            }
            if changes:
                contact_update(actor=request.user, contact=obj, reason="admin", **changes)
            if {"is_minor", "date_of_birth", "country", "state"} & set(changes):
                self._queue_if_minor(request, obj)
            for kind in ("email", "phone"):
                if data.get(f"add_{kind}"):
                    contact_identifier_add(
                        actor=request.user, contact=obj, kind=kind, raw_value=data[f"add_{kind}"]
                    )
            obj.refresh_from_db()
            return
        fields = {
            name: data[name]
            for name in CONTACT_EDITABLE_FIELDS
            if name != "kind" and data.get(name) not in (None, "")
        }
        contact, created = contact_create(
            actor=request.user,
            customer=data.get("customer"),
            kind=data.get("kind") or Contact.Kind.END_USER,
            emails=[data["email_address"]] if data.get("email_address") else [],
            phones=[data["phone_number"]] if data.get("phone_number") else [],
            **fields,
        )
        obj.pk = contact.pk
        obj.refresh_from_db()
        if created:
            self._queue_if_minor(request, obj)
        if not created:
            obj._merged_into_existing = True
            self.message_user(
                request,
                f"This customer already had {contact} with this e-mail or phone; the "
                "identifiers were added to it and its other details left unchanged.",
                level=messages.WARNING,
            )

    def _queue_if_minor(self, request, contact: Contact) -> None:
        erasure = minor_erasure_schedule_if_minor(actor=request.user, contact=contact)
        if erasure is not None and erasure.is_open:
            self.message_user(
                request,
                f"{contact} is a minor (under {erasure.age_limit}): their data is scheduled "
                f"for erasure on {erasure.erase_after:%Y-%m-%d} (Minors' data to erase).",
                level=messages.WARNING,
            )

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(obj, "_merged_into_existing", False):
            # The person was already known: show them, not an empty list.
            return HttpResponseRedirect(reverse("admin:privacy_contact_change", args=[obj.pk]))
        return super().response_add(request, obj, post_url_continue)

    def save_related(self, request, form, formsets, change):
        pass  # no related objects are edited here; identifiers go through the services

    def change_view(self, request, object_id, form_url="", extra_context=None):
        contact = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if contact is not None and self.has_view_or_change_permission(request, contact):
            if request.method == "GET":
                contact_viewed(actor=request.user, contact_id=contact.pk, via="admin")
            extra_context.update(self._sections(request, contact))
        return super().change_view(request, object_id, form_url, extra_context)

    def _sections(self, request, contact: Contact) -> dict:
        """The read-only sections under the form, each bounded in size."""
        user = request.user
        sections: dict = {"section_limit": CONTACT_SECTION_LIMIT}
        sections["identifiers"] = list(contact.identifiers.order_by("kind", "-is_primary", "id"))
        if user.has_perm("privacy.view_interaction"):
            latest = list(
                Interaction.objects.filter(contact=contact)
                .order_by("-occurred_at")
                .only(
                    "id",
                    "channel",
                    "direction",
                    "occurred_at",
                    "duration_seconds",
                    "deidentified_at",
                    "contact_id",
                )[: CONTACT_SECTION_LIMIT + 1]
            )
            sections["interactions"] = latest[:CONTACT_SECTION_LIMIT]
            sections["interactions_more"] = len(latest) > CONTACT_SECTION_LIMIT
            sections["interactions_url"] = (
                reverse("admin:privacy_interaction_changelist")
                + f"?contact__id__exact={contact.pk}"
            )
        if user.has_perm("privacy.view_legalhold"):
            holds = LegalHold.objects.covering([contact])
            sections["legal_holds"] = list(holds.order_by("-placed_at")[:CONTACT_SECTION_LIMIT])
        if user.has_perm("privacy.view_erasurecertificate"):
            sections["certificates"] = list(
                contact.erasure_certificates.select_related("performed_by")
            )
        if user.has_perm("privacy.view_auditevent"):
            sections["audit_events"] = list(
                AuditEvent.objects.filter(object_type="contact", object_id=str(contact.pk))
                .select_related("actor")
                .order_by("-occurred_at", "-id")[:CONTACT_SECTION_LIMIT]
            )
            sections["audit_url"] = (
                reverse("admin:privacy_auditevent_changelist")
                + f"?object_type=contact&object_id={contact.pk}"
            )
        sections["consent_history_url"] = self._consent_history_url(request, contact)
        # What other apps let this user do about the contact (privacy imports none of them).
        sections["contact_actions"] = contact_page_actions(user=user, contact=contact)
        return sections

    @staticmethod
    def _consent_history_url(request, contact: Contact) -> str | None:
        """The contact's consent history page, when the consent app is installed (privacy
        never imports it: the URL name is its published interface) and the user may view
        it."""
        if not request.user.has_perm("consent.view_contactconsent"):
            return None
        try:
            return reverse("admin:consent_contactconsent_change", args=[contact.pk])
        except NoReverseMatch:
            return None

    # -- import --

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        customer = None
        if form is not None and getattr(form, "cleaned_data", None):
            customer = form.cleaned_data.get("customer")
        return {"customer": customer}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["customer"] = import_form.cleaned_data["customer"].pk
        return initial

    def get_export_resource_classes(self, request):
        return [ContactExportResource]

    # -- actions --

    @admin.action(description="Export data (zip of JSON + CSV)", permissions=["export"])
    def export_data(self, request, queryset):
        contacts = list(queryset.select_related("customer")[:2])
        if len(contacts) != 1:
            self.message_user(
                request, "Select exactly one contact to export.", level=messages.ERROR
            )
            return None
        contact = contacts[0]
        if contact.erased_at:
            self.message_user(
                request, f"{contact} has no personal data left to export.", level=messages.ERROR
            )
            return None
        package = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        contact_export(actor=request.user, contact=contact, destination=package, via="admin")
        package.seek(0)
        return FileResponse(
            package,
            as_attachment=True,
            filename=f"contact-{contact.pk}-data.zip",
            content_type="application/zip",
        )

    @admin.action(description="Erase personal data…", permissions=["erase"])
    def erase_contacts(self, request, queryset):
        def erase(contact: Contact, data) -> bool:
            if contact.erased_at:
                return False
            contact_erase(actor=request.user, contact=contact)
            return True

        return run_action(
            self,
            request,
            queryset.select_related("customer"),
            title="Erase personal data",
            confirm=True,
            template="admin/privacy/contact/erase_confirmation.html",
            extra=lambda: self._erase_previews(queryset.select_related("customer")),
            limit=CONTACT_SECTION_LIMIT,
            apply=erase,
            done_message=lambda erased: f"Erased {erased} contact(s); certificates recorded.",
        )

    @staticmethod
    def _erase_previews(contacts) -> dict:
        labels = {provider.key: provider.label for provider in registry.providers()}
        previews = []
        for contact in contacts:
            preview = erasure_preview(contact=contact)
            previews.append(
                {
                    "contact": contact,
                    "erased": [
                        (labels.get(key, key), table, count)
                        for key, tables in preview.erased.items()
                        for table, count in tables.items()
                    ],
                    "kept": preview.kept,
                    "blocked_by": preview.blocked_by,
                    "deferred_by": preview.deferred_by,
                    "already_erased": contact.erased_at is not None,
                }
            )
        return {
            "previews": previews,
            "blocked": sum(1 for p in previews if p["blocked_by"]),
            # Erasure waits (e.g. for an open privacy request); refused now with the reason.
            "deferred": sum(1 for p in previews if p["deferred_by"] and not p["blocked_by"]),
        }

    @admin.action(description="Mark as a minor (schedules erasure)…", permissions=["flag_minor"])
    def mark_minor(self, request, queryset):
        return run_action(
            self,
            request,
            queryset.filter(erased_at__isnull=True),
            confirm=True,
            title="Mark as a minor",
            intro=(
                "These contacts are marked as minors and their data is scheduled for "
                f"erasure after {settings.PRIVACY_MINOR_ERASURE_DAYS} days, unless a legal "
                "hold applies. They appear in Minors' data to erase until it is done."
            ),
            apply=lambda contact, data: contact_minor_flag(
                actor=request.user, contact=contact, is_minor=True, reason="admin action"
            ),
            done_message=lambda n: f"{n} contact(s) marked as minors; erasure scheduled.",
        )

    @admin.action(description="Place a legal hold…", permissions=["hold"])
    def place_hold(self, request, queryset):
        return _place_holds(self, request, queryset, "contact")

    @admin.action(description="Lift legal holds", permissions=["hold"])
    def lift_holds(self, request, queryset):
        return _lift_holds(self, request, queryset, "contact")


# --- interactions ----------------------------------------------------------------------------


@admin.register(Interaction)
class InteractionAdmin(ScalableChangelistMixin, PrivacyImportExportMixin, admin.ModelAdmin):
    """Read-only: interactions come from the platform (or an import); they leave through
    erasure and retention, never by hand."""

    resource_classes = [InteractionResource]
    list_display = ("__str__", "contact", "customer", "channel", "direction", "occurred_at", "duration_seconds")  # fmt: skip
    list_select_related = ("contact", "customer")
    list_filter = ("channel", "direction", "customer")
    sortable_by = ()
    raw_id_fields = ("contact",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_ordering(self, request):
        # A contact's history uses the (contact, -occurred_at) index; the whole table is
        # walked by primary key (roughly arrival order) instead of sorting a million rows.
        if "contact__id__exact" in request.GET:
            return ("-occurred_at",)
        return ("-id",)


# --- record of processing, retention, holds ----------------------------------------------------


@admin.register(DataCategory)
class DataCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "legal_basis", "is_sensitive", "sold_or_shared")
    list_filter = ("legal_basis", "is_sensitive", "sold_or_shared")
    search_fields = ("name", "=code")


@admin.register(DataTransfer)
class DataTransferAdmin(admin.ModelAdmin):
    """Transfers outside the EEA per data category and their safeguards (GDPR Art. 46):
    part of the record of processing, given in access answers (Art. 15(2))."""

    list_display = ("category", "recipient", "country", "safeguard", "since", "until")
    list_select_related = ("category",)
    list_filter = ("safeguard", "country", "category")
    search_fields = ("recipient", "=country")


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    list_display = ("code", "customer", "period_days", "action", "is_active", "source")
    list_select_related = ("customer",)
    list_filter = ("code", "is_active", ("customer", admin.EmptyFieldListFilter))
    autocomplete_fields = ("customer",)
    search_fields = ("=code", "customer__name")


class ActiveHoldFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("active", "Active"), ("ended", "Lifted or ended"))

    def queryset(self, request, queryset):
        active = LegalHold.objects.active().values("pk")
        if self.value() == "active":
            return queryset.filter(pk__in=active)
        if self.value() == "ended":
            return queryset.exclude(pk__in=active)
        return queryset


@admin.register(LegalHold)
class LegalHoldAdmin(ScalableChangelistMixin, admin.ModelAdmin):
    """Holds are placed (through ``legal_hold_place``) and lifted, never edited."""

    form = LegalHoldAddForm
    list_display = ("__str__", "contact", "customer", "placed_at", "ends_on", "lifted_at", "placed_by")  # fmt: skip
    list_select_related = ("contact", "customer", "placed_by")
    list_filter = (ActiveHoldFilter,)
    raw_id_fields = ("contact",)
    autocomplete_fields = ("customer",)
    readonly_fields = ("placed_by", "placed_at", "lifted_at", "lifted_by")
    actions = ["lift"]

    def has_add_permission(self, request):
        return request.user.has_perm("privacy.manage_legalhold")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_lift_permission(self, request):
        return request.user.has_perm("privacy.manage_legalhold")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("contact", "customer", "reason", "ends_on")
        return ("contact", "customer", "reason", "ends_on", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        hold = legal_hold_place(
            actor=request.user,
            reason=data["reason"],
            contact=data.get("contact"),
            customer=data.get("customer"),
            ends_on=data.get("ends_on"),
        )
        obj.pk = hold.pk
        obj.refresh_from_db()

    @admin.action(description="Lift the selected holds", permissions=["lift"])
    def lift(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            title="Lift legal holds",
            apply=lambda hold, data: legal_hold_lift(actor=request.user, hold=hold),
            done_message=lambda lifted: f"Lifted {lifted} legal hold(s).",
        )


# --- children's data: the queue of minors' data to erase ----------------------------------------


class MinorQueueFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return (
            ("open", "Still to erase (default)"),
            ("closed", "Erased or cancelled"),
            ("all", "All"),
        )

    def choices(self, changelist):
        value = self.value() or "open"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "open":
            return queryset.filter(state__in=OPEN_MINOR_STATES)
        if value == "closed":
            return queryset.exclude(state__in=OPEN_MINOR_STATES)
        return queryset


@admin.register(MinorErasure)
class MinorErasureAdmin(ReadOnlyAdminMixin, ScalableChangelistMixin, admin.ModelAdmin):
    """The staff queue of minors' data to erase: every contact known to be a minor stays
    here until the nightly job (``minors_data_erase``) has erased it. Held and waiting
    entries show why; staff may cancel one that was a mistake (with the reason)."""

    list_display = (
        "contact",
        "state",
        "basis",
        "age_limit",
        "jurisdiction",
        "found_at",
        "erase_after",
        "reason",
        "certificate",
    )
    list_select_related = ("contact", "certificate")
    list_filter = (MinorQueueFilter, "state", "basis")
    search_fields = ("=contact__id",)
    search_help_text = "Contact id."
    actions = ["cancel"]
    ordering = ("erase_after", "id")

    def has_erase_permission(self, request):
        return request.user.has_perm("privacy.erase_contact")

    @admin.action(description="Cancel (not a minor)…", permissions=["erase"])
    def cancel(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Cancel the erasure of a minor's data",
            intro="Correct the contact's birth date or minor flag too, or the entry stays cancelled "
            "only until the contact is marked as a minor again.",
            apply=lambda erasure, data: minor_erasure_cancel(
                actor=request.user, erasure=erasure, reason=data["reason"]
            ),
            done_message=lambda n: f"{n} erasure(s) cancelled.",
        )


# --- the disclosure log -------------------------------------------------------------------------


@admin.register(Disclosure)
class DisclosureAdmin(ScalableChangelistMixin, admin.ModelAdmin):
    """Disclosures to authorities and third parties under a legal obligation. Logged
    through ``disclosure_record`` (which notifies the person of a compelled disclosure
    unless the law forbids it), never edited or deleted."""

    form = DisclosureAddForm
    list_display = (
        "__str__",
        "contact",
        "recipient",
        "recipient_kind",
        "disclosed_on",
        "compelled",
        "notice",
        "notice_forbidden_until",
        "notified_at",
    )
    list_select_related = ("contact",)
    list_filter = ("recipient_kind", "notice", "compelled", "disclosed_on")
    search_fields = ("=contact__id", "=reference")
    raw_id_fields = ("contact",)
    filter_horizontal = ("categories",)
    readonly_fields = ("notice", "notified_at", "recorded_by", "recorded_at")
    actions = ["release_notice"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_release_permission(self, request):
        return request.user.has_perm("privacy.add_disclosure")

    def get_fields(self, request, obj=None):
        fields = list(DisclosureAddForm.Meta.fields)
        return fields if obj is None else [*fields, *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        disclosure = disclosure_record(
            actor=request.user,
            contact=data["contact"],
            recipient=data["recipient"],
            recipient_kind=data["recipient_kind"],
            disclosed_on=data["disclosed_on"],
            legal_basis=data["legal_basis"],
            categories=list(data["categories"]),
            compelled=data["compelled"],
            reference=data.get("reference") or "",
            notice_forbidden_basis=data.get("notice_forbidden_basis") or "",
            notice_forbidden_until=data.get("notice_forbidden_until"),
        )
        obj.pk = disclosure.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        pass  # the categories are set by disclosure_record

    @admin.action(
        description="Send the notice now (the prohibition ended)", permissions=["release"]
    )
    def release_notice(self, request, queryset):
        return run_action(
            self,
            request,
            queryset,
            confirm=True,
            title="Send the disclosure notice",
            intro="Only when the law or order that forbade telling the person no longer does.",
            apply=lambda disclosure, data: disclosure_notice_release(
                actor=request.user, disclosure=disclosure
            ),
            done_message=lambda n: f"{n} notice(s) released.",
        )


# --- read-only registers ------------------------------------------------------------------------


@admin.register(Suppression)
class SuppressionAdmin(
    PostedSearchMixin, ReadOnlyAdminMixin, ScalableChangelistMixin, admin.ModelAdmin
):
    list_display = ("__str__", "channel", "scope", "customer", "created_on", "reason", "key_id", "lifted_at", "lifted_by_event_id")  # fmt: skip
    list_select_related = ("customer",)
    list_filter = ("channel", "scope", ("lifted_at", admin.EmptyFieldListFilter))
    search_fields = ("identifier_hmac",)
    search_help_text = "An e-mail address or phone number: it is hashed and looked up."
    sortable_by = ()

    def get_search_results(self, request, queryset, search_term):
        # Django asks this with an empty term for every changelist page: list everything.
        if not search_term.strip():
            return queryset, False
        ids = id_list(search_term.strip())
        if ids is not None:
            return queryset.filter(pk__in=ids), False
        keys = search_keys(search_term.strip())
        digests = [
            digest
            for kind, match_key in keys
            for digest in identifier_hmacs_all_keys(channel=kind, value=match_key)
        ]
        return queryset.filter(identifier_hmac__in=digests), False


@admin.register(ErasureCertificate)
class ErasureCertificateAdmin(ReadOnlyAdminMixin, ScalableChangelistMixin, admin.ModelAdmin):
    """Certificates read as certificates: the page says who (by name), when (to the
    minute, in the reader's time zone), what was erased and kept in words, with the
    signature; the PDF and the signed JSON are downloads (``privacy.certificates``)."""

    list_display = ("__str__", "contact", "performed_when", "performed_by_name", "trigger", "reference", "suppressed")  # fmt: skip
    list_select_related = ("contact", "performed_by")
    list_filter = ("trigger",)
    search_fields = ("=contact__id",)
    search_help_text = "A contact id."
    sortable_by = ()

    @admin.display(description="Performed")
    def performed_when(self, obj):
        return staff_time(obj.performed_at)

    @admin.display(description="Performed by")
    def performed_by_name(self, obj):
        return staff_name(obj.performed_by, system="automatic job")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().lstrip("#")
        if not term:
            return queryset, False
        if not term.isdigit():
            return queryset.none(), False
        return queryset.filter(contact_id=int(term)), False

    def get_urls(self):
        def view(name, func):
            return path(
                f"<int:object_id>/{name}/",
                self.admin_site.admin_view(func),
                name=f"privacy_erasurecertificate_{name.replace('.', '_')}",
            )

        return [
            view("pdf", self.pdf_view),
            view("signed.json", self.json_view),
            *super().get_urls(),
        ]

    def _certificate(self, request, object_id) -> ErasureCertificate:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            ErasureCertificate.objects.select_related("performed_by"), pk=object_id
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        certificate = self._certificate(request, object_id)
        if request.method != "GET":
            raise PermissionDenied  # a certificate is never changed
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "has_change_permission": False,
            "title": f"Erasure certificate #{certificate.pk}",
            "original": certificate,
            "cert": certificate_readable(certificate),
            "public_key_url": request.build_absolute_uri(reverse("privacy:certificate_key")),
        }
        return TemplateResponse(
            request, "admin/privacy/erasurecertificate/certificate.html", context
        )

    def pdf_view(self, request, object_id):
        certificate = self._certificate(request, object_id)
        pdf = certificate_pdf(
            certificate_readable(certificate),
            public_key_url=request.build_absolute_uri(reverse("privacy:certificate_key")),
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="erasure-certificate-{certificate.pk}.pdf"'
        )
        return response

    def json_view(self, request, object_id):
        certificate = self._certificate(request, object_id)
        response = HttpResponse(
            json.dumps(certificate_signed(certificate), indent=2) + "\n",
            content_type="application/json",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="certificate-{certificate.pk}.json"'
        )
        return response


class AuditActorFilter(admin.SimpleListFilter):
    """Who did it: a staff member (by name), or the system's own jobs."""

    title = "who"
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        staff = get_user_model().objects.filter(is_staff=True).order_by("username")[:300]
        return [("system", "The system (automatic jobs, public pages)")] + [
            (str(user.pk), staff_name(user)) for user in staff
        ]

    def queryset(self, request, queryset):
        if self.value() == "system":
            return queryset.filter(actor__isnull=True)
        if self.value() and self.value().isdigit():
            return queryset.filter(actor_id=int(self.value()))
        return queryset


class AuditActionFilter(admin.SimpleListFilter):
    title = "what"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return audit_action_choices()

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class AuditObjectTypeFilter(admin.SimpleListFilter):
    """What it was done to. With ``object_id`` in the URL (the links from a contact's or
    a request's page) it narrows to one object."""

    title = "about"
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        return [(t.code, t.label) for t in audit_object_types()]

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, ScalableChangelistMixin, admin.ModelAdmin):
    """Append-only; the database refuses UPDATE and DELETE on PostgreSQL as well. Read
    in words: when (to the minute, the reader's time zone), who (by name), what, about
    what (linked), and the summary's codes and counts."""

    list_display = ("when", "who", "what", "about", "details")
    list_select_related = ("actor",)
    list_filter = (AuditActorFilter, AuditActionFilter, AuditObjectTypeFilter)
    search_fields = ("=action",)
    search_help_text = "An object as type:id (contact:42, privacy_request:7), or an action code."
    sortable_by = ()
    # One event's page says the same, plus the action's code name (what searches use).
    readonly_fields = ("when", "who", "what", "action", "about", "details")
    fields = readonly_fields

    class Media:
        css = {"all": ("privacy/staff.css",)}

    def lookup_allowed(self, lookup, value, request=None):
        # The links from an object's page narrow the trail to it.
        return lookup == "object_id" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="When")
    def when(self, obj):
        return staff_time(obj.occurred_at)

    @admin.display(description="Who")
    def who(self, obj):
        return staff_name(obj.actor)

    @admin.display(description="What")
    def what(self, obj):
        # The words staff read, and the name the code and searches use.
        return format_html("{}<br><code>{}</code>", audit_action_label(obj.action), obj.action)

    @admin.display(description="About")
    def about(self, obj):
        words, url = audit_object_words(obj.object_type, obj.object_id)
        return format_html('<a href="{}">{}</a>', url, words) if url else words

    @admin.display(description="Details")
    def details(self, obj):
        lines = audit_summary_words(obj.summary)
        if not lines:
            return "—"
        return format_html(
            '<ul class="audit-summary">{}</ul>',
            format_html_join("", "<li>{}</li>", ((line,) for line in lines)),
        )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if ":" in term:
            object_type, _, object_id = term.partition(":")
            return queryset.filter(object_type=object_type, object_id=object_id), False
        return queryset.filter(action=term), False


@admin.register(OutboxTask)
class OutboxTaskAdmin(ReadOnlyAdminMixin, ScalableChangelistMixin, admin.ModelAdmin):
    """Queued work: written by services, published after the commit, re-published by the
    relay after a broker outage. Rows still pending say how often publishing failed and
    with which error type."""

    list_display = ("id", "task", "args", "created_at", "sent_at", "attempts", "last_error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter),)
    sortable_by = ()


# Staff accounts (in place of django.contrib.auth's user admin): see admin_staff.py.
from privacy import admin_staff  # noqa: E402, F401
