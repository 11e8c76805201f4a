"""Legal holds (privacy/services/holds.py): what they block, the reason the refusal gives,
and when they stop applying."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from privacy.models import Contact, ErasureCertificate, LegalHold
from privacy.selectors import active_hold_reasons
from privacy.services import (
    ErasureRefused,
    contact_erase,
    contacts_erase_batch,
    erasure_preview,
    legal_hold_lift,
    legal_hold_place,
)
from privacy.tests.factories import ContactFactory, CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db


# --- holds -------------------------------------------------------------------------------


def test_a_customer_hold_blocks_erasure_of_its_contacts_with_the_reason():
    customer = CustomerFactory()
    contact = ContactFactory(customer=customer)
    legal_hold_place(actor=None, customer=customer, reason="Tax audit FY2025")

    preview = erasure_preview(contact=contact)
    assert "Tax audit FY2025" in preview.blocked_by
    assert "whole customer" in preview.blocked_by
    with pytest.raises(ErasureRefused, match="Tax audit FY2025"):
        contact_erase(actor=None, contact=contact)
    assert Contact.objects.get(pk=contact.pk).erased_at is None


def test_a_batch_erases_the_free_and_refuses_the_held():
    held, free = ContactFactory(), ContactFactory()
    legal_hold_place(actor=None, contact=held, reason="Matter 88")

    result = contacts_erase_batch(actor=None, contact_ids=[held.pk, free.pk], trigger="staff")

    assert [c.contact_id for c in result.certificates] == [free.pk]
    assert "Matter 88" in result.refused[held.pk]
    assert Contact.objects.get(pk=held.pk).first_name == held.first_name


def test_lifted_and_expired_holds_no_longer_apply():
    contact = ContactFactory()
    lifted = legal_hold_place(actor=None, contact=contact, reason="Matter 1")
    ending_today = legal_hold_place(
        actor=None, contact=contact, reason="Matter 2", ends_on=timezone.localdate()
    )
    legal_hold_lift(actor=None, hold=lifted)
    assert "Matter 2" in active_hold_reasons([contact])[contact.pk]
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert active_hold_reasons([contact], on=tomorrow) == {}
    assert not LegalHold.objects.filter(pk=ending_today.pk, lifted_at__isnull=False).exists()


def test_erasure_preview_matches_what_erasure_does():
    contact = ContactFactory()
    InteractionFactory.create_batch(2, contact=contact, channel="sms")
    InteractionFactory(contact=contact, channel="call", duration_seconds=5)

    preview = erasure_preview(contact=contact)
    certificate = contact_erase(actor=None, contact=contact)

    assert preview.blocked_by is None
    assert preview.erased == certificate.counts
    assert [
        {"table": k.table, "count": k.count, "reason": k.reason} for k in preview.kept
    ] == certificate.kept


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reason": "  "}, "needs a reason"),
        ({"reason": "Matter", "ends_on": dt.date(2000, 1, 1)}, "in the past"),
    ],
)
def test_a_hold_needs_a_reason_and_a_future_end(kwargs, message):
    contact = ContactFactory()
    with pytest.raises(ValidationError, match=message):
        legal_hold_place(actor=None, contact=contact, **kwargs)
    assert not LegalHold.objects.exists()


def test_a_hold_targets_exactly_one_contact_or_customer():
    contact = ContactFactory()
    with pytest.raises(ValidationError, match="exactly one"):
        legal_hold_place(actor=None, contact=contact, customer=contact.customer, reason="M")
    with pytest.raises(ValidationError, match="exactly one"):
        legal_hold_place(actor=None, reason="M")


def test_an_erased_contact_cannot_be_held_even_through_a_stale_instance():
    contact = ContactFactory()
    contact_erase(actor=None, contact=contact)  # ``contact`` still shows the old values

    with pytest.raises(ValidationError, match="already been erased"):
        legal_hold_place(actor=None, contact=contact, reason="Matter 5")
    assert not LegalHold.objects.exists()
    assert ErasureCertificate.objects.filter(contact=contact).count() == 1


@override_settings(TIME_ZONE="Pacific/Pago_Pago")  # UTC-11
def test_a_hold_ending_today_local_time_still_blocks_when_utc_is_already_tomorrow():
    contact = ContactFactory()
    # 20:00 on 1 January in Pago Pago is 07:00 on 2 January in UTC.
    now = dt.datetime(2030, 1, 2, 7, 0, tzinfo=dt.UTC)
    LegalHold.objects.create(contact=contact, reason="Matter 3", ends_on=dt.date(2030, 1, 1))

    result = contacts_erase_batch(actor=None, contact_ids=[contact.pk], trigger="staff", now=now)

    assert result.certificates == []
    assert "Matter 3" in result.refused[contact.pk]


def test_erasure_its_preview_the_sweep_and_the_contact_page_apply_the_same_holds(client):
    """One rule (``LegalHoldQuerySet``): a hold on the contact or on its customer, in force
    today. A lifted hold, an ended one and one on another contact or customer don't apply."""
    from django.urls import reverse

    from privacy.selectors import _held
    from privacy.tests.factories import UserFactory

    contact = ContactFactory()
    elsewhere = ContactFactory()
    on_customer = legal_hold_place(actor=None, customer=contact.customer, reason="Matter 40")
    lifted = legal_hold_place(actor=None, contact=contact, reason="Matter 41")
    legal_hold_lift(actor=None, hold=lifted)
    ended = legal_hold_place(
        actor=None, contact=contact, reason="Matter 42", ends_on=timezone.localdate()
    )
    LegalHold.objects.filter(pk=ended.pk).update(ends_on=timezone.localdate() - dt.timedelta(1))
    legal_hold_place(actor=None, contact=elsewhere, reason="Matter 43")
    legal_hold_place(actor=None, customer=elsewhere.customer, reason="Matter 44")

    in_force = set(LegalHold.objects.active().covering([contact]))
    assert in_force == {on_customer}
    assert "Matter 40" in erasure_preview(contact=contact).blocked_by
    assert Contact.objects.filter(_held(timezone.localdate()), pk=contact.pk).exists()
    with pytest.raises(ErasureRefused, match="Matter 40"):
        contact_erase(actor=None, contact=contact)
    # The contact page lists every hold that ever covered the contact, and only those.
    client.force_login(UserFactory(role="Privacy officer"))
    page = client.get(reverse("admin:privacy_contact_change", args=[contact.pk]))
    assert {h.reason for h in page.context["legal_holds"]} == {
        "Matter 40",
        "Matter 41",
        "Matter 42",
    }
