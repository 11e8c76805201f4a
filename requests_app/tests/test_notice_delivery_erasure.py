"""Issue 8.4 for queued notices: after an erasure no notice waiting to be sent holds the
person's address, and none of them reaches the erased person afterwards.

With the broker down during a submission the receipt and the verification link wait as
``NoticeDelivery`` rows with the address. Erasing the person closed and de-identified
the unconfirmed request, but the rows kept ``recipient`` and the variables, and running
the task afterwards mailed the erased person and marked the request acknowledged."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from privacy.models import Contact
from privacy.services import contact_create, contact_erase
from privacy.tests.test_erasure_scan import scan_database
from requests_app import services
from requests_app.models import NoticeDelivery, PrivacyRequest, Status
from requests_app.tests.factories import PrivacyRequestFactory

pytestmark = pytest.mark.django_db

CLOSED_PORT = "redis://127.0.0.1:1/0"
EMAIL = "Alex.Roe@example.org"


def notes(request: PrivacyRequest) -> list[str]:
    return list(request.events.order_by("pk").values_list("note", flat=True))


def test_erasure_gives_up_queued_notices_and_the_task_sends_none_afterwards(client, celery_conf):
    celery_conf(broker_url=CLOSED_PORT, task_always_eager=False)
    response = client.post(
        reverse("requests_app:request_form"),
        {
            "request_type": "access",
            "country": "US",
            "state": "CA",
            "full_name": "Alex Roe",
            "email": EMAIL,
            "phone": "",
            "details": "",
            "website": "",
        },
    )
    assert response.status_code == 302
    request = PrivacyRequest.objects.get()
    pending = list(NoticeDelivery.objects.filter(sent_at__isnull=True))
    assert {d.code for d in pending} == {"receipt", "verification_email"}
    assert all(d.recipient == EMAIL for d in pending)
    assert scan_database({"e-mail": EMAIL})  # the scan sees the queued address

    person, _ = contact_create(actor=None, customer=None, emails=[EMAIL], first_name="Alex")
    contact_erase(actor=None, contact=person)

    request.refresh_from_db()
    assert request.status == Status.EXPIRED and request.deidentified_at is not None
    assert Contact.objects.get(pk=person.pk).erased_at is not None
    assert scan_database({"e-mail": EMAIL, "local part": "Alex.Roe"}) == {}
    for delivery in NoticeDelivery.objects.all():
        # The log stays (which notice, which channel), the address and variables do not.
        assert (delivery.recipient, delivery.context) == ("", {})
        assert delivery.given_up_at is not None and delivery.sent_at is None
        assert delivery.code in {"receipt", "verification_email"} and delivery.channel == "email"
    assert (
        "Notice “receipt” not sent: the request was de-identified (the person was erased) before it was sent."
        in notes(request)
    )

    # The broker is back: the queued tasks run, and nothing reaches the erased person.
    celery_conf(task_always_eager=True)
    from requests_app.tasks import notice_deliver

    for delivery in pending:
        notice_deliver.apply(args=[delivery.pk])
    assert mail.outbox == []
    request.refresh_from_db()
    assert request.acknowledged_at is None


def test_the_task_refuses_a_waiting_notice_of_a_de_identified_request(
    django_capture_on_commit_callbacks,
):
    """Belt and braces: even a row de-identification did not clear is not sent."""
    request = PrivacyRequestFactory(email="late.erased@example.org", status="in_progress")
    services.privacy_request_extend(actor=None, request=request, reason="Many files")
    delivery = NoticeDelivery.objects.get()
    PrivacyRequest.objects.filter(pk=request.pk).update(
        deidentified_at=request.received_at, email="", email_key=""
    )
    from requests_app.tasks import notice_deliver

    notice_deliver.apply(args=[delivery.pk])
    delivery.refresh_from_db()
    assert mail.outbox == []
    assert (delivery.recipient, delivery.context) == ("", {})
    assert delivery.given_up_at is not None and delivery.last_error == "deidentified"
    assert any("“extension” not sent: the request was de-identified" in n for n in notes(request))
    assert not any("late.erased" in n for n in notes(request))
