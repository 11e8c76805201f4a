"""No queued notice holds a secret (docs/requests.md, "Sending: a task with retries").

A denial put ``appeal_url`` — the appeal form's link, which carries the status token
(the key to the status page and the appeal form) — into the notice's variables, so it
was stored in ``NoticeDelivery.context`` for as long as the denial waited to be sent.
Now the denial stores a flag and the sending task derives the link."""

from __future__ import annotations

import json
import re

import pytest
from django.core import mail
from django.urls import reverse

from requests_app import services
from requests_app.models import NoticeDelivery, PrivacyRequest
from requests_app.tests.factories import PrivacyRequestFactory

pytestmark = pytest.mark.django_db

#: A derived or random token (url-safe base64 of 32 bytes), or any link at all.
SECRET_LIKE = re.compile(r"[A-Za-z0-9_-]{40,}|https?://|/privacy/")


def test_queued_notices_hold_no_token_and_the_denial_still_carries_the_appeal_link(
    django_capture_on_commit_callbacks,
):
    appealable = PrivacyRequestFactory(
        email="vi.denied@example.org", status="in_progress", rule_code="vcdpa", state="VA"
    )
    extended = PrivacyRequestFactory(email="ext.ended@example.org", status="in_progress")
    # Typical actions; their notices wait (the tasks have not run).
    services.privacy_request_deny(actor=None, request=appealable, reason="unverified")
    services.privacy_request_extend(actor=None, request=extended, reason="Many files")

    queued = list(NoticeDelivery.objects.filter(sent_at__isnull=True))
    assert {d.code for d in queued} >= {"denial", "extension"}
    tokens = [services.status_token(r) for r in PrivacyRequest.objects.all()]
    for delivery in queued:
        stored = json.dumps(delivery.context)
        assert not any(t in stored for t in tokens), (delivery.code, stored)
        assert not SECRET_LIKE.search(stored), (delivery.code, stored)

    # The sending task derives the appeal link: the person still gets it.
    from requests_app.tasks import notice_deliver

    denial = NoticeDelivery.objects.get(code="denial")
    notice_deliver.apply(args=[denial.pk])
    [sent] = mail.outbox
    token = services.status_token(appealable)
    assert reverse("requests_app:appeal", args=[token]) in sent.body
