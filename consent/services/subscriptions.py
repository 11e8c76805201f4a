"""The one place that changes an SMS subscription's status.

``SmsSubscription.status`` moves only as ``SUBSCRIPTION_TRANSITIONS`` allows, through
privacy's guarded-move helper: ``sms_subscriptions_transition`` for rows that exist, and
``sms_subscription_upsert_clause`` for the hot path that creates a subscription at one
sender or moves the existing one in the same statement (the webhook's STOP and START).
A repeated sign-up, grant or STOP is a move to the same status: it refreshes the stamps.
An opted-in number never falls back to "pending" (a second sign-up changes nothing);
an opted-out one may sign up again or text START. Nothing else writes the field;
creating a row with its first status is not a move."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from consent.models import SmsSubscription
from privacy.transitions import StateField

Sub = SmsSubscription.Status
SUBSCRIPTION_TRANSITIONS: dict[str, frozenset[str]] = {
    Sub.PENDING: frozenset({Sub.PENDING, Sub.OPTED_IN, Sub.OPTED_OUT}),
    Sub.OPTED_IN: frozenset({Sub.OPTED_IN, Sub.OPTED_OUT}),
    Sub.OPTED_OUT: frozenset({Sub.OPTED_OUT, Sub.OPTED_IN, Sub.PENDING}),
}
SUBSCRIPTION_STATUS = StateField(SmsSubscription, "status", SUBSCRIPTION_TRANSITIONS)


def sms_subscriptions_transition(
    subscriptions: QuerySet[SmsSubscription], *, to_status: str, **fields: Any
) -> int:
    """Move the subscriptions of ``subscriptions`` to ``to_status`` (with ``fields``,
    e.g. the stamp), each only from a status allowed to move there; returns how many
    moved. Call it inside the caller's transaction."""
    return SUBSCRIPTION_STATUS.move_to(
        subscriptions, to_state=to_status, subject="An SMS subscription", **fields
    )


def sms_subscription_upsert_clause(to_status: str) -> str:
    """The ``ON CONFLICT`` clause of an INSERT of subscriptions in ``to_status``: a new
    row is created; an existing one (same customer, number, sender, program) moves to
    ``to_status`` with its stamp (the other stamp stays) — only from a status the map
    allows, otherwise it is left as it is."""
    SUBSCRIPTION_STATUS.check(to_status, to_status, subject="An SMS subscription")
    sources = ", ".join(f"'{state}'" for state in sorted(SUBSCRIPTION_STATUS.sources(to_status)))
    return f"""ON CONFLICT (customer_id, phone, sender, program)
  WHERE (phone IS NOT NULL) DO UPDATE SET
    status = excluded.status, contact_id = excluded.contact_id,
    updated_at = excluded.updated_at,
    opted_in_at = COALESCE(excluded.opted_in_at, consent_smssubscription.opted_in_at),
    opted_out_at = COALESCE(excluded.opted_out_at, consent_smssubscription.opted_out_at)
  WHERE consent_smssubscription.status IN ({sources})"""
