"""SMS double opt-in and staff opt-outs (consent/services/sms.py)."""

from __future__ import annotations

import pytest

from consent import services, sms
from consent.models import ConsentEvent, Notice, SmsSubscription
from consent.tests.conftest import check

pytestmark = pytest.mark.django_db


def _grant(contact, purpose, identifier="", sender=""):
    return services.consent_event_record(
        actor=None, purpose=purpose, action="grant", method="web_form", contact=contact,
        identifier=identifier, sender=sender,
    )  # fmt: skip


def test_api_sign_up_sends_the_prompt_after_commit_and_yes_confirms_with_its_notice(
    contact, customer, sender, text, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        subscription = services.sms_subscription_request(
            actor=None, contact=contact, phone=contact.phone
        )
        assert sms.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    callbacks[0]()  # a retried task sends nothing more
    assert len(sms.outbox) == 1
    prompt = sms.outbox[0]
    notice = Notice.objects.get(purpose__code="sms_marketing", version=1)
    assert prompt.to == contact.phone and prompt.sender == sender.number
    assert prompt.body == f"Acme: {notice.text}"
    assert not check(customer, sender=sender.number).allowed

    response = text("YES")

    assert "subscribed to marketing texts" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == SmsSubscription.Status.OPTED_IN
    event = ConsentEvent.objects.get(contact=contact, action="grant")
    assert event.method == "double_opt_in" and event.notice == notice
    assert check(customer, sender=sender.number).allowed


# Staff's opt-out of a subscription is a revocation: consent/tests/test_staff_opt_out.py.


class FlakyGateway:
    """A gateway that times out ``failures`` times, then takes the text (class state:
    ``sms_gateway()`` makes a new instance per send)."""

    failures = 0
    attempts = 0

    def send(self, message: sms.OutboundSms) -> str:
        type(self).attempts += 1
        if type(self).attempts <= type(self).failures:
            raise TimeoutError("gateway did not answer")
        return sms.LocmemGateway().send(message)


@pytest.fixture
def flaky_gateway(settings):
    settings.CONSENT_SMS_GATEWAY = "consent.tests.test_sms.FlakyGateway"
    FlakyGateway.failures, FlakyGateway.attempts = 0, 0
    return FlakyGateway


def _run_like_a_worker(task, args) -> int:
    """Deliver the task as a worker does: again after each ``Retry`` it raises (eager
    mode propagates the Retry instead of re-running). Returns the retries made."""
    from celery.exceptions import Retry

    retries = 0
    while True:
        try:
            task.apply(args=args, retries=retries, throw=True)
            return retries
        except Retry:
            retries += 1


def _pending(contact, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return services.sms_subscription_request(actor=None, contact=contact, phone=contact.phone)


def test_a_prompt_the_gateway_did_not_take_is_not_marked_sent(
    contact, sender, flaky_gateway, django_capture_on_commit_callbacks
):
    """Issue 11 for the SMS prompt: a gateway error leaves the prompt unsent (no
    ``prompt_sent_at``, an audit row says it failed) and the next try sends it, once."""
    from privacy.models import AuditEvent

    subscription = _pending(contact, django_capture_on_commit_callbacks)
    flaky_gateway.failures = 1

    with pytest.raises(services.SmsPromptNotSent):
        services.sms_opt_in_prompt_send(subscription_id=subscription.pk)
    subscription.refresh_from_db()
    assert subscription.prompt_sent_at is None and sms.outbox == []
    failed = AuditEvent.objects.get(action="consent.sms_opt_in_prompt_send_failed")
    assert failed.summary == {"subscription_id": subscription.pk, "error": "TimeoutError"}

    assert services.sms_opt_in_prompt_send(subscription_id=subscription.pk) is True
    assert services.sms_opt_in_prompt_send(subscription_id=subscription.pk) is False
    subscription.refresh_from_db()
    assert subscription.prompt_sent_at is not None
    assert [m.to for m in sms.outbox] == [contact.phone]


def test_the_prompt_task_retries_a_gateway_error_and_sends_once(
    contact, sender, flaky_gateway, django_capture_on_commit_callbacks
):
    from consent.tasks import sms_opt_in_prompt_send

    subscription = _pending(contact, django_capture_on_commit_callbacks)
    flaky_gateway.failures = 2

    assert _run_like_a_worker(sms_opt_in_prompt_send, [subscription.pk]) == 2

    assert flaky_gateway.attempts == 3
    assert [m.to for m in sms.outbox] == [contact.phone]
    sms_opt_in_prompt_send.apply(args=[subscription.pk], throw=True)  # a duplicate delivery
    assert len(sms.outbox) == 1


def test_the_prompt_task_gives_up_after_bounded_retries(
    contact, sender, flaky_gateway, django_capture_on_commit_callbacks
):
    from consent.tasks import sms_opt_in_prompt_send

    subscription = _pending(contact, django_capture_on_commit_callbacks)
    flaky_gateway.failures = 1000

    with pytest.raises(services.SmsPromptNotSent):
        _run_like_a_worker(sms_opt_in_prompt_send, [subscription.pk])

    assert flaky_gateway.attempts == sms_opt_in_prompt_send.max_retries + 1
    subscription.refresh_from_db()
    assert subscription.status == "pending" and subscription.prompt_sent_at is None


def test_the_console_gateway_prints_the_text_and_logs_nothing_of_it(caplog, capsys):
    """Development's gateway: the body (a code, a status link with its token) and the
    number go to the developer's terminal, never through ``logging``."""
    import logging

    caplog.set_level(logging.DEBUG)
    body = "Your code is 482913. Status: https://x.example/privacy/status/tok-SECRET-9/"
    sms.ConsoleGateway().send(sms.OutboundSms(to="+14155550123", sender="+13125550199", body=body))

    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("482913", "tok-SECRET-9", "4155550123", "+13125550199"):
        assert secret not in logged
    printed = capsys.readouterr().out
    assert body in printed and "4155550123" not in printed  # the number masked
