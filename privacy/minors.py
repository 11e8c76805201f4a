"""Who counts as a minor, per jurisdiction: a dated table of the ages the laws set, with
their sources, and the rule that turns it into the age limit we apply.

A person under the age limit of where they live is a **minor**: their data is erased
promptly once we know (``privacy.services.minors``), and (consent app) no marketing
consent is recorded for them without parental consent evidence.

The limit we apply, for a contact living in ``country`` (and ``state``) on a day:

1. ``PRIVACY_MINOR_AGE_BY_JURISDICTION`` (a setting: ``"FR=15,US-CA=18"``) when it names
   the jurisdiction — a lawyer's correction or a member-state variation the installation
   chooses, without a code change;
2. otherwise the higher of our own promise (``PRIVACY_MINOR_AGE``, default 16: "we delete
   the data of under-16s") and the age the law of that place sets (a row below in force
   on that day) — a law may protect older children than we promise (Maryland: under 18),
   never fewer: the member-state rows (13-15) take effect only where the installation
   lowers its promise below them;
3. otherwise ``PRIVACY_MINOR_AGE``.

Rows are data, as in ``requests_app.rules``: each says which provision sets the age,
since when, and when someone last read it (``checked_on``; ``source_note`` says what was
read and what was not). ``docs/privacy-core.md`` lists them. Keys are ISO 3166-1 country
codes, or ``US-XX`` for a US state."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

CHECKED = dt.date(2026, 11, 30)

_SWD = (
    "European Commission Staff Working Document SWD(2020) 115, accompanying the two-year "
    "evaluation of the GDPR (COM(2020) 264), p. 17 (table of the Art. 8 ages chosen by each "
    "member state), read through its summary at blog.kuan0.com (2020-06-29) and Bird & "
    "Bird's GDPR tracker 'Children online' (national provisions cited per country); the "
    "national acts themselves were not read."
)


@dataclass(frozen=True, kw_only=True)
class MinorAgeRule:
    """Under ``age`` a person living in ``jurisdiction`` is a child for the law named."""

    jurisdiction: str
    age: int
    law: str
    #: The provision that sets the age.
    citation: str
    effective_from: dt.date
    effective_until: dt.date | None = None
    checked_on: dt.date | None = None
    source_note: str = ""

    def in_force_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (
            self.effective_until is None or day <= self.effective_until
        )


def _gdpr_member_state(code: str, age: int, citation: str) -> MinorAgeRule:
    return MinorAgeRule(
        jurisdiction=code,
        age=age,
        law="GDPR Art. 8(1) as set by national law",
        citation=citation,
        effective_from=dt.date(2018, 5, 25),
        checked_on=CHECKED,
        source_note=_SWD,
    )


_EU_AGES = {
    # 13 years
    "BE": (13, "Belgian Data Protection Act of 30 July 2018, art. 7"),
    "DK": (13, "Danish Data Protection Act (Databeskyttelsesloven) §6(2)"),
    "EE": (13, "Estonian Personal Data Protection Act §8"),
    "FI": (13, "Finnish Data Protection Act (1050/2018) §5"),
    "LV": (13, "Latvian Personal Data Processing Law §33"),
    "MT": (13, "Maltese Data Protection Act (Cap. 586), art. 8"),
    "PT": (13, "Portuguese Law 58/2019, art. 16"),
    "SE": (13, "Swedish Data Protection Act (2018:218) ch. 2 §4"),
    # 14 years
    "AT": (14, "Austrian Data Protection Act (DSG) §4(4)"),
    "BG": (14, "Bulgarian Personal Data Protection Act, art. 25c"),
    "CY": (14, "Cypriot Law 125(I)/2018, s.8"),
    "IT": (14, "Italian Personal Data Protection Code, art. 2-quinquies"),
    "LT": (14, "Lithuanian Law on Legal Protection of Personal Data, art. 6"),
    "ES": (14, "Spanish Organic Law 3/2018 (LOPDGDD), art. 7"),
    # 15 years
    "CZ": (15, "Czech Act No. 110/2019 Coll., §7"),
    "FR": (15, "French Loi n° 78-17 (Informatique et Libertés), art. 45"),
    "GR": (15, "Greek Law 4624/2019, art. 21"),
    # 16 years (the GDPR's own age, kept or restated)
    "DE": (16, "GDPR Art. 8(1) (no national deviation)"),
    "HR": (16, "Croatian Act on the Implementation of the GDPR, art. 19"),
    "HU": (16, "GDPR Art. 8(1) (no national deviation)"),
    "IE": (16, "Irish Data Protection Act 2018, s.31"),
    "LU": (16, "GDPR Art. 8(1) (no national deviation)"),
    "NL": (16, "Dutch GDPR Implementation Act (UAVG), art. 5"),
    "PL": (16, "GDPR Art. 8(1) (no national deviation)"),
    "RO": (16, "GDPR Art. 8(1) (no national deviation)"),
    "SK": (16, "Slovak Act No. 18/2018 Coll., §15"),
}

MINOR_AGE_RULES: tuple[MinorAgeRule, ...] = (
    *(_gdpr_member_state(code, age, citation) for code, (age, citation) in _EU_AGES.items()),
    MinorAgeRule(
        jurisdiction="GB",
        age=13,
        law="UK GDPR Art. 8 / Data Protection Act 2018",
        citation="DPA 2018 s.9 (13 years for information society services)",
        effective_from=dt.date(2018, 5, 25),
        checked_on=CHECKED,
        source_note=(
            "Read: Cullen International's survey of national GDPR implementation "
            "(2018-10-11) and Bird & Bird's tracker (UK entry); the Act's text was not read."
        ),
    ),
    MinorAgeRule(
        jurisdiction="US",
        age=13,
        law="Children's Online Privacy Protection Act (COPPA)",
        citation="15 U.S.C. §6501(1) ('child' means under 13)",
        effective_from=dt.date(2000, 4, 21),
        checked_on=CHECKED,
        source_note=(
            "Read: Privacy World, 'Trending: Teens' Data Subject to Heightened Restrictions' "
            "(2024-06) on COPPA's under-13 standard; the U.S.C. text was not read."
        ),
    ),
    MinorAgeRule(
        jurisdiction="US-CA",
        age=16,
        law="California Consumer Privacy Act",
        citation="Cal. Civ. Code §1798.120(c) (no sale or sharing of under-16s' data without opt-in)",
        effective_from=dt.date(2020, 1, 1),
        checked_on=CHECKED,
        source_note=(
            "Read: Privacy World (2024-06), the CIPP/US study notes on state opt-in rules "
            "for children's data; the Civil Code text was not read."
        ),
    ),
    MinorAgeRule(
        jurisdiction="US-CT",
        age=18,
        law="Connecticut Data Privacy Act as amended by Public Act 23-56 (SB 3)",
        citation="Conn. Gen. Stat. §42-529a et seq. (heightened duties for minors under 18)",
        effective_from=dt.date(2024, 10, 1),
        checked_on=CHECKED,
        source_note=(
            "Read: 'Attention Advertisers: New State Laws…' (itsyourdatadummy.com), saying the "
            "CTDPA amendments require consent for minors aged 13-17; the statute was not read."
        ),
    ),
    MinorAgeRule(
        jurisdiction="US-MD",
        age=18,
        law="Maryland Online Data Privacy Act",
        citation="Md. Code, Com. Law §14-4607 (no sale or targeted advertising where the "
        "controller knew or should have known the consumer is under 18)",
        effective_from=dt.date(2025, 10, 1),
        checked_on=CHECKED,
        source_note=(
            "Read: Covington's Global Policy Watch recap of 2024 minors' privacy legislation "
            "(quotes 'under 18'); the subsection number was not confirmed in the statute."
        ),
    ),
    MinorAgeRule(
        jurisdiction="US-NJ",
        age=17,
        law="New Jersey Data Privacy Act",
        citation="N.J.S.A. 56:8-166.4 et seq. (consent for sale, targeted ads or profiling of "
        "consumers at least 13 and under 17)",
        effective_from=dt.date(2025, 1, 15),
        checked_on=CHECKED,
        source_note=(
            "Read: Covington's Global Policy Watch recap ('at least 13 and under 17'); the "
            "statute section was not confirmed."
        ),
    ),
    MinorAgeRule(
        jurisdiction="US-NH",
        age=16,
        law="New Hampshire privacy act (RSA 507-H)",
        citation="RSA 507-H (no sale or targeted ads for consumers at least 13 and under 16)",
        effective_from=dt.date(2025, 1, 1),
        checked_on=CHECKED,
        source_note="Read: Covington's Global Policy Watch recap ('at least 13 and under 16').",
    ),
    MinorAgeRule(
        jurisdiction="US-NY",
        age=18,
        law="New York Child Data Protection Act",
        citation="N.Y. Gen. Bus. Law art. 45 §899-ee et seq. (minors under 18)",
        effective_from=dt.date(2025, 6, 20),
        checked_on=CHECKED,
        source_note=(
            "Read: InfoLawGroup, '13 Going on 18' (2025-08-05): in effect 2025-06-20 for "
            "minors younger than 18; the section numbers were not confirmed."
        ),
    ),
)

_RULES_BY_JURISDICTION: dict[str, tuple[MinorAgeRule, ...]] = {}
for _rule in MINOR_AGE_RULES:
    _RULES_BY_JURISDICTION[_rule.jurisdiction] = (
        *_RULES_BY_JURISDICTION.get(_rule.jurisdiction, ()),
        _rule,
    )


def jurisdiction_key(country: str | None, state: str | None = None) -> str:
    """``"US-CA"`` for a US state, else the country code (``""`` when unknown)."""
    country = (country or "").strip().upper()
    state = (state or "").strip().upper()
    return f"{country}-{state}" if country == "US" and state else country


def law_rule_for(country: str | None, state: str | None, on: dt.date) -> MinorAgeRule | None:
    """The most specific row in force on ``on`` (the state's, else the country's)."""
    for key in dict.fromkeys([jurisdiction_key(country, state), jurisdiction_key(country)]):
        for rule in _RULES_BY_JURISDICTION.get(key, ()):
            if rule.in_force_on(on):
                return rule
    return None


_OVERRIDE_ITEM = re.compile(r"^(?P<key>[A-Z]{2}(?:-[A-Z0-9]{1,3})?)=(?P<age>\d{1,2})$")


@lru_cache(maxsize=8)
def parse_overrides(raw: str) -> dict[str, int]:
    """``"FR=15,US-CA=18"`` -> {jurisdiction: age}; ImproperlyConfigured on anything else."""
    overrides: dict[str, int] = {}
    for item in (part.strip().upper() for part in (raw or "").split(",")):
        if not item:
            continue
        match = _OVERRIDE_ITEM.match(item)
        if match is None or not 1 <= int(match["age"]) <= 21:
            raise ImproperlyConfigured(
                f"PRIVACY_MINOR_AGE_BY_JURISDICTION: {item!r} is not 'CC=age' or 'US-SS=age' "
                "(an age from 1 to 21)."
            )
        overrides[match["key"]] = int(match["age"])
    return overrides


@dataclass(frozen=True)
class AgeLimit:
    """The age under which a person counts as a minor, and why (for staff and audit)."""

    age: int
    jurisdiction: str
    #: "setting" (PRIVACY_MINOR_AGE_BY_JURISDICTION), "law" or "our promise".
    basis: str
    citation: str = ""


def default_minor_age() -> int:
    return settings.PRIVACY_MINOR_AGE


def minor_age_limit(*, country: str | None, state: str | None = None, on: dt.date) -> AgeLimit:
    """The age limit for a person living in ``country`` / ``state`` on ``on``."""
    overrides = parse_overrides(getattr(settings, "PRIVACY_MINOR_AGE_BY_JURISDICTION", ""))
    key = jurisdiction_key(country, state)
    for candidate in dict.fromkeys([key, jurisdiction_key(country)]):
        if candidate and candidate in overrides:
            return AgeLimit(overrides[candidate], candidate, "setting")
    promise = default_minor_age()
    rule = law_rule_for(country, state, on)
    if rule is not None and rule.age > promise:
        return AgeLimit(rule.age, rule.jurisdiction, "law", rule.citation)
    return AgeLimit(promise, key, "our promise")


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved by whole years; 29 February becomes 28 February in other years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def age_on(date_of_birth: dt.date, on: dt.date) -> int:
    """Completed years of age on ``on``."""
    return (
        on.year
        - date_of_birth.year
        - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    )


def born_after_is_minor(age: int, on: dt.date) -> dt.date:
    """A person born strictly after the returned day is under ``age`` on ``on``."""
    return add_years(on, -age)


def age_limits_in_force(on: dt.date) -> tuple[dict[str, int], int]:
    """The age of every jurisdiction the table or the setting names on ``on``, and the
    default for everyone else: what the database-side selector needs to find minors by
    birth date in one query."""
    keys = {rule.jurisdiction for rule in MINOR_AGE_RULES if rule.in_force_on(on)}
    keys |= set(parse_overrides(getattr(settings, "PRIVACY_MINOR_AGE_BY_JURISDICTION", "")))
    limits = {}
    for key in sorted(keys):
        country, _, state = key.partition("-")
        limits[key] = minor_age_limit(country=country, state=state, on=on).age
    return limits, default_minor_age()
