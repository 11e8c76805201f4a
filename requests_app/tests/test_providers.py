"""requests_app's personal-data provider: privacy requests in the person's access
export, and de-identified (log kept) when the person is erased."""

import io
import json
import zipfile

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.utils import timezone

from privacy import registry
from privacy.models import ContactIdentifier
from privacy.services import contact_create, contact_erase, contact_export, erasure_preview
from privacy.tests.factories import UserFactory
from requests_app import services
from requests_app.models import (
    Appeal,
    ExportPackage,
    PrivacyRequest,
    RequestEvent,
    RequestMatch,
    Status,
    VerificationChallenge,
)
from requests_app.services.deidentify import LOG_KEPT_REASON, OPEN_KEPT_REASON
from requests_app.tests.factories import PrivacyRequestFactory

pytestmark = pytest.mark.django_db

PROVIDER = "requests_app.privacy_request"


def _person(email="ottilie.quandt@example.org", phone="+14155550177"):
    contact, _ = contact_create(
        actor=None,
        customer=None,
        emails=[email],
        phones=[phone],
        first_name="Ottilie",
        last_name="Quandt",
    )
    return contact


def _matched_request(contact, **fields):
    request = PrivacyRequestFactory(
        full_name="Ottilie Quandt",
        email="ottilie.quandt@example.org",
        phone="+14155550177",
        details="Please look under my maiden name Ottilie Brennecke",
        **fields,
    )
    RequestMatch.objects.create(request=request, contact=contact, matched_on="email")
    return request


def _zip_json(data: bytes, name: str):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return json.loads(archive.read(name))


def test_provider_is_registered_before_the_contact_provider():
    keys = [p.key for p in registry.providers()]
    assert PROVIDER in keys
    assert keys.index(PROVIDER) < keys.index("privacy.contact")


def test_access_export_holds_the_matched_requests_and_their_person_facing_timeline():
    contact = _person()
    mine = _matched_request(contact, status=Status.COMPLETED, closed_at=timezone.now())
    RequestEvent.objects.create(
        request=mine, kind="note", note="Staff only: caller sounded like the ex-husband"
    )
    RequestEvent.objects.create(
        request=mine, kind="status", person_facing=True, public_message="Your request is complete."
    )
    someone_else = PrivacyRequestFactory()

    out = io.BytesIO()
    counts = contact_export(actor=None, contact=contact, destination=out)
    data = out.getvalue()

    assert counts[f"{PROVIDER}/privacy_requests"] == 1
    [row] = _zip_json(data, f"{PROVIDER}/privacy_requests.json")
    assert row["reference"] == mine.reference
    assert row["request_type"] == "access" and row["status"] == "completed"
    assert row["received_at"] and row["due_on"] == mine.due_on.isoformat()
    timeline = _zip_json(data, f"{PROVIDER}/privacy_request_timeline.json")
    assert [(t["reference"], t["message"]) for t in timeline] == [
        (mine.reference, "Your request is complete.")
    ]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        everything = b"".join(archive.read(n) for n in archive.namelist())
    assert b"ex-husband" not in everything  # staff notes are not the person's data
    assert someone_else.reference.encode() not in everything
    assert f"{PROVIDER}/privacy_requests.csv".encode() in data  # CSV as well


