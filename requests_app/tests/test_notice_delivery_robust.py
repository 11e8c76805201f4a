"""Notices are neither stranded nor rolled back after they left (review of issue 11).

``notice_deliver`` caught only ``NoticeNotSent``: any other error (a database error
reading the request, minting, the timeline) failed the task for good — no retry, no
give-up, and nothing swept the row. And the send happened inside the transaction, so
an error after the mail server took the message rolled back the minted secret's hash:
the link the person got was dead."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from privacy.models import OutboxTask
from requests_app import services
from requests_app.models import NoticeDelivery, PrivacyRequest, VerificationChallenge
from requests_app.services import notice_delivery
from requests_app.tests.factories import PrivacyRequestFactory
from requests_app.tokens import token_hash

pytestmark = pytest.mark.django_db

CLOSED_PORT = "redis://127.0.0.1:1/0"


def notes(request: PrivacyRequest) -> list[str]:
    return list(request.events.order_by("pk").values_list("note", flat=True))


def _failing_once(real, exc=RuntimeError):
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise exc("boom")
        return real(*args, **kwargs)

    return wrapper


def _queued_extension(email="rita.retry@example.org") -> tuple[PrivacyRequest, NoticeDelivery]:
    request = PrivacyRequestFactory(email=email, status="in_progress")
    services.privacy_request_extend(actor=None, request=request, reason="Many files")
    return request, NoticeDelivery.objects.get(code="extension")


def test_an_unexpected_error_is_retried_like_a_sending_failure(settings, monkeypatch):
    from requests_app.tasks import notice_deliver

    settings.REQUESTS_NOTICE_MAX_RETRIES = 1
    _, delivery = _queued_extension()
    monkeypatch.setattr(
        notice_delivery, "request_context", _failing_once(notice_delivery.request_context)
    )

    notice_deliver.apply(args=[delivery.pk], throw=False)

    delivery.refresh_from_db()
    assert [m.to for m in mail.outbox] == [["rita.retry@example.org"]]
    assert delivery.sent_at is not None and delivery.attempts == 2
    assert (delivery.recipient, delivery.context) == ("", {})


def test_an_error_that_persists_is_given_up_and_staff_are_told(settings, monkeypatch):
    from requests_app.tasks import notice_deliver

    settings.REQUESTS_NOTICE_MAX_RETRIES = 1

    def broken(request):
        raise RuntimeError("rita.retry@example.org")  # never copied anywhere

    request, delivery = _queued_extension()
    monkeypatch.setattr(notice_delivery, "request_context", broken)

    notice_deliver.apply(args=[delivery.pk], throw=False)

    delivery.refresh_from_db()
    assert mail.outbox == []
    assert delivery.given_up_at is not None and delivery.attempts == 2
    assert delivery.last_error == "RuntimeError"
    assert (delivery.recipient, delivery.context) == ("", {})
    [failed] = [n for n in notes(request) if "NOT sent" in n]
    assert failed.startswith("Notice “extension” NOT sent (e-mail): 2 attempts failed")
    assert "rita" not in failed


def test_a_link_that_left_stays_valid_when_recording_it_fails(client, celery_conf, monkeypatch):
    celery_conf(broker_url=CLOSED_PORT, task_always_eager=False)
    client.post(
        reverse("requests_app:request_form"),
        {
            "request_type": "access",
            "country": "US",
            "state": "CA",
            "full_name": "Vic Verify",
            "email": "vic.verify@example.org",
            "phone": "",
            "details": "",
            "website": "",
        },
    )
    celery_conf(task_always_eager=True)
    delivery = NoticeDelivery.objects.get(code="verification_email")
    monkeypatch.setattr(
        notice_delivery.timeline, "notice_sent", _failing_once(notice_delivery.timeline.notice_sent)
    )

    with pytest.raises(RuntimeError):
        notice_delivery.notice_delivery_send(delivery_id=delivery.pk)

    # The mail left; the secret's hash was committed before sending, not rolled back.
    [message] = mail.outbox
    [secret] = re.findall(r"/privacy/verify/([^/\s]+)/", message.body)
    assert VerificationChallenge.objects.get().secret_hash == token_hash(secret)
    # Claimed meanwhile: a second worker does not send it again at the same time.
    assert notice_delivery.notice_delivery_send(delivery_id=delivery.pk) is False
    assert len(mail.outbox) == 1


def test_the_sweep_requeues_a_notice_whose_task_was_lost(
    settings, django_capture_on_commit_callbacks
):
    _, delivery = _queued_extension()
    # Published, but the worker died (or the task failed for good): nothing will run it.
    OutboxTask.objects.update(sent_at=timezone.now())
    soon = timezone.now() + dt.timedelta(minutes=settings.REQUESTS_NOTICE_STALE_MINUTES - 1)
    assert services.notice_deliveries_requeue(now=soon) == {"requeued": 0, "given_up": 0}

    later = timezone.now() + dt.timedelta(minutes=settings.REQUESTS_NOTICE_STALE_MINUTES + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notice_deliveries_requeue(now=later) == {"requeued": 1, "given_up": 0}
    delivery.refresh_from_db()
    assert delivery.sent_at is not None
    assert [m.to for m in mail.outbox] == [["rita.retry@example.org"]]


def test_the_sweep_leaves_claimed_and_waiting_notices_and_gives_up_spent_ones(settings):
    later = timezone.now() + dt.timedelta(minutes=settings.REQUESTS_NOTICE_STALE_MINUTES + 1)
    _, waiting = _queued_extension("wait@example.org")  # its task is still in the outbox
    assert services.notice_deliveries_requeue(now=later) == {"requeued": 0, "given_up": 0}
    OutboxTask.objects.update(sent_at=timezone.now())
    NoticeDelivery.objects.filter(pk=waiting.pk).update(claimed_at=later)  # being sent
    assert services.notice_deliveries_requeue(now=later) == {"requeued": 0, "given_up": 0}
    NoticeDelivery.objects.filter(pk=waiting.pk).update(
        claimed_at=None, attempts=settings.REQUESTS_NOTICE_MAX_RETRIES + 1
    )
    assert services.notice_deliveries_requeue(now=later) == {"requeued": 0, "given_up": 1}
    waiting.refresh_from_db()
    assert waiting.given_up_at is not None and waiting.recipient == ""
