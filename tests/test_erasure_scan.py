"""DESIGN.md's promise, through the requests app: a person asks on the public form to be
deleted, confirms by the e-mailed link, the customer whose contact they are tells us to
fulfil it, the erasure runs after the grace period, the completion notice reaches them —
and afterwards no text column of any table holds their name, e-mail, phone or what they
wrote. That includes what never reached their contact record (issue 8.4): a request
they filed and never confirmed, an authorised agent's request (and its uploaded proof)
that staff denied before it was matched, and a text from their number that arrived
before the customer knew them. The scan is privacy's
(``privacy/tests/test_erasure_scan.py``)."""

import datetime as dt

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from consent.services import sms_inbound_handle
from consent.tests.factories import SenderNumberFactory
from privacy.certificates import certificate_document
from privacy.hashing import identifier_hmac
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
# The unconfirmed request: the address typed in another case, its own words.
EMAIL_SHOUTED = "PHILIPPA.OS@Stroud-Mail.example"
UNCONFIRMED_DETAILS = "Send me what the Quillfeather clinic holds"
# The agent's request: the phone in national format, the agent's own identity and proof.
PHONE_NATIONAL = "617-555-0193"
AGENT_NAME, AGENT_EMAIL = "Ignatius Proxworth", "ignatius@proxworth-agents.example"


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
        "unconfirmed request's details": "Quillfeather",
        "agent's name": AGENT_NAME,
        "agent's e-mail": AGENT_EMAIL,
        "text before the contact existed": "Marzipan",
    }


def _post_form(client, **fields):
    data = {
        "country": "US",
        "state": "CA",
        "full_name": f"{FIRST} {LAST}",
        "website": "",
        **fields,
    }
    return client.post(reverse("requests_app:request_form"), data)


def test_deletion_request_end_to_end_leaves_nothing_but_gets_its_answer_out(
    client, django_capture_on_commit_callbacks, settings
):
    settings.REQUESTS_ERASURE_GRACE_DAYS = 7
    officer = UserFactory(role="Privacy officer")
    customer = CustomerFactory(default_phone_region="US")
    # A text from the person's number before the customer knew them: it matched no contact.
    sender = SenderNumberFactory(customer=customer, number="+12125550100")
    sms_inbound_handle(
        message_sid="SM" + "7" * 32,
        account_sid="AC" + "0" * 32,
        from_number=E164,
        to_number=sender.number,
        body="Marzipan order for Philippa, please call back",
    )
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

    # An access request the person never confirmed (still open when the erasure runs)…
    mail.outbox.clear()
    assert (
        _post_form(client, request_type="access", email=EMAIL_SHOUTED, details=UNCONFIRMED_DETAILS)
    ).status_code == 302
    [unconfirmed_link] = links_in_mail("verify")
    unconfirmed = PrivacyRequest.objects.get(request_type="access")
    assert unconfirmed.status == Status.AWAITING_VERIFICATION
    # …and an agent's request for them with a signed permission, denied before it was
    # ever matched to the contact.
    response = _post_form(
        client,
        request_type="correction",
        phone=PHONE_NATIONAL,
        details=f"Correct {LAST}'s address",
        is_agent="on",
        agent_name=AGENT_NAME,
        agent_email=AGENT_EMAIL,
        agent_proof=SimpleUploadedFile(
            "permission-philippa.pdf", b"%PDF-1.4 signed by Philippa", "application/pdf"
        ),
    )
    assert response.status_code == 302
    by_agent = PrivacyRequest.objects.get(request_type="correction")
    assert by_agent.phone == E164 and not by_agent.matches.exists()
    proof_name, proof_storage = by_agent.agent_proof.name, by_agent.agent_proof.storage
    assert proof_storage.exists(proof_name)
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_deny(actor=officer, request=by_agent, reason="no_agent_authority")

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

    # The proof file is gone from private storage; the unconfirmed request was closed
    # (its link no longer works) and both are kept as the request log, named by reference
    # on the certificate.
    assert not proof_storage.exists(proof_name)
    unconfirmed.refresh_from_db()
    by_agent.refresh_from_db()
    assert unconfirmed.status == Status.EXPIRED and unconfirmed.deidentified_at is not None
    assert by_agent.status == Status.DENIED and by_agent.deidentified_at is not None
    assert by_agent.denial_reason == "no_agent_authority" and not by_agent.agent_proof
    client.post(unconfirmed_link)
    assert PrivacyRequest.objects.get(pk=unconfirmed.pk).status == Status.EXPIRED
    kept = {k["table"]: k for k in erasure.certificate.kept}
    assert kept["privacy request (log)"]["references"] == [by_agent.reference]
    assert kept["privacy request (unconfirmed)"]["references"] == [unconfirmed.reference]
    assert erasure.certificate.counts["requests_app.privacy_request"]["request_identities"] == 2
    signed_kept = certificate_document(erasure.certificate)["kept"]
    assert any(unconfirmed.reference in k.get("references", []) for k in signed_kept)
    # The deletion request itself was open until its completion notice went out.
    assert kept["privacy request (open)"]["references"] == [request.reference]
    # The text that matched no contact went with the person's own data.
    assert erasure.certificate.counts["consent"]["inbound_texts_matched_by_number"] == 1
    # The only traces of the identifiers: keyed hashes on the suppression list.
    digests = {
        "hmac e-mail": identifier_hmac(channel="email", value=EMAIL),
        "hmac phone": identifier_hmac(channel="phone", value=E164),
    }
    for label, columns in scan_database(digests).items():
        assert columns <= {"privacy_suppression.identifier_hmac"}, (label, columns)

    # Still searchable: the other contact of the customer is where it was.
    assert "privacy_contact.first_name" in scan_database({"other": "Rupert"})["other"]
    assert Contact.objects.get(pk=someone_else.pk).erased_at is None
