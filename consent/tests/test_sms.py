"""SMS double opt-in and staff opt-outs (consent/services/sms.py)."""

from __future__ import annotations

import pytest

from consent import services, sms
from consent.models import ConsentEvent, Notice, SmsSubscription
from consent.tests.conftest import NOON_PACIFIC, check

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


def test_staff_opt_out_of_a_subscription(contact, customer, sender):
    _grant(contact, "sms_marketing", contact.phone, sender.number)
    subscription = SmsSubscription.objects.get()
    assert services.sms_subscription_opt_out(actor=None, subscription=subscription)
    assert not check(customer, sender=sender.number, now=NOON_PACIFIC).allowed
    assert not services.sms_subscription_opt_out(actor=None, subscription=subscription)
