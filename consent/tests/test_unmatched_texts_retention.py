"""Texts from numbers that matched no contact follow a retention rule (nightly
``consent_records_purge``), as the contacts of the same data do. Before, nothing ever
deleted them: a text to a customer's number from someone who was not (or no longer) a
contact outlived the customer's contract, and texts to our own requests number were
kept for ever.

- A customer's go when its contract-end rule is due (the rule that erases its
  contacts), not while a legal hold covers the customer.
- Texts to our own requests number (no customer) go after the prospect rule's period.
- A plain text is deleted; a keyword text (STOP, …) is SMS proof: de-identified (number
  kept only as its HMAC), then deleted after the proof's period."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from consent.models import InboundMessage
from consent.services import consent_records_purge
from privacy.hashing import identifier_hmac
from privacy.models import AuditEvent, LegalHold, RetentionRule
from privacy.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

NUMBER = "+14155550177"


def text(*, customer, keyword: str = "", days_ago: int = 10, contact=None, number=NUMBER):
    return InboundMessage.objects.create(
        message_sid=f"SM{uuid.uuid4().hex}",
        customer=customer,
        contact=contact,
        sender="+12125550100" if customer else "+12125550199",
        from_number=number,
        body="STOP" if keyword else "is this the dentist?",
        keyword=keyword,
        outcome="logged",
        received_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def ended_customer(days_ago: int = 800):
    return CustomerFactory(
        status="terminated", contract_ended_on=timezone.localdate() - dt.timedelta(days=days_ago)
    )


def exists(message) -> bool:
    return InboundMessage.objects.filter(pk=message.pk).exists()


def test_a_customers_unmatched_texts_go_when_its_contract_end_rule_is_due():
    ended = ended_customer()
    plain, stop = text(customer=ended), text(customer=ended, keyword="STOP")
    active = CustomerFactory()
    kept = text(customer=active, days_ago=3000)
    recently_ended = ended_customer(days_ago=5)  # the rule's period is not over
    not_yet = text(customer=recently_ended)

    summary = consent_records_purge(actor=None)

    assert not exists(plain)
    stop.refresh_from_db()
    assert (stop.from_number, stop.body, stop.deidentified_at is not None) == (None, None, True)
    assert stop.from_hmac == identifier_hmac(channel="phone", value=NUMBER)
    assert exists(kept) and exists(not_yet)
    assert summary["unmatched_texts"] == 1
    assert summary["unmatched_keyword_texts_deidentified"] == 1
    audit = AuditEvent.objects.filter(action="consent.records_purged").latest("pk")
    assert audit.summary["unmatched_texts"] == 1
    assert "555" not in str(audit.summary) and "dentist" not in str(audit.summary)


def test_a_legal_hold_on_the_customer_keeps_them():
    ended = ended_customer()
    LegalHold.objects.create(customer=ended, reason="litigation")
    held = text(customer=ended)

    consent_records_purge(actor=None)

    assert exists(held)


def test_a_text_that_matched_a_contact_is_left_to_the_contacts_erasure():
    ended = ended_customer()
    contact = ContactFactory(customer=ended, phone=NUMBER)
    matched = text(customer=ended, contact=contact)

    consent_records_purge(actor=None)

    assert exists(matched)  # the retention sweep erases it with its contact


def test_texts_to_our_own_number_go_after_the_prospect_rules_period():
    rule = RetentionRule.objects.get(code="prospect_last_contact", customer=None)
    old = text(customer=None, days_ago=rule.period_days + 2)
    old_stop = text(customer=None, keyword="STOP", days_ago=rule.period_days + 2)
    recent = text(customer=None, days_ago=rule.period_days - 2)

    consent_records_purge(actor=None)

    assert not exists(old) and exists(recent)
    old_stop.refresh_from_db()
    assert old_stop.from_number is None and old_stop.deidentified_at is not None


def test_a_marker_only_prospect_rule_keeps_them():
    rule = RetentionRule.objects.get(code="prospect_last_contact", customer=None)
    rule.action = RetentionRule.Action.NONE
    rule.save()
    old = text(customer=None, days_ago=rule.period_days + 2)

    consent_records_purge(actor=None)

    assert exists(old)


def test_de_identified_unmatched_proof_goes_after_the_proofs_period(settings):
    ended = ended_customer()
    proof = text(
        customer=ended, keyword="STOP", days_ago=settings.CONSENT_SMS_PROOF_RETENTION_DAYS + 1
    )
    young = text(customer=ended, keyword="STOP", days_ago=30)

    first = consent_records_purge(actor=None)  # both de-identified; the old one then goes
    second = consent_records_purge(actor=None)  # nothing left to do

    assert not exists(proof) and exists(young)
    assert first["sms_proof_inbound_unmatched"] == 1
    assert "sms_proof_inbound_unmatched" not in second