def test_erasure_deidentifies_closed_requests_keeps_the_log_and_deletes_the_proof(
    django_capture_on_commit_callbacks,
):
    contact = _person()
    closed_at = timezone.now()
    agent_request = _matched_request(
        contact,
        request_type="deletion",
        status=Status.DENIED,
        denial_reason="no_agent_authority",
        closed_at=closed_at,
        channel="email",
        is_agent_request=True,
        agent_name="Agatha Proxy",
        agent_email="agatha@agents.example.com",
        extension_reason="Ottilie asked us to also look at her old account",
    )
    agent_request.agent_proof.save("proof.pdf", ContentFile(b"%PDF-1.4 signed"), save=True)
    proof_name = agent_request.agent_proof.name
    storage = agent_request.agent_proof.storage
    VerificationChallenge.objects.create(
        request=agent_request, channel="email", secret_hash="0" * 64, expires_at=closed_at
    )
    # Never verified, so never matched: found by the same e-mail address.
    unverified = PrivacyRequestFactory(
        email="ottilie.quandt@example.org", status=Status.EXPIRED, closed_at=closed_at
    )
    # The deletion request on whose behalf the erasure runs (any other open request
    # would defer it).
    still_open = _matched_request(contact, status=Status.IN_PROGRESS, request_type="deletion")
    unrelated = PrivacyRequestFactory(status=Status.COMPLETED, closed_at=closed_at)

    preview = erasure_preview(contact=contact)
    assert preview.erased[PROVIDER]["request_identities"] == 2

    with django_capture_on_commit_callbacks(execute=True):
        certificate = contact_erase(
            actor=None, contact=contact, trigger="request", reference=still_open.reference
        )

    for request in (agent_request, unverified):
        request.refresh_from_db()
        assert request.deidentified_at is not None
        assert request.full_name is None and request.email is None and request.phone is None
        assert request.email_key is None and request.details is None
        assert request.agent_name is None and request.agent_email is None
        assert not request.agent_proof and request.extension_reason == ""
    # The CCPA log fields stay.
    assert agent_request.request_type == "deletion" and agent_request.channel == "email"
    assert agent_request.status == Status.DENIED
    assert agent_request.denial_reason == "no_agent_authority"
    assert agent_request.received_at and agent_request.closed_at == closed_at
    assert not storage.exists(proof_name)
    assert not VerificationChallenge.objects.filter(request=agent_request).exists()
    # An open request keeps the address it must be answered at.
    still_open.refresh_from_db()
    assert still_open.email == "ottilie.quandt@example.org" and still_open.deidentified_at is None
    unrelated.refresh_from_db()
    assert unrelated.email and unrelated.deidentified_at is None

    kept = {k["table"]: k for k in certificate.kept}
    assert kept["privacy request (log)"]["count"] == 2
    assert kept["privacy request (log)"]["reason"] == LOG_KEPT_REASON
    assert "11 CCR §7101" in LOG_KEPT_REASON
    assert kept["privacy request (open)"] == {
        "table": "privacy request (open)",
        "count": 1,
        "reason": OPEN_KEPT_REASON,
        "references": [still_open.reference],
    }
    # Named by reference (no personal data), the unmatched one included.
    assert kept["privacy request (log)"]["references"] == sorted(
        [agent_request.reference, unverified.reference]
    )
    assert certificate.counts[PROVIDER]["request_identities"] == 2

    # When the open one closes, its notice goes out first, then the identity goes.
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_withdraw(actor=None, request=still_open)
    still_open.refresh_from_db()
    assert still_open.deidentified_at is not None and still_open.email is None


def test_erasure_deletes_the_contacts_export_package_and_the_appeal_statement(
    django_capture_on_commit_callbacks,
):
    contact = _person()
    original = _matched_request(
        contact, status=Status.DENIED, closed_at=timezone.now(), rule_code="vcdpa", state="VA"
    )
    with django_capture_on_commit_callbacks(execute=True):
        appeal_request = services.appeal_submit(
            original=PrivacyRequest.objects.get(pk=original.pk),
            statement="I am Ottilie and I only asked once",
        )
    services.privacy_request_complete(actor=None, request=appeal_request)
    package = ExportPackage.objects.create(
        request=original,
        contact=contact,
        state=ExportPackage.State.READY,
        token_hash="1" * 64,
        token_salt="s",
    )
    package.file.save("export.zip", ContentFile(b"PK..."), save=True)
    name = package.file.name

    with django_capture_on_commit_callbacks(execute=True):
        certificate = contact_erase(actor=None, contact=contact)

    assert certificate.counts[PROVIDER]["export_packages"] == 1
    package.refresh_from_db()
    assert package.state == ExportPackage.State.PURGED and not package.file
    assert not package.file.storage.exists(name)
    appeal_request.refresh_from_db()
    assert appeal_request.deidentified_at is not None and appeal_request.email is None
    assert Appeal.objects.get(appeal_request=appeal_request).statement == ""


def test_the_contacts_identifiers_are_gone_but_requests_were_found_first():
    """The contact provider deletes identifiers; requests were matched by them before."""
    contact = _person()
    unverified = PrivacyRequestFactory(
        email=None, email_key=None, phone="+14155550177", status=Status.EXPIRED
    )
    contact_erase(actor=None, contact=contact)
    assert not ContactIdentifier.objects.filter(contact=contact).exists()
    unverified.refresh_from_db()
    assert unverified.phone is None and unverified.deidentified_at is not None


def test_completion_notice_of_the_deletion_request_reaches_the_person(
    django_capture_on_commit_callbacks,
):
    officer = UserFactory(role="Privacy officer")
    _person()
    with django_capture_on_commit_callbacks(execute=True):
        submitted = services.privacy_request_submit(
            actor=None,
            request_type="deletion",
            country="US",
            state="CA",
            full_name="Ottilie Quandt",
            email="Ottilie.Quandt@Example.org",
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_verify_manually(
            actor=officer, request=submitted.request, method="id_document"
        )
    request = PrivacyRequest.objects.get(pk=submitted.request.pk)
    services.erasure_schedule(actor=officer, request=request)
    mail.outbox.clear()
    later = timezone.now() + timezone.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.scheduled_erasures_run(now=later) == {"done": 1}

    [completion] = mail.outbox
    assert completion.to == ["Ottilie.Quandt@example.org"]
    assert request.reference in completion.subject and "erased" in completion.body
    request.refresh_from_db()
    assert request.status == Status.COMPLETED
    assert request.deidentified_at is not None and request.email is None
    assert request.erasures.get().certificate is not None
