"""The dated rule table: every row's numbers on a normal day, across a month end and
across the rule's own holidays; routing on the day before and the day a law takes
effect; our own promise capping the law; and that correcting the table never moves a
request that already has its deadline."""

import dataclasses
import datetime as dt

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from requests_app import deadlines, rules
from requests_app.rules import (
    DAYS,
    MONTHS,
    ROUTES,
    RULES,
    Promise,
    get_rule,
    parse_promises,
    promise_for,
    rule_code_for,
)

D = dt.date
NORMAL_DAY = D(2026, 3, 11)  # an ordinary Wednesday
MONTH_END = D(2026, 1, 31)


@pytest.fixture
def law_only(settings):
    settings.REQUESTS_RESPONSE_PROMISE_DAYS = ""


# Hand-computed deadlines for the rows that count months or business/working days; rows
# in calendar days are checked against plain date arithmetic below.
# (rule, received, expected due date)
COUNTED_CASES = [
    ("gdpr", NORMAL_DAY, D(2026, 4, 11)),
    ("gdpr", MONTH_END, D(2026, 2, 28)),
    ("uk_gdpr", NORMAL_DAY, D(2026, 4, 11)),
    ("uk_gdpr", MONTH_END, D(2026, 2, 28)),
    # 15 California business days; Cesar Chavez Day (Tue 31 Mar, California only) skipped.
    ("ccpa_opt_out", NORMAL_DAY, D(2026, 4, 2)),
    # From Sat 31 Jan: Feb 2..6 (5), 9..13 (10), Presidents' Day 16 Feb skipped, 17..20 (14), 23 (15).
    ("ccpa_opt_out", MONTH_END, D(2026, 2, 23)),
    # 20 NZ working days; Good Friday 3 Apr and Easter Monday 6 Apr 2026 are skipped.
    ("nz_privacy", NORMAL_DAY, D(2026, 4, 10)),
    # From Sat 31 Jan: Waitangi Day (Fri 6 Feb 2026) is skipped.
    ("nz_privacy", MONTH_END, D(2026, 3, 2)),
]


def test_every_rule_has_a_counted_case_or_is_in_calendar_days():
    counted = {case[0] for case in COUNTED_CASES}
    for rule in RULES.values():
        assert rule.respond.unit == DAYS or rule.code in counted, rule.code


@pytest.mark.parametrize(("code", "received", "expected"), COUNTED_CASES)
def test_counted_rules_on_a_normal_day_and_across_a_month_end(law_only, code, received, expected):
    assert deadlines.due_date(code, received) == expected


CALENDAR_DAY_RULES = sorted(code for code, rule in RULES.items() if rule.respond.unit == DAYS)


@pytest.mark.parametrize("code", CALENDAR_DAY_RULES)
@pytest.mark.parametrize("received", [NORMAL_DAY, MONTH_END, D(2024, 2, 28)])
def test_calendar_day_rules_on_a_normal_day_across_a_month_end_and_a_leap_day(
    law_only, code, received
):
    rule = get_rule(code)
    # Plain date arithmetic; a deadline on a weekend or holiday is not moved (earlier is safe).
    assert deadlines.due_date(code, received) == received + dt.timedelta(days=rule.respond.length)
    if rule.extension is not None and rule.extension.unit == DAYS:
        due = deadlines.due_date(code, received)
        assert deadlines.extended_due_date(code, due) == due + dt.timedelta(
            days=rule.extension.length
        )


@pytest.mark.parametrize(
    ("code", "received", "expected", "why"),
    [
        ("nz_privacy", D(2026, 12, 18), D(2027, 2, 9), "25 Dec-15 Jan closed, Waitangi Day Mondayised to 8 Feb"),
        ("nz_privacy", D(2026, 4, 20), D(2026, 5, 19), "Anzac Day (Sat) observed on Mon 27 Apr"),
        ("nz_privacy", D(2026, 6, 29), D(2026, 7, 28), "Matariki, 10 Jul 2026"),
        ("ccpa_opt_out", D(2026, 11, 18), D(2026, 12, 11), "Thanksgiving and the day after (California)"),
        ("ccpa_opt_out", D(2026, 3, 30), D(2026, 4, 21), "Cesar Chavez Day, 31 Mar (California only)"),
    ],
)  # fmt: skip
def test_business_and_working_days_skip_the_rules_own_holidays(
    law_only, code, received, expected, why
):
    assert deadlines.due_date(code, received) == expected, why


