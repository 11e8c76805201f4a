"""The STOP webhook's writes in one statement (PostgreSQL).

A STOP from a known number at one sender is the webhook's commonest text, and its
writes were five statements, one round trip each: the inbound message (its
``ON CONFLICT (message_sid) DO NOTHING`` is the duplicate check), the two ledger rows,
their state upsert, the subscription upsert and the audit row. Here they are one
``INSERT … RETURNING`` chain of data-modifying CTEs, so the opt-out is still committed
before the reply, with the same rows:

- the rows are the ones the general path builds (``_event_build``, ``_state_of``, the
  subscriptions of ``_subscriptions_sync``, ``audit_event_build``), and the same
  ``ON CONFLICT`` clauses decide (the state's latest-event rule, the subscription's
  allowed moves); only the values known after an insert come from SQL: the state's
  ``last_event_id`` and the audit row's message id and event ids;
- every later insert reads from the inbound message's ``RETURNING``: a duplicate
  MessageSid inserts no message, hence nothing else.

``consent/tests/test_inbound_statements.py`` holds the two paths to the same rows.
Every other text (STOPALL, a STOP from a number we did not know, START, HELP, …), and
any other database, takes the general path in ``consent.services.inbound``."""

from __future__ import annotations

import datetime as dt
import functools
import re

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from consent.models import ConsentEvent, ConsentState, InboundMessage, SmsSubscription
from consent.selectors.statements import _fetchall_prepared, _Statement
from consent.services.ledger import (
    _STATE_UPSERT_CONTACT,
    SMS_PURPOSES,
    _event_build,
    _purpose,
    _state_of,
    _subscription_of,
)
from consent.services.subscriptions import sms_subscription_upsert_clause
from privacy.audit_actions import AuditAction
from privacy.bulk import insert_fields, insert_values
from privacy.models import AuditEvent, Contact, Customer
from privacy.services import audit_event_build

#: Off only in the test that compares this path with the general one.
ENABLED = True

Method = ConsentEvent.Method
_OPTED_OUT = SmsSubscription.Status.OPTED_OUT


def stop_in_one_statement_applies(*, stop: bool, everywhere: bool, contact) -> bool:
    return (
        ENABLED
        and stop
        and not everywhere
        and contact is not None
        and (connection.vendor == "postgresql")
    )


def _cast(field) -> str:
    # The column's type without its length: an explicit cast to varchar(n) would cut a
    # long value silently, the insert's assignment refuses it as the ORM's would.
    return re.sub(r"\(.*\)", "", field.db_type(connection))


def _row(fields: list, name: str) -> str:
    casts = ", ".join(f"%s::{_cast(f)}" for f in fields)
    return f"(VALUES ({casts})) AS {name}({', '.join(f.column for f in fields)})"


def _without(fields: list, *columns: str) -> list:
    return [f for f in fields if f.column not in columns]


