"""Deadline arithmetic for the starting rules: month ends, leap years, weekends,
holidays. These cases test the law's numbers, so our own promise is switched off here;
``test_rules.py`` covers every row of the table, the routing by date and the promise."""

import datetime as dt

import pytest

from requests_app.deadlines import (
    acknowledge_by,
    add_business_days,
    add_months,
    appeal_due_date,
    due_date,
    extended_due_date,
)
from requests_app.rules import RULES, rule_code_for

D = dt.date


@pytest.fixture(autouse=True)
def _law_only(settings):
    settings.REQUESTS_RESPONSE_PROMISE_DAYS = ""


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),  # year end
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2026, 2, 28), 2, D(2026, 4, 28)),
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
    ],
)
def test_month_is_same_day_or_last_day_of_month(start, months, expected):
    assert add_months(start, months) == expected


# (rule, received, due, extended due or None when no extension, acknowledge by)
CASES = [
    ("gdpr", D(2026, 1, 31), D(2026, 2, 28), D(2026, 4, 28), None),
    ("gdpr", D(2024, 1, 31), D(2024, 2, 29), D(2024, 4, 29), None),
    ("gdpr", D(2026, 8, 15), D(2026, 9, 15), D(2026, 11, 15), None),  # Saturday: not moved
    ("uk_gdpr", D(2026, 1, 31), D(2026, 2, 28), D(2026, 4, 28), None),
    ("uk_gdpr", D(2024, 12, 31), D(2025, 1, 31), D(2025, 3, 31), None),
    ("ccpa", D(2024, 1, 31), D(2024, 3, 16), D(2024, 4, 30), D(2024, 2, 14)),  # leap Feb
    ("ccpa", D(2025, 1, 31), D(2025, 3, 17), D(2025, 5, 1), D(2025, 2, 14)),
    # Cesar Chavez Day (31 Mar, California only) is skipped when acknowledging.
    ("ccpa", D(2026, 3, 30), D(2026, 5, 14), D(2026, 6, 28), D(2026, 4, 14)),
    # Christmas and New Year's Day skipped; received on a Friday.
    ("ccpa", D(2025, 12, 19), D(2026, 2, 2), D(2026, 3, 19), D(2026, 1, 6)),
    # 15 business days, skipping Thanksgiving and the day after (California).
    ("ccpa_opt_out", D(2026, 11, 18), D(2026, 12, 11), None, None),
    ("ccpa_opt_out", D(2026, 1, 3), D(2026, 1, 26), None, None),  # Saturday, MLK Day 19 Jan
    ("vcdpa", D(2024, 1, 15), D(2024, 2, 29), D(2024, 4, 14), None),
    ("vcdpa", D(2026, 2, 28), D(2026, 4, 14), D(2026, 5, 29), None),
    ("ctdpa", D(2024, 1, 15), D(2024, 2, 29), D(2024, 4, 14), None),
    ("ctdpa", D(2025, 12, 31), D(2026, 2, 14), D(2026, 3, 31), None),
    ("tdpsa", D(2024, 1, 15), D(2024, 2, 29), D(2024, 4, 14), None),
    ("tdpsa", D(2026, 1, 31), D(2026, 3, 17), D(2026, 5, 1), None),
    ("cpa", D(2024, 1, 15), D(2024, 2, 29), D(2024, 4, 14), None),
    ("cpa", D(2026, 12, 1), D(2027, 1, 15), D(2027, 3, 1), None),
    ("ucpa", D(2024, 1, 15), D(2024, 2, 29), D(2024, 4, 14), None),
    ("ucpa", D(2026, 7, 4), D(2026, 8, 18), D(2026, 10, 2), None),
    ("house", D(2024, 1, 31), D(2024, 3, 1), D(2024, 3, 31), D(2024, 2, 14)),
    ("house", D(2025, 1, 31), D(2025, 3, 2), D(2025, 4, 1), D(2025, 2, 14)),
    # Federal rule: Cesar Chavez Day is a working day, Independence Day (observed) is not.
    ("house", D(2026, 3, 30), D(2026, 4, 29), D(2026, 5, 29), D(2026, 4, 13)),
    ("house", D(2026, 7, 2), D(2026, 8, 1), D(2026, 8, 31), D(2026, 7, 17)),
]


@pytest.mark.parametrize(("rule", "received", "due", "extended", "ack"), CASES)
def test_deadlines_per_rule(rule, received, due, extended, ack):
    assert due_date(rule, received) == due
    if extended is None:
        with pytest.raises(ValueError, match="no extension"):
            extended_due_date(rule, due)
    else:
        assert extended_due_date(rule, due) == extended
    assert acknowledge_by(rule, received) == ack


def test_every_starting_rule_has_a_deadline_case_and_every_rule_a_source():
    assert {case[0] for case in CASES} >= {
        "gdpr", "uk_gdpr", "ccpa", "ccpa_opt_out", "vcdpa", "ctdpa", "tdpsa", "cpa", "ucpa", "house"
    }  # fmt: skip
    for rule in RULES.values():
        assert rule.source.strip() and rule.citations.respond.strip(), rule.code


def test_business_days_skip_weekends_and_the_states_own_holidays():
    # Friday + 1 business day is Monday.
    assert add_business_days(D(2026, 5, 1), 1, country="US") == D(2026, 5, 4)
    # Memorial Day (Mon 25 May 2026) is skipped everywhere in the US.
    assert add_business_days(D(2026, 5, 22), 1, country="US") == D(2026, 5, 26)
    # Cesar Chavez Day only in California.
    assert add_business_days(D(2026, 3, 30), 1, country="US", subdivision="CA") == D(2026, 4, 1)
    assert add_business_days(D(2026, 3, 30), 1, country="US", subdivision="VA") == D(2026, 3, 31)


def test_appeal_periods():
    assert appeal_due_date("vcdpa", D(2026, 1, 1)) == D(2026, 3, 2)
    assert appeal_due_date("cpa", D(2026, 1, 1)) == D(2026, 2, 15)
    assert appeal_due_date("ccpa", D(2026, 1, 1)) is None
    assert appeal_due_date("ucpa", D(2026, 1, 1)) is None


@pytest.mark.parametrize(
    ("country", "state", "request_type", "expected"),
    [
        ("DE", "", "access", "gdpr"),
        ("gb", "", "access", "uk_gdpr"),
        ("US", "CA", "access", "ccpa"),
        ("US", "CA", "opt_out_sale", "ccpa_opt_out"),
        ("US", "VA", "deletion", "vcdpa"),
        ("US", "CT", "access", "ctdpa"),
        ("US", "TX", "access", "tdpsa"),
        ("US", "CO", "access", "cpa"),
        ("US", "UT", "access", "ucpa"),
        ("US", "NY", "access", "house"),
        ("US", "OR", "access", "ocpa"),
        ("BR", "", "access", "lgpd"),
        ("CA", "QC", "access", "quebec"),
        ("CA", "ON", "access", "pipeda"),
        ("IN", "", "access", "house"),
        ("ZZ", "", "access", "house"),
    ],
)
def test_where_the_person_lives_picks_the_rule(country, state, request_type, expected):
    assert (
        rule_code_for(
            country=country, state=state, request_type=request_type, received_on=D(2026, 11, 30)
        )
        == expected
    )
