"""The Twilio inbound webhook, driven with signatures from twilio's own validator."""

from __future__ import annotations

import pytest

from consent import selectors, services
from consent.models import ConsentEvent, InboundMessage, SmsSubscription
from consent.tests.conftest import NOON_PACIFIC, check, new_sid, sign
from privacy.models import AuditEvent, Contact

pytestmark = pytest.mark.django_db

PHONE = "+14155550111"


def _grant_sms_marketing(contact, sender="", **overrides):
    return services.consent_event_record(
        actor=None,
        purpose="sms_marketing",
        action="grant",
        contact=contact,
        identifier=contact.phone,
        sender=sender,
        notice=selectors.notice_published(purpose_code="sms_marketing"),
        **{"method": "web_form", **overrides},
    )


STOP_VARIANTS = [
    "STOP", "stop", " Stop! ", "STOP.", "Stop!!!", "\tstop\n", "UNSUBSCRIBE", "unsubscribe.",
    "Cancel", "END", "end!", "Quit", "quit.", "REVOKE", "OptOut", "OPTOUT", "opt out",
    "Opt Out!", "opt-out", " OPT OUT. ",
]  # fmt: skip


@pytest.mark.parametrize("body", STOP_VARIANTS)
def test_every_stop_variant_opts_out_before_the_reply(text, contact, customer, sender, body):
    _grant_sms_marketing(contact)
    assert check(customer, sender=sender.number).allowed

    response = text(body)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    xml = response.content.decode()
    assert xml.count("<Message>") == 1
    assert "no further messages" in xml and "Acme" in xml and "START" in xml
    assert not check(customer, sender=sender.number).allowed
    assert check(customer, sender=sender.number).reason == "withdrawn"
    sub = SmsSubscription.objects.get(phone=PHONE, sender=sender.number, program="marketing")
    assert sub.status == SmsSubscription.Status.OPTED_OUT
    message = InboundMessage.objects.get()
    assert message.keyword == "stop" and message.outcome == "opted_out"


@pytest.mark.parametrize("body", ["START", "start", " Start! ", "UNSTOP", "unstop.", "YES", "yes!"])
def test_start_variants_rejoin_after_stop_with_compliant_confirmation(
    text, contact, customer, sender, body
):
    _grant_sms_marketing(contact)
    text("STOP")
    assert not check(customer, sender=sender.number).allowed

    response = text(body)

    xml = response.content.decode()
    assert xml.count("<Message>") == 1
    assert "Msg &amp; data rates may apply" in xml
    assert "HELP" in xml and "STOP" in xml and "4/week" in xml
    decision = check(customer, sender=sender.number)
    assert decision.allowed and decision.reason == "granted"
    events = list(ConsentEvent.objects.filter(contact=contact, purpose__code="sms_marketing"))
    assert [e.action for e in events] == ["grant", "withdraw", "grant"]  # newest first
    assert events[0].method == "sms_keyword"


@pytest.mark.parametrize("body", ["HELP", "help", " Help? ", "INFO", "info."])
def test_help_answers_brand_and_contact_and_changes_nothing(text, contact, customer, sender, body):
    _grant_sms_marketing(contact)
    response = text(body)
    xml = response.content.decode()
    assert xml.count("<Message>") == 1
    assert "Acme" in xml and "acme.example.com/help" in xml
    assert check(customer, sender=sender.number).allowed
    assert ConsentEvent.objects.count() == 1


# Texts in the person's own words that revoke ("Please stop texting me", "stop it",
# "STOP STOP") are tested in test_revocation.py (FCC: any reasonable means).
@pytest.mark.parametrize("body", ["hello", "", "yes please", "see you tomorrow"])
def test_unknown_text_is_logged_and_changes_nothing(text, contact, customer, sender, body):
    _grant_sms_marketing(contact)
    response = text(body)
    assert "<Message>" not in response.content.decode()
    message = InboundMessage.objects.get()
    assert message.keyword == "" and message.outcome == "no_keyword"
    assert message.body == body
    assert ConsentEvent.objects.count() == 1
    assert check(customer, sender=sender.number).allowed


def test_stop_applies_to_that_sender_only_and_stopall_to_every_sender(
    text, contact, customer, sender
):
    from consent.tests.factories import SenderNumberFactory

    other = SenderNumberFactory(customer=customer, number="+12125550199")
    _grant_sms_marketing(contact)

    text("STOP")
    assert not check(customer, sender=sender.number).allowed
    assert check(customer, sender=other.number).allowed
    # Without a sender the check cannot say yes once any sender was stopped.
    assert not check(customer).allowed

    response = text("STOPALL")
    assert "all Acme numbers" in response.content.decode()
    assert not check(customer, sender=other.number).allowed
    assert not check(customer, sender=sender.number).allowed
    assert InboundMessage.objects.filter(keyword="stopall", outcome="opted_out_all").count() == 1


