"""Issue 8, item 5: a broker outage loses no work and shows the visitor no 500.

With the broker down (a closed port, eager mode off) an opt-out-of-sale submission and a
verification link both answered 500 after the request was saved; the link was used up
and, when the broker came back, nothing re-queued the work. Now the work is written to
privacy's outbox in the same transaction, the visitor gets the normal page, and the
relay runs it once the broker is back — exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from consent.models import ConsentEvent
from privacy.models import OutboxTask
from privacy.services import contact_create, outbox_relay
from requests_app.models import PrivacyRequest, RequestEvent, Status
from requests_app.tests.helpers import links_in_mail

pytestmark = pytest.mark.django_db

FORM = reverse("requests_app:request_form")
CLOSED_PORT = "redis://127.0.0.1:1/0"
PROCESS = "requests_app.tasks.process_request"


def form_data(**overrides):
    data = {
        "request_type": "access",
        "country": "US",
        "state": "CA",
        "full_name": "Olive Outage",
        "email": "olive.outage@example.org",
        "phone": "",
        "details": "",
        "website": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def olive():
    contact, _ = contact_create(
        actor=None, customer=None, emails=["olive.outage@example.org"], first_name="Olive"
    )
    return contact


def relay_after_the_outage():
    return outbox_relay(now=timezone.now() + dt.timedelta(minutes=1))


def test_opt_out_of_sale_with_the_broker_down_shows_the_page_and_runs_when_it_is_back(
    client, celery_conf, olive
):
    celery_conf(broker_url=CLOSED_PORT, task_always_eager=False)

    response = client.post(FORM, form_data(request_type="opt_out_sale"))

    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    request = PrivacyRequest.objects.get()
    assert request.status == Status.VERIFIED  # saved; its work is waiting
    rows = {r.task: r for r in OutboxTask.objects.all()}
    # The processing, and the sending of the submission's notices (the receipt).
    assert set(rows) == {PROCESS, "requests_app.tasks.submission_notices_deliver"}
    row = rows[PROCESS]
    assert (row.task, row.args, row.sent_at) == (PROCESS, [request.pk], None)
    assert (row.attempts, row.last_error) == (1, "OperationalError")
    assert not ConsentEvent.objects.filter(contact=olive).exists()
    assert request.acknowledged_at is None  # the receipt has not left yet

    # Still down at the next relay: nothing lost, nothing run.
    assert relay_after_the_outage().pending == 2

    celery_conf(task_always_eager=True)  # the broker is back
    report = relay_after_the_outage()

    # The two waiting rows, and what they queued in turn (the receipt's and the opt-out
    # confirmation's sending), all published by this run.
    assert report.pending == 0
    assert sorted(OutboxTask.objects.values_list("task", flat=True)) == [
        "requests_app.tasks.notice_deliver",  # the receipt
        "requests_app.tasks.notice_deliver",  # the opt-out confirmation
        PROCESS,
        "requests_app.tasks.submission_notices_deliver",
    ]
    request.refresh_from_db()
    assert request.status == Status.COMPLETED
    assert request.acknowledged_at is not None  # the receipt left once the broker was back
    assert ConsentEvent.objects.filter(contact=olive, action="withdraw").count() == 1
    # Exactly once, however often the relay runs afterwards.
    relay_after_the_outage()
    assert ConsentEvent.objects.filter(contact=olive).count() == 1
    assert request.events.filter(kind=RequestEvent.Kind.MATCH).count() == 1


def test_the_verification_link_works_with_the_broker_down_and_the_work_follows(
    client, celery_conf, olive, django_capture_on_commit_callbacks
):
    client.post(FORM, form_data())
    [link] = links_in_mail("verify")
    celery_conf(broker_url=CLOSED_PORT, task_always_eager=False)

    assert client.get(link).status_code == 200
    response = client.post(link)

    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200  # the status page
    request = PrivacyRequest.objects.get()
    assert request.status == Status.VERIFIED
    assert OutboxTask.objects.get(sent_at__isnull=True).args == [request.pk]

    celery_conf(task_always_eager=True)
    with django_capture_on_commit_callbacks(execute=True):  # the relay's own commit
        # The request's processing, then the package build it queued (also outboxed).
        assert relay_after_the_outage().sent == 2
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS
    assert request.packages.get().state == "ready"  # the access package was built
    assert not OutboxTask.objects.filter(sent_at__isnull=True).exists()
