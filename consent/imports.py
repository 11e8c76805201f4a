"""Import of consent evidence (django-import-export): a CSV with, per row, the person's
e-mail or phone, the customer, the purpose, the opt-in time, IP and source.

All-or-nothing: the whole file is validated and written in one transaction; one bad row
and nothing is saved, and every bad row is reported with its line number and reason
(reasons never repeat the value). Rows are written through ``consent.services`` so the
ledger and its projection stay in step.

Columns: customer (slug), email, phone, purpose, action (grant/withdraw/object,
default grant), occurred_at (ISO 8601 with zone), ip_address, source, notice_version,
sender, page_url, parental_consent_method, parental_consent_reference (a minor's
marketing grant is refused without the parent's verified consent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import tablib
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from import_export import fields, resources

from consent import selectors
from consent.models import Channel, ConsentEvent, Purpose
from consent.services.ledger import _event_write
from privacy.audit_actions import AuditAction
from privacy.models import Customer
from privacy.services import audit_event_record, contact_create

COLUMNS = [
    "customer", "email", "phone", "purpose", "action", "occurred_at", "ip_address", "source",
    "notice_version", "sender", "page_url", "parental_consent_method",
    "parental_consent_reference",
]  # fmt: skip


def _text(row: dict, name: str) -> str:
    value = row.get(name)
    return "" if value is None else str(value).strip()


@dataclass
class _RowPlan:
    customer: Customer
    channel: str
    identifier: str
    purpose: Purpose
    action: str
    occurred_at: Any
    notice: Any
    sender: str
    ip_address: str | None
    source: str
    page_url: str
    parental_consent_method: str = ""
    parental_consent_reference: str = ""


class ConsentEvidenceResource(resources.ModelResource):
    customer = fields.Field(column_name="customer")
    email = fields.Field(column_name="email")
    phone = fields.Field(column_name="phone")
    purpose = fields.Field(column_name="purpose")
    action = fields.Field(column_name="action")
    occurred_at = fields.Field(column_name="occurred_at")
    ip_address = fields.Field(column_name="ip_address")
    source = fields.Field(column_name="source")
    notice_version = fields.Field(column_name="notice_version")
    sender = fields.Field(column_name="sender")
    page_url = fields.Field(column_name="page_url")
    parental_consent_method = fields.Field(column_name="parental_consent_method")
    parental_consent_reference = fields.Field(column_name="parental_consent_reference")

    class Meta:
        model = ConsentEvent
        fields = tuple(COLUMNS)
        import_id_fields = ()
        use_transactions = True
        skip_diff = True
        clean_model_instances = False

    def __init__(self, actor=None, **kwargs):
        super().__init__(**kwargs)
        self.actor = actor
        self.imported = 0
        self._customers: dict[str, Customer | None] = {}
        self._purposes: dict[str, Purpose | None] = {}

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):  # fmt: skip
        # A file with any invalid row saves nothing, in the admin and everywhere else.
        kwargs["rollback_on_validation_errors"] = True
        missing = {"customer", "purpose", "occurred_at"} - set(dataset.headers or [])
        if missing:
            raise ValidationError(f"Missing columns: {', '.join(sorted(missing))}.")
        return super().import_data(
            dataset, dry_run=dry_run, raise_errors=raise_errors, use_transactions=True, **kwargs
        )

    def get_or_init_instance(self, instance_loader, row):
        return ConsentEvent(), True

    def _customer(self, slug: str) -> Customer | None:
        if slug not in self._customers:
            self._customers[slug] = Customer.objects.filter(slug=slug).first()
        return self._customers[slug]

    def _purpose(self, code: str) -> Purpose | None:
        if code not in self._purposes:
            self._purposes[code] = Purpose.objects.filter(code=code, is_active=True).first()
        return self._purposes[code]

    def import_instance(self, instance, row, **kwargs):
        errors: dict[str, list[str]] = {}
        customer = self._customer(_text(row, "customer"))
        if customer is None:
            errors["customer"] = ["Unknown customer."]
        purpose = self._purpose(_text(row, "purpose"))
        if purpose is None:
            errors["purpose"] = ["Unknown purpose."]
        action = _text(row, "action").lower() or ConsentEvent.Action.GRANT
        if action not in (
            ConsentEvent.Action.GRANT,
            ConsentEvent.Action.WITHDRAW,
            ConsentEvent.Action.OBJECT,
        ):
            errors["action"] = ["Must be grant, withdraw or object."]
        occurred_at = parse_datetime(_text(row, "occurred_at"))
        if occurred_at is None or occurred_at.tzinfo is None:
            errors["occurred_at"] = ["Needs a date and time with a zone (ISO 8601)."]
        ip_address = _text(row, "ip_address") or None
        if ip_address:
            try:
                validate_ipv46_address(ip_address)
            except ValidationError:
                errors["ip_address"] = ["Not a valid IP address."]
        channel, identifier = "", ""
        region = customer.default_phone_region if customer else None
        if purpose is not None and purpose.is_per_identifier:
            channel = purpose.channel
            column = "email" if channel == Channel.EMAIL else "phone"
            try:
                identifier = selectors.identifier_normalize(
                    channel=channel, raw=_text(row, column), region=region
                )
            except ValidationError as exc:
                errors[column] = list(exc.messages)
        elif purpose is not None:
            # Whole-person purposes find the contact by whichever identifier is given.
            for column, kind in (("email", Channel.EMAIL), ("phone", Channel.SMS)):
                if _text(row, column):
                    try:
                        channel = kind
                        identifier = selectors.identifier_normalize(
                            channel=kind, raw=_text(row, column), region=region
                        )
                    except ValidationError as exc:
                        errors[column] = list(exc.messages)
                    break
            else:
                errors["email"] = ["Needs an e-mail address or a phone number."]
        notice = None
        version = _text(row, "notice_version")
        if version and purpose is not None:
            notice = (
                selectors.notice_published(purpose_code=purpose.code, version=int(version))
                if version.isdigit()
                else None
            )
            if notice is None:
                errors["notice_version"] = ["No published notice of this version."]
        sender = ""
        if _text(row, "sender"):
            try:
                sender = selectors.sender_normalize(_text(row, "sender"), region=region)
            except ValidationError as exc:
                errors["sender"] = list(exc.messages)
        parental_method = _text(row, "parental_consent_method").lower()
        parental_reference = _text(row, "parental_consent_reference")
        if parental_method and parental_method not in ConsentEvent.ParentalConsent.values:
            errors["parental_consent_method"] = [
                "Must be one of: " + ", ".join(ConsentEvent.ParentalConsent.values) + "."
            ]
        elif parental_method and not parental_reference:
            errors["parental_consent_reference"] = ["Say where the parent's consent is kept."]
        if (
            not errors
            and action == ConsentEvent.Action.GRANT
            and purpose.is_marketing
            and not parental_method
        ):
            known = selectors.contact_for_identifier(
                customer_id=customer.pk, channel=channel, match_key=identifier
            )
            if known is not None and selectors.contact_is_minor(
                known, on=timezone.localdate(occurred_at)
            ):
                errors["parental_consent_method"] = [
                    "This person is a minor: a marketing grant needs the parent's verified "
                    "consent (parental_consent_method and parental_consent_reference)."
                ]
        if errors:
            raise ValidationError(errors)
        instance._plan = _RowPlan(
            customer=customer,
            channel=channel,
            identifier=identifier,
            purpose=purpose,
            action=action,
            occurred_at=occurred_at,
            notice=notice,
            sender=sender,
            ip_address=ip_address,
            source=_text(row, "source")[:200],
            page_url=_text(row, "page_url")[:500],
            parental_consent_method=parental_method,
            parental_consent_reference=parental_reference,
        )

    def do_instance_save(self, instance, is_create):
        plan: _RowPlan = instance._plan
        contact = selectors.contact_for_identifier(
            customer_id=plan.customer.pk, channel=plan.channel, match_key=plan.identifier
        )
        if contact is None:
            kwargs = (
                {"emails": [plan.identifier]}
                if plan.channel == Channel.EMAIL
                else {"phones": [plan.identifier]}
            )
            contact, _ = contact_create(
                actor=self.actor, customer=plan.customer, source="consent import", **kwargs
            )
        event = _event_write(
            actor=self.actor,
            purpose=plan.purpose,
            action=plan.action,
            method=ConsentEvent.Method.IMPORT,
            contact=contact,
            identifier=plan.identifier if plan.purpose.is_per_identifier else "",
            sender=plan.sender,
            notice=plan.notice,
            occurred_at=plan.occurred_at,
            ip_address=plan.ip_address,
            source=plan.source,
            page_url=plan.page_url,
            parental_consent_method=plan.parental_consent_method,
            parental_consent_reference=plan.parental_consent_reference,
        )
        instance.pk = event.pk
        self.imported += 1

    def after_import(self, dataset, result, **kwargs):
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors():
            return
        audit_event_record(
            actor=self.actor,
            action=AuditAction.CONSENT_IMPORTED,
            object_type="consent_event",
            summary={"rows": self.imported},
        )


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def consent_evidence_import(*, actor, dataset: tablib.Dataset) -> ImportReport:
    """Import a whole file or nothing. Line numbers count the header as line 1."""
    resource = ConsentEvidenceResource(actor=actor)
    try:
        with transaction.atomic():
            result = resource.import_data(dataset, dry_run=False, raise_errors=False)
    except ValidationError as exc:
        return ImportReport(errors=list(exc.messages))
    errors = []
    for row in result.invalid_rows:
        for name, messages in row.error_dict.items():
            for message in messages:
                errors.append(f"Line {row.number + 1}: {name}: {message}")
    for number, row_errors in result.row_errors():
        for error in row_errors:
            errors.append(f"Line {number + 1}: {type(error.error).__name__}")
    for error in result.base_errors:
        errors.append(f"File: {type(error.error).__name__}")
    if errors:
        return ImportReport(errors=errors)
    return ImportReport(imported=resource.imported)
