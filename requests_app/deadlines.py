"""Pure deadline arithmetic for privacy requests, driven by ``requests_app.rules``.

- A month is counted to the same day of the next month, or that month's last day where
  it has no such day (Jan 31 + 1 month = Feb 28, or Feb 29 in a leap year).
- Calendar days are plain days. A deadline that falls on a weekend is *not* moved: the
  earlier date is always the safe one.
- Business days skip Saturdays, Sundays and the rule's public holidays (``holidays``
  package, country and state/region of the rule). The day of receipt is not counted.
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache

import holidays

from requests_app.rules import BUSINESS_DAYS, DAYS, MONTHS, Period, get_rule


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later, or the last day of that month where it has none."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


@lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


def is_business_day(day: dt.date, *, country: str, subdivision: str | None = None) -> bool:
    return day.weekday() < 5 and day not in _holidays(country, subdivision, day.year)


def add_business_days(
    day: dt.date, count: int, *, country: str, subdivision: str | None = None
) -> dt.date:
    """The ``count``-th business day after ``day`` (``day`` itself is not counted)."""
    current = day
    remaining = count
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_business_day(current, country=country, subdivision=subdivision):
            remaining -= 1
    return current


def _add(period: Period, start: dt.date, *, country: str, subdivision: str | None) -> dt.date:
    if period.unit == MONTHS:
        return add_months(start, period.length)
    if period.unit == DAYS:
        return start + dt.timedelta(days=period.length)
    if period.unit == BUSINESS_DAYS:
        return add_business_days(start, period.length, country=country, subdivision=subdivision)
    raise ValueError(f"Unknown period unit {period.unit!r}.")


def due_date(rule_code: str, received_on: dt.date) -> dt.date:
    """The date by which the request must be answered (``received_on`` is the day the
    clock started: receipt, or verification under rules that allow it)."""
    rule = get_rule(rule_code)
    return _add(
        rule.respond,
        received_on,
        country=rule.holiday_country,
        subdivision=rule.holiday_subdivision,
    )


def extended_due_date(rule_code: str, due_on: dt.date) -> dt.date:
    """The deadline after the rule's extension; ``ValueError`` if it allows none."""
    rule = get_rule(rule_code)
    if rule.extension is None:
        raise ValueError(f"Rule {rule_code!r} allows no extension.")
    return _add(
        rule.extension, due_on, country=rule.holiday_country, subdivision=rule.holiday_subdivision
    )


def acknowledge_by(rule_code: str, received_on: dt.date) -> dt.date | None:
    """When receipt must be confirmed; ``None`` where the rule sets no deadline of its own."""
    rule = get_rule(rule_code)
    if rule.acknowledge is None:
        return None
    return _add(
        rule.acknowledge,
        received_on,
        country=rule.holiday_country,
        subdivision=rule.holiday_subdivision,
    )


def appeal_due_date(rule_code: str, received_on: dt.date) -> dt.date | None:
    """When an appeal must be answered; ``None`` where the rule has no internal appeal."""
    rule = get_rule(rule_code)
    if rule.appeal_response is None:
        return None
    return _add(
        rule.appeal_response,
        received_on,
        country=rule.holiday_country,
        subdivision=rule.holiday_subdivision,
    )
