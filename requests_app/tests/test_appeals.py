"""Appeals (requests_app/services/appeals.py): a denial tells how to appeal; the appeal is a
linked request, made once."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from requests_app import services
from requests_app.models import (
    PrivacyRequest,
    RequestType,
    Status,
)
from requests_app.tests.factories import PrivacyRequestFactory
from requests_app.tests.helpers import links_in_mail

pytestmark = pytest.mark.django_db


def test_denial_sends_reason_and_appeal_link_and_appeal_opens_a_linked_request(
    django_capture_on_commit_callbacks, client
):
    request = PrivacyRequestFactory(status=Status.IN_PROGRESS, rule_code="vcdpa", state="VA")
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_deny(actor=None, request=request, reason="excessive")
    denial = mail.outbox[-1]
    assert "Manifestly unfounded or excessive" in denial.body
    [appeal_link] = links_in_mail("appeal")
    response = client.post(appeal_link, {"statement": "I only asked once."})
    assert response.status_code == 302
    appeal_request = PrivacyRequest.objects.get(parent=request)
    assert appeal_request.request_type == RequestType.APPEAL
    assert appeal_request.due_on == timezone.localdate() + dt.timedelta(days=60)
    assert request.appeals.get().statement == "I only asked once."
    # One appeal per decision.
    assert client.post(appeal_link, {"statement": "again"}).status_code == 200
    assert PrivacyRequest.objects.filter(parent=request).count() == 1
