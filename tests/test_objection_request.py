"""Issue 8 item 8, "objection is half done": an upheld objection request must stop every
processing the person objected to — per purpose, legitimate-interest processing such as
sale/sharing included — and an objection to direct marketing sets "do not contact". It
used to withdraw only the consents that happened to be granted: sale/sharing stayed
allowed and "do not contact" stayed unset."""

from __future__ import annotations

import pytest
from django.core import mail

from consent import selectors
from consent import services as consent_services
from privacy.tests.factories import ContactFactory, UserFactory
from requests_app import services
from requests_app.models import PrivacyRequest, Relay, Status

pytestmark = pytest.mark.django_db


def _check(contact, purpose, to):
    return selectors.consent_check(
        customer_id=contact.customer_id,
        channel="email",
        purpose_code=purpose,
        to=to,
    )


@pytest.fixture
def person():
    contact = ContactFactory(email="objector@example.org")
    consent_services.consent_event_record(
        actor=None,
        purpose="email_marketing",
        action="grant",
        method="web_form",
        contact=contact,
        identifier=contact.email,
    )
    assert _check(contact, "email_marketing", contact.email).allowed
    assert _check(contact, "sale_sharing", contact.email).reason == "legitimate_interest"
    return contact


def _uphold(capture, **kwargs) -> PrivacyRequest:
    """Submit, verify, and have the customer ask us to fulfil it (processor mode)."""
    with capture(execute=True):
        result = services.privacy_request_submit(
            actor=None,
            request_type="objection",
            country="FR",
            email="objector@example.org",
            **kwargs,
        )
    with capture(execute=True):
        services.privacy_request_verify_manually(
            actor=None, request=result.request, method="id_document"
        )
    relay = Relay.objects.get(request=result.request)
    with capture(execute=True):
        services.relay_answer_record(actor=UserFactory(), relay=relay, answer="fulfil")
    return PrivacyRequest.objects.get(pk=result.request.pk)


def test_an_upheld_objection_stops_everything_objected_to(
    person, django_capture_on_commit_callbacks
):
    request = _uphold(django_capture_on_commit_callbacks)  # nothing named: everything

    assert request.status == Status.COMPLETED
    person.refresh_from_db()
    assert person.do_not_contact
    sale = _check(person, "sale_sharing", person.email)
    assert (sale.allowed, sale.reason) == (False, "do_not_contact")
    marketing = _check(person, "email_marketing", person.email)
    assert (marketing.allowed, marketing.reason) == (False, "do_not_contact")
    from consent.models import ConsentState

    objected = set(
        ConsentState.objects.filter(contact=person, objected=True).values_list(
            "purpose__code", flat=True
        )
    )
    assert {"sale_sharing", "email_marketing", "sensitive_data_use"} <= objected


def test_an_objection_to_one_legitimate_interest_purpose_stops_only_that(
    person, django_capture_on_commit_callbacks
):
    request = _uphold(django_capture_on_commit_callbacks, objection_purposes=["sale_sharing"])

    assert request.objection_purposes == ["sale_sharing"]
    sale = _check(person, "sale_sharing", person.email)
    assert (sale.allowed, sale.reason) == (False, "objected")
    assert _check(person, "email_marketing", person.email).allowed
    person.refresh_from_db()
    assert not person.do_not_contact


def test_an_objection_to_direct_marketing_sets_do_not_contact(
    person, django_capture_on_commit_callbacks
):
    _uphold(django_capture_on_commit_callbacks, objection_purposes=["direct_marketing"])

    person.refresh_from_db()
    assert person.do_not_contact
    assert _check(person, "email_marketing", person.email).reason == "do_not_contact"


def test_the_public_form_asks_what_the_person_objects_to(
    client, django_capture_on_commit_callbacks
):
    page = client.get("/privacy/request/").content.decode()
    assert 'name="objection_purposes"' in page and 'value="direct_marketing"' in page
    assert 'value="sale_sharing"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/privacy/request/",
            {
                "request_type": "objection",
                "country": "FR",
                "email": "someone@example.org",
                "objection_purposes": ["sale_sharing", "direct_marketing"],
            },
        )

    assert response.status_code == 302
    request = PrivacyRequest.objects.get()
    assert request.objection_purposes == ["direct_marketing", "sale_sharing"]
    assert mail.outbox  # the receipt and verification link went out


def test_the_form_refuses_an_unknown_objection(client):
    response = client.post(
        "/privacy/request/",
        {
            "request_type": "objection",
            "country": "FR",
            "email": "someone@example.org",
            "objection_purposes": ["mind_reading"],
        },
    )
    assert response.status_code == 200
    assert not PrivacyRequest.objects.exists()


def test_staff_taking_an_objection_by_phone_record_what_it_objects_to(
    client, person, django_capture_on_commit_callbacks
):
    """The staff intake asks what the public form asks, so an objection taken by phone
    stops exactly what the person objected to once upheld, not everything."""
    client.force_login(UserFactory(role="Support agent"))
    add_url = "/admin/requests_app/privacyrequest/add/"
    page = client.get(add_url).content.decode()
    assert 'name="objection_purposes"' in page and 'value="sale_sharing"' in page

    refused = client.post(
        add_url,
        {
            "channel": "phone",
            "request_type": "objection",
            "country": "FR",
            "email": person.email,
            "objection_purposes": ["mind_reading"],
        },
    )
    assert refused.status_code == 200 and not PrivacyRequest.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            add_url,
            {
                "channel": "phone",
                "request_type": "objection",
                "country": "FR",
                "email": person.email,
                "objection_purposes": ["sale_sharing"],
            },
        )
    assert response.status_code == 302
    request = PrivacyRequest.objects.get()
    assert (request.channel, request.objection_purposes) == ("phone", ["sale_sharing"])

    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_verify_manually(actor=None, request=request, method="id_document")
    with django_capture_on_commit_callbacks(execute=True):
        services.relay_answer_record(
            actor=UserFactory(), relay=Relay.objects.get(request=request), answer="fulfil"
        )
    sale = _check(person, "sale_sharing", person.email)
    assert (sale.allowed, sale.reason) == (False, "objected")
    assert _check(person, "email_marketing", person.email).allowed


def test_staff_intake_of_another_type_keeps_no_objection_purposes(client):
    client.force_login(UserFactory(role="Support agent"))
    response = client.post(
        "/admin/requests_app/privacyrequest/add/",
        {
            "channel": "mail",
            "request_type": "access",
            "country": "FR",
            "email": "someone@example.org",
            "objection_purposes": ["sale_sharing"],
        },
    )
    assert response.status_code == 302
    assert PrivacyRequest.objects.get().objection_purposes == []
