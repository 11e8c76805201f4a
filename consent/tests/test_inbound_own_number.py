"""Texts to our own privacy-requests number (``REQUESTS_SMS_FROM_NUMBER``) that are no
keyword (issues 8.2 / 8.4): a revocation in the person's own words is honoured there as
at customers' senders, the sender's number is stored normalised so erasure finds the
text, and a repeated STOP is confirmed once."""

from __future__ import annotations

import pytest

from consent.models import ConsentEvent, InboundMessage
from consent.selectors import outbound_block_reason
from consent.services import sms_inbound_handle
from consent.services.own_number import STOP_REPLY
from privacy.services import contact_create, contact_erase
from privacy.tests.factories import CustomerFactory
from privacy.tests.test_erasure_scan import scan_database

pytestmark = pytest.mark.django_db

OURS = "+13125550199"
PHONE = "+14155550177"
BODY = "Please stop texting me"


@pytest.fixture(autouse=True)
def _our_number(settings):
    settings.REQUESTS_SMS_FROM_NUMBER = OURS


def _text(body: str, sid: str, from_number: str = PHONE):
    return sms_inbound_handle(
        message_sid=sid, account_sid="AC-test", from_number=from_number, to_number=OURS, body=body
    )


def _ours_blocked() -> str | None:
    return outbound_block_reason(channel="sms", to=PHONE, customer_id=None, sender=OURS)


def test_a_revocation_in_own_words_to_our_number_blocks_our_later_texts():
    assert _ours_blocked() is None
    result = _text(BODY, "SM-own-words-1")
    assert result.outcome == "opted_out_own_number_own_words"
    assert result.reply == STOP_REPLY
    assert _ours_blocked() == "opted_out"
    message = InboundMessage.objects.get()
    assert message.keyword == InboundMessage.Keyword.REVOCATION  # kept as SMS proof
    assert message.from_number == PHONE and message.contact is not None
    methods = set(ConsentEvent.objects.values_list("method", flat=True))
    assert methods == {ConsentEvent.Method.SMS_FREE_TEXT}


def test_spanish_revocation_to_our_number_opts_out_too():
    assert _text("Por favor dejen de enviarme mensajes", "SM-own-es").outcome == (
        "opted_out_own_number_own_words"
    )
    assert _ours_blocked() == "opted_out"


def test_a_text_that_is_no_revocation_changes_nothing_but_keeps_the_number_normalised():
    result = _text("What is the status of my request?", "SM-own-q", from_number="(415) 555-0177")
    assert result.outcome == "no_keyword_own_number" and result.reply == ""
    assert _ours_blocked() is None
    assert InboundMessage.objects.get().from_number == PHONE


@pytest.mark.parametrize("holder_customer", [False, True], ids=["our contact", "customer's"])
def test_erasing_the_holder_of_the_number_scrubs_an_unmatched_text_to_our_number(
    holder_customer,
):
    _text("Call me back about my file. Jane Roe, jane.roe@example.org", "SM-own-free")
    assert InboundMessage.objects.get().contact_id is None
    needles = {"body": "jane.roe@example.org", "number": PHONE}
    assert set(scan_database(needles)) == {"body", "number"}
    person, _ = contact_create(
        actor=None,
        customer=CustomerFactory(default_phone_region="US") if holder_customer else None,
        phones=[PHONE],
        first_name="Jane",
    )
    contact_erase(actor=None, contact=person)
    assert scan_database(needles) == {}
    assert not InboundMessage.objects.filter(body__contains="jane.roe").exists()


def test_erasure_after_a_revocation_to_our_number_leaves_no_number():
    _text(BODY, "SM-own-words-2")
    message = InboundMessage.objects.get()
    contact_erase(actor=None, contact=message.contact)
    assert scan_database({"number": PHONE, "national": PHONE[2:]}) == {}
    assert _ours_blocked() is not None  # still blocked: the number is suppressed