def test_forged_or_missing_signature_gets_403_and_stores_nothing(client, sender, contact):
    params = {
        "From": PHONE,
        "To": sender.number,
        "Body": "STOP",
        "MessageSid": new_sid(),
        "AccountSid": "AC" + "0" * 32,
    }
    forged = sign(params, token="not-the-token")
    tampered = sign({**params, "Body": "HELLO"})
    for headers in ({"HTTP_X_TWILIO_SIGNATURE": forged}, {"HTTP_X_TWILIO_SIGNATURE": tampered}, {}):
        response = client.post("/sms/inbound/", params, **headers)
        assert response.status_code == 403
    assert not InboundMessage.objects.exists()
    assert not ConsentEvent.objects.exists()
    assert not SmsSubscription.objects.exists()


def test_repeated_message_sid_changes_nothing_the_second_time(text, contact, customer, sender):
    _grant_sms_marketing(contact)
    sid = new_sid()
    first = text("STOP", sid=sid)
    assert "<Message>" in first.content.decode()
    events = ConsentEvent.objects.count()
    audits = AuditEvent.objects.count()

    second = text("STOP", sid=sid)

    assert second.status_code == 200
    assert "<Message>" not in second.content.decode()
    assert ConsentEvent.objects.count() == events
    assert AuditEvent.objects.count() == audits
    assert InboundMessage.objects.count() == 1


def test_stop_from_an_unknown_number_creates_a_contact_and_a_durable_opt_out(
    text, customer, sender
):
    text("STOP", from_="+14155550177")
    contact = Contact.objects.get(phone="+14155550177")
    assert contact.customer == customer
    assert SmsSubscription.objects.filter(phone="+14155550177", status="opted_out").exists()
    assert not check(customer, to="+14155550177", sender=sender.number).allowed


def test_start_without_any_earlier_consent_grants_nothing(text, customer, sender):
    response = text("START", from_="+14155550178")
    assert "Reply STOP" in response.content.decode()  # the HELP text
    assert not ConsentEvent.objects.exists()
    assert not check(customer, to="+14155550178", sender=sender.number).allowed


def test_text_to_a_number_that_is_not_ours_is_logged_only(text, contact):
    response = text("STOP", to="+12125550142")
    assert "<Message>" not in response.content.decode()
    assert InboundMessage.objects.get().outcome == "unknown_sender"
    assert not ConsentEvent.objects.exists()


def test_audit_and_log_rows_hold_no_phone_number_or_body(text, contact, sender, caplog):
    _grant_sms_marketing(contact)
    text("Stop please now")  # unknown text: body stored in the inbound log only
    text("STOP")
    for event in AuditEvent.objects.all():
        assert PHONE not in str(event.summary) and "please" not in str(event.summary)
    assert PHONE not in caplog.text and "please" not in caplog.text


def test_quiet_hours_answer_not_now_for_marketing_only(text, contact, customer, sender):
    _grant_sms_marketing(contact)
    services.consent_event_record(
        actor=None,
        purpose="sms_informational",
        action="grant",
        method="web_form",
        contact=contact,
        identifier=PHONE,
    )
    # 05:00 in California.
    early = NOON_PACIFIC.replace(hour=13)
    decision = check(customer, sender=sender.number, now=early)
    assert not decision.allowed and decision.reason == "quiet_hours"
    assert decision.retry_at.hour == 16  # 08:00 Pacific
    assert check(customer, purpose="sms_informational", sender=sender.number, now=early).allowed


def test_stop_ends_every_subscription_at_that_sender_pending_included(
    text, contact, customer, sender
):
    from consent.tests.factories import SmsSubscriptionFactory

    signed_up = NOON_PACIFIC
    informational = SmsSubscriptionFactory(
        contact=contact, program="informational", opted_in_at=signed_up
    )
    pending = SmsSubscriptionFactory(contact=contact, status="pending")
    elsewhere = SmsSubscriptionFactory(contact=contact, sender="+12125550199")

    text("STOP")

    message = InboundMessage.objects.get()
    for subscription in (informational, pending):
        subscription.refresh_from_db()
        assert subscription.status == "opted_out"
        assert subscription.opted_out_at == message.received_at
    assert informational.opted_in_at == signed_up  # when they joined stays on record
    elsewhere.refresh_from_db()
    assert elsewhere.status == "opted_in"
    assert check(customer, sender=sender.number).reason == "withdrawn"


def test_stopall_opts_out_the_number_at_every_sender_and_records_the_one_texted(
    text, contact, customer, sender
):
    from consent.tests.factories import SmsSubscriptionFactory

    other = SmsSubscriptionFactory(contact=contact, sender="+12125550199")
    other_pending = SmsSubscriptionFactory(
        contact=contact, sender="+12125550199", program="informational", status="pending"
    )

    text("STOPALL")

    for subscription in (other, other_pending):
        subscription.refresh_from_db()
        assert subscription.status == "opted_out"
    at_sender = SmsSubscription.objects.filter(sender=sender.number)
    assert sorted(at_sender.values_list("program", "status", "contact")) == [
        ("informational", "opted_out", contact.pk),
        ("marketing", "opted_out", contact.pk),
    ]
    events = ConsentEvent.objects.filter(contact=contact)
    assert sorted(events.values_list("purpose__code", "action", "sender")) == [
        ("sms_informational", "withdraw", ""),
        ("sms_marketing", "withdraw", ""),
    ]


