"""The consent ledger and its projection.

The ledger (``ConsentEvent``) is only ever appended to, through ``_event_write`` (or
``_events_save``, one decision for several purposes), which updates the ``ConsentState``
projection and the SMS subscriptions in the same transaction. Public services take
keyword arguments and an ``actor`` and write their ``AuditEvent`` (no personal data in
it) in the same transaction.

Interface for requests_app: ``contact_consent_withdraw`` and
``contact_sale_sharing_opt_out``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from consent.models import Channel, ConsentEvent, ConsentState, Notice, Purpose, SmsSubscription
from consent.selectors import contact_is_minor, purpose_get
from consent.services.subscriptions import (
    sms_subscription_upsert_clause,
    sms_subscriptions_transition,
)
from privacy.audit_actions import AuditAction
from privacy.bulk import insert_fields, insert_values
from privacy.models import Contact, ContactIdentifier
from privacy.services import audit_event_record, staff_user

Method = ConsentEvent.Method
# The actions that are consent decisions (the projection's input); LIFT is not one.
DECISIONS = (ConsentEvent.Action.GRANT, ConsentEvent.Action.WITHDRAW, ConsentEvent.Action.OBJECT)
SMS_PURPOSES = (Purpose.Code.SMS_MARKETING, Purpose.Code.SMS_INFORMATIONAL)
_PROGRAM_OF = {
    Purpose.Code.SMS_MARKETING: SmsSubscription.Program.MARKETING,
    Purpose.Code.SMS_INFORMATIONAL: SmsSubscription.Program.INFORMATIONAL,
}
_CLOCK_SKEW = dt.timedelta(minutes=5)


def _purpose(purpose: Purpose | str) -> Purpose:
    return purpose if isinstance(purpose, Purpose) else purpose_get(purpose)


def _rows_insert(objs: list, suffix: str, *, fetch: bool = False) -> list[tuple]:
    """One ``INSERT … VALUES (…), (…) <suffix>`` of unsaved instances of one model, every
    concrete column but the id (defaults as ``save()`` computes them). ``suffix`` is an
    ``ON CONFLICT`` clause and/or ``RETURNING``; with ``fetch`` the rows it returns.

    Django's ORM has no conditional upsert (``bulk_create(update_conflicts=…)`` has no
    ``WHERE`` and no partial-index target), and a savepoint plus a SELECT … FOR UPDATE per
    row were most of the webhook's round trips. The SQL is PostgreSQL's and SQLite's
    (3.35+) alike."""
    meta = type(objs[0])._meta
    fields = insert_fields(type(objs[0]))
    quote = connection.ops.quote_name
    row = f"({', '.join(['%s'] * len(fields))})"
    # Names from the model, a constant suffix; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row] * len(objs))} {suffix}"
    )
    params = [value for obj in objs for value in insert_values(obj, fields, connection)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if fetch else []


# The latest event of a key by (occurred_at, id) decides; an older one (a back-dated
# import) leaves a later state as it is. ON CONFLICT locks the row it updates, so
# concurrent writers of one key serialise as the SELECT … FOR UPDATE did.
_STATE_UPSERT = """ON CONFLICT ({target}) DO UPDATE SET
    customer_id = excluded.customer_id, is_granted = excluded.is_granted,
    objected = excluded.objected, parental_consent = excluded.parental_consent,
    since = excluded.since, method = excluded.method, notice_id = excluded.notice_id,
    last_event_id = excluded.last_event_id
  WHERE (consent_consentstate.since, consent_consentstate.last_event_id)
        < (excluded.since, excluded.last_event_id)"""
# The targets are the partial unique constraints of ConsentState.
_STATE_UPSERT_CONTACT = _STATE_UPSERT.format(
    target="contact_id, purpose_id, identifier, sender) WHERE (contact_id IS NOT NULL"
)
_STATE_UPSERT_VISITOR = _STATE_UPSERT.format(
    target="visitor_id, purpose_id) WHERE (visitor_id IS NOT NULL"
)


def _state_of(event: ConsentEvent) -> ConsentState:
    """The state row an event decides. A visitor's state has no identifier or sender."""
    return ConsentState(
        customer_id=event.customer_id,
        contact_id=event.contact_id,
        visitor_id=None if event.contact_id else event.visitor_id,
        purpose_id=event.purpose_id,
        identifier=event.identifier if event.contact_id else "",
        sender=event.sender if event.contact_id else "",
        is_granted=event.action == ConsentEvent.Action.GRANT,
        objected=event.action == ConsentEvent.Action.OBJECT,
        parental_consent=bool(event.parental_consent_method),
        since=event.occurred_at,
        method=event.method,
        notice_id=event.notice_id,
        last_event_id=event.pk,
    )


