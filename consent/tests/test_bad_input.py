"""What consent does with bad input: the API answers a clear 400/413 JSON error and
stores nothing; a repeated submission is a second ledger row that changes no answer;
the inbound webhook keeps working (opt-out durable, reply sent) with the broker down."""

from __future__ import annotations

import json

import pytest
from celery.app.task import Task
from django.utils import timezone
from kombu.exceptions import OperationalError

from consent import services
from consent.models import ConsentEvent, ConsentState, InboundMessage, SmsSubscription
from consent.tests.conftest import check
from privacy.models import AuditEvent, Contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(customer):
    return services.api_key_create(actor=None, customer=customer, name="crm")[1]


def _auth(key) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _post_raw(client, key, body: bytes | str, **extra):
    return client.post(
        "/api/v1/consent/events", body, content_type="application/json", **_auth(key), **extra
    )


def _post(client, key, data):
    return _post_raw(client, key, json.dumps(data))


def _stored() -> tuple[int, int, int, int]:
    return (
        ConsentEvent.objects.count(),
        ConsentState.objects.count(),
        Contact.objects.count(),
        SmsSubscription.objects.count(),
    )


def _assert_error(response, status: int, *words: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    for word in words:
        assert word in error


# --- the consent check ------------------------------------------------------------------


def test_check_names_every_missing_parameter(client, key):
    response = client.get("/api/v1/consent/check", {"channel": "sms"}, **_auth(key))
    _assert_error(response, 400, "purpose", "to")


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"channel": "sms", "purpose": "sms_marketing", "to": "+1 415 55"}, ("phone",)),
        ({"channel": "sms", "purpose": "sms_marketing", "to": "not a number"}, ()),
        ({"channel": "email", "purpose": "email_marketing", "to": "ann@"}, ()),
        ({"channel": "sms", "purpose": "no_such_purpose", "to": "+14155550111"}, ("purpose",)),
        (
            {
                "channel": "sms",
                "purpose": "sms_marketing",
                "to": "+14155550111",
                "sender": "call me",
            },
            ("sender",),
        ),
    ],
)
def test_check_refuses_bad_values_with_400_without_echoing_them(client, key, params, words):
    before = _stored()
    response = client.get("/api/v1/consent/check", params, **_auth(key))
    _assert_error(response, 400, *words)
    error = response.json()["error"]
    assert params["to"] not in error and "415" not in error and "call me" not in error
    assert _stored() == before


# --- recording events -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            {
                "purpose": "sms_marketing",
                "action": "grant",
                "to": "+1 415 55",
                "create_contact": True,
            },
            (),
        ),
        (
            {"purpose": "sms_informational", "action": "grant", "to": "12", "create_contact": True},
            (),
        ),
        ({"purpose": "no_such_purpose", "action": "grant", "to": "+14155550111"}, ("purpose",)),
        ({"action": "grant", "to": "+14155550111"}, ("purpose",)),
        ({"purpose": "email_marketing", "to": "ann@example.org"}, ("action",)),
        ({"purpose": "email_marketing", "action": "grant"}, ("contact_id", "to")),
        (
            {
                "purpose": "email_marketing",
                "action": "grant",
                "to": "ann@example.org",
                "notice_version": 99,
            },
            ("notice",),
        ),
        (
            {
                "purpose": "email_marketing",
                "action": "grant",
                "to": "ann@example.org",
                "notice_version": "one",
            },
            ("Invalid",),
        ),
        (
            {
                "purpose": "email_marketing",
                "action": "grant",
                "to": "ann@example.org",
                "occurred_at": "yesterday",
            },
            ("occurred_at",),
        ),
        (
            {
                "purpose": "email_marketing",
                "action": "grant",
                "to": "ann@example.org",
                "occurred_at": "2026-01-05T10:00:00",
            },
            ("zone",),
        ),
        ({"purpose": "email_marketing", "action": "grant", "contact_id": "abc"}, ("Invalid",)),
        (
            {
                "purpose": "email_marketing",
                "action": "grant",
                "to": "ann@example.org",
                "evidence": ["not", "an", "object"],
            },
            ("evidence",),
        ),
        (
            {
                "purpose": "email_marketing",
                "action": "grant",
                "to": "ann@example.org",
                "evidence": {"ip": "999.1.2.3"},
            },
            ("IP",),
        ),
        (
            {
                "purpose": "email_marketing",
                "action": "grant",
                "to": "ann@example.org",
                "evidence": {"user_agent": {"nested": True}},
            },
            ("evidence",),
        ),
        (
            {
                "purpose": "sms_marketing",
                "action": "grant",
                "to": "+14155550111",
                "sender": "call me",
            },
            ("sender",),
        ),
    ],
)
def test_bad_event_is_a_400_json_error_and_stores_nothing(client, key, contact, data, words):
    before = _stored()
    audit_before = AuditEvent.objects.count()
    response = _post(client, key, data)
    _assert_error(response, 400, *words)
    assert _stored() == before
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'"a string"',
        b"[1, 2]",
        b"\xff\xfe\x00garbage",
        b"[" * 5000 + b"]" * 5000,  # nesting deeper than the parser allows
        b'{"purpose": "email_marketing", "action": "grant", "to": "ann@example.org"',
    ],
)
def test_malformed_body_is_a_400_json_error(client, key, contact, body):
    before = _stored()
    response = _post_raw(client, key, body)
    _assert_error(response, 400, "JSON")
    assert _stored() == before


