"""A contact's consents: the live contact holding an identifier (the webhook's lookup,
written out as a prepared statement), its current states and its ledger history."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from consent.models import ConsentEvent, ConsentState, Purpose
from consent.selectors.identifiers import identifier_kind
from consent.selectors.statements import _fetchall_prepared, _Statement
from privacy.models import Contact, ContactIdentifier

_CONTACT_FOR_IDENTIFIER_SQL = """
SELECT {columns}
  FROM {contact} c
  JOIN {identifier} ci ON ci.contact_id = c.id
 WHERE ci.customer_id {customer} AND ci.kind = %s AND ci.match_key = %s
   AND c.erased_at IS NULL
 ORDER BY c.id
 LIMIT 1
"""


@functools.lru_cache(maxsize=2)
def _contact_for_identifier_statement(*, with_customer: bool) -> _Statement:
    return _Statement.of(
        _CONTACT_FOR_IDENTIFIER_SQL.format(
            columns=", ".join(f'c."{f.column}"' for f in Contact._meta.concrete_fields),
            contact=Contact._meta.db_table,
            identifier=ContactIdentifier._meta.db_table,
            customer="= %s" if with_customer else "IS NULL",
        )
    )


def _contact_from_row(db, values: list) -> Contact:
    """A row of the contact's concrete columns as the ORM would make it, with the
    backend's and the fields' converters applied (SQLite returns datetimes as text)."""
    fields = Contact._meta.concrete_fields
    for index, field in enumerate(fields):
        column = field.get_col(Contact._meta.db_table)
        for converter in db.ops.get_db_converters(column) + column.get_db_converters(db):
            values[index] = converter(values[index], column, db)
    return Contact.from_db(db.alias, [f.attname for f in fields], values)


def contact_for_identifier(
    *, customer_id: int | None, channel: str, match_key: str
) -> Contact | None:
    """The live contact of this customer (None: of our own contacts) holding the
    identifier, if any; its customer is not loaded.

    One query written out, as the consent check's (a prepared statement on
    PostgreSQL): the inbound webhook asks it for every text, and building the same
    join through the ORM cost more CPU than the query itself. The row becomes a
    Contact exactly as the ORM would make it, with the backend's and the fields'
    converters applied (SQLite returns datetimes as text, for one)."""
    params: list = [identifier_kind(channel), match_key]
    if customer_id is not None:
        params.insert(0, customer_id)
    db = connections[DEFAULT_DB_ALIAS]
    statement = _contact_for_identifier_statement(with_customer=customer_id is not None)
    rows = _fetchall_prepared(db, statement, params)
    if not rows:
        return None
    return _contact_from_row(db, list(rows[0]))


# The webhook's lookup: the contact holding the number, and when the number's SMS
# consent was last revoked by a revocation that sends the confirmation text, at the
# sender texted and at every sender — so the one-confirmation rule costs no statement of
# its own. The methods and purpose codes are constants of the code, not input.
_REVOKED_SQL = """(SELECT MAX(s.since) FROM {state} s
         WHERE s.contact_id = c.id AND s.identifier = ci.match_key
           AND s.purpose_id IN ({sms_purposes}) AND s.sender = {sender} AND NOT s.is_granted
           AND s.method IN ({methods}))"""
_CONTACT_FOR_INBOUND_SQL = """
SELECT {columns}, {revoked_here}, {revoked_everywhere}
  FROM {contact} c
  JOIN {identifier} ci ON ci.contact_id = c.id
 WHERE ci.customer_id = %s AND ci.kind = 'phone' AND ci.match_key = %s
   AND c.erased_at IS NULL
 ORDER BY c.id
 LIMIT 1
"""


@functools.lru_cache(maxsize=1)
def _contact_for_inbound_statement() -> _Statement:
    from consent.selectors.revocation import CONFIRMED_METHODS

    methods = ", ".join(f"'{m}'" for m in CONFIRMED_METHODS)
    codes = ", ".join(
        f"'{c}'" for c in (Purpose.Code.SMS_MARKETING, Purpose.Code.SMS_INFORMATIONAL)
    )
    # Names and codes of the code itself, never input.
    sms_purposes = f"SELECT p.id FROM {Purpose._meta.db_table} p WHERE p.code IN ({codes})"  # noqa: S608
    state = ConsentState._meta.db_table
    return _Statement.of(
        _CONTACT_FOR_INBOUND_SQL.format(
            columns=", ".join(f'c."{f.column}"' for f in Contact._meta.concrete_fields),
            revoked_here=_REVOKED_SQL.format(
                state=state, sender="%s", methods=methods, sms_purposes=sms_purposes
            ),
            revoked_everywhere=_REVOKED_SQL.format(
                state=state, sender="''", methods=methods, sms_purposes=sms_purposes
            ),
            contact=Contact._meta.db_table,
            identifier=ContactIdentifier._meta.db_table,
        )
    )


@dataclass(frozen=True)
class InboundContact:
    contact: Contact | None
    #: When the number's texts were last revoked (with a confirmation) at the sender
    #: texted, and at every sender; None: never.
    revoked_at_sender: dt.datetime | None = None
    revoked_everywhere: dt.datetime | None = None

    def confirmed_since(self, start: dt.datetime, *, everywhere: bool) -> bool:
        """Whether a confirmed revocation covering this one happened at or after
        ``start``: one at every sender covers both; one at the sender only a revocation
        at that sender."""
        times = [self.revoked_everywhere] + ([] if everywhere else [self.revoked_at_sender])
        return any(t is not None and t >= start for t in times)


def _aware(value) -> dt.datetime | None:
    if value is not None and not isinstance(value, dt.datetime):
        value = parse_datetime(str(value))
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def contact_for_inbound_text(*, customer_id: int, phone: str, sender: str) -> InboundContact:
    """``contact_for_identifier`` for the webhook, with the number's last confirmed
    revocations in the same query (one prepared statement)."""
    params = [sender, customer_id, phone]
    db = connections[DEFAULT_DB_ALIAS]
    rows = _fetchall_prepared(db, _contact_for_inbound_statement(), params)
    if not rows:
        return InboundContact(None)
    *values, revoked_here, revoked_everywhere = rows[0]
    return InboundContact(
        contact=_contact_from_row(db, values),
        revoked_at_sender=_aware(revoked_here),
        revoked_everywhere=_aware(revoked_everywhere),
    )


def contact_consent_states(*, contact: Contact) -> QuerySet[ConsentState]:
    return (
        ConsentState.objects.filter(contact=contact)
        .select_related("purpose", "notice")
        .order_by("purpose__code", "identifier", "sender")
    )


def contact_consent_history(*, contact_id: int) -> QuerySet[ConsentEvent]:
    return (
        ConsentEvent.objects.filter(contact_id=contact_id)
        .select_related("purpose", "notice", "recorded_by")
        .order_by("-occurred_at", "-id")
    )


def contact_is_granted(*, contact: Contact, purpose_code: str, identifier: str = "") -> bool:
    """Whether the contact's latest decision for the purpose (any sender) is a grant."""
    latest = (
        ConsentState.objects.filter(
            contact=contact, purpose__code=purpose_code, identifier=identifier
        )
        .order_by("-since", "-last_event_id")
        .values_list("is_granted", flat=True)
        .first()
    )
    return bool(latest)
