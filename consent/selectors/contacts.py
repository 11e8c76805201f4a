"""A contact's consents: the live contact holding an identifier (the webhook's lookup,
written out as a prepared statement), its current states and its ledger history."""

from __future__ import annotations

import functools

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

from consent.models import ConsentEvent, ConsentState
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
    fields = Contact._meta.concrete_fields
    values = list(rows[0])
    for index, field in enumerate(fields):
        column = field.get_col(Contact._meta.db_table)
        for converter in db.ops.get_db_converters(column) + column.get_db_converters(db):
            values[index] = converter(values[index], column, db)
    return Contact.from_db(db.alias, [f.attname for f in fields], values)


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
