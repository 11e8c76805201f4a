"""Issue 8, item 9: an export package that is gone never strands its request. Purged by
the nightly job (expired) while the request was still open, it is rebuilt on the next
completion attempt; its contact erased, the request is answered without it, with the
reason on the timeline and in the notice — never stuck at "Export package not ready"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from privacy.models import ErasureCertificate
from privacy.services import contact_create, contacts_erase_batch
from requests_app import services
from requests_app.models import ExportPackage, PrivacyRequest, RequestType, Status
from requests_app.tests.helpers import links_in_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def access_request(django_capture_on_commit_callbacks, settings):
    settings.REQUESTS_EXPORT_TTL_DAYS = 14
    contact, _ = contact_create(
        actor=None, customer=None, emails=["paula.package@example.org"], first_name="Paula"
    )
    with django_capture_on_commit_callbacks(execute=True):
        submitted = services.privacy_request_submit(
            actor=None,
            request_type=RequestType.ACCESS,
            country="US",
            state="CA",
            email="paula.package@example.org",
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_verify_manually(
            actor=None, request=submitted.request, method="id_document"
        )
    request = PrivacyRequest.objects.get(pk=submitted.request.pk)
    assert request.status == Status.IN_PROGRESS
    assert request.packages.get().state == ExportPackage.State.READY
    return request, contact


def test_a_package_purged_before_completion_is_rebuilt_and_the_request_completes(
    access_request, django_capture_on_commit_callbacks, client
):
    request, _contact = access_request
    package = request.packages.get()
    old_hash = package.token_hash
    # Staff waited past the download lifetime: the nightly purge took the file.
    with django_capture_on_commit_callbacks(execute=True):
        services.export_packages_purge(now=timezone.now() + dt.timedelta(days=15))
    package.refresh_from_db()
    assert package.state == ExportPackage.State.PURGED and not package.file

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError, match="had expired and are being rebuilt"),
    ):
        services.privacy_request_complete(actor=None, request=request)

    package.refresh_from_db()
    assert package.state == ExportPackage.State.READY and package.file  # rebuilt
    assert package.token_hash != old_hash  # a new link; the old one stays dead
    assert request.events.filter(note__contains="rebuilding them").count() == 1
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        completed = services.privacy_request_complete(actor=None, request=request)
    assert completed.status == Status.COMPLETED
    [link] = links_in_mail("download")
    response = client.get(link)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_a_package_whose_contact_was_erased_is_answered_without_it_with_the_reason(
    access_request, django_capture_on_commit_callbacks
):
    request, contact = access_request
    ExportPackage.objects.filter(request=request).update(state=ExportPackage.State.BUILDING)
    # The contact is erased before the package could be delivered (only the request
    # itself can run such an erasure now; older data may hold such cases).
    with django_capture_on_commit_callbacks(execute=True):
        contacts_erase_batch(
            actor=None, contact_ids=[contact.pk], trigger="request", reference=request.reference
        )
    certificate = ErasureCertificate.objects.get(contact=contact)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        completed = services.privacy_request_complete(actor=None, request=request)

    assert completed.status == Status.COMPLETED
    note = request.events.get(note__startswith="Answered without the package").note
    assert f"#{contact.pk} (certificate #{certificate.pk})" in note
    [notice] = mail.outbox
    assert "was erased before this request was answered" in notice.body
    assert "paula" not in note.lower()
