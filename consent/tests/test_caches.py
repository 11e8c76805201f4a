"""The inbound webhook's reads: the per-worker cache of sender numbers (found ones only,
bounded, trusted for CONSENT_API_CACHE_SECONDS, cleared by the admin) and the contact lookup by
identifier (live contacts of the asking customer only)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from consent import selectors
from consent.models import InboundMessage, SenderNumber
from consent.selectors import caches
from consent.tests.factories import ContactFactory, CustomerFactory, SenderNumberFactory
from privacy.models import Contact, ContactIdentifier

pytestmark = pytest.mark.django_db


class _Clock:
    """The caches' clock (``time.monotonic`` in consent.selectors.caches), moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = _Clock()
    monkeypatch.setattr(caches, "time", fake)
    return fake


# --- sender numbers ---------------------------------------------------------------------


def test_a_sender_deactivated_by_another_worker_stops_counting_after_the_cache_time(
    text, sender, settings, clock
):
    settings.CONSENT_API_CACHE_SECONDS = 30
    assert text("HELP").status_code == 200
    # Deactivated in another process: this worker's cache does not know yet.
    SenderNumber.objects.filter(pk=sender.pk).update(is_active=False)
    text("STOP")
    assert InboundMessage.objects.latest("id").outcome == "opted_out"

    clock.now += 29
    text("HELP")
    assert InboundMessage.objects.latest("id").outcome == "help"

    clock.now += 2
    text("STOP")
    assert InboundMessage.objects.latest("id").outcome == "unknown_sender"


def test_a_sender_added_after_a_miss_is_found_on_the_very_next_call(customer, settings, clock):
    """ "Unknown" is never cached: a STOP to a number added seconds ago is not lost."""
    settings.CONSENT_API_CACHE_SECONDS = 30
    assert selectors.sender_for_number("+12125550199") is None
    assert len(caches._senders) == 0

    added = SenderNumberFactory(customer=customer, number="+12125550199")

    assert selectors.sender_for_number("+12125550199") == added


def test_a_stop_to_a_just_added_sender_is_honoured(text, customer, settings, clock):
    settings.CONSENT_API_CACHE_SECONDS = 30
    text("HELP", to="+12125550199")
    assert InboundMessage.objects.latest("id").outcome == "unknown_sender"

    SenderNumberFactory(customer=customer, number="+12125550199")  # by another worker
    text("STOP", to="+12125550199")

    assert InboundMessage.objects.latest("id").outcome == "opted_out"


def test_caches_clear_forgets_senders(sender):
    assert selectors.sender_for_number(sender.number) == sender
    SenderNumber.objects.filter(pk=sender.pk).update(is_active=False)

    selectors.caches_clear()

    assert selectors.sender_for_number(sender.number) is None


def test_the_sender_cache_is_bounded(customer, monkeypatch):
    monkeypatch.setattr(caches._senders, "max_size", 3)
    senders = [
        SenderNumberFactory(customer=customer, number=f"+1212555{line + 200:04d}")
        for line in range(10)
    ]
    for sender in senders:
        assert selectors.sender_for_number(sender.number) == sender
        assert len(caches._senders) <= 3
    for line in range(10):
        assert selectors.sender_for_number(f"+1646555{line + 200:04d}") is None
    assert len(caches._senders) <= 3


def test_saving_a_sender_in_the_admin_clears_this_workers_cache(
    admin_client, sender, django_capture_on_commit_callbacks
):
    assert selectors.sender_for_number(sender.number) == sender
    form = {
        "customer": sender.customer_id,
        "number": sender.number,
        "kind": sender.kind,
        "brand_name": sender.brand_name,
        "help_contact": sender.help_contact,
        # is_active unticked: deactivated
    }
    url = reverse("admin:consent_sendernumber_change", args=[sender.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, form)

    assert response.status_code == 302, response.content[:2000]
    assert SenderNumber.objects.get(pk=sender.pk).is_active is False
    assert selectors.sender_for_number(sender.number) is None


def test_deleting_a_sender_in_the_admin_clears_this_workers_cache(
    admin_client, customer, django_capture_on_commit_callbacks
):
    spare = SenderNumberFactory(customer=customer, number="+12125550177")
    assert selectors.sender_for_number(spare.number) == spare
    url = reverse("admin:consent_sendernumber_delete", args=[spare.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not SenderNumber.objects.filter(pk=spare.pk).exists()
    assert selectors.sender_for_number(spare.number) is None


# --- contact by identifier --------------------------------------------------------------


def _fields(contact: Contact) -> list:
    return [getattr(contact, f.attname) for f in Contact._meta.concrete_fields]


def test_contact_lookup_returns_the_contact_as_the_orm_loads_it(contact):
    Contact.objects.filter(pk=contact.pk).update(
        last_interaction_at=timezone.now(), date_of_birth="1980-02-29", is_minor=False
    )

    found = selectors.contact_for_identifier(
        customer_id=contact.customer_id, channel="sms", match_key=contact.phone
    )

    assert isinstance(found, Contact) and not found._state.adding
    assert _fields(found) == _fields(Contact.objects.get(pk=contact.pk))
    assert timezone.is_aware(found.created_at) and timezone.is_aware(found.last_interaction_at)
    by_email = selectors.contact_for_identifier(
        customer_id=contact.customer_id, channel="email", match_key=contact.email.lower()
    )
    assert by_email == contact


def test_contact_lookup_ignores_erased_contacts(contact):
    # Identifier rows left behind (as by a partial erasure) do not bring the person back.
    Contact.objects.filter(pk=contact.pk).update(erased_at=timezone.now())

    found = selectors.contact_for_identifier(
        customer_id=contact.customer_id, channel="sms", match_key=contact.phone
    )

    assert found is None
    assert ContactIdentifier.objects.filter(contact=contact).exists()


def test_contact_lookup_stays_within_the_customer(contact):
    other_customer = CustomerFactory(slug="other")
    twin = ContactFactory(customer=other_customer, phone=contact.phone, email=contact.email)
    third_customer = CustomerFactory(slug="third")

    def lookup(customer_id):
        return selectors.contact_for_identifier(
            customer_id=customer_id, channel="sms", match_key=contact.phone
        )

    assert lookup(contact.customer_id) == contact
    assert lookup(other_customer.pk) == twin
    assert lookup(third_customer.pk) is None
    assert lookup(None) is None  # our own contacts are not any customer's


def test_contact_lookup_of_our_own_contacts(contact):
    own = ContactFactory(customer=None, phone=contact.phone, email="own@example.org")

    found = selectors.contact_for_identifier(
        customer_id=None, channel="sms", match_key=contact.phone
    )

    assert found == own and found.customer_id is None


def test_contact_lookup_still_finds_restricted_contacts(contact):
    # Restriction limits what is done with the person, not whether a STOP reaches them.
    Contact.objects.filter(pk=contact.pk).update(is_restricted=True)

    found = selectors.contact_for_identifier(
        customer_id=contact.customer_id, channel="sms", match_key=contact.phone
    )

    assert found == contact and found.is_restricted is True


def test_contact_lookup_needs_the_kind_to_match(contact):
    found = selectors.contact_for_identifier(
        customer_id=contact.customer_id, channel="email", match_key=contact.phone
    )

    assert found is None
