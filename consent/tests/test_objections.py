"""Objection to processing per purpose (GDPR Art. 21; issue 9 §6): a ledger action of
its own, the projection and the check's ``objected``; an objection to direct marketing
sets "do not contact" and objects to every marketing purpose."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from consent import services
from consent.models import ConsentEvent, ConsentState, SmsSubscription
from consent.tests.conftest import check
from privacy.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_an_objection_to_a_legitimate_interest_purpose_stops_it(customer, contact):
    before = check(customer, to=contact.email, purpose="sale_sharing")
    assert (before.allowed, before.reason) == (True, "legitimate_interest")

    result = services.contact_objection_record(
        actor=None, contact=contact, purpose_codes=["sale_sharing"], method="api"
    )

    assert result.purposes == ["sale_sharing"] and result.events == 1
    event = ConsentEvent.objects.get()
    assert (event.action, event.identifier) == (ConsentEvent.Action.OBJECT, "")
    state = ConsentState.objects.get()
    assert (state.is_granted, state.objected) == (False, True)
    decision = check(customer, to=contact.email, purpose="sale_sharing")
    assert (decision.allowed, decision.reason) == (False, "objected")
    # Only what was objected to: e-mail marketing is not touched, nor "do not contact".
    contact.refresh_from_db()
    assert not contact.do_not_contact
    assert AuditEvent.objects.filter(action="consent.objection_recorded").exists()


def test_an_objection_overrides_a_grant_and_is_not_a_withdrawal(customer, contact):
    services.consent_event_record(
        actor=None,
        purpose="email_marketing",
        action="grant",
        method="api",
        contact=contact,
        identifier=contact.email,
    )
    services.contact_objection_record(
        actor=None, contact=contact, purpose_codes=["email_marketing"], method="api"
    )
    decision = check(customer, to=contact.email, purpose="email_marketing")
    assert (decision.allowed, decision.reason) == (False, "objected")


def test_an_objection_to_direct_marketing_is_absolute(customer, contact, sender):
    for purpose in services.SMS_PURPOSES:
        services.consent_event_record(
            actor=None,
            purpose=purpose,
            action="grant",
            method="api",
            contact=contact,
            identifier=contact.phone,
            sender=sender.number,
        )

    result = services.contact_objection_record(
        actor=None, contact=contact, purpose_codes=[], direct_marketing=True
    )

    contact.refresh_from_db()
    assert contact.do_not_contact and result.do_not_contact_set
    assert {"email_marketing", "sms_marketing", "sale_sharing"} <= set(result.purposes)
    assert "sms_informational" not in result.purposes  # not marketing
    for purpose, to in (("email_marketing", contact.email), ("sms_marketing", contact.phone)):
        decision = check(customer, to=to, purpose=purpose, sender=sender.number)
        assert (decision.allowed, decision.reason) == (False, "do_not_contact")
    marketing = SmsSubscription.objects.get(program="marketing")
    assert marketing.status == "opted_out"


def test_objecting_twice_records_nothing_more(contact):
    services.contact_objection_record(actor=None, contact=contact, purpose_codes=["sale_sharing"])
    again = services.contact_objection_record(
        actor=None, contact=contact, purpose_codes=["sale_sharing"]
    )
    assert again.events == 0
    assert ConsentEvent.objects.count() == 1


def test_an_objection_naming_an_unknown_purpose_records_nothing(contact):
    with pytest.raises(ValidationError):
        services.contact_objection_record(
            actor=None, contact=contact, purpose_codes=["sale_sharing", "mind_reading"]
        )
    assert not ConsentEvent.objects.exists()


def test_a_later_grant_lifts_an_objection(customer, contact):
    services.contact_objection_record(actor=None, contact=contact, purpose_codes=["sale_sharing"])
    services.consent_event_record(
        actor=None, purpose="sale_sharing", action="grant", method="api", contact=contact
    )
    assert check(customer, to=contact.email, purpose="sale_sharing").allowed


def test_the_projection_rebuild_keeps_objections(contact):
    services.contact_objection_record(actor=None, contact=contact, purpose_codes=["sale_sharing"])
    report = services.consent_state_rebuild(actor=None, apply=False)
    assert report.drift == 0
    ConsentState.objects.update(objected=False)
    report = services.consent_state_rebuild(actor=None, apply=True)
    assert report.different == 1
    assert ConsentState.objects.get().objected


def test_staff_record_an_objection_from_the_contact_page(officer_client, customer, contact):
    response = officer_client.post(
        "/admin/consent/contactconsent/",
        {
            "action": "record_objection",
            "_selected_action": [contact.pk],
            "apply": "1",
            "purposes": ["sale_sharing"],
        },
    )
    assert response.status_code == 302
    assert check(customer, to=contact.email, purpose="sale_sharing").reason == "objected"
    assert ConsentEvent.objects.get().method == ConsentEvent.Method.STAFF
