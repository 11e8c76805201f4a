"""Reads of the FCC's revocation rules (47 CFR 64.1200(a)(10)-(12), docs/law.md): from
when an opt-out at one sender covers every sender of a customer ("revoke-all"), whether a
number was already sent the one confirmation of a revocation, and the staff queue of
texts that might be revocations."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet

from consent.models import ConsentEvent, ConsentState, Purpose, RevocationReview
from consent.selectors.purposes import purpose_get
from privacy.models import Contact, Customer

Method = ConsentEvent.Method

#: Revocations that send the one confirmation text (when received within the window).
CONFIRMED_METHODS = (
    Method.SMS_KEYWORD,
    Method.SMS_FREE_TEXT,
    Method.EMAIL,
    Method.PHONE,
    Method.PREFERENCE_CENTRE,
)


def revoke_all_from(customer: Customer) -> dt.date | None:
    """The first day an opt-out at one of the customer's senders stops all of them: the
    customer's own date (an SMS programme row) or ``CONSENT_REVOKE_ALL_FROM``, whichever
    is earlier — a customer may apply the rule before the FCC's date, never after.
    ``None``: not scheduled. No query when the customer came with its programme (the
    webhook's cached sender number loads it)."""
    try:
        own = customer.sms_programme.revoke_all_from
    except ObjectDoesNotExist:
        own = None
    dates = [day for day in (own, settings.CONSENT_REVOKE_ALL_FROM) if day]
    return min(dates) if dates else None


def revoke_all_in_effect(customer: Customer, *, at: dt.datetime) -> bool:
    """Whether a revocation received at ``at`` covers every sender of the customer."""
    start = revoke_all_from(customer)
    return start is not None and at.astimezone(dt.UTC).date() >= start


def revocation_recently_confirmed(
    *, contact: Contact, phone: str, sender: str, at: dt.datetime
) -> bool:
    """Whether the number's SMS consent at this sender (or every sender) was already
    revoked, by a revocation that sends the confirmation text, within the confirmation
    window before ``at``: then a second revocation is the same one, and gets no second
    text (47 CFR 64.1200(a)(12)). One indexed query (the state's unique key)."""
    window = dt.timedelta(minutes=settings.CONSENT_REVOCATION_CONFIRMATION_MINUTES)
    return ConsentState.objects.filter(
        contact=contact,
        purpose_id__in=[
            purpose_get(code).pk
            for code in (Purpose.Code.SMS_MARKETING, Purpose.Code.SMS_INFORMATIONAL)
        ],
        identifier=phone,
        sender__in=[sender, ""] if sender else [""],
        is_granted=False,
        method__in=CONFIRMED_METHODS,
        since__gte=at - window,
        since__lte=at,
    ).exists()


def revocation_reviews_open() -> QuerySet[RevocationReview]:
    """The staff queue: texts that might be revocations, the most urgent first."""
    return RevocationReview.objects.filter(status=RevocationReview.Status.OPEN).order_by(
        "due_on", "id"
    )