@pytest.mark.parametrize(
    ("code", "received", "expected"),
    [
        # 10 business days; 25 Dec and 1 Jan are federal and California holidays.
        ("ccpa", D(2026, 12, 22), D(2027, 1, 7)),
        # House rule: federal holidays only (Cesar Chavez Day is a working day).
        ("house", D(2026, 3, 30), D(2026, 4, 13)),
    ],
)
def test_acknowledgement_in_business_days_skips_holidays(code, received, expected):
    assert deadlines.acknowledge_by(code, received) == expected


def test_nz_extension_is_counted_in_working_days_too(law_only):
    # From 9 Feb 2027, 20 working days (no holiday until Good Friday 26 Mar 2027).
    assert deadlines.extended_due_date("nz_privacy", D(2027, 2, 9)) == D(2027, 3, 9)


def _first_day_routes():
    """(route, first day it routes to its rule) for every route that starts on a date."""
    cases = []
    for route in ROUTES:
        rule = get_rule(route.rule)
        starts = max(route.effective_from or dt.date.min, rule.effective_from)
        if starts != dt.date.min:
            cases.append(
                pytest.param(route, starts, id=f"{route.rule}-{route.country}{route.state}")
            )
    return cases


@pytest.mark.parametrize(("route", "starts"), _first_day_routes())
def test_a_law_applies_from_the_day_it_takes_effect_not_the_day_before(route, starts):
    request_type = next(iter(route.request_types)) if route.request_types else "access"
    where = {"country": route.country, "state": route.state, "request_type": request_type}
    assert rule_code_for(**where, received_on=starts) == route.rule
    assert rule_code_for(**where, received_on=starts - dt.timedelta(days=1)) != route.rule


@pytest.mark.parametrize(
    ("where", "day_before", "day_of"),
    [
        ({"country": "US", "state": "RI"}, "house", "ridtppa"),  # 2026-01-01
        ({"country": "US", "state": "MN"}, "house", "mncdpa"),  # 2025-07-31
        ({"country": "US", "state": "NJ"}, "house", "njdpa"),  # 2025-01-15
        ({"country": "GB"}, "gdpr", "uk_gdpr"),  # 2021-01-01
        ({"country": "CH"}, "ch_fadp_1992", "ch_fadp"),  # 2023-09-01
        ({"country": "NO"}, "house", "gdpr"),  # 2018-07-20
    ],
)
def test_the_rule_before_a_law_starts_is_the_one_in_force_then(where, day_before, day_of):
    code = next(r.rule for r in ROUTES if r.rule == day_of and r.country == where["country"])
    starts = max(
        [get_rule(code).effective_from]
        + [r.effective_from for r in ROUTES if r.rule == code and r.effective_from]
    )
    before = starts - dt.timedelta(days=1)
    assert rule_code_for(**where, received_on=before) == day_before
    assert rule_code_for(**where, received_on=starts) == day_of


def test_rhode_island_deadline_changes_with_the_day_the_request_arrived(law_only):
    before = rule_code_for(country="US", state="RI", received_on=D(2025, 12, 31))
    on = rule_code_for(country="US", state="RI", received_on=D(2026, 1, 1))
    assert deadlines.due_date(before, D(2025, 12, 31)) == D(2026, 1, 30)  # house: 30 days
    assert deadlines.due_date(on, D(2026, 1, 1)) == D(2026, 2, 15)  # RIDTPPA: 45 days
    assert deadlines.appeal_due_date(on, D(2026, 1, 1)) == D(2026, 3, 2)  # 60 days


def test_iowa_answers_in_90_days_and_opt_outs_route_only_in_california():
    assert deadlines.law_due_date("iacdpa", D(2026, 1, 1)) == D(2026, 4, 1)
    for state in ("VA", "OR", "TX"):
        code = rule_code_for(
            country="US", state=state, request_type="opt_out_sale", received_on=D(2026, 11, 30)
        )
        assert code == rules.US_STATE_RULES[state]


