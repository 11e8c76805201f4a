"""The one place that changes each state field of the requests app.

Every field has its allowed-transitions map and one service, built on privacy's
``StateField`` (the map is checked, the move is a guarded
``UPDATE … WHERE <field> = <old>``, so two workers racing on the same row cannot both
win). Nothing else writes these fields.

- ``PrivacyRequest.status``: ``privacy_request_transition``, which also writes the
  timeline entry and the audit row (``requests_app.timeline.status_changed``).
- ``ScheduledErasure.state``: ``scheduled_erasures_transition`` (the erasure services
  write what each move means on the timeline).
- ``ExportPackage.state``: ``export_packages_transition``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from privacy.transitions import InvalidTransition, StateField
from requests_app import timeline
from requests_app.models import (
    CLOSED_STATUSES,
    ExportPackage,
    PackageTransfer,
    PrivacyRequest,
    ScheduledErasure,
    Status,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "ERASURE_TRANSITIONS",
    "PACKAGE_TRANSITIONS",
    "InvalidTransition",
    "export_packages_transition",
    "privacy_request_lock",
    "privacy_request_transition",
    "scheduled_erasures_transition",
]

S = Status
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.AWAITING_VERIFICATION, S.VERIFIED, S.DENIED, S.WITHDRAWN}),
    S.AWAITING_VERIFICATION: frozenset({S.VERIFIED, S.EXPIRED, S.DENIED, S.WITHDRAWN}),
    S.VERIFIED: frozenset({S.IN_PROGRESS, S.DENIED, S.WITHDRAWN}),
    S.IN_PROGRESS: frozenset({S.RELAYED, S.COMPLETED, S.DENIED, S.WITHDRAWN}),
    S.RELAYED: frozenset({S.IN_PROGRESS, S.COMPLETED, S.DENIED, S.WITHDRAWN}),
    S.COMPLETED: frozenset(),
    S.DENIED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.EXPIRED: frozenset(),
}
REQUEST_STATUS = StateField(PrivacyRequest, "status", ALLOWED_TRANSITIONS)

E = ScheduledErasure.State
ERASURE_TRANSITIONS: dict[str, frozenset[str]] = {
    # Run after the grace period, cancelled (by staff, or with its request), or refused
    # while a legal hold applies.
    E.SCHEDULED: frozenset({E.DONE, E.CANCELLED, E.BLOCKED}),
    # Scheduled again by staff once the hold is gone, or after a cancellation.
    E.BLOCKED: frozenset({E.SCHEDULED}),
    E.CANCELLED: frozenset({E.SCHEDULED}),
    E.DONE: frozenset(),
}
ERASURE_STATE = StateField(ScheduledErasure, "state", ERASURE_TRANSITIONS)

P = ExportPackage.State
PACKAGE_TRANSITIONS: dict[str, frozenset[str]] = {
    P.BUILDING: frozenset({P.READY}),
    # The file is deleted when the link expires or the person is erased; the row stays.
    P.READY: frozenset({P.PURGED}),
    # Expired before its request was answered: built again on the completion attempt
    # (services.packages.export_packages_recover), with a new download link.
    P.PURGED: frozenset({P.BUILDING}),
}
PACKAGE_STATE = StateField(ExportPackage, "state", PACKAGE_TRANSITIONS)

T = PackageTransfer.State
TRANSFER_TRANSITIONS: dict[str, frozenset[str]] = {
    # The recipient confirms its address (then gets the link), or a newer transfer of the
    # same package replaces this one before it was confirmed.
    T.AWAITING_RECIPIENT: frozenset({T.SENT, T.CANCELLED}),
    T.SENT: frozenset(),
    T.CANCELLED: frozenset(),
}
TRANSFER_STATE = StateField(PackageTransfer, "state", TRANSFER_TRANSITIONS)

# What the requester sees on the status page for each new status.
PUBLIC_MESSAGES = {
    S.AWAITING_VERIFICATION: "We sent you a link to confirm it is you.",
    S.VERIFIED: "Your identity was confirmed.",
    S.IN_PROGRESS: "We are working on your request.",
    S.RELAYED: "We passed your request to the business whose service you used; we will tell you when it has answered.",
    S.COMPLETED: "Your request is complete.",
    S.DENIED: "We could not fulfil your request. We sent you the reason and how to appeal.",
    S.WITHDRAWN: "Your request was withdrawn.",
    S.EXPIRED: "Your request was closed because it was not confirmed in time.",
}

# Columns the transition may set together with the status.
_TRANSITION_FIELDS = frozenset(
    {
        "verified_at",
        "verification_method",
        "denial_reason",
        "closed_at",
        "due_on",
        "deadline_on",
        "acknowledge_by",
        "verification_expires_at",
    }
)


def privacy_request_lock(request: PrivacyRequest) -> PrivacyRequest:
    """``request`` read again and locked for the rest of the transaction."""
    return PrivacyRequest.objects.select_for_update().get(pk=request.pk)


@transaction.atomic
def privacy_request_transition(
    *,
    actor: AbstractBaseUser | None,
    request: PrivacyRequest,
    to_status: str,
    note: str = "",
    public_message: str | None = None,
    summary: Mapping[str, Any] | None = None,
    **fields: Any,
) -> PrivacyRequest:
    """Move ``request`` to ``to_status``; raises ``InvalidTransition`` if not allowed.

    ``fields`` are further columns changed with the status (e.g. ``verified_at``).
    ``request`` is refreshed in place and returned."""
    unknown = set(fields) - _TRANSITION_FIELDS
    if unknown:
        raise ValueError(f"Fields not settable by a transition: {sorted(unknown)}")
    from_status = request.status
    subject = f"Request {request.reference}"
    REQUEST_STATUS.check(from_status, to_status, subject=subject)
    if to_status in CLOSED_STATUSES:
        fields.setdefault("closed_at", timezone.now())
    moved = REQUEST_STATUS.move(
        PrivacyRequest.objects.filter(pk=request.pk),
        from_state=from_status,
        to_state=to_status,
        subject=subject,
        **fields,
    )
    if not moved:
        raise InvalidTransition(
            f"Request {request.reference} changed while you were working on it; reload and try again."
        )
    request.refresh_from_db()
    timeline.status_changed(
        request=request,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        note=note,
        public_message=PUBLIC_MESSAGES.get(to_status, "")
        if public_message is None
        else public_message,
        summary=summary,
    )
    return request


def scheduled_erasures_transition(
    erasures: QuerySet[ScheduledErasure], *, from_state: str, to_state: str, **fields: Any
) -> int:
    """Move the scheduled erasures of ``erasures`` still in ``from_state`` to
    ``to_state`` (with ``fields``, e.g. the certificate); returns how many moved.
    Raises ``InvalidTransition`` on a move not in ``ERASURE_TRANSITIONS``."""
    return ERASURE_STATE.move(
        erasures, from_state=from_state, to_state=to_state, subject="A scheduled erasure", **fields
    )


def export_packages_transition(
    packages: QuerySet[ExportPackage], *, from_state: str, to_state: str, **fields: Any
) -> int:
    """Move the export packages of ``packages`` still in ``from_state`` to ``to_state``
    (with ``fields``, e.g. the file); returns how many moved. Raises
    ``InvalidTransition`` on a move not in ``PACKAGE_TRANSITIONS``."""
    return PACKAGE_STATE.move(
        packages, from_state=from_state, to_state=to_state, subject="An export package", **fields
    )


def package_transfers_transition(
    transfers: QuerySet[PackageTransfer], *, from_state: str, to_state: str, **fields: Any
) -> int:
    """Move the portability transfers of ``transfers`` still in ``from_state`` to
    ``to_state`` (with ``fields``); returns how many moved. Raises ``InvalidTransition``
    on a move not in ``TRANSFER_TRANSITIONS``."""
    return TRANSFER_STATE.move(
        transfers, from_state=from_state, to_state=to_state, subject="A transfer", **fields
    )
