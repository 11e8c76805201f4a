"""Quiet hours (consent/quiet_hours.py): by the number's local time and state, looked up
once per exchange."""

from __future__ import annotations

import datetime as dt

import pytest

from consent.quiet_hours import quiet_hours_at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("number", "utc_hour", "quiet"),
    [
        ("+13055551234", 0, False),  # Miami 19:00 (EST): open in Florida until 20:00
        ("+13055551234", 1, True),  # Miami 20:00: quiet in Florida
        ("+12125550123", 1, False),  # New York 20:00: federal window runs to 21:00
        ("+12125550123", 2, True),  # New York 21:00
        ("+14155550111", 15, True),  # San Francisco 07:30 (PST is UTC-8)
        ("+14155550111", 16, False),  # San Francisco 08:30
    ],
)
def test_quiet_hours_by_the_numbers_local_time_and_state(number, utc_hour, quiet):
    # 2026-01-14 is a Wednesday, in winter time.
    now = dt.datetime(2026, 1, 14, utc_hour, 30, tzinfo=dt.UTC)
    assert quiet_hours_at(e164=number, now=now).is_quiet is quiet


def test_texas_sunday_window_starts_at_noon():
    sunday_11 = dt.datetime(2026, 1, 18, 17, 0, tzinfo=dt.UTC)  # 11:00 Central
    answer = quiet_hours_at(e164="+12145550199", now=sunday_11)
    assert answer.is_quiet and answer.retry_at == dt.datetime(2026, 1, 18, 18, 0, tzinfo=dt.UTC)


def test_quiet_hours_locale_is_looked_up_once_per_exchange():
    """Numbers of one NANP exchange share their time zone and state, so the second
    number of an exchange costs no look-up — and gets the same answer it would alone."""
    from consent import quiet_hours

    quiet_hours._locale_of.cache_clear()
    first = quiet_hours.phone_locale("+13055550111")
    second = quiet_hours.phone_locale("+13055550199")
    assert first == second == quiet_hours._locale_of.__wrapped__("+13055550199")
    assert first.state == "FL" and "America/New_York" in first.zones
    assert quiet_hours._locale_of.cache_info().misses == 1
    # Outside the North American plan every number is looked up on its own.
    assert quiet_hours.phone_locale("+442079460958").zones == ("Europe/London",)