def _subscription_of(event: ConsentEvent, *, updated_at: dt.datetime) -> SmsSubscription:
    """The subscription row an SMS purpose's event at one sender decides: opted in
    (since the event) by a grant, opted out (since the event) by anything else."""
    granted = event.action == ConsentEvent.Action.GRANT
    return SmsSubscription(
        customer_id=event.customer_id,
        contact_id=event.contact_id,
        phone=event.identifier,
        sender=event.sender,
        program=_PROGRAM_OF[event.purpose.code],
        status=SmsSubscription.Status.OPTED_IN if granted else SmsSubscription.Status.OPTED_OUT,
        updated_at=updated_at,
        **{"opted_in_at" if granted else "opted_out_at": event.occurred_at},
    )


def _states_apply(events: list[ConsentEvent]) -> None:
    """Fold new events of distinct keys into ConsentState, one statement per kind of
    subject."""
    for upsert, states in (
        (_STATE_UPSERT_CONTACT, [_state_of(e) for e in events if e.contact_id]),
        (_STATE_UPSERT_VISITOR, [_state_of(e) for e in events if not e.contact_id]),
    ):
        if states:
            _rows_insert(states, upsert)


def _subscriptions_sync(events: list[ConsentEvent]) -> None:
    """Keep SMS subscriptions in step with SMS purposes' events of one decision (same
    number, sender, action and time; one event per purpose): with a sender, that
    sender's subscription of each program is created or updated; without one, every
    subscription of the number to those programs is updated."""
    events = [e for e in events if e.purpose.code in _PROGRAM_OF and e.customer_id and e.identifier]
    if not events:
        return
    first = events[0]
    granted = first.action == ConsentEvent.Action.GRANT
    status = SmsSubscription.Status.OPTED_IN if granted else SmsSubscription.Status.OPTED_OUT
    stamp = {"opted_in_at": first.occurred_at} if granted else {"opted_out_at": first.occurred_at}
    now = timezone.now()
    if first.sender:
        _rows_insert(
            [_subscription_of(e, updated_at=now) for e in events],
            # A subscription at one sender, created or brought in step with the event.
            sms_subscription_upsert_clause(status),
        )
    else:
        sms_subscriptions_transition(
            SmsSubscription.objects.filter(
                customer_id=first.customer_id,
                phone=first.identifier,
                program__in=[_PROGRAM_OF[e.purpose.code] for e in events],
            ),
            to_status=status,
            updated_at=now,
            **stamp,
        )


def _events_save(events: list[ConsentEvent]) -> list[ConsentEvent]:
    """Append events built by ``_event_build`` and fold them into the state and the SMS
    subscriptions: one INSERT, one state upsert, one subscription write, however many
    purposes. Several events must be one decision (same subject, number, sender,
    action, time) for different purposes, as STOP and START make them."""
    if len(events) > 1:
        first = events[0]
        decision = (first.contact_id, first.visitor_id, first.identifier, first.sender,
                    first.action, first.occurred_at)  # fmt: skip
        purposes = {e.purpose_id for e in events}
        if len(purposes) != len(events) or any(
            (e.contact_id, e.visitor_id, e.identifier, e.sender, e.action, e.occurred_at)
            != decision
            for e in events
        ):
            raise ValueError("_events_save takes one decision for distinct purposes.")
    # Matched by purpose: neither database promises RETURNING's order.
    ids = dict(_rows_insert(events, "RETURNING purpose_id, id", fetch=True))
    for event in events:
        event.pk = ids[event.purpose_id]
        event._state.adding = False
        event._state.db = connection.alias
    decisions = [e for e in events if e.action in DECISIONS]
    if decisions:  # a lifted suppression changes no consent
        _states_apply(decisions)
        _subscriptions_sync(decisions)
    return events