def test_a_repeated_stop_from_an_unknown_number_makes_one_contact(text, customer, sender):
    sid = new_sid()
    first = text("STOP", from_="+14155550177", sid=sid)
    second = text("STOP", from_="+14155550177", sid=sid)

    assert "<Message>" in first.content.decode()
    assert "<Message>" not in second.content.decode()
    contact = Contact.objects.get(phone="+14155550177")
    assert InboundMessage.objects.get().contact == contact
    assert ConsentEvent.objects.filter(contact=contact).count() == 2


def test_keyword_replies_leave_a_projection_that_rebuilds_without_drift(
    text, contact, customer, sender
):
    _grant_sms_marketing(contact, sender=sender.number)
    for body in ("STOP", "START", "STOPALL", "sign-up", "YES", "UNSTOP", "HELP", "STOP", "START"):
        if body == "sign-up":
            # A new double opt-in after the STOPALL: no prompt goes to a number whose last
            # word was STOP; the way back is the person's own START / YES.
            with pytest.raises(services.OutboundBlocked) as refused:
                services.sms_subscription_request(actor=None, contact=contact, phone=PHONE)
            assert refused.value.reason == "opted_out"
        else:
            assert text(body).status_code == 200

    assert services.consent_state_rebuild(actor=None, apply=False).drift == 0
    assert check(customer, sender=sender.number).allowed
    outcomes = list(InboundMessage.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == [
        "opted_out", "rejoined", "opted_out_all", "rejoined", "nothing_to_rejoin", "help",
        "opted_out", "rejoined",
    ]  # fmt: skip


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_opt_out_is_committed_before_the_reply_is_built(
    text, contact, customer, sender, monkeypatch
):
    """Read through a second database connection the moment the service returns,
    before the view builds the TwiML: everything of the opt-out is already there."""
    from django.db import connection, connections

    from consent import views

    _grant_sms_marketing(contact, sender=sender.number)
    seen = {}
    handle = services.sms_inbound_handle

    def handle_then_look(**kwargs):
        result = handle(**kwargs)
        seen["in_transaction"] = connection.in_atomic_block
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                for name, sql in {
                    "message": "SELECT outcome FROM consent_inboundmessage",
                    "events": "SELECT action FROM consent_consentevent ORDER BY id",
                    "state": "SELECT is_granted FROM consent_consentstate"
                    " WHERE sender <> '' ORDER BY purpose_id",
                    "subscription": "SELECT status FROM consent_smssubscription ORDER BY program",
                }.items():
                    cursor.execute(sql)
                    seen[name] = [row[0] for row in cursor.fetchall()]
        finally:
            other.close()
        return result

    monkeypatch.setattr(views.services, "sms_inbound_handle", handle_then_look)
    response = text("STOP")

    assert "no further messages" in response.content.decode()
    assert seen == {
        "in_transaction": False,
        "message": ["opted_out"],
        "events": ["grant", "withdraw", "withdraw"],
        "state": [False, False],
        "subscription": ["opted_out", "opted_out"],
    }


def test_a_grant_dated_minutes_ahead_cannot_outrank_a_later_stopall(
    text, contact, customer, sender
):
    # A customer's system with a clock three minutes fast records a sender-less grant;
    # the person texts STOPALL a minute later (before the grant's claimed time).
    import datetime as dt

    from django.utils import timezone

    from consent.tests.factories import SenderNumberFactory

    other = SenderNumberFactory(customer=customer, number="+12125550199")
    grant = _grant_sms_marketing(
        contact, method="api", occurred_at=timezone.now() + dt.timedelta(minutes=3)
    )
    assert grant.occurred_at <= grant.recorded_at  # accepted, dated when it was recorded
    assert check(customer, sender=other.number).allowed

    text("STOPALL")
    # No sender of the customer may say yes, including those the person never texted.
    assert not check(customer, sender=other.number).allowed
    assert not check(customer, sender=sender.number).allowed
    assert not check(customer).allowed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_texts_from_one_number_arriving_together_all_land(customer, sender):
    """Four texts from a number we have never seen, handled at the same moment on four
    database connections: every one is stored and answered, one contact is created, and
    the number ends opted out everywhere (STOPALL), whatever order they ran in."""
    import threading

    from django.db import connections

    bodies = ["STOP", "STOPALL", "STOP", "STOPALL"]
    barrier = threading.Barrier(len(bodies))
    outcomes, failures = [], []

    def deliver(body):
        try:
            barrier.wait(timeout=10)
            result = services.sms_inbound_handle(
                message_sid=new_sid(),
                account_sid="AC1",
                from_number="+14155550177",
                to_number=sender.number,
                body=body,
            )
            outcomes.append(result.outcome)
        except Exception as exc:  # the test reports any failure by its type
            failures.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert sorted(outcomes) == ["opted_out", "opted_out", "opted_out_all", "opted_out_all"]
    assert InboundMessage.objects.filter(from_number="+14155550177").count() == 4
    assert Contact.objects.filter(customer=customer, phone="+14155550177").count() == 1
    assert not check(customer, to="+14155550177", sender=sender.number).allowed