DOUBTFUL = "Please stop texting me. Jane Roe, jane.roe@example.org"


def test_a_doubtful_text_to_our_number_goes_to_the_staff_queue_and_a_revocation_blocks():
    from consent.models import RevocationReview
    from consent.services import revocation_review_resolve
    from privacy.tests.factories import UserFactory

    result = _text(DOUBTFUL, "SM-own-doubt")
    assert result.outcome == "revocation_review_own_number" and result.reply == ""
    review = RevocationReview.objects.get()
    assert review.customer is None and review.sender == OURS
    assert review.status == RevocationReview.Status.OPEN
    assert _ours_blocked() is None  # staff decide, within 10 business days

    officer = UserFactory(role="Privacy officer")
    assert revocation_review_resolve(actor=officer, review=review, revoke=True)
    assert _ours_blocked() == "opted_out"
    review.refresh_from_db()
    assert review.status == RevocationReview.Status.REVOKED
    assert review.contact is not None and review.contact.customer_id is None


def test_the_morning_panel_shows_a_review_of_a_text_to_our_number(officer_client):
    _text(DOUBTFUL, "SM-own-panel")
    page = officer_client.get("/admin/")
    assert page.status_code == 200
    assert "Our requests number" in page.content.decode()


def test_erasure_deletes_the_review_of_a_doubtful_text_to_our_number():
    from consent.models import RevocationReview

    _text(DOUBTFUL, "SM-own-doubt-erase")
    person, _ = contact_create(actor=None, customer=None, phones=[PHONE], first_name="Jane")
    contact_erase(actor=None, contact=person)
    assert not RevocationReview.objects.exists()
    assert scan_database({"body": "jane.roe@example.org", "number": PHONE}) == {}


def test_staff_open_the_review_of_a_text_to_our_number(officer_client):
    from consent.models import RevocationReview

    _text(DOUBTFUL, "SM-own-admin")
    review = RevocationReview.objects.get()
    listing = officer_client.get("/admin/consent/revocationreview/")
    change = officer_client.get(f"/admin/consent/revocationreview/{review.pk}/change/")
    assert (listing.status_code, change.status_code) == (200, 200)


def test_a_repeated_stop_to_our_number_is_confirmed_once():
    assert _text("STOP", "SM-own-stop-1").reply == STOP_REPLY
    second = _text("STOP", "SM-own-stop-2")
    assert second.outcome == "opted_out_own_number" and second.reply == ""
    assert _text(BODY, "SM-own-stop-3").reply == ""


def test_a_stop_after_the_confirmation_window_is_confirmed_again(settings):
    import datetime as dt

    from django.utils import timezone

    first = timezone.now() - dt.timedelta(
        minutes=settings.CONSENT_REVOCATION_CONFIRMATION_MINUTES + 1
    )
    sms_inbound_handle(
        message_sid="SM-own-old",
        account_sid="AC",
        from_number=PHONE,
        to_number=OURS,
        body="STOP",
        now=first,
    )
    assert _text("STOP", "SM-own-new").reply == STOP_REPLY


def test_an_erased_persons_text_to_our_number_is_not_stored_with_their_number_or_words():
    """No contact holds a globally suppressed number, so nothing could ever erase it."""
    from consent.models import RevocationReview
    from privacy.services import suppressions_add

    suppressions_add(identifiers=[("phone", PHONE)], customer=None)
    assert _text(DOUBTFUL, "SM-own-gone-1").outcome == "suppressed_own_number"
    assert _text(BODY, "SM-own-gone-2").outcome == "suppressed_own_number"
    assert _text("STOP", "SM-own-gone-3").outcome == "opted_out_own_number"
    assert not RevocationReview.objects.exists()
    assert scan_database({"body": "jane.roe@example.org", "number": PHONE[2:]}) == {}
    assert set(InboundMessage.objects.values_list("body", flat=True)) == {None, "STOP"}
