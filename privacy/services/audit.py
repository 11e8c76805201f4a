"""Writing the audit trail. Summaries carry counts, codes and ids only; a value that
looks like an e-mail address or a phone number is refused, so a careless caller fails
loudly in tests instead of leaking personal data into an append-only table. The action
is a member of ``privacy.audit_actions.AuditAction`` (anything else is refused the same
way), so every name in the trail is listed, with its label, in one place."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from privacy.audit_actions import AuditAction
from privacy.bulk import bulk_insert
from privacy.models import AuditEvent

_LOOKS_PERSONAL = re.compile(r"@|\d[\d\s().-]{6,}\d")
# Dates and timestamps are not personal data and would otherwise look like phone numbers.
_ISO_DATE_OR_TIME = re.compile(r"\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?")
_MAX_TEXT = 200


class PersonalDataInAuditError(ValueError):
    """A summary value looked like personal data. The message names the key only."""


class UnknownAuditActionError(ValueError):
    """The action is not a member of ``AuditAction``."""


_ACTIONS = frozenset(AuditAction.values)


def _check_action(action: str) -> None:
    if action not in _ACTIONS:
        raise UnknownAuditActionError(
            f"Audit action {action!r} is not in privacy.audit_actions.AuditAction; add it "
            "there with a label."
        )


@functools.lru_cache(maxsize=4096)  # sweeps repeat the same keys and codes thousands of times
def _looks_personal(text: str) -> bool:
    return len(text) > _MAX_TEXT or (
        bool(_LOOKS_PERSONAL.search(text)) and not _ISO_DATE_OR_TIME.fullmatch(text)
    )


def _check_summary(value: Any, path: str) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            # Keys are data too ({"jane@example.com": 1}); the message names the parent only.
            if not isinstance(key, str | int) or (isinstance(key, str) and _looks_personal(key)):
                raise PersonalDataInAuditError(
                    f"A key of audit summary field {path!r} may hold personal data."
                )
            _check_summary(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_summary(item, f"{path}[{index}]")
    elif isinstance(value, str):
        if _looks_personal(value):
            raise PersonalDataInAuditError(f"Audit summary field {path!r} may hold personal data.")
    elif value is not None and not isinstance(value, bool | int | float):
        raise PersonalDataInAuditError(f"Audit summary field {path!r} has an unsupported type.")


def staff_user(actor: AbstractBaseUser | None) -> AbstractBaseUser | None:
    """The staff user behind ``actor``, or None for the system / an anonymous request."""
    return actor if actor is not None and actor.is_authenticated else None


def audit_event_build(
    *,
    actor: AbstractBaseUser | None,
    action: AuditAction,
    object_type: str,
    object_id: int | str = "",
    summary: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """An event checked as ``audit_event_record`` checks it, unsaved: for a hot path that
    writes it in one statement with the change it records (the STOP webhook)."""
    _check_action(action)
    summary = dict(summary or {})
    _check_summary(summary, "summary")
    user = staff_user(actor)
    return AuditEvent(
        actor_id=user.pk if user else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        summary=summary,
    )


def audit_event_record(
    *,
    actor: AbstractBaseUser | None,
    action: AuditAction,
    object_type: str,
    object_id: int | str = "",
    summary: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Call it inside the transaction of the change it records."""
    event = audit_event_build(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary,
    )
    event.save(force_insert=True)
    return event


def audit_events_record_bulk(events: list[AuditEvent]) -> None:
    """Append many events at once (sweeps); each summary is checked like a single one."""
    for event in events:
        _check_action(event.action)
        _check_summary(event.summary, "summary")
    bulk_insert(events)
