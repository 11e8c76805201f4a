"""Bulk import of contacts from a file (the admin's django-import-export import).

The import adapter (``privacy.resources``) walks the file row by row; everything it
decides about identifiers lives here so the rules match ``privacy.services.contacts``:

* every e-mail and phone goes through ``privacy.identifiers`` with the customer's
  default phone region;
* people are deduplicated per customer on the normalised e-mail / phone, against the
  contacts already in the database *and* against the other rows of the same file
  (rows that share an identifier are one person, merged into one contact);
* rows of one person with different names are refused (``person_name_conflicts``, the
  rule ``import_contacts`` applies too), and a merged person's country and state come
  from its first row that gives either (a contact that has either keeps them);
* a row needs an e-mail or a phone: a name alone cannot be matched on the next import,
  so re-importing the file would create the same person twice.

``ContactImportPlan.build`` reads the whole file once before anything is written and
looks existing identifiers up in a handful of batched queries (no per-row queries);
``identifiers_bulk_create`` writes the identifier rows after their contacts exist; and
``contacts_import_record`` writes the one audit event of an import (counts only)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from privacy.audit_actions import AuditAction
from privacy.identifiers import email_match_key, normalize_email, parse_phone
from privacy.models import Contact, ContactIdentifier, Customer
from privacy.services.audit import audit_event_record

LOOKUP_BATCH = 5000

NO_IDENTIFIER = (
    "Needs an e-mail address or a phone number (a name alone cannot be matched to "
    "an existing contact, so importing it twice would duplicate the person)."
)
KIND_LABELS = {"email": "e-mail address", "phone": "phone number"}
NAME_CONFLICT_IN_FILE = (
    "Its {kind} makes it the same person as {other}, whose name is different. Rows that "
    "share an e-mail address or phone number are one person: if this is the same person, "
    "correct the name; otherwise correct the {kind}."
)
NAME_CONFLICT_EXISTING = (
    "Its {kind} makes it the same person as existing contact #{contact_id}, whose name is "
    "different. If this is the same person, correct the name; otherwise correct the {kind}."
)
TWO_EXISTING = (
    "Its e-mail and phone belong to two different existing contacts (possibly through "
    "other rows of this file); merge them first or correct the file."
)


@dataclass(frozen=True)
class ImportIdentifier:
    kind: str  # "email" or "phone"
    value: str  # normalised: e-mail as stored, phone in E.164
    match_key: str
    extension: str | None = None


@dataclass
class RowPlan:
    """What one row of the file means: its normalised identifiers or why it is bad."""

    identifiers: list[ImportIdentifier] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    group: int = -1  # rows of one person share a group

    @property
    def is_valid(self) -> bool:
        return not self.errors


def row_identifiers(
    *, email: Any, phone: Any, region: str
) -> tuple[list[ImportIdentifier], dict[str, list[str]]]:
    """Normalise one row's e-mail and phone. Messages never repeat the input."""
    identifiers: list[ImportIdentifier] = []
    errors: dict[str, list[str]] = {}
    raw_email = "" if email is None else str(email).strip()
    raw_phone = "" if phone is None else str(phone).strip()
    if raw_email:
        try:
            value = normalize_email(raw_email)
        except ValidationError as exc:
            errors["email"] = list(exc.messages)
        else:
            identifiers.append(ImportIdentifier("email", value, email_match_key(value)))
    if raw_phone:
        if raw_phone.endswith(".0") and raw_phone[:-2].isdigit():
            raw_phone = raw_phone[:-2]  # a spreadsheet cell that held the number as a float
        try:
            parsed = parse_phone(raw_phone, default_region=region)
        except ValidationError as exc:
            errors["phone"] = list(exc.messages)
        else:
            identifiers.append(
                ImportIdentifier("phone", parsed.e164, parsed.e164, parsed.extension)
            )
    if not raw_email and not raw_phone:
        errors["__all__"] = [NO_IDENTIFIER]
    return identifiers, errors


def name_key(first: Any, last: Any) -> tuple[str, str]:
    """A name as the importers compare it: trimmed, case-folded (first, last)."""
    return (str(first or "").strip().casefold(), str(last or "").strip().casefold())