def _event_build(
    *,
    actor: AbstractBaseUser | None,
    purpose: Purpose,
    action: str,
    method: str,
    contact: Contact | None = None,
    visitor_id: uuid.UUID | None = None,
    identifier: str = "",
    sender: str = "",
    notice: Notice | None = None,
    occurred_at: dt.datetime | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
    page_url: str | None = None,
    source: str | None = None,
    reference: str = "",
    parental_consent_method: str = "",
    parental_consent_reference: str = "",
) -> ConsentEvent:
    """Check one event and return it unsaved (``_events_save`` writes it).

    A marketing grant to a minor needs verifiable parental consent evidence (how it was
    verified, and where the evidence is kept): refused without it, whoever records it
    (API, preference centre, SMS keyword, import)."""
    now = timezone.now()
    occurred_at = occurred_at or now
    if (contact is None) == (visitor_id is None):
        raise ValidationError("A consent event needs exactly one subject.", code="subject")
    if action not in ConsentEvent.Action.values:
        raise ValidationError("Action must be grant, withdraw or object.", code="action")
    if action == ConsentEvent.Action.LIFT and (
        method != Method.SMS_KEYWORD or purpose.channel != Channel.SMS or not reference
    ):
        # Only the person's own text from the number lifts a suppression.
        raise ValidationError("Only an SMS keyword from the number lifts.", code="action")
    if method not in Method.values:
        raise ValidationError("Unknown consent method.", code="method")
    if occurred_at > now + _CLOCK_SKEW:
        raise ValidationError("A consent cannot be recorded in the future.", code="future")
    # A sender's clock a few minutes fast is accepted, but the event is dated no later
    # than it was recorded: the latest event by (occurred_at, id) decides the state, so a
    # grant dated ahead would otherwise outrank a STOP that arrives after it.
    occurred_at = min(occurred_at, now)
    _evidence_check(ip_address, user_agent, page_url, source, reference)
    if notice is not None and (notice.purpose_id != purpose.pk or not notice.is_published):
        raise ValidationError(
            "The notice must be a published version of this purpose's notice.", code="notice"
        )
    parental_consent_method = parental_consent_method or ""
    parental_consent_reference = " ".join((parental_consent_reference or "").split())[:100]
    if parental_consent_method and (
        parental_consent_method not in ConsentEvent.ParentalConsent.values
        or action != ConsentEvent.Action.GRANT
    ):
        raise ValidationError(
            "Parental consent evidence is one of the listed verification methods, on a grant.",
            code="parental_consent",
        )
    if parental_consent_method and not parental_consent_reference:
        raise ValidationError(
            "Say where the parent's consent evidence is kept (a document or case reference).",
            code="parental_consent_reference",
        )
    if contact is not None:
        if contact.erased_at:
            raise ValidationError("This contact has been erased.", code="erased")
        if (
            action == ConsentEvent.Action.GRANT
            and purpose.is_marketing
            and not parental_consent_method
            and contact_is_minor(contact, on=timezone.localdate(occurred_at))
        ):
            raise ValidationError(
                "This person is a minor: a marketing consent needs verifiable parental "
                "consent evidence.",
                code="minor",
            )
        if purpose.is_per_identifier and not identifier:
            raise ValidationError(
                "This purpose needs the e-mail address or number it covers.", code="identifier"
            )
        if not purpose.is_per_identifier:
            identifier = ""
    elif purpose.channel != Channel.WEB and purpose.code != Purpose.Code.SALE_SHARING:
        raise ValidationError("Anonymous visitors can only give cookie consent.", code="visitor")
    if purpose.channel != Channel.SMS:
        sender = ""
    return ConsentEvent(
        customer_id=contact.customer_id if contact else None,
        contact=contact,
        visitor_id=visitor_id,
        purpose=purpose,
        action=action,
        identifier=identifier,
        sender=sender,
        occurred_at=occurred_at,
        recorded_at=now,
        method=method,
        notice=notice,
        ip_address=ip_address or None,
        user_agent=(user_agent or "")[:500] or None,
        page_url=(page_url or "")[:500] or None,
        source=(source or "")[:200] or None,
        reference=(reference or "")[:100],
        recorded_by=staff_user(actor),
        parental_consent_method=parental_consent_method,
        parental_consent_reference=parental_consent_reference,
    )