@functools.lru_cache(maxsize=1)
def _statement() -> _Statement:
    """The statement's text. The rows of one decision differ only by purpose (events,
    states) or program (subscriptions): each is sent once, with the purposes' and the
    programs' arrays, so the parameters are as few as the values."""
    quote = connection.ops.quote_name
    message_fields = insert_fields(InboundMessage)
    event_fields = insert_fields(ConsentEvent)
    state_fields = insert_fields(ConsentState)
    subscription_fields = insert_fields(SmsSubscription)
    audit_fields = insert_fields(AuditEvent)

    def columns(fields) -> str:
        return ", ".join(quote(f.column) for f in fields)

    def select(fields, alias: str, computed: dict[str, str]) -> str:
        return ", ".join(computed.get(f.column, f"{alias}.{f.column}") for f in fields)

    events_of = "(SELECT coalesce(jsonb_agg(id ORDER BY id), '[]'::jsonb) FROM ev)"
    # Table and column names from the models, clauses of the code; values are parameters.
    return _Statement.of(f"""
WITH msg AS (
  INSERT INTO {quote(InboundMessage._meta.db_table)} ({columns(message_fields)})
  VALUES ({", ".join(["%s"] * len(message_fields))})
  ON CONFLICT (message_sid) DO NOTHING RETURNING id
), ev AS (
  INSERT INTO {quote(ConsentEvent._meta.db_table)} ({columns(event_fields)})
  SELECT {select(event_fields, "e", {"purpose_id": "p.id"})}
  FROM {_row(_without(event_fields, "purpose_id"), "e")}
  CROSS JOIN unnest(%s::bigint[]) AS p(id) CROSS JOIN msg
  RETURNING purpose_id, id
), st AS (
  INSERT INTO {quote(ConsentState._meta.db_table)} ({columns(state_fields)})
  SELECT {select(state_fields, "st", {"purpose_id": "ev.purpose_id", "last_event_id": "ev.id"})}
  FROM {_row(_without(state_fields, "purpose_id", "last_event_id"), "st")} CROSS JOIN ev
  {_STATE_UPSERT_CONTACT}
), sub AS (
  INSERT INTO {quote(SmsSubscription._meta.db_table)} ({columns(subscription_fields)})
  SELECT {select(subscription_fields, "s", {"program": "g.program"})}
  FROM {_row(_without(subscription_fields, "program"), "s")}
  CROSS JOIN unnest(%s::text[]) AS g(program) CROSS JOIN msg
  {sms_subscription_upsert_clause(_OPTED_OUT)}
), au AS (
  INSERT INTO {quote(AuditEvent._meta.db_table)} ({columns(audit_fields)})
  SELECT {
        select(
            audit_fields,
            "au",
            {
                "object_id": "msg.id::text",
                "summary": f"jsonb_set(au.summary, '{{events}}', {events_of})",
            },
        )
    }
  FROM {_row(_without(audit_fields, "object_id"), "au")} CROSS JOIN msg
)
SELECT msg.id, ev.purpose_id, ev.id FROM msg LEFT JOIN ev ON true
""")  # noqa: S608


def _values_but(obj: Model, *columns: str) -> list:
    return insert_values(obj, _without(insert_fields(type(obj)), *columns), connection)


def sms_stop_write(
    *,
    message: InboundMessage,
    customer: Customer,
    contact: Contact,
    phone: str,
    sender: str,
    message_sid: str,
    method: str,
    at: dt.datetime,
    audit_summary: dict,
) -> list[ConsentEvent] | None:
    """Write a STOP at one sender (``message`` unsaved, its outcome decided) in one
    statement; the saved events, or None when the MessageSid was seen before (nothing
    is written then). ``audit_summary`` is the audit row's, its "events" filled here."""
    events = [
        _event_build(
            actor=None,
            purpose=_purpose(code),
            action=ConsentEvent.Action.WITHDRAW,
            method=method,
            contact=contact,
            identifier=phone,
            sender=sender,
            occurred_at=at,
            reference=message_sid,
        )
        for code in SMS_PURPOSES
    ]
    now = timezone.now()
    subscriptions = [_subscription_of(e, updated_at=now) for e in events]
    audit = audit_event_build(
        actor=None,
        action=AuditAction.CONSENT_SMS_INBOUND,
        object_type="inbound_message",
        object_id="",
        summary={**audit_summary, "events": []},
    )
    # One decision: the rows differ by purpose (events, states) or program only.
    first = events[0]
    params = insert_values(message, insert_fields(InboundMessage), connection)
    params += _values_but(first, "purpose_id")
    params.append([e.purpose_id for e in events])
    params += _values_but(_state_of(first), "purpose_id", "last_event_id")
    params += _values_but(subscriptions[0], "program")
    params.append([s.program for s in subscriptions])
    params += _values_but(audit, "object_id")
    # Prepared once per connection, as the webhook's contact lookup: planning a chain of
    # five inserts costs more than running it.
    rows = _fetchall_prepared(connection, _statement(), params)
    if not rows:
        return None
    message.pk = rows[0][0]
    message._state.adding = False
    message._state.db = connection.alias
    ids = {purpose_id: pk for _, purpose_id, pk in rows}
    for event in events:
        event.pk = ids[event.purpose_id]
        event._state.adding = False
        event._state.db = connection.alias
    return events
