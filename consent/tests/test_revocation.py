"""The FCC's consent-revocation rules for texts (47 CFR 64.1200(a)(10)-(12); issue 9 §3):
revocation in the person's own words (English and Spanish), the staff queue of doubtful
texts, revocations by e-mail, phone and the preference centre, the revoke-all date, and
at most one confirmation text per revocation, within 5 minutes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from consent import services, sms
from consent.models import ConsentEvent, InboundMessage, RevocationReview, SmsSubscription
from consent.revocation import CLEAR, NONE, POSSIBLE, business_days_after, revocation_classify
from consent.tests.conftest import NOON_PACIFIC, check, new_sid
from consent.tests.factories import SenderNumberFactory
from privacy.hashing import identifier_hmac
from privacy.models import Suppression

pytestmark = pytest.mark.django_db

CLEAR_EN = [
    "please stop texting me",
    "Please stop texting me",
    "Stop texting me!!!",
    "remove me from your list",
    "Hi, please remove my number from your list, thank you",
    "take me off your list",
    "don't text me",
    "Don\u2019t text me anymore",
    "do not contact me again",
    "stop sending me messages",
    "no more texts",
    "I don't want these texts anymore",
    "unsubscribe me",
    "I want to opt out",
    "quit texting me",
    "leave me alone",
    "STOP please",
    "stop it",
    "STOP STOP",
]
CLEAR_ES = [
    "alto",
    "Alto por favor",
    "baja",
    "No me envíen más mensajes",
    "Por favor, dejen de enviarme mensajes",
    "quiero darme de baja",
    "Bórrenme de su lista",
    "ya no quiero recibir mensajes",
    "no más",
    "NO MAS MENSAJES",
]
# Texts that must never revoke: a revocation word inside something else.
NOT_REVOKING = [
    "don't stop",
    "please don't stop texting me",
    "stop by tomorrow",
    "can you stop by the store",
    "I can't stop laughing",
    "I never want to stop",
    "When does the sale stop?",
    "why did you remove me from your list?",
    "remove the item from my cart",
    "alto y delgado",
    "baja el precio",
    "para mañana",
    "no quiero ir",
    "yes please",
    "see you at the end",
]


def _grant_sms(contact, sender_number, at=None):
    for purpose in services.SMS_PURPOSES:
        services.consent_event_record(
            actor=None,
            purpose=purpose,
            action="grant",
            method="web_form",
            contact=contact,
            identifier=contact.phone,
            sender=sender_number,
            occurred_at=at,
        )


def _inbound(sender, body, *, now, from_="+14155550111", sid=None):
    return services.sms_inbound_handle(
        message_sid=sid or new_sid(),
        account_sid="AC" + "0" * 32,
        from_number=from_,
        to_number=sender.number,
        body=body,
        now=now,
    )


# --- the phrase grammar ------------------------------------------------------------------


@pytest.mark.parametrize("body", CLEAR_EN)
def test_clear_english_revocations(body):
    result = revocation_classify(body)
    assert (result.kind, result.language) == (CLEAR, "en")


@pytest.mark.parametrize("body", CLEAR_ES)
def test_clear_spanish_revocations(body):
    result = revocation_classify(body)
    assert (result.kind, result.language) == (CLEAR, "es")


@pytest.mark.parametrize("body", NOT_REVOKING)
def test_texts_that_must_not_revoke(body):
    assert revocation_classify(body).kind != CLEAR


@pytest.mark.parametrize(
    "body",
    ["don't stop", "stop by tomorrow", "I can't stop laughing", "wrong number", "not interested"],
)
def test_doubtful_texts_are_for_staff(body):
    assert revocation_classify(body).kind == POSSIBLE


@pytest.mark.parametrize("body", ["hello", "yes please", "see you at the end", "para mañana"])
def test_ordinary_texts_are_nothing(body):
    assert revocation_classify(body).kind == NONE


def test_review_due_date_counts_us_business_days_and_federal_holidays():
    # Tuesday before Thanksgiving 2026: Thursday 26 Nov is a federal holiday, weekends skipped.
    assert business_days_after(dt.date(2026, 11, 24), 10) == dt.date(2026, 12, 9)
    # Christmas (Friday 25 Dec 2026) and New Year's Day (Friday 1 Jan 2027) skipped.
    assert business_days_after(dt.date(2026, 12, 21), 10) == dt.date(2027, 1, 6)


# --- the webhook --------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["Please stop texting me", "remove me from your list", "alto"])
def test_a_clear_revocation_in_own_words_opts_out_at_once_with_one_confirmation(
    text, contact, customer, sender, body
):
    _grant_sms(contact, sender.number)
    assert check(customer, sender=sender.number).allowed

    response = text(body)

    xml = response.content.decode()
    assert xml.count("<Message>") == 1
    assert "no further messages" in xml or "no recibirá más mensajes" in xml
    decision = check(customer, sender=sender.number)
    assert (decision.allowed, decision.reason) == (False, "withdrawn")
    message = InboundMessage.objects.get()
    assert message.keyword == InboundMessage.Keyword.REVOCATION
    assert message.outcome == "opted_out_own_words"
    withdrawals = ConsentEvent.objects.filter(action="withdraw")
    assert {e.method for e in withdrawals} == {ConsentEvent.Method.SMS_FREE_TEXT}
    assert {e.purpose.code for e in withdrawals} == set(services.SMS_PURPOSES)
    assert not RevocationReview.objects.exists()


def test_a_spanish_revocation_is_confirmed_in_spanish(text, contact, sender):
    _grant_sms(contact, sender.number)
    xml = text("No me envíen más mensajes").content.decode()
    assert "Se ha dado de baja" in xml and "no recibirá más mensajes" in xml


@pytest.mark.parametrize("body", ["don't stop", "stop by tomorrow", "I can't stop laughing"])
def test_a_doubtful_text_changes_nothing_and_is_queued_for_staff(customer, contact, sender, body):
    _grant_sms(contact, sender.number)
    received = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)

    result = _inbound(sender, body, now=received)

    assert result.reply == "" and result.outcome == "revocation_review"
    assert check(customer, sender=sender.number).allowed
    review = RevocationReview.objects.get()
    assert review.status == RevocationReview.Status.OPEN
    assert review.message == result.message and review.contact == contact
    assert review.due_on == dt.date(2026, 12, 9)  # 10 US business days, Thanksgiving skipped
    assert review.signal == "word:stop"  # a code of our lexicon, never the text


def test_staff_decide_a_doubtful_text_was_a_revocation(customer, contact, sender):
    from privacy.tests.factories import UserFactory

    officer = UserFactory(role="Privacy officer")
    _grant_sms(contact, sender.number, at=NOON_PACIFIC - dt.timedelta(days=1))
    result = _inbound(sender, "not interested", now=NOON_PACIFIC)
    review = RevocationReview.objects.get()

    assert services.revocation_review_resolve(actor=officer, review=review, revoke=True)

    decision = check(customer, sender=sender.number)
    assert (decision.allowed, decision.reason) == (False, "withdrawn")
    # Dated when the person sent it, recorded by the officer.
    assert decision.since == NOON_PACIFIC
    event = ConsentEvent.objects.filter(action="withdraw").first()
    assert event.method == ConsentEvent.Method.SMS_FREE_TEXT and event.recorded_by == officer
    assert event.reference == result.message.message_sid
    message = InboundMessage.objects.get(pk=result.message.pk)
    assert message.keyword == InboundMessage.Keyword.REVOCATION  # kept as SMS proof
    review.refresh_from_db()
    assert review.status == RevocationReview.Status.REVOKED and review.resolved_by == officer
    # Days after receipt: the 5-minute window is long over, no confirmation text.
    assert sms.outbox == []
    # Decided once.
    assert not services.revocation_review_resolve(actor=officer, review=review, revoke=False)


def test_staff_decide_a_doubtful_text_was_not_a_revocation(customer, contact, sender):
    _grant_sms(contact, sender.number)
    _inbound(sender, "stop by tomorrow", now=timezone.now())
    review = RevocationReview.objects.get()

    assert services.revocation_review_resolve(actor=None, review=review, revoke=False)

    assert check(customer, sender=sender.number).allowed
    assert not ConsentEvent.objects.filter(action="withdraw").exists()
    review.refresh_from_db()
    assert review.status == RevocationReview.Status.NOT_REVOCATION


def test_the_review_queue_in_admin_lists_and_resolves(officer_client, customer, contact, sender):
    _grant_sms(contact, sender.number)
    _inbound(sender, "wrong number", now=timezone.now())
    review = RevocationReview.objects.get()

    listing = officer_client.get("/admin/consent/revocationreview/")
    assert listing.status_code == 200 and "phrase:wrong_number" in listing.content.decode()
    page = officer_client.get(f"/admin/consent/revocationreview/{review.pk}/change/")
    assert "wrong number" in page.content.decode()  # staff read the text to decide
    response = officer_client.post(
        "/admin/consent/revocationreview/",
        {"action": "mark_revoked", "_selected_action": [review.pk], "apply": "1"},
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == RevocationReview.Status.REVOKED
    assert not check(customer, sender=sender.number).allowed


# --- at most one confirmation -------------------------------------------------------------


def test_a_second_revocation_within_the_window_sends_nothing_more(customer, contact, sender):
    _grant_sms(contact, sender.number, at=NOON_PACIFIC - dt.timedelta(days=1))

    first = _inbound(sender, "STOP", now=NOON_PACIFIC)
    second = _inbound(sender, "please stop texting me", now=NOON_PACIFIC + dt.timedelta(minutes=1))
    third = _inbound(sender, "STOP", now=NOON_PACIFIC + dt.timedelta(minutes=4))

    assert first.reply and "no further messages" in first.reply
    assert second.reply == "" and third.reply == ""
    assert InboundMessage.objects.exclude(reply="").count() == 1
    assert not check(customer, sender=sender.number).allowed


def test_a_revocation_after_the_window_is_confirmed_again(customer, contact, sender):
    _grant_sms(contact, sender.number, at=NOON_PACIFIC - dt.timedelta(days=1))
    _inbound(sender, "STOP", now=NOON_PACIFIC)

    later = _inbound(sender, "STOP", now=NOON_PACIFIC + dt.timedelta(minutes=6))

    assert "no further messages" in later.reply


def test_a_stop_to_another_sender_is_its_own_revocation(customer, contact, sender):
    other = SenderNumberFactory(customer=customer, number="+12125550199")
    _grant_sms(contact, sender.number, at=NOON_PACIFIC - dt.timedelta(days=1))
    _grant_sms(contact, other.number, at=NOON_PACIFIC - dt.timedelta(days=1))
    _inbound(sender, "STOP", now=NOON_PACIFIC)

    at_other = _inbound(other, "STOP", now=NOON_PACIFIC + dt.timedelta(minutes=1))

    assert "no further messages" in at_other.reply


# --- revoke-all ----------------------------------------------------------------------------


@pytest.fixture
def two_senders(customer, contact, sender):
    other = SenderNumberFactory(customer=customer, number="+12125550199")
    for number in (sender.number, other.number):
        _grant_sms(contact, number, at=NOON_PACIFIC - dt.timedelta(days=1))
    return sender, other


def test_before_the_revoke_all_date_a_stop_stops_only_that_sender(settings, customer, two_senders):
    sender, other = two_senders
    settings.CONSENT_REVOKE_ALL_FROM = NOON_PACIFIC.date() + dt.timedelta(days=1)

    result = _inbound(sender, "STOP", now=NOON_PACIFIC)

    assert result.outcome == "opted_out"
    assert "from this number" in result.reply
    assert not check(customer, sender=sender.number).allowed
    assert check(customer, sender=other.number).allowed


def test_from_the_revoke_all_date_a_stop_stops_every_sender(settings, customer, two_senders):
    sender, other = two_senders
    settings.CONSENT_REVOKE_ALL_FROM = NOON_PACIFIC.date()

    result = _inbound(sender, "STOP", now=NOON_PACIFIC)

    assert result.outcome == "opted_out_all"
    assert "all Acme numbers" in result.reply
    for number in (sender.number, other.number, None):
        decision = check(customer, sender=number)
        assert (decision.allowed, decision.reason) == (False, "withdrawn")
    assert not SmsSubscription.objects.exclude(status="opted_out").exists()


def test_from_the_revoke_all_date_a_revocation_in_own_words_stops_every_sender(
    settings, customer, two_senders
):
    sender, other = two_senders
    settings.CONSENT_REVOKE_ALL_FROM = NOON_PACIFIC.date()

    result = _inbound(sender, "please stop texting me", now=NOON_PACIFIC)

    assert result.outcome == "opted_out_all_own_words"
    assert not check(customer, sender=other.number).allowed


def test_a_customer_may_apply_revoke_all_earlier_never_later(settings, customer, two_senders):
    sender, other = two_senders
    settings.CONSENT_REVOKE_ALL_FROM = dt.date(2027, 1, 31)
    with pytest.raises(ValidationError, match="2027-01-31"):
        services.sms_programme_set(
            actor=None, customer=customer, revoke_all_from=dt.date(2027, 2, 1)
        )
    services.sms_programme_set(actor=None, customer=customer, revoke_all_from=NOON_PACIFIC.date())
    from consent import selectors

    selectors.caches_clear()

    _inbound(sender, "STOP", now=NOON_PACIFIC)

    assert not check(customer, sender=other.number).allowed


def test_the_default_revoke_all_date_is_the_fccs_scheduled_one():
    from django.conf import settings as live

    # CGB order DA 26-12 (released 2026-01-06) moved it to 2027-01-31 (docs/law.md).
    assert live.CONSENT_REVOKE_ALL_FROM.isoformat() == "2027-01-31"


def test_a_stop_before_the_date_keeps_its_scope_after_it(settings, customer, two_senders):
    sender, other = two_senders
    settings.CONSENT_REVOKE_ALL_FROM = NOON_PACIFIC.date() + dt.timedelta(days=1)
    _inbound(sender, "STOP", now=NOON_PACIFIC)

    settings.CONSENT_REVOKE_ALL_FROM = NOON_PACIFIC.date()  # the date has come

    assert check(customer, sender=other.number, now=NOON_PACIFIC + dt.timedelta(days=2)).allowed


# --- e-mail, phone and the preference centre -----------------------------------------------


def test_a_revocation_by_phone_is_honoured_at_once_with_one_confirmation_text(
    customer, contact, sender, django_capture_on_commit_callbacks
):
    from privacy.tests.factories import UserFactory

    agent = UserFactory(role="Support agent")
    _grant_sms(contact, sender.number)

    with django_capture_on_commit_callbacks(execute=True):
        result = services.contact_revocation_record(
            actor=agent,
            contact=contact,
            channel="sms",
            identifier=contact.phone,
            method=ConsentEvent.Method.PHONE,
            note="caller asked to stop",
        )

    assert result.all_senders and result.confirmation == "queued"
    assert not check(customer, sender=sender.number).allowed
    assert {e.method for e in result.events} == {ConsentEvent.Method.PHONE}
    assert all(e.recorded_by == agent and e.sender == "" for e in result.events)
    assert len(sms.outbox) == 1
    confirmation = sms.outbox[0]
    assert confirmation.to == contact.phone and confirmation.sender == sender.number
    assert "unsubscribed" in confirmation.body and "offer" not in confirmation.body.lower()

    # The same person e-mails a minute later: the same revocation, no second text.
    with django_capture_on_commit_callbacks(execute=True):
        again = services.contact_revocation_record(
            actor=agent,
            contact=contact,
            channel="sms",
            identifier=contact.phone,
            method=ConsentEvent.Method.EMAIL,
        )
    assert again.confirmation == "already_confirmed"
    assert len(sms.outbox) == 1


def test_a_revocation_received_by_email_hours_ago_gets_no_late_confirmation(
    customer, contact, sender, django_capture_on_commit_callbacks
):
    _grant_sms(contact, sender.number, at=timezone.now() - dt.timedelta(days=1))
    received = timezone.now() - dt.timedelta(hours=3)

    with django_capture_on_commit_callbacks(execute=True):
        result = services.contact_revocation_record(
            actor=None,
            contact=contact,
            channel="sms",
            identifier=contact.phone,
            method=ConsentEvent.Method.EMAIL,
            received_at=received,
        )

    assert result.confirmation == "window_passed" and sms.outbox == []
    decision = check(customer, sender=sender.number, now=timezone.now())
    assert (decision.allowed, decision.since) == (False, received)


def test_the_confirmation_goes_through_the_outbound_guard(
    customer, contact, sender, django_capture_on_commit_callbacks
):
    _grant_sms(contact, sender.number)
    Suppression.objects.create(
        identifier_hmac=identifier_hmac(channel="phone", value=contact.phone),
        channel="phone",
        scope="global",
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = services.contact_revocation_record(
            actor=None,
            contact=contact,
            channel="sms",
            identifier=contact.phone,
            method=ConsentEvent.Method.PHONE,
        )

    assert result.confirmation == "suppressed" and sms.outbox == []


def test_a_revocation_by_email_of_marketing_emails(customer, contact):
    services.consent_event_record(
        actor=None,
        purpose="email_marketing",
        action="grant",
        method="web_form",
        contact=contact,
        identifier=contact.email,
    )
    result = services.contact_revocation_record(
        actor=None,
        contact=contact,
        channel="email",
        identifier=contact.email,
        method=ConsentEvent.Method.EMAIL,
    )
    assert result.confirmation == "not_sms"
    decision = check(customer, to=contact.email, purpose="email_marketing")
    assert (decision.allowed, decision.reason) == (False, "withdrawn")


def test_bad_revocations_are_refused_and_change_nothing(contact, sender):
    _grant_sms(contact, sender.number)
    for kwargs, code in (
        ({"method": "web_form"}, "method"),
        ({"identifier": "+14155550999"}, "identifier"),
        ({"sender": "+12125550777"}, "sender"),
        ({"received_at": timezone.now() + dt.timedelta(hours=1)}, "future"),
    ):
        arguments = {
            "actor": None,
            "contact": contact,
            "channel": "sms",
            "identifier": contact.phone,
            "method": ConsentEvent.Method.PHONE,
            **kwargs,
        }
        with pytest.raises(ValidationError) as raised:
            services.contact_revocation_record(**arguments)
        assert raised.value.code == code
    assert not ConsentEvent.objects.filter(action="withdraw").exists()


def test_unticking_marketing_texts_on_the_preference_centre_is_a_revocation(
    client, customer, contact, sender, django_capture_on_commit_callbacks
):
    from consent.selectors import preference_token_make

    _grant_sms(contact, sender.number)
    url = f"/preferences/{preference_token_make(contact_id=contact.pk)}/"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url, {"purpose": "sms_marketing", "identifier": contact.phone, "choice": "withdraw"}
        )

    decision = check(customer, sender=sender.number)
    assert (decision.allowed, decision.reason) == (False, "withdrawn")
    # The person chose marketing texts: their informational texts stay (before revoke-all).
    assert check(customer, sender=sender.number, purpose="sms_informational").allowed
    event = ConsentEvent.objects.get(action="withdraw")
    assert event.method == ConsentEvent.Method.PREFERENCE_CENTRE and event.sender == ""
    assert len(sms.outbox) == 1 and "unsubscribed" in sms.outbox[0].body


def test_agent_records_a_revocation_from_the_contact_consent_page(
    officer_client, customer, contact, sender, django_capture_on_commit_callbacks
):
    _grant_sms(contact, sender.number)
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(
            "/admin/consent/contactconsent/",
            {
                "action": "record_revocation",
                "_selected_action": [contact.pk],
                "apply": "1",
                "channel": "sms",
                "method": ConsentEvent.Method.PHONE,
                "note": "asked on the phone",
            },
        )
    assert response.status_code == 302
    assert not check(customer, sender=sender.number).allowed
    assert ConsentEvent.objects.filter(method=ConsentEvent.Method.PHONE).count() == 2
    assert len(sms.outbox) == 1


def test_the_review_queue_is_a_panel_of_the_morning_page(officer_client, customer, contact, sender):
    _inbound(sender, "stop by tomorrow", now=timezone.now())

    page = officer_client.get("/admin/").content.decode()

    assert "SMS revocations to review" in page
    assert "once the review queue is built" not in page  # no longer the placeholder
    review = RevocationReview.objects.get()
    assert f"/admin/consent/revocationreview/{review.pk}/change/" in page
