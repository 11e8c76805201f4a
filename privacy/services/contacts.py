"""Creating, changing and reading contacts. Identifiers always pass through
``privacy.identifiers`` so the same person is stored and matched one way everywhere."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from privacy.audit_actions import AuditAction
from privacy.identifiers import email_match_key, normalize_email, parse_phone
from privacy.models import Contact, ContactIdentifier, Customer, Interaction
from privacy.services.audit import audit_event_record

# Fields a service may change with contact_update; identifiers have their own service.
UPDATABLE_FIELDS = frozenset(Contact.UPDATABLE_FIELDS)


def _identifier_rows(
    *, emails: Iterable[str], phones: Iterable[str], region: str
) -> list[ContactIdentifier]:
    """Normalise every identifier; one ValidationError lists each bad one by position."""
    rows: list[ContactIdentifier] = []
    errors: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for index, raw in enumerate(emails):
        try:
            value = normalize_email(raw)
        except ValidationError as exc:
            errors.setdefault("email", []).append(f"E-mail {index + 1}: {exc.messages[0]}")
            continue
        key = ("email", email_match_key(value))
        if key not in seen:
            seen.add(key)
            rows.append(ContactIdentifier(kind="email", value=value, match_key=key[1]))
    for index, raw in enumerate(phones):
        try:
            parsed = parse_phone(raw, default_region=region)
        except ValidationError as exc:
            errors.setdefault("phone", []).append(f"Phone {index + 1}: {exc.messages[0]}")
            continue
        key = ("phone", parsed.e164)
        if key not in seen:
            seen.add(key)
            rows.append(
                ContactIdentifier(
                    kind="phone",
                    value=parsed.e164,
                    match_key=parsed.e164,
                    extension=parsed.extension,
                )
            )
    if errors:
        raise ValidationError(errors)
    return rows


def _existing_owner(customer: Customer | None, rows: Sequence[ContactIdentifier]) -> int | None:
    if not rows:
        return None
    matches = ContactIdentifier.objects.filter(customer=customer, contact__erased_at__isnull=True)
    for row in rows:
        owner = (
            matches.filter(kind=row.kind, match_key=row.match_key)
            .values_list("contact_id", flat=True)
            .first()
        )
        if owner:
            return owner
    return None


@transaction.atomic
def contact_create(
    *,
    actor: AbstractBaseUser | None,
    customer: Customer | None,
    kind: str = Contact.Kind.END_USER,
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
    **fields: Any,
) -> tuple[Contact, bool]:
    """Create a contact, or return the existing one of the same customer that already
    holds one of these identifiers (deduplication). Returns ``(contact, created)``.

    Identifiers new to an existing contact are added to it."""
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown contact fields: {', '.join(sorted(unknown))}.")
    region = customer.default_phone_region if customer else "US"
    rows = _identifier_rows(emails=emails, phones=phones, region=region)
    if not rows and not (fields.get("first_name") or fields.get("last_name")):
        raise ValidationError(
            "A contact needs at least a name, an e-mail address or a phone number."
        )

    owner_id = _existing_owner(customer, rows)
    if owner_id:
        contact = Contact.objects.select_for_update().get(pk=owner_id)
        added = _attach_identifiers(contact, rows)
        _fill_primary_fields(contact)
        if added:
            audit_event_record(
                actor=actor,
                action=AuditAction.CONTACT_IDENTIFIERS_ADDED,
                object_type="contact",
                object_id=contact.pk,
                summary={"added": added, "via": "deduplication"},
            )
        return contact, False

    primary_email = next((r.value for r in rows if r.kind == "email"), None)
    primary_phone = next((r.value for r in rows if r.kind == "phone"), None)
    contact = Contact(
        customer=customer, kind=kind, email=primary_email, phone=primary_phone, **fields
    )
    contact.full_clean(exclude=["customer"])
    contact.save()
    _attach_identifiers(contact, rows)
    audit_event_record(
        actor=actor,
        action=AuditAction.CONTACT_CREATED,
        object_type="contact",
        object_id=contact.pk,
        summary={
            "customer_id": customer.pk if customer else None,
            "kind": kind,
            "identifiers": len(rows),
        },
    )
    return contact, True


def _fill_primary_fields(contact: Contact) -> None:
    """Show a newly added primary e-mail or phone on a contact that had none of that
    kind, so the contact's page and export list it (search uses the identifier rows)."""
    missing = [kind for kind in ("email", "phone") if not getattr(contact, kind)]
    if not missing:
        return
    for kind, value in contact.identifiers.filter(kind__in=missing, is_primary=True).values_list(
        "kind", "value"
    ):
        setattr(contact, kind, value)
    changed = [kind for kind in missing if getattr(contact, kind)]
    if changed:
        contact.save(update_fields=changed)


def _attach_identifiers(contact: Contact, rows: Sequence[ContactIdentifier]) -> int:
    existing = set(contact.identifiers.values_list("kind", "match_key"))
    has_primary = {
        kind for (kind,) in contact.identifiers.filter(is_primary=True).values_list("kind")
    }
    added = 0
    for row in rows:
        if (row.kind, row.match_key) in existing:
            continue
        row.contact = contact
        row.customer_id = contact.customer_id
        row.is_primary = row.kind not in has_primary
        has_primary.add(row.kind)
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            raise ValidationError(
                f"Another contact of this customer already has this {row.get_kind_display().lower()}."
            ) from None
        added += 1
    return added