def _event_write(**fields: Any) -> ConsentEvent:
    """Append one event and fold it into the state (the keyword arguments of
    ``_event_build``). Call inside a transaction; the caller writes the audit event."""
    return _events_save([_event_build(**fields)])[0]


def _evidence_check(ip_address, *texts) -> None:
    """Evidence is text, and an IP address is one: refused before anything is written
    (the database would otherwise fail mid-transaction). Values are never echoed."""
    if any(value is not None and not isinstance(value, str) for value in (ip_address, *texts)):
        raise ValidationError("Each evidence value must be text.", code="evidence")
    if ip_address:
        try:
            validate_ipv46_address(ip_address)
        except ValidationError:
            raise ValidationError(
                "The evidence IP address is not a valid IPv4 or IPv6 address.", code="ip"
            ) from None


_AUDIT_ACTIONS = {
    ConsentEvent.Action.GRANT: AuditAction.CONSENT_GRANTED,
    ConsentEvent.Action.WITHDRAW: AuditAction.CONSENT_WITHDRAWN,
    ConsentEvent.Action.OBJECT: AuditAction.CONSENT_OBJECTED,
}


def _audit_event(actor, event: ConsentEvent, **extra) -> None:
    if event.parental_consent_method:
        extra["parental_consent"] = event.parental_consent_method
    audit_event_record(
        actor=actor,
        action=_AUDIT_ACTIONS[event.action],
        object_type="contact" if event.contact_id else "consent_event",
        object_id=event.contact_id or event.pk,
        summary={
            "event_id": event.pk,
            "purpose": event.purpose.code,
            "method": event.method,
            "notice_id": event.notice_id,
            **extra,
        },
    )


@transaction.atomic
def consent_event_record(
    *,
    actor: AbstractBaseUser | None,
    purpose: Purpose | str,
    action: str,
    method: str,
    contact: Contact | None = None,
    visitor_id: uuid.UUID | None = None,
    identifier: str = "",
    sender: str = "",
    notice: Notice | None = None,
    occurred_at: dt.datetime | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
    page_url: str | None = None,
    source: str | None = None,
    reference: str = "",
    parental_consent_method: str = "",
    parental_consent_reference: str = "",
) -> ConsentEvent:
    """Record a grant, withdrawal or objection with its evidence. ``identifier`` is
    already normalised (e-mail match key or E.164) and must be one of the contact's. A
    marketing grant to a minor needs the parental consent evidence."""
    purpose = _purpose(purpose)
    if action not in DECISIONS:
        raise ValidationError("Action must be grant, withdraw or object.", code="action")
    if contact is not None and identifier:
        kind = "email" if purpose.channel == Channel.EMAIL else "phone"
        if not ContactIdentifier.objects.filter(
            contact=contact, kind=kind, match_key=identifier
        ).exists():
            raise ValidationError(
                "The identifier is not one of this contact's.", code="identifier_not_contacts"
            )
    event = _event_write(
        actor=actor,
        purpose=purpose,
        action=action,
        method=method,
        contact=contact,
        visitor_id=visitor_id,
        identifier=identifier,
        sender=sender,
        notice=notice,
        occurred_at=occurred_at,
        ip_address=ip_address,
        user_agent=user_agent,
        page_url=page_url,
        source=source,
        reference=reference,
        parental_consent_method=parental_consent_method,
        parental_consent_reference=parental_consent_reference,
    )
    _audit_event(actor, event)
    return event


