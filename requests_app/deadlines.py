"""Deadline arithmetic for privacy requests, driven by ``requests_app.rules``.

- A month is counted to the same day of the next month, or that month's last day where
  it has no such day (Jan 31 + 1 month = Feb 28, or Feb 29 in a leap year).
- Calendar days are plain days. A deadline that falls on a weekend is *not* moved: the
  earlier date is always the safe one.
- Business and working days skip Saturdays, Sundays, the rule's public holidays
  (``holidays`` package, country and state/region of the rule) and the rule's closed
  spans (New Zealand: 25 December to 15 January). The day of receipt is not counted.
- Our own promise (``rules.promise_for``, from ``REQUESTS_RESPONSE_PROMISE_DAYS``) caps
  the law: the due date is the earlier of the law's deadline and the promise; an
  extension never passes the promise unless the promise allows one, and then by at most
  its extension days after the original due date.

These functions read only the table and that setting; a request's dates are computed
once (at submission, at verification where the clock starts then, at extension) and
stored, so correcting the table later never moves an existing request's deadline.
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache

import holidays

from requests_app.rules import (
    COUNTED_ON_CALENDAR,
    DAYS,
    MONTHS,
    JurisdictionRule,
    Period,
    get_rule,
    promise_for,
)

ClosedSpans = tuple[tuple[tuple[int, int], tuple[int, int]], ...]


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later, or the last day of that month where it has none."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


@lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


def _in_closed_span(day: dt.date, spans: ClosedSpans) -> bool:
    key = (day.month, day.day)
    for start, end in spans:
        # A span such as (12, 25)-(1, 15) wraps the year end.
        if (start <= key <= end) if start <= end else (key >= start or key <= end):
            return True
    return False


def is_business_day(
    day: dt.date,
    *,
    country: str,
    subdivision: str | None = None,
    closed_spans: ClosedSpans = (),
) -> bool:
    return (
        day.weekday() < 5
        and day not in _holidays(country, subdivision, day.year)
        and not _in_closed_span(day, closed_spans)
    )


def add_business_days(
    day: dt.date,
    count: int,
    *,
    country: str,
    subdivision: str | None = None,
    closed_spans: ClosedSpans = (),
) -> dt.date:
    """The ``count``-th business day after ``day`` (``day`` itself is not counted)."""
    current = day
    remaining = count
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_business_day(
            current, country=country, subdivision=subdivision, closed_spans=closed_spans
        ):
            remaining -= 1
    return current


def _add(period: Period, start: dt.date, rule: JurisdictionRule) -> dt.date:
    if period.unit == MONTHS:
        return add_months(start, period.length)
    if period.unit == DAYS:
        return start + dt.timedelta(days=period.length)
    if period.unit in COUNTED_ON_CALENDAR:
        return add_business_days(
            start,
            period.length,
            country=rule.holiday_country,
            subdivision=rule.holiday_subdivision,
            closed_spans=rule.closed_spans,
        )
    raise ValueError(f"Unknown period unit {period.unit!r}.")


def law_due_date(rule_code: str, received_on: dt.date) -> dt.date:
    """The law's own deadline, before our promise is applied."""
    rule = get_rule(rule_code)
    return _add(rule.respond, received_on, rule)


def due_date(rule_code: str, received_on: dt.date) -> dt.date:
    """The date by which the request must be answered (``received_on`` is the day the
    clock started: receipt, or verification under rules that allow it): the earlier of
    the law's deadline and our promise for the rule."""
    due_on = law_due_date(rule_code, received_on)
    promise = promise_for(rule_code)
    if promise is not None:
        due_on = min(due_on, received_on + dt.timedelta(days=promise.days))
    return due_on


def extension_refusal(rule_code: str) -> str | None:
    """Why a request under this rule cannot be extended (for staff), or None."""
    rule = get_rule(rule_code)
    if rule.extension is None:
        return f"{rule.name} allows no extension."
    promise = promise_for(rule_code)
    if promise is not None and promise.extension_days is None:
        return (
            f"Our promise for {rule.name} ({promise}) allows no extension beyond "
            f"{promise.days} days."
        )
    return None


def extended_due_date(rule_code: str, due_on: dt.date) -> dt.date:
    """The deadline after the rule's extension, counted from the original ``due_on``
    and capped by our promise; ``ValueError`` if the rule or the promise allows none."""
    refusal = extension_refusal(rule_code)
    if refusal is not None:
        raise ValueError(f"Rule {rule_code!r} allows no extension: {refusal}")
    rule = get_rule(rule_code)
    assert rule.extension is not None
    extended = _add(rule.extension, due_on, rule)
    promise = promise_for(rule_code)
    if promise is not None and promise.extension_days is not None:
        extended = min(extended, due_on + dt.timedelta(days=promise.extension_days))
    return extended


def acknowledge_by(rule_code: str, received_on: dt.date) -> dt.date | None:
    """When receipt must be confirmed; ``None`` where the rule sets no deadline of its own."""
    rule = get_rule(rule_code)
    if rule.acknowledge is None:
        return None
    return _add(rule.acknowledge, received_on, rule)


def appeal_due_date(rule_code: str, received_on: dt.date) -> dt.date | None:
    """When an appeal must be answered; ``None`` where the rule has no internal appeal."""
    rule = get_rule(rule_code)
    if rule.appeal_response is None:
        return None
    return _add(rule.appeal_response, received_on, rule)
