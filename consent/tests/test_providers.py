"""The consent provider in privacy's registry: export, erasure, suppression, SMS proof."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from consent import selectors, services
from consent.models import ConsentEvent, ConsentState, InboundMessage, SmsSubscription
from consent.tests.conftest import NOON_PACIFIC, check
from privacy.models import ErasureCertificate
from privacy.selectors import identifier_is_suppressed
from privacy.services import contact_erase, contact_export

pytestmark = pytest.mark.django_db

PHONE = "+14155550111"


def _grant(contact, purpose, identifier="", sender="", notice=True):
    return services.consent_event_record(
        actor=None,
        purpose=purpose,
        action="grant",
        method="web_form",
        contact=contact,
        identifier=identifier,
        sender=sender,
        notice=selectors.notice_published(purpose_code=purpose) if notice else None,
        ip_address="203.0.113.7",
        user_agent="Mozilla/5.0",
    )


def _export_tables(contact) -> dict:
    buffer = io.BytesIO()
    contact_export(actor=None, contact=contact, destination=buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {
            name: json.loads(archive.read(name))
            for name in archive.namelist()
            if name.startswith("consent/") and name.endswith(".json")
        }


def test_export_has_the_ledger_with_the_exact_notice_text(contact, sender, text):
    _grant(contact, "email_marketing", contact.email)
    _grant(contact, "sms_marketing", PHONE, sender.number)
    text("STOP")
    tables = _export_tables(contact)
    ledger = tables["consent/consent_ledger.json"]
    assert [row["action"] for row in ledger][:2] == ["grant", "grant"]
    email_grant = next(r for r in ledger if r["purpose"] == "email_marketing")
    notice = selectors.notice_published(purpose_code="email_marketing")
    assert email_grant["notice_text"] == notice.text
    assert email_grant["notice_sha256"] == notice.text_sha256
    assert tables["consent/inbound_texts.json"][0]["keyword"] == "stop"
    assert tables["consent/sms_subscriptions.json"][0]["status"] == "opted_out"


def test_erasure_removes_consent_data_suppresses_opt_outs_and_keeps_sms_proof(
    contact, customer, sender, text
):
    _grant(contact, "email_marketing", contact.email)
    _grant(contact, "sms_marketing", PHONE, sender.number)
    services.consent_event_record(
        actor=None, purpose="email_marketing", action="withdraw", method="web_form",
        contact=contact, identifier=contact.email,
    )  # fmt: skip
    text("hello there")
    text("STOP")
    email = contact.email

    certificate = contact_erase(actor=None, contact=contact)

    # Opted-out identifiers (the e-mail withdrawn, the number that texted STOP) suppressed.
    assert identifier_is_suppressed(channel="email", value=email, customer_id=customer.pk)
    assert identifier_is_suppressed(channel="phone", value=PHONE, customer_id=customer.pk)
    assert certificate.suppressed >= 2
    # Non-SMS consent data and the projection are gone.
    assert not ConsentState.objects.filter(contact=contact).exists()
    assert not ConsentEvent.objects.filter(contact=contact, purpose__channel="email").exists()
    assert not InboundMessage.objects.filter(contact=contact, keyword="").exists()
    # SMS proof is kept, de-identified, and reported as kept with the reason.
    kept = ConsentEvent.objects.filter(contact=contact)
    assert kept.exists()
    for event in kept:
        assert event.deidentified_at and event.identifier == "" and event.ip_address is None
        assert event.identifier_hmac
    assert not SmsSubscription.objects.filter(phone=PHONE).exists()
    assert SmsSubscription.objects.filter(contact=contact, phone__isnull=True).exists()
    stop = InboundMessage.objects.get(contact=contact)
    assert stop.from_number is None and stop.body is None and stop.keyword == "stop"
    kept_tables = {k["table"] for k in certificate.kept}
    assert "consent_event (sms)" in kept_tables
    assert any("4 years" in k["reason"] for k in certificate.kept)
    assert ErasureCertificate.objects.get().counts["consent"]["consent_states"] >= 1
    # Nothing of the person is left anywhere in consent's tables.
    for model in (ConsentEvent, SmsSubscription, InboundMessage, ConsentState):
        for row in model.objects.values():
            assert PHONE not in json.dumps(row, default=str)
            assert email not in json.dumps(row, default=str)


def test_old_sms_proof_is_not_kept(contact, sender, settings):
    event = _grant(contact, "sms_marketing", PHONE, sender.number)
    settings.CONSENT_SMS_PROOF_RETENTION_DAYS = 0
    certificate = contact_erase(actor=None, contact=contact)
    assert not ConsentEvent.objects.filter(pk=event.pk).exists()
    assert certificate.counts["consent"]["consent_events"] == 1


def test_erased_contact_stays_suppressed_until_they_text_start_themselves(
    client, contact, customer, sender, text
):
    """Before issue 8, a grant with a notice dated after the suppression lifted it. Now
    only the person's own START / YES from the number does (test_suppression_lift.py)."""
    from consent.selectors import contact_for_identifier

    _grant(contact, "sms_marketing", PHONE, sender.number)
    text("STOP")
    contact_erase(actor=None, contact=contact)
    assert check(customer, sender=sender.number).reason == "suppressed"

    text("STOP")  # creates a new contact for the number
    new_contact = contact_for_identifier(customer_id=customer.pk, channel="sms", match_key=PHONE)
    assert new_contact is not None and new_contact.pk != contact.pk
    # A web-form consent with the notice shown, recorded by the customer: not an act
    # from the number, so the suppression stands.
    _grant(new_contact, "sms_marketing", PHONE, sender.number)
    decision = check(customer, sender=sender.number)
    assert (decision.allowed, decision.reason) == (False, "suppressed")

    response = text("START")
    assert "receive messages from this number again" in response.content.decode()
    decision = check(customer, sender=sender.number, now=NOON_PACIFIC)
    assert decision.allowed, decision


def test_texts_received_before_the_person_was_a_contact_are_erased_with_them(
    customer, sender, text
):
    """A number texts before the customer knows it as a contact; once it is one,
    erasing that contact takes those texts too, and another number's stay."""
    from privacy.services import contact_create

    text("Is anyone there? This is Ann", from_="+14155550177")
    text("Call me back please", from_="(415) 555-0177")
    text("hello", from_="+14155550178")
    assert InboundMessage.objects.filter(contact__isnull=True).count() == 3
    late, created = contact_create(actor=None, customer=customer, phones=["415-555-0177"])
    assert created

    certificate = contact_erase(actor=None, contact=late)

    remaining = InboundMessage.objects.filter(contact__isnull=True)
    assert list(remaining.values_list("from_number", flat=True)) == ["+14155550178"]
    assert not InboundMessage.objects.filter(body__icontains="Ann").exists()
    assert certificate.counts["consent"]["inbound_texts_matched_by_number"] == 2
    assert certificate.counts["consent"]["inbound_texts"] == 0  # each text counted once