def same_name(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Names agree where both are given (a missing first or last name is no conflict)."""
    return all(not x or not y or x == y for x, y in zip(a, b, strict=True))


@dataclass(frozen=True)
class PersonRow:
    """One row of a person (a group of rows sharing identifiers), for the name rule."""

    where: str  # "line 12" (or "row 3" where the file's lines are unknown)
    name: tuple[str, str]  # name_key(first, last)
    keys: tuple[tuple[str, str], ...]  # (kind, match_key), e-mail first


@dataclass
class NameReference:
    """Whose name the rows of a person must agree with: an existing contact's (when it has
    a name), else the first row of the person in the file that gives one."""

    name: tuple[str, str]
    where: str = ""  # the reference row, e.g. "line 44"
    contact_id: int | None = None


def person_name_conflicts(
    rows: Sequence[PersonRow],
    *,
    reference: NameReference | None = None,
    linked_keys: set[tuple[str, str]] | frozenset = frozenset(),
) -> tuple[list[tuple[int, str]], NameReference | None]:
    """The one rule both importers apply to rows that are one person (they share an
    e-mail address or a phone number, directly or through other rows; or one of them
    belongs to an existing contact of the customer). A row whose name differs from the
    reference — the existing contact's, else the first named row's — is refused: more
    likely two people sharing an address or a number (a household, a switchboard) than
    one, and merging them would hand one the other's data on an access request.

    ``rows`` in file order; ``linked_keys``: the keys that tie rows to the person besides
    appearing on two rows (e.g. those an existing contact holds). Returns
    ``[(index in rows, message)]`` and the reference (new if none was given and a row has
    a name). Messages name the other row's line or the contact id and the kind of
    identifier, never a value."""
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        for key in row.keys:
            counts[key] = counts.get(key, 0) + 1
    shared = {key for key, n in counts.items() if n > 1} | set(linked_keys)
    conflicts: list[tuple[int, str]] = []
    for index, row in enumerate(rows):
        if not any(row.name):
            continue
        if reference is None:
            reference = NameReference(name=row.name, where=row.where)
            continue
        if same_name(reference.name, row.name):
            continue
        kind = next((k for k, _ in (key for key in row.keys if key in shared)), None)
        label = KIND_LABELS.get(kind or "", "e-mail address or phone number")
        if reference.contact_id is not None:
            message = NAME_CONFLICT_EXISTING.format(kind=label, contact_id=reference.contact_id)
        else:
            message = NAME_CONFLICT_IN_FILE.format(kind=label, other=reference.where)
        conflicts.append((index, message))
    return conflicts, reference


def existing_name_reference(contact: Contact | None) -> NameReference | None:
    """The reference an existing contact gives, if it has a name."""
    if contact is None or not (contact.first_name or contact.last_name):
        return None
    return NameReference(
        name=name_key(contact.first_name, contact.last_name), contact_id=contact.pk
    )


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        parent = self.parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def existing_identifier_owners(
    customer: Customer | None, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """{(kind, match_key): contact_id} for the keys some live contact of the customer
    already holds; batched IN lookups on the per-customer unique index."""
    by_kind: dict[str, list[str]] = {}
    for kind, match_key in keys:
        by_kind.setdefault(kind, []).append(match_key)
    owners: dict[tuple[str, str], int] = {}
    base = ContactIdentifier.objects.filter(
        customer=customer,
    )
    for kind, match_keys in by_kind.items():
        for start in range(0, len(match_keys), LOOKUP_BATCH):
            chunk = match_keys[start : start + LOOKUP_BATCH]
            for match_key, contact_id in base.filter(kind=kind, match_key__in=chunk).values_list(
                "match_key", "contact_id"
            ):
                owners[(kind, match_key)] = contact_id
    return owners


@dataclass
class ContactImportPlan:
    """The whole file, understood before anything is written.

    ``rows[i]`` is the plan of the i-th data row (0-based). Rows of one person share a
    ``group``; ``existing[group]`` is the id of the contact already in the database that
    the group merges into, if any; ``contacts`` holds those existing contacts."""

    customer: Customer | None
    rows: list[RowPlan]
    existing: dict[int, int]
    contacts: dict[int, Contact]
    owners: dict[tuple[str, str], int]
    group_sizes: dict[int, int]

    @property
    def invalid_count(self) -> int:
        return sum(1 for row in self.rows if row.errors)

    @classmethod
    def build(
        cls,
        *,
        customer: Customer | None,
        values: Sequence[tuple[Any, Any, Any, Any]],
        describe_row: Any = None,
    ) -> ContactImportPlan:
        """``values``: (email, phone, first_name, last_name) per data row, in file order.
        ``describe_row(index)`` names a row in messages (e.g. "line 12")."""
        describe_row = describe_row or (lambda index: f"row {index + 1}")
        region = customer.default_phone_region if customer else "US"
        rows: list[RowPlan] = []
        for email, phone, _first, _last in values:
            identifiers, errors = row_identifiers(email=email, phone=phone, region=region)
            rows.append(RowPlan(identifiers=identifiers, errors=errors))

        # Rows sharing an identifier are one person.
        union = _UnionFind(len(rows))
        first_row_with: dict[tuple[str, str], int] = {}
        for index, row in enumerate(rows):
            for identifier in row.identifiers:
                key = (identifier.kind, identifier.match_key)
                seen = first_row_with.setdefault(key, index)
                if seen != index:
                    union.union(seen, index)

        owners = existing_identifier_owners(customer, first_row_with.keys())
        existing: dict[int, int] = {}
        conflicting: set[int] = set()
        group_sizes: dict[int, int] = {}
        for index, row in enumerate(rows):
            group = union.find(index)
            row.group = group
            group_sizes[group] = group_sizes.get(group, 0) + 1
            for identifier in row.identifiers:
                owner = owners.get((identifier.kind, identifier.match_key))
                if owner is None:
                    continue
                if existing.setdefault(group, owner) != owner:
                    conflicting.add(group)
        for row in rows:
            if row.group in conflicting:
                row.errors.setdefault("__all__", []).append(TWO_EXISTING)

        contact_ids = sorted(set(existing.values()))
        contacts: dict[int, Contact] = {}
        for start in range(0, len(contact_ids), LOOKUP_BATCH):
            contacts.update(Contact.objects.in_bulk(contact_ids[start : start + LOOKUP_BATCH]))

        # One rule with import_contacts: rows of one person whose names differ are refused
        # (``person_name_conflicts``).
        members: dict[int, list[int]] = {}
        for index, row in enumerate(rows):
            if row.group not in conflicting:
                members.setdefault(row.group, []).append(index)
        for group, indexes in members.items():
            contact_id = existing.get(group)
            # Keys an existing contact holds (one contact per group, or it was refused).
            linked = {
                (i.kind, i.match_key)
                for index in indexes
                for i in rows[index].identifiers
                if (i.kind, i.match_key) in owners
            }
            if len(indexes) < 2 and not linked:
                continue
            person_rows = [
                PersonRow(
                    where=describe_row(index),
                    name=name_key(values[index][2], values[index][3]),
                    keys=tuple((i.kind, i.match_key) for i in rows[index].identifiers),
                )
                for index in indexes
            ]
            found, _ = person_name_conflicts(
                person_rows,
                reference=existing_name_reference(contacts.get(contact_id)),
                linked_keys=linked,
            )
            for position, message in found:
                rows[indexes[position]].errors.setdefault("__all__", []).append(message)
        return cls(
            customer=customer,
            rows=rows,
            existing=existing,
            contacts=contacts,
            owners=owners,
            group_sizes=group_sizes,
        )


def identifiers_bulk_create(
    pending: Sequence[tuple[Contact, ImportIdentifier, bool]], *, batch_size: int = 2000
) -> int:
    """Write (contact, identifier, is_primary) rows whose contact has been saved.
    On PostgreSQL through COPY (the unique index still refuses a duplicate)."""
    if connection.vendor == "postgresql":
        return _identifiers_copy(pending)
    rows = [
        ContactIdentifier(
            contact_id=contact.pk,
            customer_id=contact.customer_id,
            kind=identifier.kind,
            value=identifier.value,
            match_key=identifier.match_key,
            extension=identifier.extension,
            is_primary=is_primary,
        )
        for contact, identifier, is_primary in pending
    ]
    ContactIdentifier.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)


_IDENTIFIER_COLUMNS = (
    "contact_id",
    "customer_id",
    "kind",
    "value",
    "match_key",
    "extension",
    "is_primary",
    "created_at",
)


def _identifiers_copy(pending: Sequence[tuple[Contact, ImportIdentifier, bool]]) -> int:
    now = timezone.now()
    table = ContactIdentifier._meta.db_table
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({', '.join(_IDENTIFIER_COLUMNS)}) FROM STDIN") as copy,
    ):
        for contact, identifier, is_primary in pending:
            copy.write_row(
                (
                    contact.pk,
                    contact.customer_id,
                    identifier.kind,
                    identifier.value,
                    identifier.match_key,
                    identifier.extension,
                    is_primary,
                    now,
                )
            )
    return len(pending)


#: The import action of each table the admin imports.
_IMPORTED = {
    "contact": AuditAction.CONTACT_IMPORTED,
    "customer": AuditAction.CUSTOMER_IMPORTED,
    "interaction": AuditAction.INTERACTION_IMPORTED,
}


def contacts_import_record(
    *,
    actor: AbstractBaseUser | None,
    object_type: str,
    customer_id: int | None,
    totals: Mapping[str, int],
    identifiers_added: int | None = None,
) -> None:
    """The one audit event of a finished import: counts and the customer id, nothing
    personal. Call it inside the import's transaction."""
    summary: dict[str, Any] = {
        "customer_id": customer_id,
        "new": int(totals.get("new", 0)),
        "updated": int(totals.get("update", 0)),
        "skipped": int(totals.get("skip", 0)),
        "via": "admin_import",
    }
    if identifiers_added is not None:
        summary["identifiers_added"] = identifiers_added
    audit_event_record(
        actor=actor,
        action=_IMPORTED[object_type],
        object_type=object_type,
        object_id=customer_id or "",
        summary=summary,
    )
