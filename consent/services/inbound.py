"""Inbound texts (the Twilio webhook, after its signature was checked): the keyword's
plan decided by reads alone, then one write of the inbound message, the ledger events
of an opt-out (STOP, STOPALL, or a clear revocation in the person's own words) or a
rejoin (START, YES), and the compliant reply. The opt-out is committed before the reply
goes out; no reply holds marketing, and a revocation gets at most one confirmation
(47 CFR 64.1200(a)(12)). A text that might be a revocation goes to the staff queue
(``RevocationReview``).

START / UNSTOP / YES from a number on the customer's suppression list (an erased person
who had opted out) is the person's own provable act from that number: it lifts the
suppression, recorded as a ledger event (action "lift", the MessageSid as evidence) and
on the Suppression row, with an audit row."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from consent import keywords
from consent.models import (
    ConsentEvent,
    ConsentState,
    InboundMessage,
    Notice,
    Purpose,
    RevocationReview,
    SenderNumber,
    SmsSubscription,
)
from consent.revocation import Revocation, business_days_after, revocation_classify
from consent.selectors import (
    InboundContact,
    contact_for_inbound_text,
    contact_is_minor,
    revoke_all_in_effect,
    sender_for_number,
)
from consent.services.inbound_stop import sms_stop_write, stop_in_one_statement_applies
from consent.services.ledger import SMS_PURPOSES, _purpose, _rows_insert
from consent.services.opt_outs import _sms_keyword_events, _sms_opt_out
from consent.services.own_number import (
    OPTED_OUT_OWN_WORDS,
    OWN_REVIEW,
    own_number_blocked,
    own_number_keyword_apply,
    own_number_outcome,
    own_requests_number,
)
from consent.services.replies import sms_reply_text
from privacy.audit_actions import AuditAction
from privacy.identifiers import parse_phone
from privacy.models import Contact
from privacy.selectors import identifier_is_suppressed
from privacy.services import audit_event_record, contact_create, suppressions_lift

Method = ConsentEvent.Method
# pg_advisory_xact_lock class for "a text from this number to this customer is being
# handled" (privacy's bulk import uses 0x1A4C).
_NUMBER_LOCK_CLASS = 0x534D


@dataclass
class InboundResult:
    reply: str = ""
    outcome: str = ""
    duplicate: bool = False
    message: InboundMessage | None = None


@dataclass(frozen=True)
class _InboundPlan:
    """What an inbound text will do, decided by reads alone before anything is written
    (so the inbound message is written once, with its outcome)."""

    outcome: str
    reply: str = ""
    grant: tuple[str, ...] = ()  # purposes START / YES grants again
    method: str = Method.SMS_KEYWORD
    notice: Notice | None = None
    lift: bool = False  # START / YES from a number on the customer's suppression list
    # An opt-out (STOP, STOPALL, a clear revocation in own words), and its scope.
    stop: bool = False
    everywhere: bool = False
    # A text that might be a revocation: for the staff queue.
    review_signal: str = ""
    # A keyword to our own privacy-requests number (consent.services.own_number).
    own_number: bool = False


def _inbound_plan(
    *,
    keyword: str,
    revocation: Revocation,
    sender: SenderNumber | None,
    phone: str | None,
    contact: Contact | None,
    at: dt.datetime,
) -> _InboundPlan:
    if sender is None:
        return _InboundPlan("unknown_sender")
    if not keyword and revocation.is_possible:
        return _InboundPlan("revocation_review", review_signal=revocation.signal)
    if not keyword and not revocation.is_clear:
        return _InboundPlan("no_keyword")
    if keyword == keywords.HELP:
        return _InboundPlan("help", sms_reply_text("help", sender))
    if phone is None:
        return _InboundPlan("invalid_from")
    if keyword in (keywords.STOP, keywords.STOPALL) or revocation.is_clear:
        # From the customer's revoke-all date, any opt-out covers every sender.
        everywhere = keyword == keywords.STOPALL or revoke_all_in_effect(sender.customer, at=at)
        outcome = "opted_out_all" if everywhere else "opted_out"
        return _InboundPlan(
            outcome if keyword else f"{outcome}_own_words",
            sms_reply_text(
                "stopall" if everywhere else "stop", sender, language=revocation.language
            ),
            method=Method.SMS_KEYWORD if keyword else Method.SMS_FREE_TEXT,
            stop=True,
            everywhere=everywhere,
        )
    return _rejoin_plan(keyword=keyword, sender=sender, phone=phone, contact=contact)


def _rejoin_plan(
    *, keyword: str, sender: SenderNumber, phone: str, contact: Contact | None
) -> _InboundPlan:
    """START, UNSTOP or YES, and whether it lifts a suppression of the number at this
    customer (global ones, of our own erased contacts, are not this customer's to lift)."""
    plan = _regrant_plan(keyword=keyword, sender=sender, phone=phone, contact=contact)
    if not identifier_is_suppressed(
        channel="phone", value=phone, customer_id=sender.customer_id, include_global=False
    ):
        return plan
    if plan.grant:
        return dataclasses.replace(plan, lift=True)
    return _InboundPlan("suppression_lifted", sms_reply_text("lifted", sender), lift=True)


def _regrant_plan(
    *, keyword: str, sender: SenderNumber, phone: str, contact: Contact | None
) -> _InboundPlan:
    """START, UNSTOP or YES: YES confirms a pending double opt-in at this sender;
    otherwise each SMS purpose the number had granted (at this sender or every sender)
    and has withdrawn since is granted again."""
    if keyword == keywords.YES:
        pending = (
            SmsSubscription.objects.select_for_update(of=("self",))
            .filter(
                customer_id=sender.customer_id,
                phone=phone,
                sender=sender.number,
                program=SmsSubscription.Program.MARKETING,
                status=SmsSubscription.Status.PENDING,
            )
            .select_related("prompt_notice")
            .first()
        )
        if pending is not None and contact is not None and contact_is_minor(contact):
            # No marketing consent for a minor without a parent's verified consent,
            # which a text cannot carry: the sign-up stays pending; staff can record
            # the parent's consent with its evidence.
            return _InboundPlan("minor_refused", sms_reply_text("help", sender))
        if pending is not None:
            return _InboundPlan(
                "confirmed",
                sms_reply_text("confirmed", sender),
                grant=(Purpose.Code.SMS_MARKETING,),
                method=Method.DOUBLE_OPT_IN,
                notice=pending.prompt_notice,
            )
    if contact is None:
        return _InboundPlan("nothing_to_rejoin", sms_reply_text("help", sender))
    purposes = {_purpose(code).pk: code for code in SMS_PURPOSES}
    scope = {
        "contact": contact,
        "purpose_id__in": list(purposes),
        "identifier": phone,
        "sender__in": [sender.number, ""],
    }
    had_consent = set(
        ConsentEvent.objects.filter(
            **scope, action=ConsentEvent.Action.GRANT, deidentified_at__isnull=True
        )
        .order_by()
        .values_list("purpose_id", flat=True)
        .distinct()
    )
    # The latest state of each purpose, at this sender or every sender, decides.
    latest: dict[int, tuple] = {}  # purpose id → ((since, last_event_id), is_granted)
    for purpose_id, since, last_event_id, is_granted in ConsentState.objects.filter(
        **scope
    ).values_list("purpose_id", "since", "last_event_id", "is_granted"):
        if purpose_id not in latest or (since, last_event_id) > latest[purpose_id][0]:
            latest[purpose_id] = ((since, last_event_id), is_granted)
    grant = tuple(
        code
        for purpose_id, code in purposes.items()
        if purpose_id in had_consent and not (purpose_id in latest and latest[purpose_id][1])
    )
    if contact_is_minor(contact):
        # A minor's marketing texts need a parent's verified consent, which START cannot
        # carry: only the informational texts come back.
        grant = tuple(code for code in grant if not _purpose(code).is_marketing)
    if not grant:
        return _InboundPlan("nothing_to_rejoin", sms_reply_text("help", sender))
    return _InboundPlan("rejoined", sms_reply_text("rejoin", sender), grant=grant)


def _number_lock(customer_id: int, phone: str) -> None:
    """Serialise the texts of one number to one customer until the transaction ends.

    Without it, a STOP and a STOPALL (or START) arriving together take the number's
    subscription rows in different orders and can deadlock, losing one of them, and two
    STOPs from a number we did not know yet both create its contact, the second failing
    on the unique identifier. PostgreSQL only: SQLite serialises every write anyway. The
    key is a hash: two numbers sharing one only wait for each other."""
    if connection.vendor != "postgresql":
        return
    key = zlib.crc32(f"{customer_id}:{phone}".encode()) - 2**31
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_NUMBER_LOCK_CLASS, key])


