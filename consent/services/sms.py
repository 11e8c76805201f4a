"""SMS programmes: the brand a text goes out under and double opt-in for SMS marketing
(the pending sign-up and its one prompt, sent by a task after the commit). Staff's
opt-out of a subscription, and a person's "stop texting me" (or "stop e-mailing me")
taken by phone, e-mail or letter, is a revocation:
``consent.services.revocation.contact_revocation_record``.

The prompt is sent by the Celery task ``consent.tasks.sms_opt_in_prompt_send``; the
tasks import these services, so the task is imported where it is queued, not here."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from consent.models import ConsentEvent, Notice, Purpose, SenderNumber, SmsSubscription
from consent.selectors import (
    contact_for_identifier,
    contact_is_minor,
    notice_published,
    outbound_block_reason,
)
from consent.services.subscriptions import sms_subscriptions_transition
from consent.sms import OutboundSms, sms_gateway
from privacy.audit_actions import AuditAction
from privacy.models import Contact, ContactIdentifier, Customer
from privacy.services import audit_event_record, contact_create, task_enqueue

logger = logging.getLogger(__name__)
Method = ConsentEvent.Method


class OutboundBlocked(ValidationError):
    """A message may not go to this address or number (``outbound_block_reason``);
    ``reason`` says why: suppressed, do_not_contact, opted_out, invalid_identifier."""

    MESSAGES = {
        "suppressed": "This number or address is on the suppression list: nothing is sent "
        "to it until the person themselves asks again from it.",
        "do_not_contact": "This person asked not to be contacted.",
        "opted_out": "This number opted out of texts from this sender (STOP); the "
        "person rejoins by texting START to it.",
        "invalid_identifier": "Not a valid number or address to send to.",
    }

    def __init__(self, reason: str) -> None:
        super().__init__(self.MESSAGES.get(reason, "Nothing may be sent here."), code=reason)
        self.reason = reason


def outbound_allowed_or_raise(
    *, channel: str, to: str, customer_id: int | None, sender: str | None = None
) -> None:
    """Raise ``OutboundBlocked`` when the outbound guard says no."""
    reason = outbound_block_reason(channel=channel, to=to, customer_id=customer_id, sender=sender)
    if reason is not None:
        raise OutboundBlocked(reason)


def _brand(sender: SenderNumber | None) -> tuple[str, str]:
    brand = (sender.brand_name if sender else "") or settings.CONSENT_SMS_BRAND_NAME
    help_contact = (sender.help_contact if sender else "") or settings.CONSENT_SMS_HELP_CONTACT
    return brand, help_contact


def _contact_for_phone(customer: Customer, e164: str, *, create: bool) -> Contact | None:
    contact = contact_for_identifier(customer_id=customer.pk, channel="sms", match_key=e164)
    if contact is None and create:
        contact, _ = contact_create(actor=None, customer=customer, phones=[e164], source="sms")
    return contact


@transaction.atomic
def sms_subscription_request(
    *,
    actor: AbstractBaseUser | None,
    contact: Contact,
    phone: str,
    sender: str | None = None,
    method: str = Method.WEB_FORM,
) -> SmsSubscription:
    """Start a double opt-in for SMS marketing: a pending subscription and the prompt
    (the published SMS opt-in notice), sent after commit. The reply YES confirms it.

    Refused (``OutboundBlocked``, nothing written, no prompt) when the outbound guard
    says the number may not be texted from that sender: suppressed (an erased person who
    had opted out), do not contact, or its last word there was STOP."""
    if not contact.customer_id:
        raise ValidationError("SMS sign-up is for contacts of a customer.")
    if not ContactIdentifier.objects.filter(
        contact=contact, kind="phone", match_key=phone
    ).exists():
        raise ValidationError("The number is not one of this contact's.")
    if contact_is_minor(contact):
        # The YES that confirms a sign-up cannot carry a parent's verified consent.
        raise ValidationError(
            "This person is a minor: record the marketing consent with the parent's "
            "verified consent evidence instead of an SMS sign-up.",
            code="minor",
        )
    senders = SenderNumber.objects.filter(customer_id=contact.customer_id, is_active=True)
    sender_row = (
        senders.filter(number=sender).first()
        if sender
        else senders.filter(is_default_marketing=True).first()
    )
    if sender_row is None:
        raise ValidationError("This customer has no such active sender for SMS marketing.")
    outbound_allowed_or_raise(
        channel="sms", to=phone, customer_id=contact.customer_id, sender=sender_row.number
    )
    notice = notice_published(purpose_code=Purpose.Code.SMS_MARKETING)
    if notice is None or notice.kind != Notice.Kind.SMS_PROMPT:
        raise ValidationError("No published SMS opt-in prompt notice for SMS marketing.")
    now = timezone.now()
    subscription, _ = SmsSubscription.objects.select_for_update().get_or_create(
        customer_id=contact.customer_id,
        phone=phone,
        sender=sender_row.number,
        program=SmsSubscription.Program.MARKETING,
        defaults={"contact": contact, "status": SmsSubscription.Status.PENDING},
    )
    if subscription.status != SmsSubscription.Status.OPTED_IN:
        sms_subscriptions_transition(
            SmsSubscription.objects.filter(pk=subscription.pk),
            to_status=SmsSubscription.Status.PENDING,
            contact=contact,
            prompt_notice=notice,
            requested_at=now,
            prompt_sent_at=None,
            updated_at=now,
        )
        subscription.refresh_from_db()
        # Through privacy's outbox, in this transaction: with the broker unreachable the
        # sign-up stays recorded (pending) and the relay sends the prompt once the broker
        # is back; the caller never sees an error after the commit.
        task_enqueue(task="consent.tasks.sms_opt_in_prompt_send", args=[subscription.pk])
    audit_event_record(
        actor=actor,
        action=AuditAction.CONSENT_SMS_OPT_IN_REQUESTED,
        object_type="contact",
        object_id=contact.pk,
        summary={
            "subscription_id": subscription.pk,
            "method": method,
            "status": subscription.status,
        },
    )
    return subscription


class SmsPromptNotSent(Exception):
    """The gateway did not take the opt-in prompt (the error's type only): the claim
    was undone, and the task retries with backoff."""


def sms_opt_in_prompt_send(*, subscription_id: int) -> bool:
    """Send the prompt of a pending subscription once. Returns whether it sent.

    Claim, send, undo on failure: the row is claimed (``prompt_sent_at``) before the
    send, so a second delivery of the task (the outbox may publish twice) never texts
    twice; when the gateway raises or times out the claim is undone, an audit row says
    so and ``SmsPromptNotSent`` is raised for the task to retry. (A worker killed between
    claim and send loses that one prompt: at most once, never twice.)

    The outbound guard is asked again here, at send time: the person may have been
    erased, asked not to be contacted or texted STOP since the sign-up. Then nothing is
    sent, the subscription stays pending with no prompt, and an audit row says why."""
    now = timezone.now()
    pending = (
        SmsSubscription.objects.filter(
            pk=subscription_id,
            status=SmsSubscription.Status.PENDING,
            prompt_sent_at__isnull=True,
            phone__isnull=False,
        )
        .values_list("phone", "sender", "customer_id")
        .first()
    )
    if pending is None:
        return False
    phone, sender_number, customer_id = pending
    reason = outbound_block_reason(
        channel="sms", to=phone, customer_id=customer_id, sender=sender_number
    )
    if reason is not None:
        with transaction.atomic():
            audit_event_record(
                actor=None,
                action=AuditAction.CONSENT_SMS_OPT_IN_PROMPT_BLOCKED,
                object_type="sms_subscription",
                object_id=subscription_id,
                summary={"subscription_id": subscription_id, "reason": reason},
            )
        logger.info("Opt-in prompt for subscription %s not sent: %s", subscription_id, reason)
        return False
    claimed = SmsSubscription.objects.filter(
        pk=subscription_id, status=SmsSubscription.Status.PENDING, prompt_sent_at__isnull=True
    ).update(prompt_sent_at=now)
    if not claimed:
        return False
    subscription = SmsSubscription.objects.select_related("prompt_notice").get(pk=subscription_id)
    sender = SenderNumber.objects.filter(number=subscription.sender).first()
    brand, _ = _brand(sender)
    body = f"{brand}: {subscription.prompt_notice.text}"
    try:
        sms_gateway().send(
            OutboundSms(to=subscription.phone, sender=subscription.sender, body=body)
        )
    except Exception as exc:
        # Neither the number nor the error's text (gateway errors quote numbers).
        logger.error(
            "Opt-in prompt for subscription %s not sent: %s", subscription_id, type(exc).__name__
        )
        with transaction.atomic():
            SmsSubscription.objects.filter(pk=subscription_id, prompt_sent_at=now).update(
                prompt_sent_at=None
            )
            audit_event_record(
                actor=None,
                action=AuditAction.CONSENT_SMS_OPT_IN_PROMPT_SEND_FAILED,
                object_type="sms_subscription",
                object_id=subscription_id,
                summary={"subscription_id": subscription_id, "error": type(exc).__name__},
            )
        raise SmsPromptNotSent(type(exc).__name__) from None
    logger.info("Opt-in prompt sent for subscription %s", subscription_id)
    return True
