"""Issue 11: sending the form again for an e-mail address (or number) with an open
request tells a prober nothing and floods nobody. A resubmission does the same work as a
fresh submission — the same statements, in the same numbers, and the same page but for
its reference — without timing anything: the work is counted. The verification link is
re-sent at most once per window, and a re-send never breaks the link the person has."""

import datetime as dt
import re
from collections import Counter

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.core import mail
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.db.models import F
from django.http import HttpResponse
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from consent import sms as consent_sms
from privacy.models import OutboxTask
from requests_app import services
from requests_app.models import PrivacyRequest, RequestEvent, Status, VerificationChallenge
from requests_app.tests.helpers import links_in_mail
from requests_app.tests.test_views import FORM, PDF, form_data
from requests_app.views import request_form

pytestmark = pytest.mark.django_db

_LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b|\"s\d+_x\d+\"")
_REFERENCE = re.compile(rb"SR-[A-Z0-9]{4}-[A-Z0-9]{4}")


@pytest.fixture(autouse=True)
def _many_probes_allowed(settings):
    # The per-identifier limit answers fresh and repeated sendings alike; these tests
    # are about what happens below it.
    settings.REQUESTS_RATE_LIMIT_PER_IDENTIFIER = "100/3600"
    settings.REQUESTS_RATE_LIMIT_PER_IP = "100/3600"
    settings.REQUESTS_RESEND_WINDOW_MINUTES = 15


def _sending(client, **fields):
    """(statements, page) of one sending of the form: the statements of the request and
    its transaction. What was queued for after the commit (mail; tasks once sending moves
    to them) runs after the count, as it then would; the page is the one redirected to."""
    raw_client = client._client  # the fixture's client runs them inside the post
    with (
        TestCase.captureOnCommitCallbacks(execute=True),
        CaptureQueriesContext(connection) as queries,
    ):
        response = raw_client.post(FORM, form_data(**fields))
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    page.redirected_to = response["Location"]
    return [q["sql"] for q in queries.captured_queries], page


def _shape(statements: list[str]) -> Counter:
    """The statements without their values (ids, dates, references, savepoint names)."""
    return Counter(_LITERALS.sub("?", sql) for sql in statements)


def _texted_codes() -> list[str]:
    """The verification codes texted so far (every SMS goes through the consent gateway)."""
    bodies = [m.body for m in consent_sms.outbox]
    return [m.group(1) for body in bodies if (m := re.search(r"\b(\d{6})\b", body))]


def _window_passes():
    VerificationChallenge.objects.update(created_at=F("created_at") - dt.timedelta(minutes=16))


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"email": "", "phone": "+1 415 555 0166"},
        # Instructions after death (France): the view records them for a new request.
        {
            "request_type": "post_mortem",
            "country": "FR",
            "state": "",
            "post_mortem_wishes": "communicate",
            "trusted_person_name": "Camille Durand",
            "trusted_person_contact": "camille@example.fr",
        },
    ],
    ids=["email", "phone", "post_mortem"],
)
def test_a_resubmission_does_the_same_work_and_gets_the_same_page_as_a_fresh_one(client, fields):
    _sending(client, email="warm.up@example.org")  # caches of the first request
    fresh, fresh_page = _sending(client, **fields)
    again, again_page = _sending(client, **fields)  # no re-send: within the window
    _window_passes()
    resent, resent_page = _sending(client, **fields)  # re-sent: the window has passed

    assert PrivacyRequest.objects.count() == 2  # linked, not multiplied
    assert len(fresh) == len(again) == len(resent)
    assert _shape(fresh) == _shape(again) == _shape(resent)
    pages = {_REFERENCE.sub(b"SR-REF", p.content) for p in (fresh_page, again_page, resent_page)}
    assert len(pages) == 1
    assert fresh_page.redirected_to == again_page.redirected_to == resent_page.redirected_to


def test_a_resubmission_for_a_confirmed_request_does_the_same_work_too(client):
    """No link goes out for a request already confirmed, but the work of one is done."""
    _sending(client, email="warm.up@example.org")
    fresh, fresh_page = _sending(client)
    request = PrivacyRequest.objects.get(email="alex@example.org")
    services.privacy_request_verify_manually(actor=None, request=request, method="id_document")
    links_before = links_in_mail("verify")

    again, again_page = _sending(client)

    request.refresh_from_db()
    assert request.status == Status.VERIFIED and request.duplicate_count == 1
    assert links_in_mail("verify") == links_before
    assert request.events.filter(note__contains="the request is already confirmed").exists()
    assert len(fresh) == len(again) and _shape(fresh) == _shape(again)
    assert _REFERENCE.sub(b"R", fresh_page.content) == _REFERENCE.sub(b"R", again_page.content)


