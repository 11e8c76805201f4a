"""Choices people make on the public pages: the preference centre (with double opt-in
for SMS marketing and Global Privacy Control), the cookie banner, and the signed,
expiring preference-centre link staff send by e-mail or SMS."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from consent.models import ConsentEvent, ConsentState, CookieConsent, Purpose, SenderNumber
from consent.selectors import notice_published, preference_token_make, sender_normalize
from consent.services.ledger import (
    _audit_event,
    _event_write,
    _purpose,
    contact_consent_withdraw,
)
from consent.services.sms import (
    OutboundBlocked,
    _brand,
    outbound_allowed_or_raise,
    sms_subscription_request,
)
from consent.sms import OutboundSms, sms_gateway
from privacy.audit_actions import AuditAction
from privacy.models import Contact, ContactIdentifier
from privacy.services import (
    audit_event_record,
    opt_out_signal_record,
    staff_user,
    task_enqueue,
)

logger = logging.getLogger(__name__)
Method = ConsentEvent.Method
COOKIE_CATEGORIES = {
    "analytics": Purpose.Code.COOKIES_ANALYTICS,
    "advertising": Purpose.Code.COOKIES_ADVERTISING,
}


@transaction.atomic
def preference_choice_set(
    *,
    contact: Contact,
    purpose_code: str,
    identifier: str,
    grant: bool,
    gpc: bool = False,
    ip_address: str | None = None,
    user_agent: str | None = None,
) -> str:
    """A choice made on the preference centre. SMS marketing sign-ups go through
    double opt-in. Returns "granted", "withdrawn", "pending" or "unchanged"."""
    purpose = _purpose(purpose_code)
    if purpose.code == Purpose.Code.SALE_SHARING:
        identifier = ""
    elif (
        identifier
        and not ContactIdentifier.objects.filter(contact=contact, match_key=identifier).exists()
    ):
        raise ValidationError("Unknown choice.")
    if grant and purpose.code == Purpose.Code.SMS_MARKETING:
        sms_subscription_request(
            actor=None, contact=contact, phone=identifier, method=Method.PREFERENCE_CENTRE
        )
        return "pending"
    if grant and gpc and purpose.code == Purpose.Code.SALE_SHARING:
        return "unchanged"  # the browser's GPC signal says no; it wins over the click
    current = (
        ConsentState.objects.filter(contact=contact, purpose=purpose, identifier=identifier)
        .order_by("-since", "-last_event_id")
        .values_list("is_granted", flat=True)
        .first()
    )
    if current is not None and bool(current) == grant:
        return "unchanged"
    if not grant and purpose.code == Purpose.Code.SMS_MARKETING and contact.customer_id:
        # A revocation of texts like any other (47 CFR 64.1200(a)(10)): every sender, the
        # one confirmation text; from the revoke-all date, every text of the customer.
        from consent.services.revocation import contact_revocation_record

        contact_revocation_record(
            actor=None,
            contact=contact,
            channel="sms",
            identifier=identifier,
            method=Method.PREFERENCE_CENTRE,
            marketing_only=True,
        )
        return "withdrawn"
    if not grant and purpose.code != Purpose.Code.SALE_SHARING:
        return (
            "withdrawn"
            if contact_consent_withdraw(
                actor=None,
                contact=contact,
                purpose_codes=[purpose.code],
                method=Method.PREFERENCE_CENTRE,
                # Only the address the person unticked, not their other ones.
                identifier=identifier,
            )
            else "unchanged"
        )
    event = _event_write(
        actor=None,
        purpose=purpose,
        action=ConsentEvent.Action.GRANT if grant else ConsentEvent.Action.WITHDRAW,
        method=Method.PREFERENCE_CENTRE,
        contact=contact,
        identifier=identifier,
        notice=notice_published(purpose_code=purpose.code) if grant else None,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    _audit_event(None, event)
    return "granted" if grant else "withdrawn"


def _gpc_opt_out_request_hand_off(*, contact: Contact) -> None:
    """Make the GPC opt-out visible as a processed CCPA opt-out request (11 CCR
    §7025(c), §7026): privacy's ``opt_out_signal_record`` hands the signal to the handlers
    other apps registered (requests_app makes it a completed opt-out request the person
    sees on a status page, with one confirmation). Inside the transaction that records
    the signal, so both are kept or neither."""
    opt_out_signal_record(contact=contact, signal="gpc", reference="Sec-GPC")


@transaction.atomic
def contact_gpc_signal_record(
    *, contact: Contact, page_url: str | None = None, user_agent: str | None = None
) -> bool:
    """A ``Sec-GPC: 1`` from a visitor tied to the contact, on any public page: their
    opt-out of sale/sharing, method GPC, with the page (its route, never a token) and the
    user agent as evidence. Recorded once per contact: nothing is written when the
    latest decision already is a GPC opt-out. An opt-out that takes effect now is also
    handed to the CCPA opt-out request seam. Returns whether something was written."""
    purpose = _purpose(Purpose.Code.SALE_SHARING)
    state = (
        ConsentState.objects.select_for_update()
        .filter(contact=contact, purpose=purpose, identifier="", sender="")
        .first()
    )
    if state is not None and not state.is_granted and state.method == Method.GPC:
        return False
    event = _event_write(
        actor=None,
        purpose=purpose,
        action=ConsentEvent.Action.WITHDRAW,
        method=Method.GPC,
        contact=contact,
        occurred_at=max(timezone.now(), state.since) if state else None,
        page_url=page_url,
        user_agent=user_agent,
        reference="Sec-GPC",
    )
    _audit_event(None, event)
    if state is None or state.is_granted:
        _gpc_opt_out_request_hand_off(contact=contact)
    return True


@dataclass
class CookieChoice:
    visitor_id: uuid.UUID
    categories: dict[str, bool]
    gpc: bool
    record: CookieConsent | None = None


@transaction.atomic
def cookie_consent_record(
    *,
    visitor_id: uuid.UUID | None,
    categories: dict[str, bool],
    notice_version: int,
    gpc: bool,
    user_agent: str | None = None,
) -> CookieChoice:
    """Record a cookie-banner choice for an anonymous visitor. With GPC, advertising is
    refused whatever was ticked, and sale/sharing is opted out (method GPC)."""
    unknown = set(categories) - set(COOKIE_CATEGORIES)
    if unknown:
        raise ValidationError("Unknown cookie category.", code="category")
    visitor_id = visitor_id or uuid.uuid4()
    choices = {name: bool(categories.get(name, False)) for name in COOKIE_CATEGORIES}
    if gpc:
        choices["advertising"] = False
    notices = {}
    for name, code in COOKIE_CATEGORIES.items():
        notice = notice_published(purpose_code=code, version=notice_version)
        if notice is None:
            raise ValidationError("Unknown cookie notice version.", code="notice_version")
        notices[name] = notice
    record = CookieConsent.objects.create(
        visitor_id=visitor_id, categories=choices, notice_version=notice_version, gpc=gpc
    )
    for name, code in COOKIE_CATEGORIES.items():
        current = (
            ConsentState.objects.filter(visitor_id=visitor_id, purpose__code=code)
            .values_list("is_granted", flat=True)
            .first()
        )
        if current is not None and bool(current) == choices[name]:
            continue
        _event_write(
            actor=None,
            purpose=notices[name].purpose,
            action=ConsentEvent.Action.GRANT if choices[name] else ConsentEvent.Action.WITHDRAW,
            method=Method.GPC if gpc and name == "advertising" else Method.COOKIE_BANNER,
            visitor_id=visitor_id,
            notice=notices[name],
            user_agent=user_agent,
            reference=f"cookie-consent-{record.pk}",
        )
    if gpc:
        state = (
            ConsentState.objects.filter(
                visitor_id=visitor_id, purpose__code=Purpose.Code.SALE_SHARING
            )
            .values_list("is_granted", flat=True)
            .first()
        )
        if state is None or state:
            _event_write(
                actor=None,
                purpose=_purpose(Purpose.Code.SALE_SHARING),
                action=ConsentEvent.Action.WITHDRAW,
                method=Method.GPC,
                visitor_id=visitor_id,
                reference=f"cookie-consent-{record.pk}",
            )
    audit_event_record(
        actor=None,
        action=AuditAction.CONSENT_COOKIE_CHOICE,
        object_type="cookie_consent",
        object_id=record.pk,
        summary={"categories": choices, "notice_version": notice_version, "gpc": gpc},
    )
    return CookieChoice(visitor_id=visitor_id, categories=choices, gpc=gpc, record=record)


# --- preference-centre link -------------------------------------------------------------

PREFERENCE_LINK_CHANNELS = ("email", "sms")


def preference_link_url(*, contact_id: int) -> str:
    """The absolute, signed and expiring preference-centre link of a contact. It names
    the contact by id only, so no e-mail or number ever appears in a URL."""
    from django.urls import reverse

    # A setting of its own can point the links elsewhere; otherwise the public pages of
    # requests_app live on the same site.
    base = settings.CONSENT_PUBLIC_BASE_URL or settings.REQUESTS_PUBLIC_BASE_URL
    token = preference_token_make(contact_id=contact_id)
    return base.rstrip("/") + reverse("consent:preference_centre", args=[token])


def _primary_identifier(contact: Contact, kind: str) -> ContactIdentifier | None:
    return (
        ContactIdentifier.objects.filter(contact=contact, kind=kind)
        .order_by("-is_primary", "id")
        .first()
    )


def _sms_link_sender(contact: Contact, sender: str | None) -> SenderNumber:
    senders = SenderNumber.objects.filter(customer_id=contact.customer_id, is_active=True)
    if sender:
        region = contact.customer.default_phone_region if contact.customer_id else None
        row = senders.filter(number=sender_normalize(sender, region=region)).first()
    else:
        row = senders.order_by("-is_default_marketing", "id").first()
    if not contact.customer_id or row is None:
        raise ValidationError(
            "This contact's customer has no such active sender number to text from.",
            code="no_sender",
        )
    return row


class PreferenceLinkNotSent(Exception):
    """The mail server or SMS gateway did not take the link (the error's type only):
    the task retries with backoff."""


def preference_link_deliver(
    *, contact_id: int, channel: str, sender_id: int | None, actor_id: int | None = None
) -> bool:
    """Send the link queued by ``preference_link_send`` (the task's work): the address
    is read and the outbound guard asked again now, the link is made here so it exists
    only in the message, and the audit row says "sent" only once the mail server or
    gateway took it. Returns False when nothing is to be sent any more (erased, no
    address, blocked); raises ``PreferenceLinkNotSent`` when sending failed."""
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail

    from consent.selectors import outbound_block_reason

    contact = Contact.objects.filter(pk=contact_id, erased_at__isnull=True).first()
    if contact is None or contact.do_not_contact:
        return False
    identifier = _primary_identifier(contact, "email" if channel == "email" else "phone")
    sender_row = SenderNumber.objects.filter(pk=sender_id).first() if sender_id else None
    if identifier is None or (channel == "sms" and sender_row is None):
        return False
    to = identifier.value if channel == "email" else identifier.match_key
    if outbound_block_reason(
        channel=channel,
        to=identifier.match_key,
        customer_id=contact.customer_id,
        sender=sender_row.number if sender_row else None,
    ):
        return False
    brand, _ = _brand(sender_row)
    url = preference_link_url(contact_id=contact_id)
    days = settings.CONSENT_PREFERENCE_LINK_MAX_AGE_DAYS
    try:
        if channel == "email":
            send_mail(
                f"{brand}: your communication choices",
                "You can see and change which marketing e-mails and text messages you "
                "receive from us, and opt out of the sale or sharing of your personal "
                f"information, on this page:\n\n{url}\n\n"
                f"The link works for {days} days. If you did not ask for it, you can "
                "ignore this e-mail.\n",
                settings.DEFAULT_FROM_EMAIL,
                [to],
            )
        else:
            sms_gateway().send(
                OutboundSms(
                    to=to,
                    sender=sender_row.number,
                    body=f"{brand}: manage your messaging choices: {url} "
                    f"(valid {days} days). Reply STOP to opt out.",
                )
            )
    except Exception as exc:
        # Neither the address, the link nor the error text (which may quote the address)
        # is logged: the contact id finds the person.
        logger.error(
            "Preference-centre link (%s) for contact %s not sent: %s",
            channel,
            contact_id,
            type(exc).__name__,
        )
        raise PreferenceLinkNotSent(type(exc).__name__) from None
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    with transaction.atomic():
        audit_event_record(
            actor=actor,
            action=AuditAction.CONSENT_PREFERENCE_LINK_SENT,
            object_type="contact",
            object_id=contact.pk,
            summary={
                "channel": channel,
                "sender_id": sender_row.pk if sender_row else None,
                "valid_days": days,
            },
        )
    logger.info("Preference-centre link (%s) sent for contact %s", channel, contact_id)
    return True


@transaction.atomic
def preference_link_send(
    *,
    actor: AbstractBaseUser | None,
    contact: Contact,
    channel: str,
    sender: str | None = None,
) -> None:
    """Send the contact the signed, expiring link to their preference centre, by e-mail
    (their primary address) or by SMS (their primary number, from ``sender`` or the
    customer's default sender). The message is sent by a task queued through the outbox
    (``preference_link_deliver``), after the commit.

    Refused (``ValidationError``) for an erased contact or one without an address or
    number for the channel, and (``OutboundBlocked``, a ``ValidationError``) whenever
    the outbound guard says no: a do-not-contact contact, an identifier on the
    suppression list, and, by SMS, a number whose last word to that sender was STOP."""
    if channel not in PREFERENCE_LINK_CHANNELS:
        raise ValidationError("The link is sent by email or sms.", code="channel_invalid")
    contact = Contact.objects.select_related("customer").get(pk=contact.pk)
    if contact.erased_at:
        raise ValidationError("This contact has been erased.", code="erased")
    if contact.do_not_contact:
        raise OutboundBlocked("do_not_contact")
    kind = "email" if channel == "email" else "phone"
    identifier = _primary_identifier(contact, kind)
    if identifier is None:
        raise ValidationError(
            f"This contact has no {'e-mail address' if kind == 'email' else 'phone number'}.",
            code="no_identifier",
        )
    sender_row = _sms_link_sender(contact, sender) if channel == "sms" else None
    outbound_allowed_or_raise(
        channel=channel,
        to=identifier.match_key,
        customer_id=contact.customer_id,
        sender=sender_row.number if sender_row else None,
    )
    # Sent by a task through the outbox (bounded timeouts, retries with backoff); the
    # audit row is written when the message actually left.
    acting = staff_user(actor)
    task_enqueue(
        task="consent.tasks.preference_link_deliver",
        args=[contact.pk, channel, sender_row.pk if sender_row else None, acting and acting.pk],
    )