# --- the interface requests_app calls -------------------------------------------------


@transaction.atomic
def contact_consent_withdraw(
    *,
    actor: AbstractBaseUser | None,
    contact: Contact,
    purpose_codes: list[str] | None = None,
    method: str = Method.PRIVACY_REQUEST,
    reference: str = "",
    identifier: str | None = None,
) -> int:
    """Withdraw every consent the contact has currently granted (or only those
    purposes', or only for one ``identifier``); returns how many were withdrawn. Pending
    and active SMS marketing subscriptions of the contact (of that number) are opted out
    too, when SMS marketing is in scope."""
    states = ConsentState.objects.select_for_update().filter(contact=contact, is_granted=True)
    if purpose_codes is not None:
        states = states.filter(purpose__code__in=purpose_codes)
    if identifier is not None:
        states = states.filter(identifier=identifier)
    states = list(states.select_related("purpose").order_by("pk"))
    now = timezone.now()
    for state in states:
        _event_write(
            actor=actor,
            purpose=state.purpose,
            action=ConsentEvent.Action.WITHDRAW,
            method=method,
            contact=contact,
            identifier=state.identifier,
            sender=state.sender,
            occurred_at=max(now, state.since),
            reference=reference,
        )
    opted_out = 0
    if purpose_codes is None or Purpose.Code.SMS_MARKETING in purpose_codes:
        phones = ContactIdentifier.objects.filter(contact=contact, kind="phone").values("match_key")
        subscriptions = SmsSubscription.objects.filter(Q(contact=contact) | Q(phone__in=phones))
        if identifier is not None:
            subscriptions = subscriptions.filter(phone=identifier)
        opted_out = sms_subscriptions_transition(
            subscriptions.filter(
                customer_id=contact.customer_id, program=SmsSubscription.Program.MARKETING
            ).exclude(status=SmsSubscription.Status.OPTED_OUT),
            to_status=SmsSubscription.Status.OPTED_OUT,
            opted_out_at=now,
            updated_at=now,
        )
    audit_event_record(
        actor=actor,
        action=AuditAction.CONSENT_CONTACT_WITHDRAWN,
        object_type="contact",
        object_id=contact.pk,
        summary={
            "withdrawn": len(states),
            "purposes": sorted({s.purpose.code for s in states}),
            "sms_subscriptions_opted_out": opted_out,
            "method": method,
            # The reference (e.g. a request number) is on the ledger rows; digits-heavy
            # references would trip the audit trail's personal-data guard.
        },
    )
    return len(states)


@transaction.atomic
def contact_sale_sharing_opt_out(
    *,
    actor: AbstractBaseUser | None,
    contact: Contact,
    method: str = Method.PRIVACY_REQUEST,
    reference: str = "",
) -> bool:
    """Record the contact's opt-out of sale/sharing for cross-context behavioural
    advertising. Returns False if they had already opted out (nothing recorded)."""
    purpose = _purpose(Purpose.Code.SALE_SHARING)
    state = (
        ConsentState.objects.select_for_update()
        .filter(contact=contact, purpose=purpose, identifier="", sender="")
        .first()
    )
    if state is not None and not state.is_granted:
        return False
    event = _event_write(
        actor=actor,
        purpose=purpose,
        action=ConsentEvent.Action.WITHDRAW,
        method=method,
        contact=contact,
        occurred_at=max(timezone.now(), state.since) if state else None,
        reference=reference,
    )
    _audit_event(actor, event)
    return True
