"""Staff accounts: accountability survives the account.

Every record of who did something (audit events, erasure certificates, legal holds,
request timelines, consent events recorded by staff…) points at the staff user with
``on_delete=PROTECT``, so the database keeps its actor. A staff member who acted is
therefore **deactivated**, never deleted: ``staff_user_deactivate``. Creating a staff
user and changing its staff / superuser / active flags, groups or permissions go
through ``staff_user_save``, which writes the audit row in the same transaction.

Audit rows hold user ids, flags, group names and permission codenames; never a name,
username or e-mail address (changed personal fields are listed by name only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.core.exceptions import ValidationError
from django.db import models, transaction

from privacy.audit_actions import AuditAction
from privacy.services.audit import audit_event_record

FLAGS = ("is_active", "is_staff", "is_superuser")
#: Personal fields of the account: their changes are audited by name, never by value.
PERSONAL_FIELDS = ("username", "first_name", "last_name", "email")
#: Counting an account's acts stops here ("1000+"): the answer only has to say "some".
ACTS_COUNT_CAP = 1000


def _acting_relations() -> list[models.ForeignObjectRel]:
    """Every relation that records a staff user's act: foreign keys to the user model
    that refuse deletion (found from the model registry, so privacy imports no app)."""
    user_model = get_user_model()
    return [
        rel
        for rel in user_model._meta.get_fields(include_hidden=True)
        if rel.auto_created
        and not rel.concrete
        and (rel.one_to_many or rel.one_to_one)
        and rel.on_delete is models.PROTECT
    ]


def staff_user_acts(user: AbstractBaseUser) -> dict[str, int]:
    """{what: how many} of the records naming ``user`` as the one who acted, e.g.
    {"audit events": 12, "erasure certificates": 2}; counts stop at ACTS_COUNT_CAP."""
    acts: dict[str, int] = {}
    for rel in _acting_relations():
        model = rel.related_model
        found = len(
            model._default_manager.filter(**{rel.field.name: user}).values("pk")[:ACTS_COUNT_CAP]
        )
        if found:
            label = str(model._meta.verbose_name_plural)
            acts[label] = min(acts.get(label, 0) + found, ACTS_COUNT_CAP)
    return acts


def staff_user_deletion_refusal(user: AbstractBaseUser) -> str | None:
    """Why ``user`` cannot be deleted (it acted), or None if it never did anything."""
    acts = staff_user_acts(user)
    if not acts:
        return None
    listed = ", ".join(
        f"{'1000+' if count >= ACTS_COUNT_CAP else count} {label}"
        for label, count in sorted(acts.items())
    )
    return (
        f"Staff user #{user.pk} cannot be deleted: staff who acted are only deactivated, so "
        f"every record keeps who acted ({listed}). Use “Deactivate” instead."
    )


def _snapshot(user: AbstractBaseUser) -> dict[str, Any]:
    return {
        "flags": {flag: bool(getattr(user, flag)) for flag in FLAGS},
        "personal": {name: getattr(user, name, None) for name in PERSONAL_FIELDS},
        "groups": set(user.groups.values_list("name", flat=True)),
        "permissions": {
            f"{app_label}.{codename}"
            for app_label, codename in user.user_permissions.values_list(
                "content_type__app_label", "codename"
            )
        },
    }


def _audit(actor, action: AuditAction, user: AbstractBaseUser, summary: dict) -> None:
    audit_event_record(
        actor=actor,
        action=action,
        object_type="user",
        object_id=user.pk,
        summary={"user_id": user.pk, **summary},
    )


@transaction.atomic
def staff_user_save(
    *,
    actor: AbstractBaseUser | None,
    user: AbstractBaseUser,
    groups: Iterable[Group] | None = None,
    permissions: Iterable[Permission] | None = None,
) -> AbstractBaseUser:
    """Save a new or changed staff user (fields already set on ``user``, e.g. by the
    admin's form) and, where given, its groups and permissions; audit what changed:
    ``staff_user.created`` or ``staff_user.changed`` (flags old → new, groups and
    permissions added and removed, names of personal fields changed)."""
    created = user._state.adding or user.pk is None
    before = None
    if not created:
        stored = type(user)._default_manager.select_for_update().get(pk=user.pk)
        before = _snapshot(stored)
    user.save()
    if groups is not None:
        user.groups.set(groups)
    if permissions is not None:
        user.user_permissions.set(permissions)
    after = _snapshot(user)
    if before is None:
        _audit(
            actor,
            AuditAction.STAFF_USER_CREATED,
            user,
            {
                **after["flags"],
                "groups": sorted(after["groups"]),
                "permissions": sorted(after["permissions"]),
            },
        )
        return user
    summary: dict[str, Any] = {}
    flags = {
        flag: [before["flags"][flag], after["flags"][flag]]
        for flag in FLAGS
        if before["flags"][flag] != after["flags"][flag]
    }
    if flags:
        summary["flags"] = flags
    for key in ("groups", "permissions"):
        added, removed = after[key] - before[key], before[key] - after[key]
        if added:
            summary[f"{key}_added"] = sorted(added)
        if removed:
            summary[f"{key}_removed"] = sorted(removed)
    fields = [
        name for name in PERSONAL_FIELDS if before["personal"][name] != after["personal"][name]
    ]
    if fields:
        summary["fields"] = fields
    if summary:
        _audit(actor, AuditAction.STAFF_USER_CHANGED, user, summary)
    return user


@transaction.atomic
def staff_user_deactivate(*, actor: AbstractBaseUser | None, user: AbstractBaseUser) -> bool:
    """Deactivate a staff account: it can no longer sign in (its sessions stop working
    at their next request), and everything it did keeps naming it. Returns False if it
    was already inactive. Staff cannot deactivate their own account."""
    if actor is not None and actor.pk == user.pk:
        raise ValidationError("You cannot deactivate your own account.")
    updated = type(user)._default_manager.filter(pk=user.pk, is_active=True).update(is_active=False)
    if not updated:
        return False
    user.is_active = False
    _audit(actor, AuditAction.STAFF_USER_DEACTIVATED, user, {"acted": bool(staff_user_acts(user))})
    return True
