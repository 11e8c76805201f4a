"""The suppression list (privacy/services/suppression.py): keyed hashes, key rotation,
customer vs global scope."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings

from privacy.hashing import identifier_hmac
from privacy.models import Suppression
from privacy.selectors import identifier_is_suppressed
from privacy.services import (
    contact_create,
    contact_erase,
    contacts_erase_batch,
    suppressions_add,
)
from privacy.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

ROTATED = {
    "SUPPRESSION_HMAC_KEYS": {"t1": "test-suppression-key", "t2": "a-newer-secret-key"},
    "SUPPRESSION_HMAC_ACTIVE_KEY_ID": "t2",
}


# --- HMACs -------------------------------------------------------------------------------


def test_rows_hold_a_keyed_hash_and_nothing_else_identifying():
    customer = CustomerFactory()
    suppressions_add(identifiers=[("email", "Jane@Example.com")], customer=customer)
    row = Suppression.objects.get()
    assert re.fullmatch(r"[0-9a-f]{64}", row.identifier_hmac)
    assert row.identifier_hmac == identifier_hmac(channel="email", value="jane@example.com")
    assert "jane" not in str(vars(row)).lower()
    # The hash is keyed: the same identifier under another secret is unrelated.
    with override_settings(**ROTATED):
        assert identifier_hmac(channel="email", value="jane@example.com") != row.identifier_hmac


def test_email_lookups_ignore_case_and_channels_do_not_mix():
    suppressions_add(identifiers=[("email", "Jane.Doe@example.com")], customer=None)
    assert identifier_is_suppressed(channel="email", value="JANE.DOE@EXAMPLE.COM", customer_id=None)
    assert not identifier_is_suppressed(
        channel="phone", value="Jane.Doe@example.com", customer_id=None
    )


def test_adding_twice_adds_once():
    customer = CustomerFactory()
    pairs = [("phone", "+14155551098"), ("email", "jane@example.com")]
    assert suppressions_add(identifiers=pairs, customer=customer) == 2
    assert suppressions_add(identifiers=pairs, customer=customer) == 0
    assert Suppression.objects.count() == 2


def test_key_rotation_keeps_old_rows_effective_and_uses_the_new_key_for_new_rows():
    customer = CustomerFactory()
    suppressions_add(identifiers=[("phone", "+14155551098")], customer=customer)
    old = Suppression.objects.get()
    assert old.key_id == "t1"

    with override_settings(**ROTATED):
        # Rows hashed under the retired key are still found.
        assert identifier_is_suppressed(
            channel="phone", value="+14155551098", customer_id=customer.pk
        )
        suppressions_add(identifiers=[("phone", "+16175551746")], customer=customer)
        new = Suppression.objects.exclude(pk=old.pk).get()
        assert new.key_id == "t2"
        assert new.identifier_hmac == identifier_hmac(
            channel="phone", value="+16175551746", key_id="t2"
        )
        assert new.identifier_hmac != identifier_hmac(
            channel="phone", value="+16175551746", key_id="t1"
        )
        assert identifier_is_suppressed(
            channel="phone", value="+16175551746", customer_id=customer.pk
        )
        # An identifier already suppressed under the old key is not listed again.
        assert suppressions_add(identifiers=[("phone", "+14155551098")], customer=customer) == 0
        assert Suppression.objects.count() == 2


def test_erasure_after_rotation_hashes_under_the_active_key():
    contact = ContactFactory(do_not_contact=True, customer=None, kind="prospect")
    email = contact.email
    with override_settings(**ROTATED):
        contact_erase(actor=None, contact=contact)
        assert set(Suppression.objects.values_list("key_id", flat=True)) == {"t2"}
        assert identifier_is_suppressed(channel="email", value=email, customer_id=None)
    # Back on a configuration without t2 the row can no longer be matched (or forged).
    assert not identifier_is_suppressed(channel="email", value=email, customer_id=None)


# --- scope ---------------------------------------------------------------------------------


def test_a_customers_contact_is_suppressed_for_that_customer_only():
    acme, other = CustomerFactory(), CustomerFactory()
    contact = ContactFactory(customer=acme, do_not_contact=True)
    phone = contact.phone

    contact_erase(actor=None, contact=contact)

    assert set(Suppression.objects.values_list("scope", "customer_id")) == {
        (Suppression.Scope.CUSTOMER, acme.pk)
    }
    assert identifier_is_suppressed(channel="phone", value=phone, customer_id=acme.pk)
    assert not identifier_is_suppressed(channel="phone", value=phone, customer_id=other.pk)
    assert not identifier_is_suppressed(channel="phone", value=phone, customer_id=None)


def test_our_own_contact_is_suppressed_globally():
    acme = CustomerFactory()
    contact, _ = contact_create(
        actor=None,
        customer=None,
        kind="prospect",
        emails=["Pat@Example.net"],
        phones=["+44 20 7946 0958"],
        do_not_contact=True,
    )

    certificate = contact_erase(actor=None, contact=contact)

    assert certificate.suppressed == 2
    assert set(Suppression.objects.values_list("scope", "customer_id")) == {
        (Suppression.Scope.GLOBAL, None)
    }
    for customer_id in (None, acme.pk):
        assert identifier_is_suppressed(
            channel="email", value="pat@example.net", customer_id=customer_id
        )
        assert identifier_is_suppressed(
            channel="phone", value="+442079460958", customer_id=customer_id
        )


def test_erasing_someone_who_never_opted_out_suppresses_nothing():
    contact = ContactFactory(do_not_contact=False)
    certificate = contact_erase(actor=None, contact=contact)
    assert certificate.suppressed == 0
    assert not Suppression.objects.exists()


def test_a_batch_suppresses_each_contact_in_its_own_scope():
    acme = CustomerFactory()
    ours = ContactFactory(customer=None, kind="prospect", do_not_contact=True)
    theirs = ContactFactory(customer=acme, do_not_contact=True)
    plain = ContactFactory(customer=acme)

    result = contacts_erase_batch(
        actor=None, contact_ids=[ours.pk, theirs.pk, plain.pk], trigger="staff"
    )

    assert len(result.certificates) == 3
    assert {c.contact_id: c.suppressed for c in result.certificates} == {
        ours.pk: 2,
        theirs.pk: 2,
        plain.pk: 0,
    }
    assert Suppression.objects.filter(scope="global").count() == 2
    assert Suppression.objects.filter(scope="customer", customer=acme).count() == 2