MESSAGE_SID_MAX_LENGTH = InboundMessage._meta.get_field("message_sid").max_length


def _inbound_fields_check(
    *, message_sid: str, account_sid: str, from_number: str, to_number: str
) -> str:
    """The MessageSid to de-duplicate by, or ``ValidationError`` naming the bad field
    (never its value; code = the field).

    A NUL byte in MessageSid, AccountSid, From or To is refused: the identifiers cannot
    be trusted (a SID with a NUL could not be de-duplicated). A MessageSid longer than
    the column (Twilio's are 34 characters) is refused rather than cut: cut, two texts
    sharing their first 64 characters would be one text, the second dropped as a
    duplicate."""
    for name, value in (
        ("MessageSid", message_sid),
        ("AccountSid", account_sid),
        ("From", from_number),
        ("To", to_number),
    ):
        if "\x00" in (value or ""):
            raise ValidationError(f"{name} contains a NUL byte.", code=name)
    message_sid = (message_sid or "").strip()
    if not message_sid:
        raise ValidationError("MessageSid is missing.", code="MessageSid")
    if len(message_sid) > MESSAGE_SID_MAX_LENGTH:
        raise ValidationError(
            f"MessageSid is longer than {MESSAGE_SID_MAX_LENGTH} characters.", code="MessageSid"
        )
    return message_sid


