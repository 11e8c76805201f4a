"""Who is a minor, as the consent app needs to know it: no marketing to a minor, and no
marketing consent recorded for one, without verifiable parental consent evidence.

The age limit is privacy's, per jurisdiction (``privacy.minors.minor_age_limit``: a
dated, cited table, ``PRIVACY_MINOR_AGE`` our promise and default), the rule privacy's
minors' queue applies too. The consent check reads the four inputs (flag, birth date,
country, state) in its one query and calls ``is_minor_on``, so the hot path stays one
statement."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from privacy.minors import age_on
from privacy.minors import minor_age_limit as _privacy_minor_age_limit
from privacy.models import Contact


def minor_age_limit(*, country: str | None, state: str | None, on: dt.date) -> int:
    """Under this age a person living in ``country`` / ``state`` is a minor on ``on``
    (privacy's per-jurisdiction rule)."""
    return _privacy_minor_age_limit(country=country, state=state, on=on).age


def is_minor_on(
    *,
    is_minor: bool | None,
    date_of_birth: dt.date | None,
    country: str | None,
    state: str | None,
    on: dt.date,
) -> bool:
    """A minor: flagged as one (staff, import, API), or born less than the age limit of
    where they live before ``on``. ``is_minor=False`` does not outweigh a birth date."""
    if is_minor:
        return True
    if date_of_birth is None:
        return False
    return age_on(date_of_birth, on) < minor_age_limit(country=country, state=state, on=on)


def contact_is_minor(contact: Contact, *, on: dt.date | None = None) -> bool:
    """Whether the contact is a minor today (or on ``on``); reads no database."""
    return is_minor_on(
        is_minor=contact.is_minor,
        date_of_birth=contact.date_of_birth,
        country=contact.country,
        state=contact.state,
        on=on or timezone.localdate(),
    )
