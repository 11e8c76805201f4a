"""The consent demo data (consent/demo.py): a history without drift, and consistent as
evidence: no event cites a notice published after it, every double opt-in has the
person's YES (after the prompt was sent), and the evidence pack finds nothing
contradictory in it."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from consent import selectors, services
from consent.demo import seed_demo_consent
from consent.models import ConsentEvent, InboundMessage, SmsSubscription
from consent.services.ledger import _event_write
from consent.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_demo_consents_are_consistent_evidence(django_capture_on_commit_callbacks):
    customer = CustomerFactory(slug="demo-consent")
    contacts = ContactFactory.create_batch(40, customer=customer)
    with django_capture_on_commit_callbacks(execute=False):
        counts = seed_demo_consent(contacts=contacts, rng=random.Random(3))
    assert counts["double_opt_ins"] > 5 and counts["imported"] and counts["web_grants"]

    cited = ConsentEvent.objects.filter(notice__isnull=False).select_related("notice")
    assert cited.exists()
    for event in cited:
        assert event.notice.published_at <= event.occurred_at, event.pk

    double_opt_ins = ConsentEvent.objects.filter(method="double_opt_in")
    assert double_opt_ins.count() == counts["double_opt_ins"]
    for event in double_opt_ins:
        yes = InboundMessage.objects.get(message_sid=event.reference)
        assert yes.keyword == "yes" and yes.outcome == "confirmed"
        subscription = SmsSubscription.objects.get(
            phone=event.identifier, sender=event.sender, program="marketing"
        )
        assert subscription.prompt_sent_at is not None
        assert subscription.requested_at <= subscription.prompt_sent_at <= yes.received_at
        assert event.occurred_at == yes.received_at

    for contact in contacts[:10]:
        pack = selectors.consent_evidence_pack(kind="phone", identifier=contact.phone)
        assert not any(event.notice_published_later for event in pack.events)


def test_pack_flags_a_notice_published_after_the_event(contact):
    notice = selectors.notice_published(purpose_code="email_marketing")
    _event_write(
        actor=None, purpose=notice.purpose, action="grant", method="import", contact=contact,
        identifier=contact.email, notice=notice,
        occurred_at=notice.published_at - dt.timedelta(days=30),
    )  # fmt: skip
    pack = selectors.consent_evidence_pack(kind="email", identifier=contact.email)
    assert [event.notice_published_later for event in pack.events] == [True]


def test_demo_seed_builds_a_history_without_drift(customer):
    contacts = [
        ContactFactory(customer=customer, phone=f"+1415555030{i}", email=f"d{i}@ex.org")
        for i in range(10)
    ]
    counts = seed_demo_consent(contacts=contacts, rng=random.Random(7))
    assert counts["grants"] > 0
    assert ConsentEvent.objects.exists()
    assert services.consent_state_rebuild(actor=None, apply=False).drift == 0
