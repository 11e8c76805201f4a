"""The PostgreSQL guards of migrations 0003/0005: a published notice never changes and
the ledger is append-only, yet a re-save that changes nothing (Django's deserialisation
for ``serialized_rollback``, ``loaddata`` of a dump) passes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import serializers
from django.db import DatabaseError, connection, transaction

from consent import services
from consent.models import ConsentEvent, Notice

pytestmark = pytest.mark.postgres

PUBLISHED_AT = dt.datetime(2025, 6, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the guards are PostgreSQL triggers")


def _json_resave(obj) -> None:
    """What serialized_rollback and loaddata do: dump to JSON, read back, save()."""
    (restored,) = serializers.deserialize("json", serializers.serialize("json", [obj]))
    with transaction.atomic():
        restored.save()


@pytest.fixture
def published_notice(db):
    notice = services.notice_draft_save(
        actor=None,
        notice=Notice(
            purpose_id=Notice.objects.first().purpose_id, kind="form_checkbox", text="Hi"
        ),
    )
    # Published (as notice_publish does) at an instant whose microseconds a JSON dump
    # cannot carry: it keeps milliseconds.
    Notice.objects.filter(pk=notice.pk, published_at__isnull=True).update(published_at=PUBLISHED_AT)
    notice.refresh_from_db()
    return notice


@pytest.fixture
def event(contact):
    return services.consent_event_record(
        actor=None, purpose="email_marketing", action="grant", method="web_form",
        contact=contact, identifier=contact.email, occurred_at=PUBLISHED_AT,
    )  # fmt: skip


def test_unchanged_published_notice_can_be_saved_again(published_notice):
    with transaction.atomic():
        published_notice.save()
    _json_resave(published_notice)

    published_notice.refresh_from_db()
    assert published_notice.published_at == PUBLISHED_AT  # the stored instant is kept
    assert published_notice.text == "Hi"


@pytest.mark.parametrize(
    "change",
    [
        {"text": "Different words"},
        {"text_sha256": "0" * 64},
        {"language": "fr"},
        {"kind": "banner"},
        {"published_at": PUBLISHED_AT + dt.timedelta(seconds=1)},
        {"published_at": None},
    ],
)
def test_any_real_change_to_a_published_notice_is_refused(published_notice, change):
    with pytest.raises(DatabaseError, match="never changes"), transaction.atomic():
        Notice.objects.filter(pk=published_notice.pk).update(**change)
    published_notice.refresh_from_db()
    assert published_notice.text == "Hi" and published_notice.published_at == PUBLISHED_AT


def test_unchanged_ledger_row_can_be_saved_again(event):
    with transaction.atomic():
        event.save()
    _json_resave(event)

    event.refresh_from_db()
    assert (event.action, event.occurred_at) == ("grant", PUBLISHED_AT)


@pytest.mark.parametrize(
    "change",
    [
        {"action": "withdraw"},
        {"occurred_at": PUBLISHED_AT - dt.timedelta(days=1)},
        {"method": "staff"},
        {"identifier": "someone-else@example.org"},
    ],
)
def test_any_real_change_to_the_ledger_is_refused(event, change):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ConsentEvent.objects.filter(pk=event.pk).update(**change)
    event.refresh_from_db()
    assert (event.action, event.method, event.occurred_at) == ("grant", "web_form", PUBLISHED_AT)


@pytest.mark.django_db(transaction=True)  # committed rows, as on a real installation
def test_the_ledger_refuses_truncate(event):
    """Rows leave the ledger by audited DELETEs only (erasure, purge): TRUNCATE, and so
    `manage.py flush`, is refused (migration 0009)."""
    with (
        pytest.raises(DatabaseError, match="consent_consentevent is append-only: TRUNCATE"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE consent_consentevent")
    assert ConsentEvent.objects.filter(pk=event.pk).exists()