def test_every_row_is_dated_cited_and_names_an_authority_except_the_house_rule():
    for rule in RULES.values():
        assert rule.effective_from, rule.code
        assert rule.effective_until is None or rule.effective_until > rule.effective_from
        assert rule.citations.respond, rule.code
        if rule.extension is not None:
            assert rule.citations.extension, rule.code
        if rule.appeal_response is not None:
            assert rule.citations.appeal, rule.code
        if rule.checked_on is None:
            # An unchecked row says what is missing.
            assert rule.source_note, rule.code
        if rule.code != "house":
            assert rule.authority and rule.authority.url.startswith("https://"), rule.code
    assert get_rule("house").authority is None


def test_every_route_points_at_a_row_and_no_two_routes_overlap_for_the_same_people():
    for route in ROUTES:
        assert route.rule in RULES
    seen: dict[tuple, list] = {}
    for route in ROUTES:
        key = (route.country, route.state, route.request_types)
        for other in seen.get(key, []):
            a, b = (route, get_rule(route.rule)), (other, get_rule(other.rule))
            start = max(a[0].effective_from or D.min, a[1].effective_from, b[0].effective_from or D.min, b[1].effective_from)  # fmt: skip
            ends = [
                x for x in (a[0].effective_until, a[1].effective_until, b[0].effective_until, b[1].effective_until) if x
            ]  # fmt: skip
            assert ends and min(ends) < start, (route, other)
        seen.setdefault(key, []).append(route)


def test_the_form_offers_no_country_without_a_decision():
    from requests_app.forms import COUNTRIES

    routed = {route.country for route in ROUTES}
    # India's DPDP Act rights are not in force yet (docs/law.md); "ZZ" is anywhere else.
    house_by_decision = {"IN", "ZZ", ""}
    offered = {code for code, _ in COUNTRIES}
    assert offered - routed <= house_by_decision


# --- Our own promise ---------------------------------------------------------------


def test_the_promise_caps_gdprs_one_month_when_it_is_31_days(settings):
    settings.REQUESTS_RESPONSE_PROMISE_DAYS = "gdpr=30"
    # 15 Aug + one month = 15 Sep (31 days); the promise is 14 Sep.
    assert deadlines.law_due_date("gdpr", D(2026, 8, 15)) == D(2026, 9, 15)
    assert deadlines.due_date("gdpr", D(2026, 8, 15)) == D(2026, 9, 14)
    # Where the law is earlier (31 Jan -> 28 Feb), the law wins.
    assert deadlines.due_date("gdpr", D(2026, 1, 31)) == D(2026, 2, 28)
    # Other rules are untouched.
    assert deadlines.due_date("uk_gdpr", D(2026, 8, 15)) == D(2026, 9, 15)


def test_a_promise_without_extension_refuses_one(settings):
    settings.REQUESTS_RESPONSE_PROMISE_DAYS = "gdpr=30"
    assert "allows no extension beyond 30 days" in deadlines.extension_refusal("gdpr")
    with pytest.raises(ValueError, match="no extension"):
        deadlines.extended_due_date("gdpr", D(2026, 9, 14))
    assert deadlines.extension_refusal("uk_gdpr") is None


def test_an_extension_under_a_promise_never_passes_what_the_promise_allows(settings):
    settings.REQUESTS_RESPONSE_PROMISE_DAYS = "gdpr=30+30,uk_gdpr=30+90"
    # The promise allows 30 more days after the original due date: 14 Oct, not 14 Nov.
    assert deadlines.extended_due_date("gdpr", D(2026, 9, 14)) == D(2026, 10, 14)
    # A promise more generous than the law never extends the law: two months win.
    assert deadlines.extended_due_date("uk_gdpr", D(2026, 9, 14)) == D(2026, 11, 14)
    # And a rule the law gives no extension stays without one.
    settings.REQUESTS_RESPONSE_PROMISE_DAYS = "lgpd=10+10"
    assert deadlines.due_date("lgpd", D(2026, 3, 1)) == D(2026, 3, 11)
    with pytest.raises(ValueError, match="no extension"):
        deadlines.extended_due_date("lgpd", D(2026, 3, 11))


