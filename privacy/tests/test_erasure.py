"""The erasure engine: counts, certificates, holds, suppression."""

import pytest
from django.core.exceptions import ValidationError

from privacy.models import AuditEvent, Contact, ErasureCertificate, Interaction, Suppression
from privacy.selectors import identifier_is_suppressed
from privacy.services import ErasureRefused, contact_erase, legal_hold_place
from privacy.tests.factories import ContactFactory, InteractionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_erasure_removes_data_keeps_call_records_deidentified_and_certifies():
    officer = UserFactory(role="Privacy officer")
    contact = ContactFactory(do_not_contact=True)
    phone, email, customer_id = contact.phone, contact.email, contact.customer_id
    InteractionFactory.create_batch(3, contact=contact, channel="sms")
    InteractionFactory(contact=contact, channel="call", duration_seconds=61, body="transcript")

    certificate = contact_erase(actor=officer, contact=contact)

    contact.refresh_from_db()
    assert contact.erased_at is not None
    assert (contact.first_name, contact.email, contact.phone) == (None, None, None)
    assert certificate.counts["privacy.interaction"] == {"interactions": 3}
    assert certificate.kept[0]["table"] == "interaction (call)"
    call = Interaction.objects.get(contact=contact)
    assert call.duration_seconds == 61 and call.body is None and call.from_number is None
    assert certificate.suppressed == 2
    assert Suppression.objects.count() == 2
    assert identifier_is_suppressed(channel="phone", value=phone, customer_id=customer_id)
    assert identifier_is_suppressed(channel="email", value=email.upper(), customer_id=customer_id)
    # Scoped to the customer the person was a contact of; others may still message them.
    assert not identifier_is_suppressed(channel="phone", value=phone, customer_id=None)
    event = AuditEvent.objects.get(action="contact.erased")
    assert event.actor_id == officer.pk
    assert event.summary["certificate_id"] == certificate.pk


def test_erasure_refused_under_a_hold_with_the_reason():
    contact = ContactFactory()
    legal_hold_place(actor=None, contact=contact, reason="Matter 7 litigation")
    with pytest.raises(ErasureRefused, match="Matter 7 litigation"):
        contact_erase(actor=None, contact=contact)
    assert Contact.objects.get(pk=contact.pk).erased_at is None
    assert not ErasureCertificate.objects.exists()


def test_second_erasure_says_already_erased():
    contact = ContactFactory()
    contact_erase(actor=None, contact=contact)
    with pytest.raises(ValidationError, match="already been erased"):
        contact_erase(actor=None, contact=contact)
