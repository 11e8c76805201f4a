"""The ledger writes of what a number says about its texts: one keyword's (or one
revocation's) decision for the SMS purposes, written together, and the opt-out of a
number at one sender or every sender of a customer. Used by the webhook and by the
revocations that reach us another way (``consent.services.revocation``)."""

from __future__ import annotations

import datetime as dt

from consent.models import ConsentEvent, Notice, SmsSubscription
from consent.services.ledger import SMS_PURPOSES, _event_build, _events_save, _purpose, _rows_insert
from privacy.models import Contact, Customer

Method = ConsentEvent.Method


def _sms_keyword_events(
    *,
    purpose_codes: tuple[str, ...],
    action: str,
    contact: Contact,
    phone: str,
    sender: str,
    message_sid: str,
    at: dt.datetime,
    method: str = Method.SMS_KEYWORD,
    notice: Notice | None = None,
) -> list[ConsentEvent]:
    """One keyword's decision for one or more SMS purposes, written together."""
    return _events_save(
        [
            _event_build(
                actor=None,
                purpose=_purpose(code),
                action=action,
                method=method,
                contact=contact,
                identifier=phone,
                sender=sender,
                notice=notice,
                occurred_at=at,
                reference=message_sid,
            )
            for code in purpose_codes
        ]
    )


def _sms_opt_out(
    *,
    customer: Customer,
    contact: Contact,
    phone: str,
    sender: str,
    everywhere: bool,
    message_sid: str,
    at: dt.datetime,
    method: str = Method.SMS_KEYWORD,
    actor=None,
    purpose_codes: tuple[str, ...] = SMS_PURPOSES,
    source: str | None = None,
) -> list[ConsentEvent]:
    """STOP (this sender) or STOPALL (every sender of the customer), and every other
    revocation of texts (own words, e-mail, phone, preference centre: ``method``): both
    SMS purposes are withdrawn, and with them every subscription of the number in scope
    whatever its status, so a pending sign-up ends too (the withdrawal's subscription
    write covers this sender's subscriptions, or for every sender all of the number's).
    ``sender`` may be empty with ``everywhere`` (a revocation that names no number);
    ``purpose_codes`` narrows it (the preference centre's "no marketing texts");
    ``source`` is the staff's note on a revocation they recorded."""
    events = _events_save(
        [
            _event_build(
                actor=actor,
                purpose=_purpose(code),
                action=ConsentEvent.Action.WITHDRAW,
                method=method,
                contact=contact,
                identifier=phone,
                sender="" if everywhere else sender,
                occurred_at=at,
                source=source,
                reference=message_sid,
            )
            for code in purpose_codes
        ]
    )
    if everywhere and sender:
        # A row for the number the STOPALL was sent to, even if it had none: the record
        # of the opt-out outlives any later ledger clean-up of other purposes. Rows that
        # exist were opted out just above and stay as they are.
        _rows_insert(
            [
                SmsSubscription(
                    customer=customer,
                    contact=contact,
                    phone=phone,
                    sender=sender,
                    program=program,
                    status=SmsSubscription.Status.OPTED_OUT,
                    opted_out_at=at,
                )
                for program in SmsSubscription.Program.values
            ],
            "ON CONFLICT (customer_id, phone, sender, program) WHERE (phone IS NOT NULL) "
            "DO NOTHING",
        )
    return events
