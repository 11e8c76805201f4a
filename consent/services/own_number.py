"""Keywords texted to our own privacy-requests number (``REQUESTS_SMS_FROM_NUMBER``).

That number is no customer's sender (no ``SenderNumber`` row), so the webhook used to
log a STOP to it as "unknown sender" and change nothing: the person kept getting
verification codes and notices from it. A STOP (or STOPALL, or another opt-out keyword)
to it is recorded as what it is, an opt-out of texts from that number by one of our
own contacts (controller mode, no customer): the number's own contact is found or
created, as for a STOP to a customer's number, and both SMS purposes are withdrawn in
the ledger at that sender. A revocation in the person's own words ("please stop
texting me", "dejen de enviarme mensajes", read by ``consent.revocation`` as at
customers' senders) is the same opt-out (method "sms_free_text"). The outbound guard then answers ``opted_out`` for every
text from that number (``outbound_block_reason(…, sender=REQUESTS_SMS_FROM_NUMBER)``);
customers' numbers are not affected. START / UNSTOP / YES from the number grants the
informational purpose at that sender again (the person's own act). A number already on
the global suppression list (an erased person) is blocked anyway: no contact is
created for it again, and a START does not lift that suppression."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError

from consent import keywords
from consent.models import ConsentEvent, Purpose
from consent.revocation import Revocation
from consent.selectors import revocation_recently_confirmed
from consent.selectors.identifiers import sender_normalize
from consent.services.ledger import SMS_PURPOSES
from consent.services.opt_outs import _sms_keyword_events, _sms_opt_out
from privacy.models import Contact, ContactIdentifier
from privacy.selectors import identifier_is_suppressed
from privacy.services import contact_create

Method = ConsentEvent.Method

STOP_REPLY = (
    "You will get no more texts from this privacy requests number. We still answer "
    "your requests by e-mail. Reply START to get texts again."
)
START_REPLY = "You will get texts about your privacy requests from this number again."
HELP_REPLY = "Texts about your privacy requests. Reply STOP to stop them."


def own_requests_number(to_number: str) -> str:
    """Our requests number, normalised, when ``to_number`` is it; else ""."""
    ours = settings.REQUESTS_SMS_FROM_NUMBER
    if not ours or not to_number:
        return ""
    try:
        ours = sender_normalize(ours)
        return ours if sender_normalize(to_number) == ours else ""
    except ValidationError:
        return ""


OPTED_OUT = "opted_out_own_number"
OPTED_OUT_OWN_WORDS = "opted_out_own_number_own_words"
OWN_REVIEW = "revocation_review_own_number"
SUPPRESSED = "suppressed_own_number"


def own_number_outcome(
    keyword: str,
    phone: str | None,
    revocation: Revocation | None = None,
    *,
    sender: str = "",
    at: dt.datetime | None = None,
    blocked: bool = False,
) -> tuple[str, str]:
    """(outcome, reply) of a text to our requests number, decided by reads alone.

    A text that is no keyword is read as customers' senders read it
    (``consent.revocation``): a clear revocation in the person's own words ("please stop
    texting me") opts out as STOP does; a possible one goes to the staff queue
    (``RevocationReview`` without a customer, outcome ``revocation_review_own_number``).
    An opt-out confirmed within the confirmation window is not confirmed a second time
    (47 CFR 64.1200(a)(12)), as at customers' senders. ``blocked``: the number is on
    the global suppression list (``own_number_blocked``)."""
    if keyword == keywords.HELP:
        return "help_own_number", HELP_REPLY
    if blocked and not keyword:
        return SUPPRESSED, ""  # blocked already: nothing to revoke or review
    if not keyword and revocation is not None and phone is not None:
        if revocation.is_clear:
            return OPTED_OUT_OWN_WORDS, _stop_reply(phone, sender, at)
        if revocation.is_possible:
            return OWN_REVIEW, ""
    if phone is None or keyword not in (
        keywords.STOP,
        keywords.STOPALL,
        keywords.START,
        keywords.YES,
    ):
        return "no_keyword_own_number", ""
    if keyword in (keywords.STOP, keywords.STOPALL):
        return OPTED_OUT, _stop_reply(phone, sender, at)
    if blocked:
        return SUPPRESSED, ""
    return "rejoined_own_number", START_REPLY


def own_number_blocked(phone: str | None) -> bool:
    """Whether the number is on the global suppression list (an erased person, blocked
    already): its texts to our number are then stored without the number and, unless a
    keyword, without the words — no contact holds the number, so erasure could never
    find them again."""
    return phone is not None and identifier_is_suppressed(
        channel="phone", value=phone, customer_id=None
    )


def _stop_reply(phone: str, sender: str, at: dt.datetime | None) -> str:
    """The STOP confirmation, or "" when the number's opt-out at our number was
    confirmed within the window already (the holder, then its state: two queries)."""
    holder = _own_holder(phone) if sender and at is not None else None
    confirmed = holder is not None and revocation_recently_confirmed(
        contact=holder.contact, phone=phone, sender=sender, at=at
    )
    return "" if confirmed else STOP_REPLY


def _own_holder(phone: str) -> ContactIdentifier | None:
    return (
        ContactIdentifier.objects.filter(
            customer_id__isnull=True,
            kind="phone",
            match_key=phone,
            contact__erased_at__isnull=True,
        )
        .select_related("contact")
        .first()
    )


def own_number_contact(phone: str) -> Contact:
    """The number's own contact (controller mode, no customer), created if need be."""
    return _own_contact(phone)


def _own_contact(phone: str) -> Contact:
    holder = _own_holder(phone)
    if holder is not None:
        return holder.contact
    contact, _ = contact_create(actor=None, customer=None, phones=[phone], source="sms")
    return contact


def own_number_keyword_apply(
    *,
    outcome: str,
    phone: str,
    sender: str,
    message_sid: str,
    at: dt.datetime,
) -> tuple[Contact | None, list[ConsentEvent]]:
    """Write the ledger events of a STOP (or a clear revocation in own words) or START
    to our requests number (in the webhook's transaction). Returns the number's contact
    (None when nothing was written) and the events."""
    if outcome in (OPTED_OUT, OPTED_OUT_OWN_WORDS):
        if identifier_is_suppressed(channel="phone", value=phone, customer_id=None):
            return None, []  # an erased person: blocked already, not stored again
        contact = _own_contact(phone)
        events = _sms_opt_out(
            customer=None,
            contact=contact,
            phone=phone,
            sender=sender,
            everywhere=False,
            message_sid=message_sid,
            at=at,
            method=Method.SMS_FREE_TEXT if outcome == OPTED_OUT_OWN_WORDS else Method.SMS_KEYWORD,
            purpose_codes=SMS_PURPOSES,
        )
        return contact, events
    if outcome == "rejoined_own_number":
        contact = _own_contact(phone)
        events = _sms_keyword_events(
            purpose_codes=(Purpose.Code.SMS_INFORMATIONAL,),
            action=ConsentEvent.Action.GRANT,
            contact=contact,
            phone=phone,
            sender=sender,
            message_sid=message_sid,
            at=at,
        )
        return contact, events
    return None, []
