"""DESIGN.md's promise, through the requests app: a person asks on the public form to be
deleted, confirms by the e-mailed link, the customer whose contact they are tells us to
fulfil it, the erasure runs after the grace period, the completion notice reaches them —
and afterwards no text column of any table holds their name, e-mail, phone or what they
wrote. The scan is privacy's (``privacy/tests/test_erasure_scan.py``)."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from privacy.models import Contact
from privacy.services import contact_create
from privacy.tests.factories import CustomerFactory, InteractionFactory, UserFactory
from privacy.tests.test_erasure_scan import scan_database
from requests_app import services
from requests_app.models import PrivacyRequest, Relay, ScheduledErasure, Status
from requests_app.tests.helpers import links_in_mail

pytestmark = pytest.mark.django_db

FIRST, LAST = "Philippa", "Oyelaran-Stroud"
EMAIL_AS_TYPED = "  Philippa.OS@Stroud-Mail.EXAMPLE "
EMAIL = "Philippa.OS@stroud-mail.example"
PHONE = "+1 (617) 555-0193"
E164 = "+16175550193"
DETAILS = "I used the Larkspur Dental booking line; my old surname was Gwendover."


def _needles() -> dict[str, str]:
    return {
        "first name": FIRST,
        "last name": LAST,
        "e-mail": EMAIL.upper(),  # searched case-insensitively
        "e-mail local part": "Philippa.OS",
        "phone E.164": E164,
        "phone national": "6175550193",
        "details": "Gwendover",
        "message text": "Larkspur Dental",
    }


def test_deletion_request_end_to_end_leaves_nothing_but_gets_its_answer_out(
    client, django_capture_on_commit_callbacks, settings
):
    settings.REQUESTS_ERASURE_GRACE_DAYS = 7
    officer = UserFactory(role="Privacy officer")
    customer = CustomerFactory(default_phone_region="US")
    person, _ = contact_create(
        actor=None,
        customer=customer,
        emails=[EMAIL_AS_TYPED],
        phones=[PHONE],
        first_name=FIRST,
        last_name=LAST,
        do_not_contact=True,
    )
    InteractionFactory(
        contact=person, channel="sms", body=f"{FIRST} here, moving my Larkspur Dental slot"
    )
    someone_else, _ = contact_create(
        actor=None, customer=customer, emails=["rupert.keel@example.net"], first_name="Rupert"
    )

    # The person asks on the public form and confirms by the link in the mail.
    response = client.post(
        reverse("requests_app:request_form"),
        {
            "request_type": "deletion",
            "country": "US",
            "state": "CA",
            "full_name": f"{FIRST} {LAST}",
            "email": EMAIL_AS_TYPED,
            "phone": PHONE,
            "details": DETAILS,
            "website": "",
        },
    )
    assert response.status_code == 302
    [verify_link] = links_in_mail("verify")
    assert client.post(verify_link).status_code == 302
    request = PrivacyRequest.objects.get()
    assert request.status == Status.RELAYED  # the customer's contact: relayed first

    # The scan sees the data it looks for, in the request as well as in the contact.
    before = scan_database(_needles())
    assert set(before) == set(_needles()), sorted(set(_needles()) - set(before))
    assert "requests_app_privacyrequest.full_name" in before["last name"]
    assert "requests_app_privacyrequest.details" in before["details"]

    with django_capture_on_commit_callbacks(execute=True):
        services.relay_answer_record(
            actor=officer, relay=Relay.objects.get(request=request), answer=Relay.Answer.FULFIL
        )
        services.erasure_schedule(actor=officer, request=request)

    mail.outbox.clear()
    later = timezone.now() + dt.timedelta(days=8)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.scheduled_erasures_run(now=later) == {"done": 1}

    # The completion notice went to the address the request was then stripped of.
    [completion] = mail.outbox
    assert completion.to == [EMAIL]
    assert request.reference in completion.subject
    assert "Your personal data has been erased" in completion.body
    request.refresh_from_db()
    assert request.status == Status.COMPLETED and request.deidentified_at is not None
    erasure = request.erasures.get()
    assert erasure.state == ScheduledErasure.State.DONE and erasure.certificate is not None
    assert Contact.objects.get(pk=person.pk).erased_at is not None
    # The status page still works for the person, without their data.
    [status_link] = [p for p in links_in_mail("status") if p][-1:]
    status_page = client.get(status_link)
    assert status_page.status_code == 200 and request.reference in status_page.content.decode()

    after = scan_database(_needles())
    assert after == {}, f"personal data left after the deletion request: {after}"

    # Still searchable: the other contact of the customer is where it was.
    assert "privacy_contact.first_name" in scan_database({"other": "Rupert"})["other"]
    assert Contact.objects.get(pk=someone_else.pk).erased_at is None
