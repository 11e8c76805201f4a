"""The export engine: a subject's data from every registered provider as a zip with one
JSON and one CSV file per table, plus a short human-readable summary. Rows are streamed
from the database into the zip, so a contact with a long history costs no more memory
than a short one. CSV cells that a spreadsheet would run as formulas are neutralised
(privacy.spreadsheets); the JSON keeps every value as stored."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterable
from typing import IO, Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from privacy import registry
from privacy.audit_actions import AuditAction
from privacy.models import Contact, DataCategory
from privacy.providers import disclosures_shown, transfers_in_force
from privacy.services.audit import audit_event_record
from privacy.spreadsheets import neutralise_formula

_ENCODER = DjangoJSONEncoder()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return neutralise_formula(json.dumps(value, cls=DjangoJSONEncoder))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return neutralise_formula(value)


def _write_table(archive: zipfile.ZipFile, folder: str, table: registry.ExportTable) -> int:
    """Write one table as JSON and CSV in a single pass over its rows."""
    count = 0
    json_name = f"{folder}/{table.name}.json"
    csv_name = f"{folder}/{table.name}.csv"
    # zipfile allows one open entry at a time, so CSV is spooled to a temporary buffer
    # on disk past 4 MB while JSON streams straight into the archive.
    with tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024, mode="w+", newline="") as spool:
        writer = csv.DictWriter(spool, fieldnames=table.fields, extrasaction="ignore")
        writer.writeheader()
        with archive.open(json_name, "w", force_zip64=True) as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8")
            out.write("[")
            for row in table.rows:
                out.write(",\n  " if count else "\n  ")
                out.write(_ENCODER.encode(row))
                writer.writerow({key: _csv_value(value) for key, value in row.items()})
                count += 1
            out.write("\n]\n" if count else "]\n")
            out.flush()
            out.detach()
        spool.seek(0)
        with archive.open(csv_name, "w", force_zip64=True) as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            while chunk := spool.read(1024 * 1024):
                out.write(chunk)
            out.flush()
            out.detach()
    return count


def _summary(contact: Contact, counts: dict[str, int], categories: Iterable[DataCategory]) -> str:
    lines = [
        "Your personal data",
        "==================",
        "",
        f"Prepared on {timezone.now():%Y-%m-%d %H:%M} UTC for record #{contact.pk}.",
        "Every table is included twice: as JSON (for other services) and as CSV (for spreadsheets).",
        "",
        "What is in this package",
        "-----------------------",
    ]
    lines += [f"- {name}: {count} record(s)" for name, count in counts.items()]
    lines += ["", "Why we hold it, where it comes from and who receives it", "-" * 56]
    transfers: dict[int, list] = {}
    for transfer in transfers_in_force():
        transfers.setdefault(transfer.category_id, []).append(transfer)
    for category in categories:
        lines += [
            f"* {category.name}",
            f"  Purposes: {category.purposes}",
            f"  Legal basis: {category.get_legal_basis_display()}",
            f"  Sources: {category.sources}",
            f"  Recipients: {category.recipients}",
            f"  Kept: {category.retention}",
        ]
        # GDPR Art. 15(2): the safeguards of each transfer outside the EEA.
        for transfer in transfers.get(category.pk, []):
            copy = f" Copy: {transfer.copy_available_at}." if transfer.copy_available_at else ""
            lines.append(
                f"  Sent outside the EEA to {transfer.recipient} ({transfer.country}); "
                f"safeguard: {transfer.get_safeguard_display()} — {transfer.safeguard_detail}.{copy}"
            )
    disclosures = list(disclosures_shown(contact).prefetch_related("categories"))
    if disclosures:
        lines += ["", "Disclosures the law required", "-" * 28]
        for disclosure in disclosures:
            names = ", ".join(sorted(c.name for c in disclosure.categories.all()))
            lines.append(
                f"- {disclosure.disclosed_on:%Y-%m-%d} to {disclosure.recipient} "
                f"({disclosure.get_recipient_kind_display()}): {names}. "
                f"Legal basis: {disclosure.legal_basis}."
            )
    return "\n".join(lines) + "\n"


def contact_export(
    *, actor: AbstractBaseUser | None, contact: Contact, destination: IO[bytes], via: str = "staff"
) -> dict[str, int]:
    """Write the subject's export package to ``destination``; returns rows per table."""
    # Decide from the database, not the caller's instance, which may predate an erasure
    # and would export the emptied tombstone as if it were the person's data.
    contact = Contact.objects.select_related("customer").get(pk=contact.pk)
    if contact.erased_at:
        raise ValueError("An erased contact has no personal data to export.")
    counts: dict[str, int] = {}
    with zipfile.ZipFile(
        destination, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1
    ) as archive:
        for provider in registry.providers():
            for table in provider.collect(contact):
                counts[f"{provider.key}/{table.name}"] = _write_table(archive, provider.key, table)
        archive.writestr("SUMMARY.txt", _summary(contact, counts, DataCategory.objects.all()))
    audit_event_record(
        actor=actor,
        action=AuditAction.CONTACT_EXPORTED,
        object_type="contact",
        object_id=contact.pk,
        summary={"tables": counts, "via": via},
    )
    return counts
