"""How staff pages say things, in one place: a staff member by name, a time to the minute
in the staff member's time zone, an erasure's counts and kept records in words.

The audit trail and the certificates store ids, codes and counts (never personal data);
these turn them into what a privacy officer, an auditor or a regulator reads. A staff
member's name is not the data subject's personal data, so it may appear on staff pages;
it never goes into an audit row (which keeps the actor's id)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from privacy import registry
from privacy.audit_actions import AuditAction
from privacy.audit_actions import (
    audit_action_label as audit_action_label,
)  # staff pages read it here

#: How a time reads on staff pages: to the minute, with the zone's abbreviation.
STAFF_TIME_FORMAT = "%Y-%m-%d %H:%M %Z"

SYSTEM_ACTOR = "the system (automatic job)"


def staff_name(user: AbstractBaseUser | None, *, system: str = SYSTEM_ACTOR) -> str:
    """A staff member as colleagues know them: full name, else the username. ``None``
    (the nightly jobs, a person on a public page) reads as ``system``."""
    if user is None:
        return system
    full = (user.get_full_name() or "").strip() if hasattr(user, "get_full_name") else ""
    return full or user.get_username()


def staff_time(value: dt.datetime | None, *, empty: str = "—") -> str:
    """``value`` to the minute in the active time zone (the staff member's, see
    ``privacy.middleware.StaffTimeZoneMiddleware``), e.g. ``2026-11-30 14:05 EST``."""
    if value is None:
        return empty
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime(STAFF_TIME_FORMAT).strip()


# --- erasure counts and kept records in words -----------------------------------------


@dataclass(frozen=True)
class ErasedItem:
    """One line of "what was (or will be) erased": the data category (the provider's
    label), what in words, and how many."""

    category: str
    what: str
    count: int


@dataclass(frozen=True)
class KeptItem:
    what: str
    count: int
    why: str
    #: The kept records' own references (e.g. privacy requests), where they have any.
    references: tuple[str, ...] = ()


def _providers_by_key() -> dict[str, registry.PersonalDataProvider]:
    return {provider.key: provider for provider in registry.providers()}


def table_label(provider_key: str, table: str) -> str:
    """Words for one of a provider's tables: its ``table_labels`` entry, else the table
    name with spaces."""
    provider = _providers_by_key().get(provider_key)
    labels = getattr(provider, "table_labels", {}) if provider is not None else {}
    return labels.get(table) or table.replace("_", " ")


def provider_label(provider_key: str) -> str:
    provider = _providers_by_key().get(provider_key)
    return provider.label if provider is not None else provider_key


def erased_items(counts: dict[str, dict[str, int]], *, skip_zero: bool = True) -> list[ErasedItem]:
    """``{provider key: {table: count}}`` (a certificate's or a preview's) in words,
    in the registry's order."""
    order = {key: index for index, key in enumerate(_providers_by_key())}
    items = []
    for provider_key in sorted(counts, key=lambda key: (order.get(key, len(order)), key)):
        for table, count in counts[provider_key].items():
            if skip_zero and not count:
                continue
            items.append(
                ErasedItem(
                    category=provider_label(provider_key),
                    what=table_label(provider_key, table),
                    count=int(count),
                )
            )
    return items


def kept_items(kept: list) -> list[KeptItem]:
    """Kept records (``registry.KeptRecords`` or a certificate's dicts) in words: a
    known table's words replace its code name."""
    labels: dict[str, str] = {}
    for provider in registry.providers():
        labels.update(getattr(provider, "kept_labels", {}))
    items = []
    for record in kept:
        table = record["table"] if isinstance(record, dict) else record.table
        count = record["count"] if isinstance(record, dict) else record.count
        reason = record["reason"] if isinstance(record, dict) else record.reason
        references = record.get("references", ()) if isinstance(record, dict) else record.references
        items.append(
            KeptItem(
                what=labels.get(table, table),
                count=int(count),
                why=reason,
                references=tuple(sorted(references)),
            )
        )
    return items


# --- the audit trail in words -----------------------------------------------------------


def audit_action_choices() -> list[tuple[str, str]]:
    """Every action of ``AuditAction`` with its words, for the audit trail's filter."""
    return sorted(AuditAction.choices, key=lambda choice: choice[1])


def _summary_value(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{_summary_key(k)} {_summary_value(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list | tuple):
        return "; ".join(_summary_value(v) for v in value) or "none"
    return str(value).replace("_", " ")


def _summary_key(key) -> str:
    return str(key).replace("_", " ").replace(".", " ")


def audit_summary_words(summary: dict | None) -> list[str]:
    """An audit row's summary as short "what: value" lines (codes and counts only: the
    summary never holds personal data)."""
    return [
        f"{_summary_key(key)}: {_summary_value(value)}" for key, value in (summary or {}).items()
    ]


# --- the objects audit rows point at --------------------------------------------------


@dataclass(frozen=True)
class AuditObjectType:
    code: str
    label: str
    #: Admin URL name of the object's page (``admin:app_model_change``), if it has one.
    url_name: str = ""


_OBJECT_TYPES: dict[str, AuditObjectType] = {}


def audit_object_type_register(code: str, label: str, url_name: str = "") -> None:
    """Say what an ``object_type`` of the audit trail is, in words, and where its page
    is. Apps call this from ``AppConfig.ready`` (privacy imports none of them)."""
    _OBJECT_TYPES[code] = AuditObjectType(code=code, label=label, url_name=url_name)


def audit_object_types() -> list[AuditObjectType]:
    return sorted(_OBJECT_TYPES.values(), key=lambda t: t.label)


def audit_object_words(object_type: str, object_id: str) -> tuple[str, str]:
    """``(words, url)`` of the object an audit row is about (url may be "")."""
    from django.urls import NoReverseMatch, reverse

    known = _OBJECT_TYPES.get(object_type)
    label = known.label if known else object_type.replace("_", " ")
    words = f"{label} #{object_id}" if object_id else label
    url = ""
    if known and known.url_name and object_id.isdigit():
        try:
            url = reverse(known.url_name, args=[object_id])
        except NoReverseMatch:
            url = ""
    return words, url
