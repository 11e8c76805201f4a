"""What people choose on the public pages: the preference centre's signed links, a
visitor's cookie choices, and the cookie-banner records past their retention."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.conf import settings
from django.core import signing

from consent.models import ConsentState, CookieConsent, Purpose
from privacy.models import Contact
from privacy.selectors import ids_in_batches

PREFERENCE_SALT = "consent.preference-centre"


def preference_token_make(*, contact_id: int) -> str:
    """A signed token naming the contact by id (no e-mail or phone in the link)."""
    return signing.dumps({"c": contact_id}, salt=PREFERENCE_SALT, compress=True)


class PreferenceLinkExpired(Exception):
    """The link was genuine but is too old."""


def preference_token_contact(token: str) -> Contact | None:
    """The contact a preference link is for; None if it was tampered with.
    Raises ``PreferenceLinkExpired`` when it is older than the configured age."""
    max_age = dt.timedelta(days=settings.CONSENT_PREFERENCE_LINK_MAX_AGE_DAYS)
    try:
        data = signing.loads(token, salt=PREFERENCE_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise PreferenceLinkExpired from None
    except signing.BadSignature:
        return None
    contact_id = data.get("c") if isinstance(data, dict) else None
    if not isinstance(contact_id, int):
        return None
    return (
        Contact.objects.filter(pk=contact_id, erased_at__isnull=True)
        .select_related("customer")
        .first()
    )


def cookie_records_expired(*, now: dt.datetime, batch_size: int) -> Iterator[list[int]]:
    """Ids of cookie-banner records older than the retention period, in batches by pk."""
    cutoff = now - dt.timedelta(days=settings.CONSENT_COOKIE_RETENTION_DAYS)
    yield from ids_in_batches(
        CookieConsent.objects.filter(recorded_at__lt=cutoff), batch_size=batch_size
    )


def visitor_cookie_choice(visitor_id) -> dict[str, bool] | None:
    """A visitor's current cookie choices by category, or None for no visitor."""
    if visitor_id is None:
        return None
    granted = dict(
        ConsentState.objects.filter(visitor_id=visitor_id).values_list(
            "purpose__code", "is_granted"
        )
    )
    return {
        "analytics": bool(granted.get(Purpose.Code.COOKIES_ANALYTICS)),
        "advertising": bool(granted.get(Purpose.Code.COOKIES_ADVERTISING)),
    }