def test_probes_send_one_link_per_window_and_the_persons_link_keeps_working(client):
    client.post(FORM, form_data())
    request = PrivacyRequest.objects.get()
    [persons_link] = links_in_mail("verify")
    # What the fresh branch ran beside it (the linking) left nothing behind.
    assert request.duplicate_count == 0
    assert not request.events.filter(kind=RequestEvent.Kind.DUPLICATE).exists()
    assert not request.events.filter(note__startswith="Sent again").exists()

    for _ in range(5):
        client.post(FORM, form_data())
    assert links_in_mail("verify") == [persons_link]  # no storm
    assert len(mail.outbox) == 2  # the receipt and the link, once
    request.refresh_from_db()
    assert request.duplicate_count == 5
    assert request.events.filter(note__startswith="Sent again").count() == 5

    _window_passes()
    for _ in range(3):
        client.post(FORM, form_data())
    [_, resent_link] = links_in_mail("verify")  # one more, once the window has passed

    # The re-send did not break the person's link: it still confirms the request.
    assert client.post(persons_link).status_code == 302
    request.refresh_from_db()
    assert request.verified_at is not None and request.status != Status.AWAITING_VERIFICATION
    assert client.post(resent_link).status_code == 410  # single use: the request moved on


def test_probes_of_a_phone_only_request_text_no_new_codes_and_the_first_code_works(client):
    phone = "+1 415 555 0166"
    client.post(FORM, form_data(email="", phone=phone))
    [code] = _texted_codes()
    for _ in range(4):
        client.post(FORM, form_data(email="", phone=phone))
    assert _texted_codes() == [code]
    verified = services.privacy_request_verify_by_code(phone=phone, code=code)
    assert verified.status == Status.VERIFIED


def test_a_resubmitted_agent_upload_leaves_no_file_behind(client):
    def agent_sending():
        upload = SimpleUploadedFile("permission.pdf", PDF, content_type="application/pdf")
        return client.post(
            FORM,
            form_data(
                is_agent="on",
                agent_name="Agent Smith",
                agent_email="agent@agency.example",
                agent_proof=upload,
            ),
        )

    assert agent_sending().status_code == 302
    assert agent_sending().status_code == 302
    request = PrivacyRequest.objects.get()
    _, files = storages["private"].listdir("agent-proofs")
    assert files == [request.agent_proof.name.rsplit("/", 1)[-1]]


def test_instructions_after_death_with_a_bad_contact_keep_nothing_and_can_be_sent_again(
    client,
):
    """They are recorded with the new request, in its transaction: a bad trusted
    person's contact stores no request, so sending the corrected form is not a
    resubmission that drops the instructions (as it was when the view recorded them
    after the request was stored)."""
    fields = {
        "request_type": "post_mortem",
        "country": "FR",
        "state": "",
        "post_mortem_wishes": "communicate",
        "trusted_person_name": "Camille Durand",
    }
    response = client.post(FORM, form_data(trusted_person_contact="not a contact", **fields))
    assert response.status_code == 200
    assert "Give the person&#x27;s e-mail address or phone number." in response.content.decode()
    assert not PrivacyRequest.objects.exists() and mail.outbox == []

    response = client.post(FORM, form_data(trusted_person_contact="camille@example.fr", **fields))
    assert response.status_code == 302
    request = PrivacyRequest.objects.get()
    assert request.post_mortem.trusted_person_contact == "camille@example.fr"


def test_the_form_publishes_the_work_it_queued_only_once_its_response_has_gone_out(rf):
    """A sending's notices (a receipt and a link) are queued as one task, committed with
    the request and published only when the server closes the response: a broker round
    trip inside the response would show in its time."""
    request = rf.post(FORM, form_data())
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    request._dont_enforce_csrf_checks = True

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = request_form(request)
    assert response.status_code == 302
    queued = OutboxTask.objects.filter(sent_at__isnull=True)
    assert queued.count() == 1 and mail.outbox == []  # committed, not published yet

    # The server has written the response to the client and closes it. (Without the
    # request_finished handler that would end the test's database connection.)
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)

    # Published now: the one task of the sending (it queues the receipt and the link).
    assert not queued.filter(task="requests_app.tasks.submission_notices_deliver").exists()
