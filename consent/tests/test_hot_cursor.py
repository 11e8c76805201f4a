"""The hot path's statements run on a driver cursor kept with the connection
(``consent.selectors.statements._hot_cursor``) unless Django is logging queries or has
execute wrappers. Held here: the same answers and errors as through Django's cursor,
one cursor per connection and time zone, and the stale-statement recovery on it."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import pytest
from django.db import DEFAULT_DB_ALIAS, DataError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from psycopg.postgres import types as pg_types
from psycopg.pq import Format

from consent import selectors, services
from consent.selectors import statements
from consent.tests.conftest import check
from consent.tests.factories import ContactFactory
from privacy.services import contact_restrict
from privacy.services.suppression import suppressions_add

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements"),
]


def _tz_loader(cursor):
    return cursor.adapters.get_loader(pg_types["timestamptz"].oid, Format.TEXT)


def _wrapper():
    return connections[DEFAULT_DB_ALIAS]


def _record(contact, sender, action: str) -> None:
    services.consent_event_record(
        actor=None, purpose="sms_marketing", action=action, method="web_form",
        contact=contact, identifier=contact.phone, sender=sender.number,
        notice=selectors.notice_published(purpose_code="sms_marketing"),
        occurred_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    )  # fmt: skip


def test_the_hot_cursor_gives_the_answers_of_djangos_cursor(customer, sender):
    """Every state the check reads, answered once on the hot cursor and once through
    Django's (logged) cursor: the same decisions, and the hot path logged nothing."""
    granted = ContactFactory(customer=customer, phone="+14155550121")
    _record(granted, sender, "grant")
    withdrawn = ContactFactory(customer=customer, phone="+14155550122")
    _record(withdrawn, sender, "grant")
    _record(withdrawn, sender, "withdraw")
    suppressed = ContactFactory(customer=customer, phone="+14155550123")
    _record(suppressed, sender, "grant")
    suppressions_add(identifiers=[("phone", suppressed.phone)], customer=customer)
    restricted = ContactFactory(customer=customer, phone="+14155550124")
    contact_restrict(actor=None, contact=restricted, restricted=True)
    numbers = ["+14155550121", "+14155550122", "+14155550123", "+14155550124", "+14155550199"]
    shapes = [{"sender": sender.number}, {}]

    hot = [check(customer, to=n, **shape) for n in numbers for shape in shapes]
    assert not connection.queries_logged
    assert getattr(connection.connection, statements._HOT_CURSOR, None) is not None
    with CaptureQueriesContext(connection) as logged:
        wrapped = [check(customer, to=n, **shape) for n in numbers for shape in shapes]

    assert hot == wrapped
    assert len(logged.captured_queries) == len(wrapped)  # Django's cursor ran them
    assert {d.reason for d in hot} >= {"granted", "withdrawn", "suppressed", "restricted"}


def test_one_hot_cursor_per_connection_and_time_zone(customer):
    db = _wrapper()
    check(customer)
    first = statements._hot_cursor(db)
    check(customer)
    assert statements._hot_cursor(db) is first

    denver = zoneinfo.ZoneInfo("America/Denver")
    cached_timezone = db.__dict__.get("timezone")
    db.__dict__["timezone"] = denver  # as DATABASES["default"]["TIME_ZONE"] would make it
    try:
        other = statements._hot_cursor(db)
        assert other is not first
        # It reads times as a cursor Django makes in that time zone does.
        assert _tz_loader(other).timezone == _tz_loader(db.create_cursor()).timezone == denver
    finally:
        if cached_timezone is None:
            db.__dict__.pop("timezone", None)
        else:
            db.__dict__["timezone"] = cached_timezone
    assert statements._hot_cursor(db) is not other


def test_a_database_error_on_the_hot_cursor_is_djangos_error(db):
    statement = statements._Statement.of(f"SELECT %s::bigint AS probe_{uuid.uuid4().hex}")
    assert not connection.queries_logged
    with pytest.raises(DataError), transaction.atomic():
        statements._fetchall_prepared(_wrapper(), statement, ["not a number"])
    assert statements._fetchall_prepared(_wrapper(), statement, [41]) == [(41,)]


@pytest.mark.django_db(transaction=True)
def test_a_deallocated_statement_is_prepared_again_on_the_hot_cursor(customer, sender):
    """A pooler drops the session's statements: in autocommit the next check prepares
    its statement again and answers, on the hot cursor as through Django's."""
    try:
        assert check(customer, sender=sender.number).reason == "no_consent"  # prepared
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
        assert not connection.queries_logged and not connection.in_atomic_block
        assert check(customer, sender=sender.number).reason == "no_consent"
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'pbo%%'")
            assert cursor.fetchone()[0] == 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
        statements._prepared_statements.pop(connection.connection, None)


def test_execute_wrappers_see_the_hot_paths_statement(customer):
    """Instrumentation installed with ``connection.execute_wrapper`` (an APM, a test)
    still sees the check's statement: the hot cursor steps aside for it."""
    seen = []

    def spy(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        check(customer)
    assert seen[-1].startswith(("EXECUTE pbo_", "PREPARE pbo_"))
