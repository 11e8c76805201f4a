"""The two helpers the batch services use for speed: the ``__any`` lookup (one array
parameter instead of one placeholder per id) and ``bulk_insert`` (COPY on PostgreSQL).
Both must give exactly what ``__in`` and ``bulk_create`` give."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.test.utils import CaptureQueriesContext

from privacy.bulk import bulk_insert
from privacy.models import AuditEvent, Contact, ContactIdentifier, ErasureCertificate
from privacy.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contacts():
    customer = CustomerFactory()
    return [ContactFactory(customer=customer) for _ in range(5)]


def test_any_matches_what_in_matches(contacts):
    ids = [c.pk for c in contacts[:3]] + [10**12]  # one id that does not exist
    expected = set(Contact.objects.filter(pk__in=ids).values_list("pk", flat=True))
    assert set(Contact.objects.filter(pk__any=ids).values_list("pk", flat=True)) == expected
    assert len(expected) == 3
    # Foreign keys, by column and by relation name; sets and tuples are fine too.
    by_column = ContactIdentifier.objects.filter(contact_id__any={contacts[0].pk})
    by_relation = ContactIdentifier.objects.filter(contact__any=(contacts[0].pk,))
    assert set(by_column) == set(by_relation) == set(contacts[0].identifiers.all())
    assert by_column.exists()
    # Strings (normalised keys) as well.
    keys = list(
        ContactIdentifier.objects.filter(contact=contacts[1]).values_list("match_key", flat=True)
    )
    assert set(
        ContactIdentifier.objects.filter(match_key__any=keys).values_list("contact_id", flat=True)
    ) == {contacts[1].pk}


def test_any_of_an_empty_list_matches_nothing(contacts):
    assert not Contact.objects.filter(pk__any=[]).exists()
    assert Contact.objects.exclude(pk__any=[]).count() == len(contacts)


def test_any_refuses_expressions(contacts):
    with pytest.raises(TypeError, match="plain values"):
        list(Contact.objects.filter(pk__any=[Contact.objects.values("pk")[:1]]))


@pytest.mark.postgres
def test_any_sends_one_array_parameter_on_postgresql(contacts):
    ids = [c.pk for c in contacts]
    with CaptureQueriesContext(connection) as queries:
        list(Contact.objects.filter(pk__any=ids))
    sql = queries[0]["sql"]
    assert "= ANY(" in sql and "::bigint[]" in sql
    assert " IN (" not in sql


def test_any_falls_back_to_in_elsewhere():
    sqlite = SQLiteWrapper(
        {**connection.settings_dict, "ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        alias="sqlite_compile_only",
    )
    sql, params = (
        Contact.objects.filter(pk__any=[3, 1, 2]).query.get_compiler(connection=sqlite).as_sql()
    )
    assert '"privacy_contact"."id" IN (%s, %s, %s)' in sql
    assert list(params) == [3, 1, 2]


def test_bulk_insert_sets_keys_and_round_trips_json(contacts):
    events = [
        AuditEvent(
            action="contact.erased",
            object_type="contact",
            object_id=str(c.pk),
            summary={
                "erased": {"privacy.contact": {"identifiers": 2}},
                "kept": [],
                "note": 'q"uo\\te\ttab\nline',
            },
        )
        for c in contacts
    ]
    saved = bulk_insert(events)
    assert saved == events and [e.pk for e in saved] == sorted(e.pk for e in saved)
    assert all(e.pk and not e._state.adding for e in saved)
    stored = {e.pk: e for e in AuditEvent.objects.filter(pk__in=[e.pk for e in saved])}
    assert len(stored) == len(contacts)
    for event in saved:
        row = stored[event.pk]
        assert row.summary == event.summary
        assert row.object_id == event.object_id
        assert row.occurred_at is not None  # the model default was written
    # The sequence moved on: an ordinary insert afterwards does not collide.
    later = AuditEvent.objects.create(
        action="x.y", object_type="contact", object_id="1", summary={}
    )
    assert later.pk > max(e.pk for e in saved)


def test_bulk_insert_of_nothing_is_a_no_op():
    with CaptureQueriesContext(connection) as queries:
        assert bulk_insert([]) == []
    assert len(queries) == 0


@pytest.mark.postgres
def test_bulk_insert_enforces_constraints(contacts):
    # A foreign key to a contact that does not exist fails (at the latest on commit).
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert([ErasureCertificate(contact_id=10**12, trigger="staff", counts={}, kept=[])])
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