def test_the_shipped_default_promises_eu_residents_30_days():
    from config.settings.components.requests import REQUESTS_RESPONSE_PROMISE_DAYS

    assert parse_promises(REQUESTS_RESPONSE_PROMISE_DAYS) == {"gdpr": Promise(30)}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("gdpr=thirty", "not 'rule=days'"),
        ("eu=30", "not a rule code"),
        ("gdpr=0", "at least 1 day"),
        ("gdpr=30+0", "without extension"),
        ("gdpr=30,gdpr=20", "given twice"),
    ],
)
def test_a_mistyped_promise_is_refused_with_a_clear_message(settings, raw, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_promises(raw)
    settings.REQUESTS_RESPONSE_PROMISE_DAYS = raw
    errors = [e for e in run_checks() if e.id == "requests_app.E001"]
    assert errors and message in errors[0].msg


def test_promise_is_shown_on_the_rule(settings):
    settings.REQUESTS_RESPONSE_PROMISE_DAYS = "gdpr=30+15"
    assert str(get_rule("gdpr").promise) == "answer within 30 days; extension of at most 15 days"
    assert promise_for("ccpa") is None


# --- A request keeps the deadline it was given --------------------------------------


@pytest.mark.django_db
def test_correcting_the_table_never_moves_an_existing_requests_deadline(
    monkeypatch, django_capture_on_commit_callbacks
):
    from requests_app import services
    from requests_app.models import PrivacyRequest

    with django_capture_on_commit_callbacks(execute=True):
        result = services.privacy_request_submit(
            actor=None,
            request_type="deletion",
            country="US",
            state="VA",
            email="kept.deadline@example.org",
        )
    request = PrivacyRequest.objects.get(pk=result.request.pk)
    assert request.rule_code == "vcdpa"
    stored = (request.due_on, request.deadline_on, request.acknowledge_by)

    # A lawyer corrects the row: Virginia now "answers in 10 days", appeals in 5.
    corrected = dataclasses.replace(
        get_rule("vcdpa"), respond=rules.Period(DAYS, 10), appeal_response=rules.Period(DAYS, 5)
    )
    monkeypatch.setitem(RULES, "vcdpa", corrected)
    assert deadlines.due_date("vcdpa", request.received_at.date()) != request.due_on

    # Verification (receipt-clock rule), the nightly jobs and re-reading change nothing.
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_verify_manually(actor=None, request=request, method="id_document")
    services.unverified_requests_expire()
    services.deadline_digest_send()
    request.refresh_from_db()
    assert (request.due_on, request.deadline_on, request.acknowledge_by) == stored
    assert request.rule_code == "vcdpa"


def test_rows_are_never_removed_so_stored_codes_keep_resolving():
    # Every code a request may have stored since the first migration is still a row.
    first_codes = {"gdpr", "uk_gdpr", "ccpa", "ccpa_opt_out", "vcdpa", "ctdpa", "tdpsa", "cpa", "ucpa", "house"}  # fmt: skip
    assert first_codes <= set(RULES)
    assert max(len(code) for code in RULES) <= 20  # PrivacyRequest.rule_code max_length
    assert dict(rules.RULE_CHOICES).keys() == RULES.keys()
    assert {MONTHS, DAYS} >= {r.respond.unit for r in RULES.values()} - rules.COUNTED_ON_CALENDAR


def test_docs_list_every_rule_with_its_check_date():
    from pathlib import Path

    from django.conf import settings as django_settings

    text = (Path(django_settings.BASE_DIR) / "docs" / "law.md").read_text()
    for code, rule in RULES.items():
        heading = f"### `{code}` — "
        assert heading in text, f"docs/law.md has no entry for {code}"
        entry = text.split(heading, 1)[1].split("\n### ", 1)[0]
        assert f"**Checked**: {rule.checked_on or 'not yet'}" in entry, code
        assert rule.citations.respond in entry, code
