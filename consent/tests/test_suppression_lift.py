"""Issue 8, item 2: an erased person who opted out is never texted again.

STOP, then erasure, then a subscription request through the API used to send "Reply YES
to receive…" to that number. Every consent outbound path consults the outbound guard;
the consent check says ``suppressed`` with no contact holding the number; only the
person's own START / UNSTOP / YES from the number lifts the suppression (ledger event,
Suppression row, audit row), never the customer's API call."""

from __future__ import annotations

import json

import pytest

from consent import selectors, services, sms
from consent.models import ConsentEvent, SmsSubscription
from consent.tests.conftest import NOON_PACIFIC, check
from consent.tests.factories import CustomerFactory, SenderNumberFactory
from privacy.models import AuditEvent, Contact, Suppression
from privacy.services import contact_erase, contact_update

pytestmark = pytest.mark.django_db

PHONE = "+14155550111"


@pytest.fixture
def key(customer):
    return services.api_key_create(actor=None, customer=customer, name="crm")[1]


def _post(client, key, data):
    return client.post(
        "/api/v1/consent/events",
        json.dumps(data),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def _check_api(client, key, **params):
    params = {"channel": "sms", "purpose": "sms_marketing", "to": PHONE, **params}
    return client.get("/api/v1/consent/check", params, HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.fixture
def erased_after_stop(contact, sender, text):
    """The person granted SMS marketing, texted STOP and was erased."""
    services.consent_event_record(
        actor=None, purpose="sms_marketing", action="grant", method="web_form",
        contact=contact, identifier=PHONE, sender=sender.number,
        notice=selectors.notice_published(purpose_code="sms_marketing"),
    )  # fmt: skip
    text("STOP")
    contact_erase(actor=None, contact=contact)
    sms.outbox.clear()
    return contact


def _sign_up(client, key, sender):
    return _post(client, key, {
        "purpose": "sms_marketing", "action": "grant", "to": PHONE, "sender": sender.number,
        "create_contact": True,
    })  # fmt: skip


def test_api_sign_up_of_an_erased_opted_out_number_is_refused_and_nothing_is_sent(
    client, key, sender, erased_after_stop, django_capture_on_commit_callbacks
):
    contacts = Contact.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = _sign_up(client, key, sender)

    assert response.status_code == 409, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["reason"] == "suppressed"
    assert "suppress" in response.json()["error"]
    assert sms.outbox == []
    assert not SmsSubscription.objects.filter(phone=PHONE).exists()
    assert Contact.objects.count() == contacts  # nothing stored, not even the contact


def test_the_check_says_suppressed_when_no_contact_holds_the_number(
    client, key, sender, erased_after_stop
):
    answer = _check_api(client, key, sender=sender.number).json()
    assert answer["reason"] == "suppressed" and answer["allowed"] is False
    assert _check_api(client, key).json()["reason"] == "suppressed"
    # Another customer's check of the same number is not theirs to answer.
    other_key = services.api_key_create(actor=None, customer=CustomerFactory(), name="x")[1]
    assert _check_api(client, other_key).json()["reason"] == "no_consent"


def test_a_customers_api_grant_with_a_notice_does_not_lift_the_suppression(
    client, key, customer, sender, erased_after_stop
):
    response = _post(client, key, {
        "purpose": "sms_marketing", "action": "grant", "to": PHONE, "sender": sender.number,
        "notice_version": 1, "confirmed": True, "create_contact": True,
    })  # fmt: skip
    assert response.status_code == 201, response.content  # the evidence is recorded…
    decision = check(customer, sender=sender.number, now=NOON_PACIFIC)
    assert (decision.allowed, decision.reason) == (False, "suppressed")  # …but lifts nothing
    assert not Suppression.objects.filter(lifted_at__isnull=False).exists()


def test_the_prompt_task_checks_the_guard_again_at_send_time(
    customer, contact, sender, django_capture_on_commit_callbacks
):
    """A sign-up made while the number was reachable; the person asks not to be
    contacted before the prompt goes out: the task sends nothing and says why."""
    with django_capture_on_commit_callbacks() as queued:
        subscription = services.sms_subscription_request(
            actor=None, contact=contact, phone=PHONE, sender=sender.number
        )
    contact_update(actor=None, contact=contact, do_not_contact=True, reason="asked by phone")
    assert services.sms_opt_in_prompt_send(subscription_id=subscription.pk) is False
    assert sms.outbox == []
    subscription.refresh_from_db()
    assert subscription.prompt_sent_at is None
    skipped = AuditEvent.objects.get(action="consent.sms_opt_in_prompt_blocked")
    assert skipped.summary == {"subscription_id": subscription.pk, "reason": "do_not_contact"}
    assert queued  # the prompt had been queued


@pytest.mark.parametrize("word", ["START", "unstop", "Yes"])
def test_the_persons_own_start_or_yes_lifts_it_with_the_message_sid_as_evidence(
    client, key, customer, sender, erased_after_stop, text, word
):
    sid = "SM" + "7" * 32
    response = text(word, sid=sid)
    assert response.status_code == 200

    suppression = Suppression.objects.get(channel="phone", customer=customer)
    assert suppression.lifted_at is not None
    lift = ConsentEvent.objects.get(pk=suppression.lifted_by_event_id)
    assert (lift.action, lift.method, lift.reference) == ("lift", "sms_keyword", sid)
    assert (lift.identifier, lift.sender) == (PHONE, sender.number)
    assert lift.contact.erased_at is None  # a new contact holds the number now
    audit = AuditEvent.objects.get(action="suppression.lifted")
    assert audit.summary["suppression_ids"] == [suppression.pk]
    assert audit.summary["event_id"] == lift.pk
    # Suppression gone, consent not given: the check says so, a sign-up may go ahead.
    assert _check_api(client, key, sender=sender.number).json()["reason"] == "no_consent"
    assert (
        selectors.outbound_block_reason(
            channel="sms", to=PHONE, customer_id=customer.pk, sender=sender.number
        )
        is None
    )
    assert _sign_up(client, key, sender).status_code == 202
    # The reply answers the keyword; it carries no marketing.
    assert "receive messages" in response.content.decode()
    # The lift is not a consent decision: the projection rebuilds without drift.
    assert services.consent_state_rebuild(actor=None, apply=False).drift == 0


def test_the_api_cannot_write_a_lift_event(client, key, contact):
    response = _post(client, key, {"purpose": "sms_informational", "action": "lift", "to": PHONE})
    assert response.status_code == 400
    assert not ConsentEvent.objects.filter(action="lift").exists()


def test_a_start_to_another_customers_sender_lifts_nothing(
    customer, sender, erased_after_stop, text
):
    elsewhere = SenderNumberFactory(customer=CustomerFactory(), number="+12125550999")
    text("START", to=elsewhere.number)
    assert Suppression.objects.get(customer=customer).lifted_at is None
    assert check(customer, sender=sender.number).reason == "suppressed"


def test_erasing_again_after_a_lift_suppresses_again_and_keeps_the_lift_on_record(
    customer, sender, erased_after_stop, text
):
    text("START")
    text("STOP")
    (again,) = Contact.objects.filter(customer=customer, erased_at__isnull=True)
    contact_erase(actor=None, contact=again)

    rows = Suppression.objects.filter(customer=customer, channel="phone").order_by("pk")
    assert [row.lifted_at is None for row in rows] == [False, True]
    assert check(customer, sender=sender.number).reason == "suppressed"
