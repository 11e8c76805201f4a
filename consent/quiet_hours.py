"""Quiet hours for marketing texts, in the recipient's local time.

The time zone and the US state come from the number itself (``phonenumbers``'
timezone and geocoder data). Where a number spans several zones, every one of them
must be outside quiet hours: the check must never give a wrong "yes".

The table is data, with its source per row, so counsel can correct it without
touching the logic. Times are [start, end): 8 means from 08:00, 21 means until 21:00."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass

import holidays
import phonenumbers
from django.conf import settings
from phonenumbers import geocoder
from phonenumbers import timezone as phone_timezone


@dataclass(frozen=True)
class QuietHoursRule:
    start_hour: int
    end_hour: int
    source: str
    sunday: tuple[int, int] | None = None  # another window on Sundays; (0, 0) = none
    no_legal_holidays: bool = False


FEDERAL = QuietHoursRule(8, 21, "47 U.S.C. §227 / 47 CFR §64.1200(c)(1)")

STATE_RULES: dict[str, QuietHoursRule] = {
    "FL": QuietHoursRule(8, 20, "Fla. Stat. §501.059(8)(a) (FTSA)"),
    "OK": QuietHoursRule(8, 20, "Okla. Stat. tit. 15 §775C.4 (OTSA)"),
    "MD": QuietHoursRule(8, 20, "Md. Com. Law §14-4503 (Stop the Spam Calls Act)"),
    "WA": QuietHoursRule(8, 20, "RCW 80.36.390(2)"),
    "CT": QuietHoursRule(9, 20, "Conn. Gen. Stat. §42-288a(d)"),
    "MS": QuietHoursRule(8, 20, "Miss. Code §77-3-725", sunday=(0, 0)),
    "AL": QuietHoursRule(8, 20, "Ala. Code §8-19A-3(4)", sunday=(0, 0), no_legal_holidays=True),
    "LA": QuietHoursRule(8, 20, "La. R.S. 45:844.15(A)(1)", sunday=(0, 0), no_legal_holidays=True),
    "TX": QuietHoursRule(9, 21, "Tex. Bus. & Com. Code §301.051", sunday=(12, 21)),
}

_STATE_NAMES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA",
    "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA",
    "kansas": "KS", "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD",
    "massachusetts": "MA", "michigan": "MI", "minnesota": "MN", "mississippi": "MS",
    "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY",
    "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK",
    "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC",
    "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT",
    "virginia": "VA", "washington": "WA", "washington state": "WA", "west virginia": "WV",
    "wisconsin": "WI", "wyoming": "WY", "washington d.c.": "DC", "district of columbia": "DC",
}  # fmt: skip


@dataclass(frozen=True)
class PhoneLocale:
    zones: tuple[str, ...]
    state: str | None


def phone_locale(e164: str) -> PhoneLocale:
    """Time zones and (for US numbers) the state a number belongs to."""
    if e164.startswith("+1") and len(e164) == 12:
        # In the North American plan both are fixed by the area code and exchange
        # (NPA-NXX): look up one number per exchange, so a list of a million numbers
        # costs thousands of look-ups, not a million.
        return _locale_of(e164[:8] + "0000")
    return _locale_of(e164)


@functools.lru_cache(maxsize=65536)
def _locale_of(e164: str) -> PhoneLocale:
    number = phonenumbers.parse(e164, None)
    zones = tuple(z for z in phone_timezone.time_zones_for_number(number) if z != "Etc/Unknown")
    state = None
    if phonenumbers.region_code_for_number(number) == "US":
        place = geocoder.description_for_number(number, "en")
        if ", " in place:
            state = place.rsplit(", ", 1)[1].upper()[:2]
        else:
            state = _STATE_NAMES.get(place.lower())
    if not zones:
        zones = (settings.CONSENT_QUIET_HOURS_FALLBACK_TZ,)
    return PhoneLocale(zones=zones, state=state)


def rule_for_state(state: str | None) -> QuietHoursRule:
    rule = STATE_RULES.get(state or "")
    if rule is not None:
        return rule
    return _default_rule(settings.CONSENT_QUIET_HOURS_START, settings.CONSENT_QUIET_HOURS_END)


@functools.lru_cache(maxsize=8)
def _default_rule(start_hour: int, end_hour: int) -> QuietHoursRule:
    # Settings are read on every check (tests change them); the rule built from them
    # is the same object for the same hours.
    return QuietHoursRule(start_hour, end_hour, FEDERAL.source)


@functools.lru_cache(maxsize=64)
def _state_holidays(state: str) -> holidays.HolidayBase:
    """A state's holiday calendar, built once per process (it fills years lazily);
    building it per check cost milliseconds on the hot path."""
    return holidays.US(subdiv=state)


def _window(rule: QuietHoursRule, local: dt.datetime, state: str | None) -> tuple[int, int]:
    if rule.no_legal_holidays and state and local.date() in _state_holidays(state):
        return (0, 0)
    if local.weekday() == 6 and rule.sunday is not None:
        return rule.sunday
    return (rule.start_hour, rule.end_hour)


@dataclass(frozen=True)
class QuietHoursAnswer:
    is_quiet: bool
    retry_at: dt.datetime | None = None  # earliest moment all zones are open again


_NOT_QUIET = QuietHoursAnswer(is_quiet=False)


def _is_open(rule: QuietHoursRule, moment: dt.datetime, zone: str, state: str | None) -> bool:
    local = moment.astimezone(zoneinfo.ZoneInfo(zone))
    start, end = _window(rule, local, state)
    return start <= local.hour < end


def quiet_hours_at(*, e164: str, now: dt.datetime) -> QuietHoursAnswer:
    """Whether ``now`` is in quiet hours for this number, and when they end."""
    locale = phone_locale(e164)
    rule = rule_for_state(locale.state)
    if all(_is_open(rule, now, zone, locale.state) for zone in locale.zones):
        return _NOT_QUIET
    hour = now.replace(minute=0, second=0, microsecond=0)
    if hour.tzinfo is dt.UTC:
        return _quiet_until_cached(rule, locale, hour)
    return _quiet_until(rule, locale, hour)


def _quiet_until(rule: QuietHoursRule, locale: PhoneLocale, hour: dt.datetime) -> QuietHoursAnswer:
    """Quiet hours from ``hour`` on: walk forward hour by hour (a few days at most:
    Sundays and holidays) to the next moment every zone of the number is open."""
    probe = hour
    for _ in range(24 * 5):
        probe += dt.timedelta(hours=1)
        if all(_is_open(rule, probe, zone, locale.state) for zone in locale.zones):
            return QuietHoursAnswer(is_quiet=True, retry_at=probe)
    return QuietHoursAnswer(is_quiet=True)


# The walk depends only on the rule, the zones and state, and the hour it starts from
# (UTC, as the check passes it), so during quiet hours every number of an exchange
# shares one walk per hour instead of repeating up to a dozen steps per check. Bounded:
# an hour's entries are only looked up again within that hour.
_quiet_until_cached = functools.lru_cache(maxsize=4096)(_quiet_until)
