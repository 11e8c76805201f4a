"""Demo consent history for the project's ``seed_demo`` command: grants with notices,
some withdrawals, SMS subscriptions per customer sender and a few inbound STOPs.

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


@transaction.atomic
def seed_demo_consent(*, contacts: list, rng: random.Random) -> dict:
    """Create a plausible consent history for ``contacts``; returns counts."""
    now = timezone.now()
    notices: dict[str, Notice | None] = {
        code: notice_published(purpose_code=code)
        for code in (
            services.EMAIL_MARKETING,
            services.SMS_MARKETING,
            services.SMS_INFORMATIONAL,
        )
    }
    counts = {"grants": 0, "withdrawals": 0, "sms_subscriptions": 0, "inbound_stops": 0}
    for contact in contacts:
        if contact.erased_at:
            continue
        identifiers = dict(
            ContactIdentifier.objects.filter(contact=contact, is_primary=True).values_list(
                "kind", "match_key"
            )
        )
        signed_up = now - dt.timedelta(days=rng.randint(30, 900), minutes=rng.randint(0, 1440))
        evidence = {
            "ip_address": f"198.51.100.{rng.randint(1, 254)}",
            "user_agent": "Mozilla/5.0 (demo)",
            "page_url": "https://www.example.com/signup",
        }
        email = identifiers.get("email")
        if email and rng.random() < 0.7:
            _event_write(
                actor=None,
                purpose=notices[services.EMAIL_MARKETING].purpose,
                action=ConsentEvent.Action.GRANT,
                method=ConsentEvent.Method.WEB_FORM,
                contact=contact,
                identifier=email,
                notice=notices[services.EMAIL_MARKETING],
                occurred_at=signed_up,
                **evidence,
            )
            counts["grants"] += 1
            if rng.random() < 0.15:
                _event_write(
                    actor=None,
                    purpose=notices[services.EMAIL_MARKETING].purpose,
                    action=ConsentEvent.Action.WITHDRAW,
                    method=ConsentEvent.Method.PREFERENCE_CENTRE,
                    contact=contact,
                    identifier=email,
                    occurred_at=signed_up + dt.timedelta(days=rng.randint(1, 25)),
                )
                counts["withdrawals"] += 1
        phone = identifiers.get("phone")
        if phone and contact.customer_id and rng.random() < 0.5:
            sender = _sender_for(contact.customer, rng)
            for code in (services.SMS_MARKETING, services.SMS_INFORMATIONAL):
                if code == services.SMS_INFORMATIONAL and rng.random() < 0.5:
                    continue
                _event_write(
                    actor=None,
                    purpose=notices[code].purpose,
                    action=ConsentEvent.Action.GRANT,
                    method=ConsentEvent.Method.DOUBLE_OPT_IN
                    if code == services.SMS_MARKETING
                    else ConsentEvent.Method.WEB_FORM,
                    contact=contact,
                    identifier=phone,
                    sender=sender.number,
                    notice=notices[code],
                    occurred_at=signed_up + dt.timedelta(minutes=3),
                    **evidence,
                )
                counts["grants"] += 1
                counts["sms_subscriptions"] += 1
            if rng.random() < 0.2:
                # An inbound STOP, through the same service as the webhook.
                result = services.sms_inbound_handle(
                    message_sid=f"SMdemo{contact.pk:010d}{rng.randint(0, 10**9):09d}",
                    account_sid="ACdemo",
                    from_number=phone,
                    to_number=sender.number,
                    body=rng.choice(["STOP", "stop", "Stop.", "UNSUBSCRIBE"]),
                    now=signed_up + dt.timedelta(days=rng.randint(2, 20)),
                )
                counts["inbound_stops"] += int(result.outcome == "opted_out")
                counts["withdrawals"] += 2 * int(result.outcome == "opted_out")
    return counts
