"""``consent.selectors.outbound_block_reason``: the one guard every outbound path asks
before sending anything that is not the reply to the person's own keyword text."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from consent import selectors, services
from consent.tests.factories import ContactFactory, CustomerFactory, SenderNumberFactory
from privacy.services import contact_erase
from privacy.services.suppression import suppressions_add

pytestmark = pytest.mark.django_db

PHONE = "+14155550111"


def guard(customer, to=PHONE, sender=None, channel=None):
    channel = channel or ("email" if "@" in to else "sms")
    return selectors.outbound_block_reason(
        channel=channel, to=to, customer_id=customer.pk if customer else None, sender=sender
    )


def test_a_reachable_number_and_address_may_be_sent_to(customer, contact, sender):
    assert guard(customer, sender=sender.number) is None
    assert guard(customer) is None
    assert guard(customer, to=contact.email) is None
    # Nobody holds it at all: nothing blocks a notice (consent is the check's business).
    assert guard(customer, to="+14155550199", sender=sender.number) is None


def test_stop_blocks_that_sender_and_start_lifts_it(customer, contact, sender, text):
    other = SenderNumberFactory(customer=customer, number="+12125550101")
    services.consent_event_record(
        actor=None, purpose="sms_informational", action="grant", method="web_form",
        contact=contact, identifier=PHONE, sender=sender.number,
    )  # fmt: skip
    text("STOP")
    assert guard(customer, sender=sender.number) == "opted_out"
    assert guard(customer, sender=other.number) is None  # STOP is per sender
    assert guard(customer) == "opted_out"  # no sender: it may be that one
    text("START")
    assert guard(customer, sender=sender.number) is None


def test_stopall_blocks_every_sender_of_the_customer(customer, contact, sender, text):
    other = SenderNumberFactory(customer=customer, number="+12125550101")
    text("STOPALL")
    assert guard(customer, sender=other.number) == "opted_out"
    assert guard(customer, sender=sender.number) == "opted_out"


def test_a_stop_under_the_senders_customer_blocks_a_send_for_someone_else(
    customer, contact, sender, text
):
    """Our own notice (controller mode) going out from a customer's number: the STOP
    the person texted to that number counts."""
    text("STOP")
    assert guard(None, sender=sender.number) == "opted_out"
    assert guard(None, sender="+12125550177") is None


def test_do_not_contact(customer):
    ContactFactory(customer=customer, phone=PHONE, email="dnc@example.org", do_not_contact=True)
    assert guard(customer) == "do_not_contact"
    assert guard(customer, to="DNC@example.org") == "do_not_contact"
    assert guard(CustomerFactory()) is None  # another customer's contact


def test_suppressed_for_the_customer_or_globally_even_when_nobody_holds_it(customer, settings):
    suppressions_add(identifiers=[("phone", PHONE)], customer=customer)
    assert guard(customer) == "suppressed"
    assert guard(CustomerFactory()) is None
    suppressions_add(identifiers=[("email", "Gone@Example.org")], customer=None)
    assert guard(CustomerFactory(), to="gone@example.org") == "suppressed"
    assert guard(None, to="gone@EXAMPLE.org") == "suppressed"
    # Under a key rotated out of use, still found.
    settings.SUPPRESSION_HMAC_KEYS = {"t9": "a-newer-key", **settings.SUPPRESSION_HMAC_KEYS}
    settings.SUPPRESSION_HMAC_ACTIVE_KEY_ID = "t9"
    assert guard(customer) == "suppressed"


def test_our_own_messages_are_stopped_by_a_suppression_at_any_customer(customer, settings):
    """A person erased at a customer after opting out is never messaged again by this
    installation: our own notices and codes (no customer) ask about every scope, while
    another customer's messages still ask only about theirs."""
    suppressions_add(identifiers=[("phone", PHONE)], customer=customer)
    assert guard(None) == "suppressed"
    assert guard(None, sender=settings.REQUESTS_SMS_FROM_NUMBER or None) == "suppressed"
    assert guard(CustomerFactory()) is None
    suppressions_add(identifiers=[("email", "left@example.org")], customer=customer)
    assert guard(None, to="Left@Example.org") == "suppressed"


def test_erased_person_who_opted_out_is_suppressed(customer, contact, sender, text):
    text("STOP")
    contact_erase(actor=None, contact=contact)
    assert guard(customer, sender=sender.number) == "suppressed"
    assert guard(customer) == "suppressed"


def test_staff_opt_out_of_a_subscription_blocks_that_sender(customer, contact, sender):
    services.consent_event_record(
        actor=None, purpose="sms_informational", action="grant", method="web_form",
        contact=contact, identifier=PHONE, sender=sender.number,
    )  # fmt: skip
    subscription = contact.sms_subscriptions.get()
    services.contact_revocation_record(
        actor=None, contact=contact, channel="sms", identifier=subscription.phone,
        sender=subscription.sender, method="staff",
    )  # fmt: skip
    assert guard(customer, sender=sender.number) == "opted_out"


def test_bad_input(customer):
    assert guard(customer, to="not a number", channel="sms") == "invalid_identifier"
    assert guard(customer, to="nobody@", channel="email") == "invalid_identifier"
    with pytest.raises(ValidationError):
        guard(customer, channel="phone")


def test_a_proven_answer_passes_the_suppression_list_but_not_an_opt_out(customer, settings):
    """The answer to a request the person proved through this identifier (the erasure's
    own confirmation) is not stopped by the suppression that erasure added; "do not
    contact" and a STOP to the sender still stop it."""
    suppressions_add(identifiers=[("phone", PHONE), ("email", "gone@example.org")], customer=None)
    assert guard(None, to="gone@example.org") == "suppressed"
    assert (
        selectors.outbound_block_reason(
            channel="email", to="gone@example.org", customer_id=None, proven=True
        )
        is None
    )
    contact = ContactFactory(customer=customer, do_not_contact=True, email="dnc@example.org")
    assert (
        selectors.outbound_block_reason(
            channel="email", to=contact.email, customer_id=customer.pk, proven=True
        )
        == "do_not_contact"
    )
