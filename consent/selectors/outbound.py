"""The guard every outbound path consults before sending anything that is not the
direct, single reply to the person's own keyword text: "may a transactional or notice
message go to this address or number at all?".

It does not ask about consent (marketing needs ``consent_check`` as well); it answers
whether the person has put themselves out of reach: an identifier on the suppression
list (an erased person who had opted out), a number whose last word to the sender was
STOP, or a person who asked never to be contacted. Anything doubtful answers "no"."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q

from consent.models import Channel, ConsentState, Purpose
from consent.selectors.identifiers import identifier_kind, identifier_normalize, sender_normalize
from consent.selectors.senders import sender_for_number
from privacy.models import ContactIdentifier
from privacy.selectors import identifier_is_suppressed

OUTBOUND_CHANNELS = (Channel.EMAIL, Channel.SMS)
_SMS_PURPOSES = (Purpose.Code.SMS_MARKETING, Purpose.Code.SMS_INFORMATIONAL)


class OutboundBlock:
    """The reasons ``outbound_block_reason`` gives (strings, so callers can put them in
    a JSON answer or an audit summary as they are)."""

    SUPPRESSED = "suppressed"
    DO_NOT_CONTACT = "do_not_contact"
    OPTED_OUT = "opted_out"
    INVALID_IDENTIFIER = "invalid_identifier"


def outbound_block_reason(
    *,
    channel: str,
    to: str,
    customer_id: int | None,
    sender: str | None = None,
    proven: bool = False,
) -> str | None:
    """Why nothing may be sent to ``to`` on ``channel`` for this customer (None: for
    our own contacts, controller mode), or None when a transactional or notice message
    may go. Marketing needs ``consent_check`` too.

    ``to`` is the normalised e-mail address or E.164 number (it is normalised again, so
    a raw one gives the same answer; one that is not valid answers
    ``invalid_identifier``). ``sender`` is the number or short code an SMS goes out
    from; without it a STOP to any sender of the customer blocks (we cannot tell the
    text is not going out from that sender).

    Reasons, in this order:

    - ``suppressed``: on the suppression list for this customer or globally (the HMAC
      looked up under every configured key), whether or not any contact still holds it.
      Our own messages (``customer_id`` None: privacy-request notices and codes, our
      own contacts) are stopped by a suppression in ANY scope: whoever erased the person,
      an erased person who opted out is never messaged again by this installation
      (DESIGN.md, "Suppression"). A phone-only requester whose number is suppressed is
      told on the thank-you page that e-mail still works; the suppression at a customer
      is lifted only by their START / YES to that customer's number;
    - ``do_not_contact``: a live contact of this customer holding it asked never to be
      contacted;
    - ``opted_out`` (SMS): the number's last word to that sender or to every sender
      (STOPALL) was STOP or another withdrawal of SMS; without a sender, any sender's.

    ``proven``: the message answers a request the person filed and proved by this very
    identifier (they opened the link mailed to the address, or typed the code texted to
    the number). The suppression list does not stop that answer — most often the
    confirmation that their own deletion request was carried out, which the erasure
    itself has just suppressed; "do not contact" and an SMS opt-out still do.

    The one message exempt from this guard is the reply to the person's own keyword
    text (STOP, START, HELP): it answers their message, once, with no marketing."""
    if channel not in OUTBOUND_CHANNELS:
        raise ValidationError("channel must be sms or email.", code="channel_invalid")
    try:
        match_key = identifier_normalize(channel=channel, raw=to)
    except ValidationError:
        return OutboundBlock.INVALID_IDENTIFIER
    kind = identifier_kind(channel)
    if not proven and identifier_is_suppressed(
        channel=kind, value=match_key, customer_id=customer_id, any_customer=customer_id is None
    ):
        return OutboundBlock.SUPPRESSED

    customer_ids = {customer_id}
    sender_value = _sender_value(sender) if sender else None
    if sender_value:
        # A STOP to the sender is recorded under the sender's customer, which may not be
        # the customer the message is sent for (our own notices from a customer's number).
        sender_row = sender_for_number(sender_value)
        if sender_row is not None:
            customer_ids.add(sender_row.customer_id)
    holders = ContactIdentifier.objects.filter(
        _customer_in(customer_ids), kind=kind, match_key=match_key, contact__erased_at__isnull=True
    )
    if holders.filter(contact__do_not_contact=True, customer_id=customer_id).exists():
        return OutboundBlock.DO_NOT_CONTACT
    if channel == Channel.SMS and _sms_opted_out(
        contact_ids=holders.values("contact_id"), phone=match_key, sender=sender_value
    ):
        return OutboundBlock.OPTED_OUT
    return None


def _sender_value(sender: str) -> str:
    try:
        return sender_normalize(sender)
    except ValidationError:
        return sender.strip()


def _customer_in(customer_ids: set[int | None]) -> Q:
    condition = Q(customer_id__in=[c for c in customer_ids if c is not None])
    if None in customer_ids:
        condition |= Q(customer_id__isnull=True)
    return condition


def _sms_opted_out(*, contact_ids, phone: str, sender: str | None) -> bool:
    """With a sender: the latest SMS decision for the number at that sender or every
    sender is a withdrawal. Without one: any sender's latest is a withdrawal (as the
    consent check answers without a sender). STOP, STOPALL and staff opt-outs all write
    ledger events, so the projection tells."""
    states = ConsentState.objects.filter(
        contact_id__in=contact_ids, identifier=phone, purpose__code__in=_SMS_PURPOSES
    )
    if sender is None:
        return states.filter(is_granted=False).exists()
    latest = (
        states.filter(sender__in=[sender, ""])
        .order_by("-since", "-last_event_id")
        .values_list("is_granted", flat=True)
        .first()
    )
    return latest is False
