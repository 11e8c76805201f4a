"""Private files (export packages, agents' proofs) are readable by the server's own user
only: files 0600, folders 0700, whatever the process umask would give."""

import os
import stat

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from privacy.tests.factories import ContactFactory, InteractionFactory
from requests_app import services
from requests_app.models import ExportPackage, PrivacyRequest, RequestType

pytestmark = pytest.mark.django_db


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """The usual umask of a server (022: files 0644 unless told otherwise)."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_private_storage_creates_owner_only_files_and_folders(open_umask):
    storage = storages["private"]
    name = storage.save("agent-proofs/2026/11/proof.pdf", ContentFile(b"%PDF-1.4"))
    path = storage.path(name)
    assert _mode(path) == 0o600
    assert _mode(os.path.dirname(path)) == 0o700
    assert _mode(storage.path("agent-proofs")) == 0o700


def test_an_export_package_is_written_owner_only(open_umask, django_capture_on_commit_callbacks):
    contact = ContactFactory(email="me@example.org", customer=None)
    InteractionFactory(contact=contact)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.privacy_request_submit(
            actor=None,
            country="US",
            state="CA",
            request_type=RequestType.ACCESS,
            email="me@example.org",
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_verify_manually(
            actor=None,
            request=PrivacyRequest.objects.get(pk=result.request.pk),
            method="id_document",
        )
    package = ExportPackage.objects.get(request=result.request)
    assert package.state == ExportPackage.State.READY
    assert _mode(package.file.path) == 0o600
