"""Revocations that do not come as a keyword (FCC, 47 CFR 64.1200(a)(10)-(12);
docs/law.md): by e-mail, by phone (an agent records it), on the preference centre, and
the texts staff decide were revocations after review.

Each is honoured like STOP: written at once as withdrawals (method "email", "phone",
"preference_centre" or "sms_free_text"), for the sender named or — with none named, or
from the customer's revoke-all date — every sender of the customer. A revocation of
texts gets one confirmation text, only within ``CONSENT_REVOCATION_CONFIRMATION_MINUTES``
of receipt, with no marketing, never a second one for the same revocation, and only
through the outbound guard (``consent.selectors.outbound_block_reason``)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from consent.models import (
    Channel,
    ConsentEvent,
    InboundMessage,
    Purpose,
    RevocationReview,
    SenderNumber,
    SmsProgramme,
)
from consent.selectors import (
    OutboundBlock,
    outbound_block_reason,
    revocation_recently_confirmed,
    revoke_all_in_effect,
)
from consent.services.ledger import _event_build, _events_save
from consent.services.opt_outs import _sms_opt_out
from consent.services.own_number import own_number_contact
from consent.services.replies import sms_reply_text
from consent.services.revocation_reviews import revocation_review_transition
from consent.services.sms import _contact_for_phone
from consent.sms import OutboundSms, sms_gateway
from privacy.audit_actions import AuditAction
from privacy.models import Contact, ContactIdentifier
from privacy.services import audit_event_record, staff_user

logger = logging.getLogger(__name__)
Method = ConsentEvent.Method

#: How a revocation that is not an SMS keyword reached us ("staff": a letter, or said to
#: staff in person — the agent's form's third choice).
REVOCATION_METHODS = (Method.EMAIL, Method.PHONE, Method.PREFERENCE_CENTRE, Method.STAFF)
#: The longest note kept with a revocation (the ledger's ``source`` holds it after
#: "Revocation (<method>): "). A longer one is refused, never cut short.
REVOCATION_NOTE_MAX_LENGTH = 150
_CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class RevocationResult:
    events: list[ConsentEvent]
    all_senders: bool
    #: "queued", or why no confirmation text: "not_sms", "window_passed",
    #: "already_confirmed", "no_sender", or the outbound guard's reason.
    confirmation: str

    @property
    def withdrawn(self) -> int:
        return len(self.events)


def _confirmation_block_reason(*, customer_id: int | None, phone: str, sender: str) -> str:
    """Why the revocation's confirmation may not be texted ("" if it may): the one
    outbound guard, ``consent.selectors.outbound_block_reason`` — except its
    ``opted_out``, which this very revocation causes: the confirmation of an opt-out is
    the one text the rule allows after it (47 CFR 64.1200(a)(12)). Suppressed and
    do-not-contact people get nothing."""
    reason = outbound_block_reason(
        channel=Channel.SMS, to=phone, customer_id=customer_id, sender=sender
    )
    return "" if reason in (None, OutboundBlock.OPTED_OUT) else reason


def _confirmation_sender(contact: Contact, sender: str) -> SenderNumber | None:
    senders = SenderNumber.objects.filter(customer_id=contact.customer_id, is_active=True)
    if sender:
        return senders.filter(number=sender).first()
    return senders.order_by("-is_default_marketing", "id").first()


def _confirmation_deliver(
    *, to: str, sender: str, body: str, received_at: dt.datetime, contact_id: int
) -> None:
    """Send the confirmation after the commit, if the window is still open."""
    window = dt.timedelta(minutes=settings.CONSENT_REVOCATION_CONFIRMATION_MINUTES)
    if timezone.now() - received_at > window:
        logger.warning("Revocation confirmation for contact %s not sent: window passed", contact_id)
        return
    try:
        sms_gateway().send(OutboundSms(to=to, sender=sender, body=body))
    except Exception as exc:
        # Neither the number nor the error text (which may quote it) is logged.
        logger.error(
            "Revocation confirmation for contact %s not sent: %s", contact_id, type(exc).__name__
        )
        return
    logger.info("Revocation confirmation sent for contact %s", contact_id)


def _confirmation_queue(
    *,
    contact: Contact,
    phone: str,
    sender: str,
    everywhere: bool,
    received_at: dt.datetime,
    already_confirmed: bool,
    language: str = "en",
) -> str:
    """Queue the one confirmation of a revocation of texts (after the commit), or say
    why there is none."""
    window = dt.timedelta(minutes=settings.CONSENT_REVOCATION_CONFIRMATION_MINUTES)
    if timezone.now() - received_at > window:
        return "window_passed"
    if already_confirmed:
        return "already_confirmed"
    sender_row = _confirmation_sender(contact, sender)
    if sender_row is None:
        return "no_sender"
    blocked = _confirmation_block_reason(
        customer_id=contact.customer_id, phone=phone, sender=sender_row.number
    )
    if blocked:
        return blocked
    body = sms_reply_text("stopall" if everywhere else "stop", sender_row, language=language)
    transaction.on_commit(
        partial(
            _confirmation_deliver,
            to=phone,
            sender=sender_row.number,
            body=body,
            received_at=received_at,
            contact_id=contact.pk,
        )
    )
    return "queued"


def _received_at(received_at: dt.datetime | None) -> dt.datetime:
    now = timezone.now()
    if received_at is None:
        return now
    if timezone.is_naive(received_at):
        raise ValidationError("The time of receipt needs a time zone.", code="received_at")
    if received_at > now + _CLOCK_SKEW:
        raise ValidationError("A revocation cannot be received in the future.", code="future")
    return min(received_at, now)


@transaction.atomic
def contact_revocation_record(
    *,
    actor: AbstractBaseUser | None,
    contact: Contact,
    channel: str,
    identifier: str,
    method: str,
    sender: str | None = None,
    received_at: dt.datetime | None = None,
    note: str = "",
    marketing_only: bool = False,
) -> RevocationResult:
    """Honour a revocation the person made by e-mail, by phone, on the preference
    centre, or by letter or in person to staff (``method``): "stop texting me" (``channel="sms"``, ``identifier`` one of
    their numbers, ``sender`` one of the customer's numbers or ``None`` for every
    sender) or "stop e-mailing me" (``channel="email"``, every marketing e-mail purpose
    of that address). ``marketing_only``: the person stopped marketing texts only (the
    preference centre's choice), until the revoke-all date, from which any revocation
    covers every text of every sender.

    Written at once, whatever was granted before, dated when it was received (the
    person's act), with the note as the ledger's source. For texts, one confirmation is
    sent after the commit if the revocation was received within the confirmation window
    and no confirmation went out for it already. This is the one service for the act:
    the agent's "stop texting me" form (``consent.admin_opt_out``), the consent
    history's "Record a revocation" action and the preference centre all call it. The
    audit row holds ids, codes and counts, never the note."""
    if method not in REVOCATION_METHODS:
        raise ValidationError("Say how the revocation reached us.", code="method")
    if channel not in (Channel.SMS, Channel.EMAIL):
        raise ValidationError("Choose text messages or e-mails.", code="channel")
    contact = Contact.objects.select_related("customer").get(pk=contact.pk)
    if contact.erased_at:
        raise ValidationError("This contact has been erased.", code="erased")
    kind = "phone" if channel == Channel.SMS else "email"
    if not ContactIdentifier.objects.filter(
        contact=contact, kind=kind, match_key=identifier
    ).exists():
        raise ValidationError(
            "That number or address is not one of this contact's.", code="identifier"
        )
    at = _received_at(received_at)
    note = " ".join((note or "").split())
    if len(note) > REVOCATION_NOTE_MAX_LENGTH:
        raise ValidationError(
            f"Keep the note to {REVOCATION_NOTE_MAX_LENGTH} characters (it has {len(note)}).",
            code="note",
        )
    source = f"Revocation ({method}): {note}" if note else f"Revocation ({method})"
    if channel == Channel.EMAIL:
        purposes = Purpose.objects.filter(
            channel=Channel.EMAIL, is_marketing=True, is_active=True
        ).order_by("code")
        events = _events_save(
            [
                _event_build(
                    actor=actor,
                    purpose=purpose,
                    action=ConsentEvent.Action.WITHDRAW,
                    method=method,
                    contact=contact,
                    identifier=identifier,
                    occurred_at=at,
                    source=source,
                    reference=f"revocation-{method}",
                )
                for purpose in purposes
            ]
        )
        result = RevocationResult(events=events, all_senders=False, confirmation="not_sms")
    else:
        if not contact.customer_id:
            raise ValidationError("Text messages are sent for a customer's contacts.")
        sender = sender or ""
        if (
            sender
            and not SenderNumber.objects.filter(
                customer_id=contact.customer_id, number=sender
            ).exists()
        ):
            raise ValidationError(
                "That sender is not one of this customer's numbers.", code="sender"
            )
        revoke_all = revoke_all_in_effect(contact.customer, at=at)
        everywhere = not sender or revoke_all
        codes = (
            (Purpose.Code.SMS_MARKETING,)
            if marketing_only and not revoke_all
            else (Purpose.Code.SMS_MARKETING, Purpose.Code.SMS_INFORMATIONAL)
        )
        already = revocation_recently_confirmed(
            contact=contact, phone=identifier, sender="" if everywhere else sender, at=at
        )
        events = _sms_opt_out(
            customer=contact.customer,
            contact=contact,
            phone=identifier,
            sender=sender,
            everywhere=everywhere,
            message_sid=f"revocation-{method}",
            at=at,
            method=method,
            actor=actor,
            purpose_codes=codes,
            source=source,
        )
        confirmation = _confirmation_queue(
            contact=contact,
            phone=identifier,
            sender=sender,
            everywhere=everywhere,
            received_at=at,
            already_confirmed=already,
        )
        result = RevocationResult(events=events, all_senders=everywhere, confirmation=confirmation)
    audit_event_record(
        actor=actor,
        action=AuditAction.CONSENT_REVOCATION_RECORDED,
        object_type="contact",
        object_id=contact.pk,
        summary={
            "channel": channel,
            "method": method,
            "all_senders": result.all_senders,
            "events": [e.pk for e in result.events],
            "purposes": [e.purpose.code for e in result.events],
            "confirmation": result.confirmation,
        },
    )
    return result


@transaction.atomic
def revocation_review_resolve(
    *, actor: AbstractBaseUser | None, review: RevocationReview, revoke: bool
) -> bool:
    """Staff decide a text that might have been a revocation. ``revoke``: it was, and
    the number is opted out as of the text's receipt (as STOP from that sender, or every
    sender from the customer's revoke-all date; method "sms_free_text", the text kept as
    SMS proof); otherwise nothing changes. Returns False if it was already decided.

    A confirmation text goes out only if this happens within the confirmation window of
    the text's receipt — after it, the rule allows none."""
    updated = revocation_review_transition(
        review.pk,
        to_status=(
            RevocationReview.Status.REVOKED if revoke else RevocationReview.Status.NOT_REVOCATION
        ),
        resolved_at=timezone.now(),
        resolved_by=staff_user(actor),
    )
    if not updated:
        return False
    review = RevocationReview.objects.select_related("message", "customer", "contact").get(
        pk=review.pk
    )
    message = review.message
    summary: dict = {"review_id": review.pk, "revoked": revoke}
    if revoke:
        if not message.from_number:
            raise ValidationError(
                "The text's number was not valid: record the revocation on the contact.",
                code="no_number",
            )
        if review.contact is not None:
            contact = review.contact
        elif review.customer is None:  # a text to our own requests number
            contact = own_number_contact(message.from_number)
        else:
            contact = _contact_for_phone(review.customer, message.from_number, create=True)
        sender = (
            SenderNumber.objects.filter(number=review.sender).select_related("customer").first()
        )
        everywhere = review.customer is not None and revoke_all_in_effect(
            review.customer, at=message.received_at
        )
        sender_number = "" if everywhere else review.sender
        already = revocation_recently_confirmed(
            contact=contact, phone=message.from_number, sender=sender_number, at=timezone.now()
        )
        events = _sms_opt_out(
            customer=review.customer,
            contact=contact,
            phone=message.from_number,
            sender=review.sender,
            everywhere=everywhere,
            message_sid=message.message_sid,
            at=message.received_at,
            method=Method.SMS_FREE_TEXT,
            actor=actor,
        )
        # The text revoked consent: kept as SMS proof, like a keyword, when the person
        # is erased (consent.providers).
        InboundMessage.objects.filter(pk=message.pk).update(
            keyword=InboundMessage.Keyword.REVOCATION,
            outcome="opted_out_after_review",
            contact=contact,
        )
        RevocationReview.objects.filter(pk=review.pk).update(contact=contact)
        confirmation = (
            _confirmation_queue(
                contact=contact,
                phone=message.from_number,
                sender=review.sender if sender else "",
                everywhere=everywhere,
                received_at=message.received_at,
                already_confirmed=already,
            )
            if contact.customer_id
            else "no_sender"
        )
        summary.update(
            contact_id=contact.pk,
            events=[e.pk for e in events],
            all_senders=everywhere,
            confirmation=confirmation,
        )
    audit_event_record(
        actor=actor,
        action=AuditAction.CONSENT_REVOCATION_REVIEWED,
        object_type="inbound_message",
        object_id=message.pk,
        summary=summary,
    )
    return True


@transaction.atomic
def sms_programme_set(
    *, actor: AbstractBaseUser | None, customer, revoke_all_from: dt.date | None
) -> SmsProgramme:
    """Set the day from which an opt-out at one of the customer's senders stops them
    all. Earlier than the FCC's scheduled date (``CONSENT_REVOKE_ALL_FROM``) is the
    customer's choice; later is refused, since the rule applies from then whatever the
    customer says. Other worker processes see the change within
    ``CONSENT_API_CACHE_SECONDS`` (their cached sender numbers carry it)."""
    scheduled = settings.CONSENT_REVOKE_ALL_FROM
    if revoke_all_from is not None and scheduled is not None and revoke_all_from > scheduled:
        raise ValidationError(
            f"The FCC's revoke-all rule applies from {scheduled:%Y-%m-%d}: choose that day "
            "or an earlier one (or leave it empty).",
            code="revoke_all_from",
        )
    programme, _ = SmsProgramme.objects.select_for_update().get_or_create(customer=customer)
    previous = programme.revoke_all_from
    programme.revoke_all_from = revoke_all_from
    programme.updated_at = timezone.now()
    programme.save(update_fields=["revoke_all_from", "updated_at"])
    audit_event_record(
        actor=actor,
        action=AuditAction.CONSENT_SMS_PROGRAMME_CHANGED,
        object_type="customer",
        object_id=customer.pk,
        summary={
            "revoke_all_from": revoke_all_from.isoformat() if revoke_all_from else None,
            "previous": previous.isoformat() if previous else None,
        },
    )
    from consent.selectors import caches_clear

    transaction.on_commit(caches_clear)
    return programme
