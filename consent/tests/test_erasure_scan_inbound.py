"""Issue 8, item 4 (consent's part): inbound texts from an erased person's numbers that
matched no contact are scrubbed by the erasure like the person's own texts, and counted
in the certificate. Proven with privacy's whole-database scan: afterwards no column of
any table holds the person's numbers or words, except the suppression list's HMACs and
the HMAC of the SMS proof kept for 4 years."""

from __future__ import annotations

import pytest

from consent import selectors, services
from consent.models import InboundMessage
from consent.tests.factories import CustomerFactory, SenderNumberFactory
from privacy.hashing import identifier_hmac
from privacy.services import contact_create, contact_erase, erasure_preview
from privacy.tests.test_erasure_scan import scan_database

pytestmark = pytest.mark.django_db

# A customer's contact with two numbers, and one of our own prospects (controller mode).
FIRST, LAST = "Perpetua", "Vandersloot-Ames"
NUMBERS = ["+14155550141", "+14155550142"]
OWN_FIRST, OWN_NUMBER = "Quirinus", "+16175550143"
SOMEONE_ELSE = "+14155550149"


def _needles() -> dict[str, str]:
    return {
        "first name": FIRST,
        "last name": LAST,
        "number 1": NUMBERS[0],
        "number 1 national": NUMBERS[0][2:],
        "number 2": NUMBERS[1],
        "number 2 national": NUMBERS[1][2:],
        "own prospect's name": OWN_FIRST,
        "own prospect's number": OWN_NUMBER,
        "own prospect's number national": OWN_NUMBER[2:],
        "text": "marmalade",
    }


@pytest.fixture
def second_customer_sender(db):
    return SenderNumberFactory(customer=CustomerFactory(slug="second"), number="+12125550177")


def test_unmatched_texts_from_erased_numbers_are_scrubbed_and_counted(
    customer, sender, second_customer_sender, text
):
    # Texts before the customer knew the person (they matched no contact)…
    text(f"Hi, {FIRST} here, about the marmalade order", from_=NUMBERS[0])
    text("HELP", from_=NUMBERS[1])
    # …and from our own prospect's number, to two customers' senders.
    text(f"{OWN_FIRST}: marmalade again?", from_=OWN_NUMBER)
    text("START", from_=OWN_NUMBER, to=second_customer_sender.number)
    text("unrelated text", from_=SOMEONE_ELSE)
    assert InboundMessage.objects.filter(contact__isnull=True).count() == 5

    person, _ = contact_create(
        actor=None, customer=customer, phones=NUMBERS, first_name=FIRST, last_name=LAST
    )
    services.consent_event_record(
        actor=None, purpose="sms_marketing", action="grant", method="web_form",
        contact=person, identifier=NUMBERS[0], sender=sender.number,
        notice=selectors.notice_published(purpose_code="sms_marketing"),
    )  # fmt: skip
    text("STOP", from_=NUMBERS[0])  # the person's own text: kept as SMS proof, de-identified
    own, _ = contact_create(
        actor=None, customer=None, kind="prospect", phones=[OWN_NUMBER], first_name=OWN_FIRST
    )
    needles = _needles()
    assert set(scan_database(needles)) == set(needles)  # the scan sees what it looks for

    # The confirmation page's preview counts them already.
    assert erasure_preview(contact=own).erased["consent"]["inbound_texts_matched_by_number"] == 2

    person_certificate = contact_erase(actor=None, contact=person)
    own_certificate = contact_erase(actor=None, contact=own)

    after = scan_database(needles)
    assert after == {}, f"personal data left after erasure: {after}"
    # Someone else's text is untouched.
    assert InboundMessage.objects.filter(from_number=SOMEONE_ELSE).count() == 1
    # Counted, once each: the person's free text deleted and their HELP kept
    # de-identified with their SMS proof; the prospect's two texts (to two customers)
    # deleted (no SMS proof of theirs to keep).
    assert person_certificate.counts["consent"]["inbound_texts_matched_by_number"] == 1
    assert {"table": "inbound_message (keyword, matched by number)", "count": 1} in [
        {"table": k["table"], "count": k["count"]} for k in person_certificate.kept
    ]
    assert own_certificate.counts["consent"]["inbound_texts_matched_by_number"] == 2
    assert own_certificate.counts["consent"]["inbound_texts"] == 0
    assert not [k for k in own_certificate.kept if "inbound" in k["table"]]
    # The only traces of the numbers: HMACs on the suppression list and in the kept proof.
    digests = {
        f"hmac {number}": identifier_hmac(channel="phone", value=number)
        for number in [*NUMBERS, OWN_NUMBER]
    }
    allowed = {
        "privacy_suppression.identifier_hmac",
        "consent_consentevent.identifier_hmac",
        "consent_smssubscription.phone_hmac",
        "consent_inboundmessage.from_hmac",
    }
    for label, columns in scan_database(digests).items():
        assert columns <= allowed, (label, columns)
