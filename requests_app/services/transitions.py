"""The one place that changes a privacy request's status.

``privacy_request_transition`` checks the move against ``ALLOWED_TRANSITIONS``, applies
it with a guarded ``UPDATE … WHERE status = <old>`` (two workers racing on the same
request cannot both win), and writes a ``RequestEvent`` and an ``AuditEvent`` in the
same transaction (``requests_app.timeline.status_changed``). Nothing else writes
``status``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from requests_app import timeline
from requests_app.models import CLOSED_STATUSES, PrivacyRequest, Status

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


class InvalidTransition(ValidationError):
    """The move is not in the allowed-transitions map, or the status changed meanwhile."""


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
    if to_status not in ALLOWED_TRANSITIONS.get(from_status, frozenset()):
        raise InvalidTransition(
            f"Request {request.reference} cannot move from "
            f"“{Status(from_status).label}” to “{Status(to_status).label}”."
        )
    if to_status in CLOSED_STATUSES:
        fields.setdefault("closed_at", timezone.now())
    updated = PrivacyRequest.objects.filter(pk=request.pk, status=from_status).update(
        status=to_status, **fields
    )
    if not updated:
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
