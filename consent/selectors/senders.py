"""The sender numbers customers text from, as the inbound webhook finds them (cached
per worker)."""

from __future__ import annotations

from consent.models import SenderNumber
from consent.selectors.caches import _senders


def sender_for_number(number: str) -> SenderNumber | None:
    """The active sender number an inbound text was sent to, with its customer (and the
    customer's SMS programme, if any), or None.

    A sender found is cached per worker like the purposes, for
    ``CONSENT_API_CACHE_SECONDS`` (the webhook asks on every text, and the ORM query
    cost more CPU than the rest of a STOP's reads). "Unknown" answers are not cached: a
    number just added must be found on the very next text, or a STOP sent to it would
    be logged as "unknown sender" and lost. So only a sender number deactivated or moved
    to another customer is seen late by the other worker processes, when their entry
    expires, up to that many seconds later (a STOP to it is still honoured); the admin
    clears the cache of the process that saved it. The row is shared by the requests
    of the worker: read it, never change it."""
    sender = _senders.get(number)
    if sender is None:
        sender = (
            SenderNumber.objects.filter(number=number, is_active=True)
            # The customer's SMS programme rides along (revoke-all date): no extra query
            # on a STOP.
            .select_related("customer", "customer__sms_programme")
            .first()
        )
        if sender is not None:
            _senders.set(number, sender)
    return sender


def sender_of_customer(*, customer_id: int, number: str) -> SenderNumber | None:
    """The customer's sender number (active or not: consent recorded at a number since
    retired is still evidence), or None, also when the number is another customer's."""
    return SenderNumber.objects.filter(customer_id=customer_id, number=number).first()