@transaction.atomic
def contact_identifier_add(
    *, actor: AbstractBaseUser | None, contact: Contact, kind: str, raw_value: str
) -> ContactIdentifier:
    """Add one e-mail or phone to a contact; refuses one another contact already holds."""
    region = contact.customer.default_phone_region if contact.customer_id else "US"
    emails, phones = (
        ([raw_value], []) if kind == ContactIdentifier.Kind.EMAIL else ([], [raw_value])
    )
    rows = _identifier_rows(emails=emails, phones=phones, region=region)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.erased_at:
        raise ValidationError("This contact has been erased.")
    _attach_identifiers(contact, rows)
    identifier = contact.identifiers.get(kind=rows[0].kind, match_key=rows[0].match_key)
    if identifier.is_primary:
        _fill_primary_fields(contact)
    audit_event_record(
        actor=actor,
        action=AuditAction.CONTACT_IDENTIFIER_ADDED,
        object_type="contact",
        object_id=contact.pk,
        summary={"kind": kind},
    )
    return identifier


@transaction.atomic
def contact_update(
    *, actor: AbstractBaseUser | None, contact: Contact, reason: str = "", **changes: Any
) -> list[str]:
    """Change a contact's fields; returns the names of the fields that changed.

    The audit event lists the changed field names (never their values)."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.erased_at:
        raise ValidationError("This contact has been erased and cannot be changed.")
    changed = [name for name, value in changes.items() if getattr(contact, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(contact, name, changes[name])
    contact.full_clean(exclude=["customer"])
    contact.save(update_fields=changed)
    audit_event_record(
        actor=actor,
        action=AuditAction.CONTACT_UPDATED,
        object_type="contact",
        object_id=contact.pk,
        summary={"fields": sorted(changed), "reason": reason[:100]},
    )
    return changed


@transaction.atomic
def contact_restrict(
    *, actor: AbstractBaseUser | None, contact: Contact, restricted: bool, reason: str = ""
) -> bool:
    """Set or clear restricted processing (GDPR Art. 18). Returns True if it changed."""
    updated = (
        Contact.objects.filter(pk=contact.pk, erased_at__isnull=True)
        .exclude(is_restricted=restricted)
        .update(is_restricted=restricted)
    )
    if updated:
        audit_event_record(
            actor=actor,
            action=AuditAction.CONTACT_RESTRICTED
            if restricted
            else AuditAction.CONTACT_UNRESTRICTED,
            object_type="contact",
            object_id=contact.pk,
            summary={"reason": reason[:100]},
        )
    return bool(updated)


@transaction.atomic
def contact_sensitive_use_limit(
    *, actor: AbstractBaseUser | None, contact: Contact, reason: str = ""
) -> bool:
    """Record that the person asked us to limit the use of their sensitive personal
    information (Cal. Civ. Code §1798.121; 11 CCR §7027): from now on it is used only
    for the purposes §7027(m) allows. Returns True if it changed (idempotent)."""
    updated = Contact.objects.filter(
        pk=contact.pk, erased_at__isnull=True, sensitive_use_limited_at__isnull=True
    ).update(sensitive_use_limited_at=timezone.now())
    if updated:
        audit_event_record(
            actor=actor,
            action=AuditAction.CONTACT_SENSITIVE_USE_LIMITED,
            object_type="contact",
            object_id=contact.pk,
            summary={"reason": reason[:100]},
        )
    return bool(updated)


def contact_viewed(*, actor: AbstractBaseUser | None, contact_id: int, via: str) -> None:
    """Record that a staff member opened a contact's full record."""
    audit_event_record(
        actor=actor,
        action=AuditAction.CONTACT_VIEWED,
        object_type="contact",
        object_id=contact_id,
        summary={"via": via},
    )


#: The bulk-read action of each table staff may export.
_BULK_READ = {
    "contact": AuditAction.CONTACT_BULK_READ,
    "customer": AuditAction.CUSTOMER_BULK_READ,
    "interaction": AuditAction.INTERACTION_BULK_READ,
    "privacy_request": AuditAction.PRIVACY_REQUEST_BULK_READ,
}


def contacts_bulk_read(
    *, actor: AbstractBaseUser | None, object_type: str, count: int, via: str
) -> None:
    """Record a bulk read (an admin export, a report) of personal data."""
    audit_event_record(
        actor=actor,
        action=_BULK_READ[object_type],
        object_type=object_type,
        summary={"rows": count, "via": via},
    )


def contacts_last_interaction_refresh(*, contact_ids: Iterable[int]) -> int:
    """Move each contact's ``last_interaction_at`` up to its newest interaction (never
    back): the retention rules for prospects, visitors and accounts count from it, so a
    person contacted last week must not look three years silent. One UPDATE."""
    ids = list(contact_ids)
    if not ids:
        return 0
    newest = (
        Interaction.objects.filter(contact_id=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    return (
        Contact.objects.filter(pk__in=ids, erased_at__isnull=True)
        .annotate(newest=Subquery(newest))
        .filter(newest__isnull=False)
        .filter(Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lt=F("newest")))
        .update(last_interaction_at=Subquery(newest))
    )
