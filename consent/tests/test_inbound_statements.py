"""Upper bounds on the SQL statements one inbound text costs: a regression guard for the
webhook's hot path (bench/README.md, target h), never a timing.

Counted with ``CaptureQueriesContext`` around a signed test-client POST, with the
purposes and the sender number already in the per-process caches (as in a warm worker).
Inside the test's transaction the service's ``atomic`` block is a SAVEPOINT / RELEASE
pair, and both are counted here; in production they are BEGIN and COMMIT."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent import selectors, services
from consent.models import ConsentEvent, InboundMessage
from consent.tests.conftest import new_sid

pytestmark = pytest.mark.django_db

# Every count includes the number's advisory lock (consent.services.inbound._number_lock;
# PostgreSQL only, where CI counts).
# The lock, the contact, and one statement writing the inbound message, the two ledger
# rows, their state upsert, the subscription upsert and the audit row
# (consent.services.inbound_stop); + SAVEPOINT and RELEASE. Was 9 with a statement
# per table. SQLite: one statement per table, no lock (8).
STOP_STATEMENTS = 5 if connection.vendor == "postgresql" else 8
# STOP's, with the number's subscriptions at every sender opted out in one UPDATE
# and the texted sender's rows ensured by one INSERT … ON CONFLICT DO NOTHING.
STOPALL_STATEMENTS = 10
# The lock, the contact, the earlier grants, the current states, the number's live
# suppressions at the customer (START / YES from an erased person's number lifts them:
# issue 8, item 2), the inbound message, the ledger rows, the state upsert, the
# subscription upsert, the audit row; + 2.
START_STATEMENTS = 12
# The contact, the inbound message, the audit row; + 2.
HELP_STATEMENTS = 6
# The contact and the inbound message's INSERT that inserts nothing; + 2.
DUPLICATE_STATEMENTS = 5


@pytest.fixture
def subscribed(contact, sender):
    """A person who signed up for both SMS programs at the sender, in a worker that
    has handled a text to that sender before."""
    for purpose in services.SMS_PURPOSES:
        services.consent_event_record(
            actor=None, purpose=purpose, action="grant", method="web_form",
            contact=contact, identifier=contact.phone, sender=sender.number,
        )  # fmt: skip
    assert selectors.sender_for_number(sender.number) == sender
    return contact


def _statements(text, body, **kwargs) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = text(body, **kwargs)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def _listing(statements: list[str]) -> str:
    return "\n".join(sql[:160] for sql in statements)


def test_stop_is_one_write_per_table(text, subscribed):
    statements = _statements(text, "STOP")

    assert len(statements) <= STOP_STATEMENTS, _listing(statements)
    if connection.vendor == "postgresql":
        # Every write is the one prepared statement (it names the MessageSid; once the
        # connection has prepared it, the statement is "EXECUTE pbo_…(…)", no table name).
        assert not [s for s in statements if s.lstrip().startswith(("INSERT", "UPDATE"))]
        assert len([s for s in statements if "SM" in s and "STOP" in s]) == 1
    else:
        assert sum('"consent_smssubscription"' in sql for sql in statements) == 1
    # No read-then-write of the state, no savepoint per row, no second subscription pass.
    assert not [sql for sql in statements if "FOR UPDATE" in sql], _listing(statements)
    assert sum(sql.startswith("SAVEPOINT") for sql in statements) == 1, _listing(statements)
    assert not [sql for sql in statements if '"consent_sendernumber"' in sql]
    assert ConsentEvent.objects.filter(action="withdraw").count() == 2


def test_a_cold_worker_reads_the_sender_once(text, contact, sender):
    first = _statements(text, "HELP")
    second = _statements(text, "HELP")

    assert sum('"consent_sendernumber"' in sql for sql in first) == 1, _listing(first)
    assert len(second) == len(first) - 1, _listing(second)


def test_stopall_statements(text, subscribed):
    statements = _statements(text, "STOPALL")
    assert len(statements) <= STOPALL_STATEMENTS, _listing(statements)
    assert InboundMessage.objects.get().outcome == "opted_out_all"


def test_start_after_stop_statements(text, subscribed):
    text("STOP")
    statements = _statements(text, "START")
    assert len(statements) <= START_STATEMENTS, _listing(statements)
    assert InboundMessage.objects.filter(outcome="rejoined").count() == 1


def test_help_statements(text, subscribed):
    statements = _statements(text, "HELP")
    assert len(statements) <= HELP_STATEMENTS, _listing(statements)
    assert InboundMessage.objects.get().outcome == "help"


def test_duplicate_message_sid_statements_write_nothing(text, subscribed):
    sid = new_sid()
    text("STOP", sid=sid)

    statements = _statements(text, "STOP", sid=sid)

    assert len(statements) <= DUPLICATE_STATEMENTS, _listing(statements)
    # One statement names the MessageSid: the insert that inserts nothing.
    assert len([sql for sql in statements if sid in sql]) == 1, _listing(statements)
    assert not [s for s in statements if s.lstrip().startswith(("UPDATE", "DELETE"))]
    assert InboundMessage.objects.count() == 1
    assert ConsentEvent.objects.filter(reference=sid).count() == 2  # the first STOP's only


def test_a_revocation_in_own_words_costs_what_stop_costs(text, subscribed):
    statements = _statements(text, "Please stop texting me")
    assert len(statements) <= STOP_STATEMENTS, _listing(statements)
    assert InboundMessage.objects.get().outcome == "opted_out_own_words"


def test_a_second_stop_in_the_confirmation_window_costs_no_more(text, subscribed):
    text("STOP")
    statements = _statements(text, "STOP")
    assert len(statements) <= STOP_STATEMENTS, _listing(statements)
    assert InboundMessage.objects.filter(reply="").count() == 1  # the second: no reply


def test_a_doubtful_text_costs_one_more_insert_than_help(text, subscribed):
    statements = _statements(text, "stop by tomorrow")
    # HELP's statements, with the review row instead of the HELP reply.
    assert len(statements) <= HELP_STATEMENTS + 1, _listing(statements)


def _columns(model, *left_out: str) -> list[str]:
    """Every column of the model (a column added later is compared too), but those
    that differ between two writes by design: keys and times of writing."""
    return [f.attname for f in model._meta.concrete_fields if f.attname not in ("id", *left_out)]


def _written(message_sid: str) -> dict:
    """What one inbound text wrote, without ids and times of writing."""
    from consent.models import ConsentState, SmsSubscription
    from privacy.models import AuditEvent

    message = InboundMessage.objects.get(message_sid=message_sid)
    ledger = ConsentEvent.objects.filter(reference=message_sid)
    event_ids = list(ledger.order_by("id").values_list("id", flat=True))
    audit = AuditEvent.objects.get(object_type="inbound_message", object_id=str(message.pk))
    return {
        "message": InboundMessage.objects.filter(pk=message.pk)
        .values(*_columns(InboundMessage, "message_sid"))
        .get(),
        "events": list(
            ledger.order_by("purpose_id").values(
                *_columns(ConsentEvent, "reference", "recorded_at")
            )
        ),
        "states": list(
            ConsentState.objects.filter(last_event_id__in=event_ids)
            .order_by("purpose_id")
            .values(*_columns(ConsentState, "last_event_id"))
        ),
        "subscriptions": list(
            SmsSubscription.objects.filter(phone=message.from_number)
            .order_by("sender", "program")
            .values(*_columns(SmsSubscription, "updated_at"))
        ),
        "audit": (
            audit.actor_id,
            audit.action,
            {**audit.summary, "events": len(audit.summary["events"])},
        ),
        "audit_events_are_the_ledger_rows": sorted(audit.summary["events"]) == event_ids,
    }


@pytest.mark.parametrize("body", ["STOP", "Please stop texting me"])
def test_one_statement_stop_writes_what_the_general_path_writes(
    subscribed, sender, monkeypatch, body
):
    """The one-statement STOP (consent.services.inbound_stop) and the statement-per-table
    path write the same rows: the same text from the same number at the same time, once
    through each, each in a savepoint rolled back afterwards."""

    from django.db import transaction
    from django.utils import timezone

    from consent.services import inbound_stop

    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")
    at = timezone.now()  # after the sign-up: the STOP decides the state
    results, counts = {}, {}
    for enabled in (True, False):
        monkeypatch.setattr(inbound_stop, "ENABLED", enabled)
        sid = new_sid()
        with transaction.atomic():
            with CaptureQueriesContext(connection) as captured:
                services.sms_inbound_handle(
                    message_sid=sid, account_sid="ACtest", from_number=subscribed.phone,
                    to_number=sender.number, body=body, now=at,
                )  # fmt: skip
            counts[enabled] = len(captured)
            results[enabled] = _written(sid)
            transaction.set_rollback(True)
    for key in results[True]:
        assert results[True][key] == results[False][key], (
            key,
            results[True][key],
            results[False][key],
        )
    assert results[True]["audit_events_are_the_ledger_rows"]
    assert len(results[True]["events"]) == 2 and len(results[True]["states"]) == 2
    assert counts[True] < counts[False]
