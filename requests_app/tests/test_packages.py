"""Export packages (requests_app/services/packages.py): built for an access request, linked
in the completion notice, downloaded by token."""

import pytest
from django.core import mail
from django.utils import timezone

from privacy.tests.factories import ContactFactory, InteractionFactory
from requests_app import services
from requests_app.models import (
    ExportPackage,
    RequestType,
)
from requests_app.tests.helpers import links_in_mail, submit_and_verify

pytestmark = pytest.mark.django_db


def test_access_request_builds_package_and_completes_with_download_link(
    django_capture_on_commit_callbacks, client
):
    contact = ContactFactory(email="me@example.org", customer=None)
    InteractionFactory.create_batch(3, contact=contact)
    request = submit_and_verify(
        django_capture_on_commit_callbacks, request_type=RequestType.ACCESS, email="me@example.org"
    )
    package = ExportPackage.objects.get(request=request)
    assert package.state == ExportPackage.State.READY
    assert package.counts["privacy.interaction/interactions"] == 3
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_complete(actor=None, request=request)
    [link] = links_in_mail("download")
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content)[:2] == b"PK"
    package.refresh_from_db()
    assert package.download_count == 1
    # Expired links stop working.
    ExportPackage.objects.filter(pk=package.pk).update(expires_at=timezone.now())
    assert client.get(link).status_code == 404