@transaction.atomic
def sms_inbound_handle(
    *,
    message_sid: str,
    account_sid: str,
    from_number: str,
    to_number: str,
    body: str,
    now: dt.datetime | None = None,
) -> InboundResult:
    """Handle one inbound text (the webhook, after its signature was checked).

    The opt-out is committed when this returns, before the reply goes out. Refused
    with ``ValidationError`` (nothing written) for a missing or over-long MessageSid and
    a NUL byte in MessageSid, AccountSid, From or To; NUL bytes in the body are
    removed. The same MessageSid a second time changes nothing and gets no reply: the
    inbound message is written first, by ``INSERT … ON CONFLICT (message_sid) DO
    NOTHING``, and nothing else is written when that inserts no row.

    A STOP from a known number is eight statements once the worker has the sender
    cached (``sender_for_number``; nine on a cold worker): the number's lock
    (``_number_lock``, PostgreSQL), the contact, the inbound message, whether the number
    was just sent a revocation's confirmation, the two ledger rows, their state upsert,
    the subscription upsert and the audit row (consent/tests/test_inbound_statements.py).

    A text that is no keyword is read by ``consent.revocation``: a clear revocation in
    the person's own words opts out as STOP does (method "sms_free_text", kept as SMS
    proof like a keyword); a possible one is queued for staff (``RevocationReview``, due
    in 10 business days); anything else changes nothing."""
    now = now or timezone.now()
    message_sid = _inbound_fields_check(
        message_sid=message_sid,
        account_sid=account_sid,
        from_number=from_number,
        to_number=to_number,
    )
    # NUL bytes are no part of any text a person typed (and PostgreSQL cannot store
    # them): removed before the text is classified and stored, so "STOP\0" is a STOP.
    body = (body or "").replace("\x00", "")
    to_number = (to_number or "").strip()
    sender = sender_for_number(to_number)
    keyword = keywords.keyword_classify(body)
    own = own_requests_number(to_number) if sender is None else ""
    revocation = (
        revocation_classify(body or "")
        if not keyword and (sender is not None or own)
        else Revocation(kind="")
    )
    phone = contact = None
    blocked = False
    found = InboundContact(None)
    if sender is not None:
        try:
            phone = parse_phone(
                from_number, default_region=sender.customer.default_phone_region
            ).e164
        except ValidationError:
            phone = None
        if phone is not None:
            _number_lock(sender.customer_id, phone)
            # Every text of a known person is linked to them, so erasure and export find it.
            found = contact_for_inbound_text(
                customer_id=sender.customer_id, phone=phone, sender=sender.number
            )
            contact = found.contact
    if own:
        try:
            phone = parse_phone(from_number, default_region="US").e164
        except ValidationError:
            phone = None
        if phone is not None:
            _number_lock(0, phone)
        blocked = own_number_blocked(phone)
        outcome, own_reply = own_number_outcome(
            keyword, phone, revocation, sender=own, at=now, blocked=blocked
        )
        plan = _InboundPlan(
            outcome,
            own_reply,
            review_signal=revocation.signal if outcome == OWN_REVIEW else "",
            own_number=True,
        )
        if plan.outcome == OPTED_OUT_OWN_WORDS:
            keyword = InboundMessage.Keyword.REVOCATION  # kept as SMS proof, like STOP
    else:
        plan = _inbound_plan(
            keyword=keyword,
            revocation=revocation,
            sender=sender,
            phone=phone,
            contact=contact,
            at=now,
        )
    if plan.stop and not keyword:
        keyword = InboundMessage.Keyword.REVOCATION
    reply = plan.reply
    window = dt.timedelta(minutes=settings.CONSENT_REVOCATION_CONFIRMATION_MINUTES)
    if plan.stop and found.confirmed_since(now - window, everywhere=plan.everywhere):
        # The same revocation again within the confirmation window: it was confirmed
        # once, nothing more is sent (47 CFR 64.1200(a)(12)). Read with the contact,
        # before the new events are written.
        reply = ""
    message = InboundMessage(
        message_sid=message_sid,
        account_sid=(account_sid or "")[:64],  # recorded only, never a key
        customer=sender.customer if sender else None,
        contact=contact,
        sender=to_number[:20],
        # Normalised (E.164): erasure finds a text that matched no contact by it
        # (consent.providers ``_unmatched_inbound``); not an erased person's at ours.
        from_number=None if own and blocked else phone,
        body=None if own and blocked and not keyword else body,
        keyword=keyword,
        received_at=now,
        outcome=plan.outcome,
        reply=reply,
    )
    if stop_in_one_statement_applies(stop=plan.stop, everywhere=plan.everywhere, contact=contact):
        # The commonest text, a known number's STOP at one sender: the same rows in one
        # statement (consent.services.inbound_stop).
        written = sms_stop_write(
            message=message,
            customer=sender.customer,
            contact=contact,
            phone=phone,
            sender=sender.number,
            message_sid=message_sid,
            method=plan.method,
            at=now,
            audit_summary=_audit_summary(keyword, plan, contact, sender, [], 0, reply),
        )
        if written is None:
            return InboundResult(outcome="duplicate", duplicate=True)
        return InboundResult(reply=reply, outcome=plan.outcome, message=message)
    inserted = _rows_insert(
        [message], "ON CONFLICT (message_sid) DO NOTHING RETURNING id", fetch=True
    )
    if not inserted:
        return InboundResult(outcome="duplicate", duplicate=True)
    message.pk = inserted[0][0]
    message._state.adding = False
    message._state.db = connection.alias

    events: list[ConsentEvent] = []
    stop = plan.stop
    if own and phone is not None:
        contact, events = own_number_keyword_apply(
            outcome=plan.outcome, phone=phone, sender=own, message_sid=message_sid, at=now
        )
        if contact is not None:
            message.contact = contact
            message.save(update_fields=["contact"])
    if (stop or plan.grant or plan.lift) and contact is None:
        # A STOP from a number we did not know (or a YES to a sign-up without a
        # contact, or a START that lifts an erased person's suppression): the ledger
        # event needs a contact to belong to.
        contact, _ = contact_create(
            actor=None, customer=sender.customer, phones=[phone], source="sms"
        )
        message.contact = contact
        message.save(update_fields=["contact"])
    if stop:
        events = _sms_opt_out(
            customer=sender.customer,
            contact=contact,
            phone=phone,
            sender=sender.number,
            everywhere=plan.everywhere,
            message_sid=message_sid,
            at=now,
            method=plan.method,
        )
    elif plan.grant:
        events = _sms_keyword_events(
            purpose_codes=plan.grant,
            action=ConsentEvent.Action.GRANT,
            method=plan.method,
            notice=plan.notice,
            contact=contact,
            phone=phone,
            sender=sender.number,
            message_sid=message_sid,
            at=now,
        )
    elif plan.review_signal:
        RevocationReview.objects.create(
            message=message,
            customer=sender.customer if sender else None,  # None: our own number
            contact=contact,
            sender=sender.number if sender else own,
            received_at=now,
            due_on=business_days_after(
                timezone.localdate(now), settings.CONSENT_REVOCATION_REVIEW_BUSINESS_DAYS
            ),
            signal=plan.review_signal,
        )
    lifted: list[int] = []
    if plan.lift:
        (lift,) = _sms_keyword_events(
            purpose_codes=(Purpose.Code.SMS_INFORMATIONAL,),
            action=ConsentEvent.Action.LIFT,
            contact=contact,
            phone=phone,
            sender=sender.number,
            message_sid=message_sid,
            at=now,
        )
        events.append(lift)
        lifted = suppressions_lift(
            actor=None,
            channel="phone",
            value=phone,
            customer_id=sender.customer_id,
            event_id=lift.pk,
            method=Method.SMS_KEYWORD,
            now=now,
        )
    audit_event_record(
        actor=None,
        action=AuditAction.CONSENT_SMS_INBOUND,
        object_type="inbound_message",
        object_id=message.pk,
        summary=_audit_summary(keyword, plan, contact, sender, events, len(lifted), reply),
    )
    return InboundResult(reply=reply, outcome=plan.outcome, message=message)


def _audit_summary(keyword, plan, contact, sender, events, lifted: int, reply: str) -> dict:
    return {
        "keyword": keyword,
        "outcome": plan.outcome,
        "contact_id": contact.pk if contact else None,
        "customer_id": sender.customer_id if sender else None,
        "events": [e.pk for e in events],
        "suppressions_lifted": lifted,
        "confirmation": bool(reply) if plan.stop else None,
    }
