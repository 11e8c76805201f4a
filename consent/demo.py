"""Demo consent history for the project's ``seed_demo`` command, consistent as evidence:

- Consents from before this installation are **imports** from the previous system
  (method "import", dated between the contact's creation and now, no notice: that
  system did not keep the words shown, and the pack says so instead of citing a notice
  published later).
- Consents given since, which cite the notices the installation published, happen
  after those notices were published, through the real flows: web-form grants with
  their evidence; SMS marketing by double opt-in (sign-up, the opt-in prompt sent, the
  person's YES handled by the webhook's service); some STOPs afterwards, also by the
  webhook's service.

Called once for newly created demo contacts; it adds to what exists and never
duplicates a sender number (safe to call again with other contacts)."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from consent import services
from consent.models import ConsentEvent, Notice, SenderNumber
from consent.selectors import notice_published
from consent.services.ledger import _event_write
from privacy.models import ContactIdentifier, Customer


def _sender_for(customer: Customer, rng: random.Random) -> SenderNumber:
    sender = SenderNumber.objects.filter(customer=customer, is_active=True).first()
    if sender:
        return sender
    for _ in range(50):
        number = f"+1212555{rng.randint(100, 199):04d}"
        if not SenderNumber.objects.filter(number=number).exists():
            return SenderNumber.objects.create(
                customer=customer,
                number=number,
                brand_name=customer.name[:60],
                is_default_marketing=True,
            )
    raise RuntimeError("No free demo sender number left.")


def _sid(contact, rng: random.Random) -> str:
    return f"SMdemo{contact.pk:010d}{rng.randint(0, 10**9):09d}"


def _after(moment: dt.datetime, rng: random.Random, now: dt.datetime) -> dt.datetime:
    """A moment between ``moment`` and now."""
    span = max((now - moment).total_seconds(), 0)
    return moment + dt.timedelta(seconds=rng.uniform(0, span))


@transaction.atomic
def seed_demo_consent(*, contacts: list, rng: random.Random) -> dict:
    """Create a consistent consent history for ``contacts``; returns counts."""
    notices: dict[str, Notice | None] = {
        code: notice_published(purpose_code=code)
        for code in (services.EMAIL_MARKETING, services.SMS_MARKETING, services.SMS_INFORMATIONAL)
    }
    counts = {
        "imported": 0,
        "web_grants": 0,
        "double_opt_ins": 0,
        "withdrawals": 0,
        "inbound_stops": 0,
    }
    previous_system = {
        "source": "Previous CRM export (demo; the words shown were not kept)",
        "page_url": "https://www.example.com/signup",
    }
    for contact in contacts:
        if contact.erased_at or contact.do_not_contact:
            # Someone who asked never to be contacted signs up for no marketing (and the
            # outbound guard would refuse the opt-in prompt).
            continue
        identifiers = dict(
            ContactIdentifier.objects.filter(contact=contact, is_primary=True).values_list(
                "kind", "match_key"
            )
        )
        email = identifiers.get("email")
        phone = identifiers.get("phone")
        now = timezone.now()
        if email and rng.random() < 0.7:
            if rng.random() < 0.5:
                # From before this installation: imported, no notice to cite.
                _event_write(
                    actor=None,
                    purpose=notices[services.EMAIL_MARKETING].purpose,
                    action=ConsentEvent.Action.GRANT,
                    method=ConsentEvent.Method.IMPORT,
                    contact=contact,
                    identifier=email,
                    occurred_at=_after(contact.created_at, rng, now),
                    **previous_system,
                )
                counts["imported"] += 1
            else:
                notice = notices[services.EMAIL_MARKETING]
                _event_write(
                    actor=None,
                    purpose=notice.purpose,
                    action=ConsentEvent.Action.GRANT,
                    method=ConsentEvent.Method.WEB_FORM,
                    contact=contact,
                    identifier=email,
                    notice=notice,
                    occurred_at=_after(notice.published_at, rng, now),
                    ip_address=f"198.51.100.{rng.randint(1, 254)}",
                    user_agent="Mozilla/5.0 (demo)",
                    page_url="https://www.example.com/signup",
                )
                counts["web_grants"] += 1
            if rng.random() < 0.15:
                services.preference_choice_set(
                    contact=contact, purpose_code=services.EMAIL_MARKETING, identifier=email,
                    grant=False,
                )  # fmt: skip
                counts["withdrawals"] += 1
        if not (phone and contact.customer_id and rng.random() < 0.5):
            continue
        sender = _sender_for(contact.customer, rng)
        if rng.random() < 0.5:
            # Informational texts asked for on the web form, with its notice.
            notice = notices[services.SMS_INFORMATIONAL]
            _event_write(
                actor=None,
                purpose=notice.purpose,
                action=ConsentEvent.Action.GRANT,
                method=ConsentEvent.Method.WEB_FORM,
                contact=contact,
                identifier=phone,
                sender=sender.number,
                notice=notice,
                occurred_at=_after(notice.published_at, rng, timezone.now()),
                ip_address=f"198.51.100.{rng.randint(1, 254)}",
                user_agent="Mozilla/5.0 (demo)",
                page_url="https://www.example.com/account/texts",
            )
            counts["web_grants"] += 1
        # Marketing texts: double opt-in, as a real sign-up goes. The prompt is sent here
        # (the queued task then finds it sent), then the person's YES reaches the webhook.
        subscription = services.sms_subscription_request(
            actor=None, contact=contact, phone=phone, sender=sender.number
        )
        services.sms_opt_in_prompt_send(subscription_id=subscription.pk)
        result = services.sms_inbound_handle(
            message_sid=_sid(contact, rng),
            account_sid="ACdemo",
            from_number=phone,
            to_number=sender.number,
            body=rng.choice(["YES", "Yes", "yes!"]),
        )
        counts["double_opt_ins"] += int(result.outcome == "confirmed")
        if rng.random() < 0.2:
            result = services.sms_inbound_handle(
                message_sid=_sid(contact, rng),
                account_sid="ACdemo",
                from_number=phone,
                to_number=sender.number,
                body=rng.choice(["STOP", "stop", "Stop.", "UNSUBSCRIBE"]),
            )
            counts["inbound_stops"] += int(result.outcome == "opted_out")
            counts["withdrawals"] += 2 * int(result.outcome == "opted_out")
    counts["grants"] = counts["imported"] + counts["web_grants"] + counts["double_opt_ins"]
    return counts
