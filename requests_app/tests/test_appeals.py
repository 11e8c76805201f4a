"""Appeals (requests_app/services/appeals.py): a denial tells how to appeal; the appeal is a
linked request, made once."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from requests_app import selectors, services
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


def test_a_denied_appeal_cannot_be_appealed_anywhere(django_capture_on_commit_callbacks, client):
    """The answer to an appeal is final: the status page of a denied appeal offers no
    appeal, the appeal form refuses it, and the service refuses it, all for one reason
    (the three used to disagree: only the denial notice knew)."""
    original = PrivacyRequestFactory(status=Status.IN_PROGRESS, rule_code="vcdpa", state="VA")
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_deny(actor=None, request=original, reason="excessive")
        appeal = services.appeal_submit(original=original, statement="I only asked once.")
        services.privacy_request_deny(actor=None, request=appeal, reason="excessive")
    appeal = PrivacyRequest.objects.get(pk=appeal.pk)
    assert appeal.status == Status.DENIED
    reason = selectors.privacy_request_appeal_refusal(appeal)
    assert reason.startswith("The answer to an appeal is our final decision.")
    assert "Virginia Attorney General" in reason

    token = services.status_token(appeal)
    status_page = client.get(reverse("requests_app:status", args=[token]))
    assert status_page.context["can_appeal"] is False
    assert reverse("requests_app:appeal", args=[token]) not in status_page.content.decode()
    posted = client.post(reverse("requests_app:appeal", args=[token]), {"statement": "Again."})
    assert posted.status_code == 200 and "final decision" in posted.content.decode()
    with pytest.raises(ValidationError, match="final decision"):
        services.appeal_submit(original=appeal, statement="Again.")
    assert not PrivacyRequest.objects.filter(parent=appeal).exists()


def test_the_status_page_offers_an_appeal_exactly_when_the_service_takes_one(
    django_capture_on_commit_callbacks, client
):
    denied = PrivacyRequestFactory(status=Status.IN_PROGRESS, rule_code="vcdpa", state="VA")
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_deny(actor=None, request=denied, reason="excessive")
    no_appeal_rule = PrivacyRequestFactory(status=Status.IN_PROGRESS, rule_code="ucpa", state="UT")
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_deny(actor=None, request=no_appeal_rule, reason="excessive")
    still_open = PrivacyRequestFactory(status=Status.IN_PROGRESS, rule_code="vcdpa", state="VA")
    for request, offered in ((denied, True), (no_appeal_rule, False), (still_open, False)):
        request = PrivacyRequest.objects.get(pk=request.pk)
        page = client.get(reverse("requests_app:status", args=[services.status_token(request)]))
        assert page.context["can_appeal"] is offered, request.rule_code
        assert (selectors.privacy_request_appeal_refusal(request) is None) is offered