def test_empty_body_is_read_as_an_empty_object_and_refused(client, key):
    _assert_error(_post_raw(client, key, b""), 400, "purpose")


def test_oversized_body_is_a_413_json_error_and_not_read(client, key, contact):
    from consent.api import EVENT_BODY_MAX_BYTES

    data = {
        "purpose": "email_marketing", "action": "grant", "to": contact.email,
        "evidence": {"source": "x" * EVENT_BODY_MAX_BYTES},
    }  # fmt: skip
    before = _stored()
    response = _post(client, key, data)
    _assert_error(response, 413, "too large")
    assert _stored() == before


def test_body_over_djangos_upload_limit_is_also_413(client, key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = _post_raw(client, key, b'{"purpose": "' + b"x" * 2000 + b'"}')
    _assert_error(response, 413, "too large")


def test_duplicate_submission_is_a_second_ledger_row_and_changes_no_answer(
    client, key, contact, customer
):
    """Documented behaviour (docs/consent.md): the API has no idempotency key. A retried
    POST records the same decision again: the ledger shows both rows (each is evidence
    of what the client sent), the state and the check's answer are the same."""
    data = {
        "purpose": "email_marketing", "action": "grant", "to": contact.email,
        "occurred_at": "2026-01-05T10:00:00+00:00", "evidence": {"reference": "order-1"},
    }  # fmt: skip
    first = _post(client, key, data)
    answer = check(customer, to=contact.email, purpose="email_marketing")
    second = _post(client, key, data)

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert ConsentEvent.objects.filter(contact=contact, reference="order-1").count() == 2
    state = ConsentState.objects.get(contact=contact, purpose__code="email_marketing")
    assert state.last_event_id == second.json()["id"] and state.is_granted
    assert check(customer, to=contact.email, purpose="email_marketing") == answer


# --- the webhook with the broker down ----------------------------------------------------


@pytest.fixture
def broker_down(monkeypatch):
    """Every Celery enqueue fails as it does when Redis is unreachable."""
    attempts = []

    def refuse(self, *args, **kwargs):
        attempts.append(self.name)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", refuse)
    return attempts


def test_enqueueing_really_fails_in_these_tests(broker_down):
    from consent.tasks import sms_opt_in_prompt_send

    with pytest.raises(OperationalError):
        sms_opt_in_prompt_send.delay(1)


@pytest.mark.parametrize("body", ["STOP", "STOPALL", "START", "YES", "HELP", "hello"])
def test_webhook_needs_no_broker(
    text, contact, customer, sender, broker_down, body, django_capture_on_commit_callbacks
):
    services.consent_event_record(
        actor=None, purpose="sms_marketing", action="grant", method="web_form",
        contact=contact, identifier=contact.phone, sender=sender.number,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = text(body)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert InboundMessage.objects.filter(body=body).exists()
    assert broker_down == []  # nothing in the webhook path tried to enqueue


def test_stop_with_the_broker_down_is_durable_and_confirmed(
    text, contact, customer, sender, broker_down, django_capture_on_commit_callbacks
):
    services.consent_event_record(
        actor=None, purpose="sms_marketing", action="grant", method="web_form",
        contact=contact, identifier=contact.phone, sender=sender.number,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = text("STOP")
        unknown = text("STOP", from_="+14155550188")

    assert "no further messages" in response.content.decode()
    assert "no further messages" in unknown.content.decode()
    assert check(customer, sender=sender.number).reason == "withdrawn"
    assert check(customer, to="+14155550188", sender=sender.number).allowed is False
    assert ConsentState.objects.filter(
        identifier="+14155550188", is_granted=False, purpose__code="sms_marketing"
    ).exists()
    assert broker_down == []


def test_api_sign_up_with_the_broker_down_keeps_the_pending_subscription(
    client, key, contact, sender, broker_down, django_capture_on_commit_callbacks, monkeypatch
):
    """Outside the webhook: the double opt-in prompt is a Celery task. With the broker
    down the sign-up is still recorded (pending) and the client gets its 202; the
    prompt waits in privacy's outbox and is sent, once, when the broker is back."""
    from consent import sms
    from privacy.models import OutboxTask
    from privacy.services import outbox_relay

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, key, {
            "purpose": "sms_marketing", "action": "grant", "to": contact.phone,
        })  # fmt: skip
    assert response.status_code == 202
    subscription = SmsSubscription.objects.get(phone=contact.phone)
    assert subscription.status == "pending" and subscription.prompt_sent_at is None
    assert broker_down == ["consent.tasks.sms_opt_in_prompt_send"]
    row = OutboxTask.objects.get(task="consent.tasks.sms_opt_in_prompt_send")
    assert (row.args, row.sent_at, row.last_error) == ([subscription.pk], None, "OperationalError")

    monkeypatch.undo()  # the broker is back
    later = row.created_at + timezone.timedelta(minutes=1)
    assert outbox_relay(now=later).sent == 1
    assert outbox_relay(now=later).sent == 0
    subscription.refresh_from_db()
    assert subscription.prompt_sent_at is not None
    assert [m.to for m in sms.outbox] == [contact.phone]  # one prompt, not two
