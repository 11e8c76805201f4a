"""The consent check's shortcuts give the answers of the long way, and stay bounded.

The hot path (GET /api/v1/consent/check) skips work that does not change its answer.
Each shortcut is held here to the code it stands in for; none may ever turn a "no" into
a "yes", and no cache may grow with the number of recipients."""

from __future__ import annotations

import datetime as dt
import random
import re._constants as sre
import re._parser as sre_parse
import time
import types
import uuid
import zoneinfo

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, DataError, connection, transaction
from django.test.utils import CaptureQueriesContext

from consent import quiet_hours, selectors, services
from consent.models import ApiKey, ConsentState
from consent.selectors import caches as selector_caches
from consent.selectors import check as check_selector
from consent.selectors import identifiers, statements
from consent.tests.conftest import NOON_PACIFIC, check
from consent.tests.factories import ContactFactory
from privacy.identifiers import parse_phone
from privacy.services.suppression import suppressions_add

# --- recipients: the E.164 fast path ----------------------------------------------------


def _outcome(normalize, raw: str, region: str | None):
    try:
        return normalize(raw, region)
    except ValidationError as exc:
        return ("invalid", exc.messages, exc.code)


def _the_long_way(raw: str, region: str | None) -> str:
    return parse_phone(raw, default_region=region).e164


def _nanp_sample() -> list[str]:
    """Every area code 200 to 999 (valid, unassigned, toll-free, premium, N11, 555…) with
    exchanges and lines drawn at random, plus the fictional 555-01xx lines."""
    rng = random.Random(20261123)
    numbers = []
    for npa in range(200, 1000):
        numbers.append(f"+1{npa}5550{rng.randrange(100, 200)}")
        for _ in range(3):
            numbers.append(f"+1{npa}{rng.randrange(200, 1000)}{rng.randrange(10000):04d}")
        numbers.append(f"+1{npa}{rng.randrange(0, 200):03d}{rng.randrange(10000):04d}")
    return numbers


def test_e164_fast_path_agrees_with_parse_phone_across_the_numbering_plan():
    sample = _nanp_sample()
    valid = 0
    for raw in sample:
        expected = _outcome(_the_long_way, raw, "US")
        assert _outcome(identifiers._phone_e164, raw, "US") == expected, raw
        valid += isinstance(expected, str)
    # Both kinds were exercised: the sample is not all valid or all invalid.
    assert 0.3 * len(sample) < valid < 0.95 * len(sample)


# Metadata descriptions phonenumbers' validity test reads for a +1 region.
_DESCS = (
    "general_desc", "fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost",
    "personal_number", "voip", "pager", "uan", "voicemail", "no_international_dialling",
)  # fmt: skip


def _ends_in_free_digits(items, count: int) -> bool:
    """Whether every way through a parsed pattern ends in at least ``count`` digits of
    any value, repeated a fixed number of times (so what precedes them is matched
    against a fixed-length prefix of the number)."""
    for op, av in reversed(list(items)):
        if count <= 0:
            return True
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, high, sub = av
            if low != high or [(o, list(a)) for o, a in sub] != [(sre.IN, _ANY_DIGIT)]:
                return False
            count -= low
        elif op == sre.IN and list(av) == _ANY_DIGIT:
            count -= 1
        elif op == sre.SUBPATTERN:
            return _ends_in_free_digits(av[-1], count)
        elif op == sre.BRANCH:
            return all(_ends_in_free_digits(alt, count) for alt in av[1])
        else:
            return False
    return count <= 0


_ANY_DIGIT = [(sre.CATEGORY, sre.CATEGORY_DIGIT)]


def _no_lookaround(pattern: str) -> bool:
    return not any(token in pattern for token in ("(?=", "(?!", "(?<"))


def test_nanp_validity_depends_only_on_the_first_seven_digits():
    """What lets ``_nanp_prefix_valid`` test one number per NPA-NXX-X: in the installed
    metadata of every +1 region, each number pattern ends in at least three free digits
    and each leading-digits pattern reads at most seven, without lookarounds."""
    # The test itself tells the two kinds of pattern apart.
    assert _ends_in_free_digits(sre_parse.parse(r"(?:2\d|3[0-4])[2-9]\d{6}|800\d{7}"), 3)
    for pattern in (r"2\d{8}[0-5]", r"2\d{6}\d{1,3}", r"(?:2\d{9}|3\d{7}[01]\d)"):
        assert not _ends_in_free_digits(sre_parse.parse(pattern), 3), pattern
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1]
    assert "US" in regions and "CA" in regions
    for region in regions:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if metadata.leading_digits:
            width = sre_parse.parse(metadata.leading_digits).getwidth()[1]
            assert width <= 7 and _no_lookaround(metadata.leading_digits), region
        for name in _DESCS:
            desc = getattr(metadata, name)
            if desc is None or not desc.national_number_pattern:
                continue
            pattern = desc.national_number_pattern
            assert _ends_in_free_digits(sre_parse.parse(pattern), 3), (region, name)
            assert _no_lookaround(pattern), (region, name)


def test_nanp_prefix_validity_is_phonenumbers_for_every_number_of_the_prefix():
    rng = random.Random(20261201)
    for raw in _nanp_sample():
        identifiers._nanp_prefix_valid.cache_clear()
        for tail in ("000", "999", f"{rng.randrange(1000):03d}"):
            number = raw[:9] + tail
            expected = phonenumbers.is_valid_number(phonenumbers.parse(number, None))
            assert identifiers._nanp_prefix_valid(number[:9]) is expected, number
    assert identifiers._nanp_prefix_valid.cache_info().maxsize == 65536


@pytest.mark.parametrize("region", ["US", "CA", "GB", None])
@pytest.mark.parametrize(
    "raw",
    [
        "+14155550111", " +14155550111 ", "+14155550111\n", "+1 415 555 0111",
        "+1-415-555-0111", "(415) 555-0111", "4155550111", "14155550111", "+1415555011",
        "+141555501111", "+11415555011", "+10415555011", "+15551234567", "+18005550123",
        "+19005550123", "+14165550123", "+17875550123", "+12425550123", "+16045550123",
        "+14155550111;ext=5", "+14155550111 x12", "tel:+14155550111", "+1415555O111",
        "\uff0b\uff11\uff14\uff11\uff15\uff15\uff15\uff15\uff10\uff11\uff11\uff11",
        "+14\u0661\u0665\u0665\u0665\u0665\u0660\u0661\u0661\u0661",
        "+442079460958", "020 7946 0958", "+33142685300", "", "   ", "abc", "+",
    ],
)  # fmt: skip
def test_e164_fast_path_agrees_with_parse_phone_on_odd_input(raw, region):
    """Spaces, other scripts' digits, extensions, other countries: the fast path either
    gives parse_phone's answer or leaves the input to it, error message included."""
    assert _outcome(identifiers._phone_e164, raw, region) == _outcome(_the_long_way, raw, region)


def test_the_check_still_refuses_an_invalid_number_with_parse_phones_message(customer):
    with pytest.raises(ValidationError) as refused:
        check(customer, to="+15551234567")
    with pytest.raises(ValidationError) as long_way:
        parse_phone("+15551234567")
    assert refused.value.messages == long_way.value.messages


# --- the query: built once per shape ----------------------------------------------------


def _prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'pbo\\_%%'")
        return {name for (name,) in cursor.fetchall()}


def test_the_query_is_built_once_per_shape_and_prepared_once_per_connection(
    customer, contact, sender
):
    """Three shapes (SMS with a sender, SMS without, e-mail): three texts, each built
    once however many checks run, and each prepared once on the connection."""
    check_selector._check_statement.cache_clear()
    before = _prepared_names() if connection.vendor == "postgresql" else set()
    for _ in range(3):
        check(customer, sender=sender.number)
        check(customer)
        check(customer, to=contact.email, purpose="email_marketing")
    info = check_selector._check_statement.cache_info()
    assert (info.currsize, info.misses, info.hits) == (3, 3, 6)
    if connection.vendor == "postgresql":
        after = _prepared_names()
        assert len(after - before) <= 3
        for _ in range(3):
            check(customer, sender=sender.number)
        assert _prepared_names() == after


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements")
@pytest.mark.parametrize("prepare_stays", [True, False])
def test_a_failed_first_execute_does_not_break_the_connection(db, prepare_stays):
    """PREPARE outlives a failed EXECUTE in the same round trip (and its rollback): the
    next check on that connection must neither prepare it again (an error for good on
    a pooled connection) nor execute a statement that is not there."""
    statement = statements._Statement.of(f"SELECT %s::bigint + 1 AS probe_{uuid.uuid4().hex}")
    with pytest.raises(DataError), transaction.atomic():
        statements._fetchall_prepared(connection, statement, ["not a number"])
    if not prepare_stays:
        with connection.cursor() as cursor:
            cursor.execute(f"DEALLOCATE {statement.name}")
    assert statements._fetchall_prepared(connection, statement, [41]) == [(42,)]
    assert statements._fetchall_prepared(connection, statement, [1]) == [(2,)]


def _forget_prepared_statements() -> None:
    """Drop this connection's prepared statements and what the helper knows of them
    (those of the test would not match the rolled-back schema)."""
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    statements._prepared_statements.pop(connection.connection, None)


# The state's sender: a column the check selects.
_SENDER_LENGTH = ConsentState._meta.get_field("sender").max_length
_WIDEN_SENDER = "ALTER TABLE consent_consentstate ALTER COLUMN sender TYPE varchar(30)"
_CHANGES = {
    # A migration changes the type of a column the check selects.
    "column_type": (_WIDEN_SENDER, "cached plan must not change result type"),
    # A pooler (or anyone) drops the session's prepared statements.
    "deallocate": ("DEALLOCATE ALL", "does not exist"),
}


@pytest.fixture
def prepared_statements_forgotten(db):
    yield
    _forget_prepared_statements()


@pytest.mark.postgres
@pytest.mark.parametrize("change", sorted(_CHANGES))
def test_a_stale_prepared_check_fails_at_most_once_inside_a_transaction(
    customer, contact, sender, change, prepared_statements_forgotten
):
    """Once a prepared statement is stale or gone, its EXECUTE fails; the connection
    must forget it and prepare it again, not fail every check until it is recycled.
    Inside a transaction the failed one is not retried (the transaction is aborted)."""
    sql, message = _CHANGES[change]
    assert check(customer, sender=sender.number).reason == "no_consent"  # prepared
    with connection.cursor() as cursor:
        cursor.execute(sql)

    with pytest.raises(DatabaseError, match=message), transaction.atomic():
        check(customer, sender=sender.number)

    for _ in range(3):
        assert check(customer, sender=sender.number).reason == "no_consent"
    assert (
        selectors.contact_for_identifier(
            customer_id=customer.pk, channel="sms", match_key=contact.phone
        )
        == contact
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", sorted(_CHANGES))
def test_a_stale_prepared_check_is_retried_at_once_in_autocommit(customer, contact, sender, change):
    """The check API runs in autocommit: there the failed EXECUTE is prepared again and
    retried at once, so no check fails."""
    sql, _ = _CHANGES[change]
    try:
        assert check(customer, sender=sender.number).reason == "no_consent"  # prepared
        with connection.cursor() as cursor:
            cursor.execute(sql)
        assert not connection.in_atomic_block

        with CaptureQueriesContext(connection) as queries:
            assert check(customer, sender=sender.number).reason == "no_consent"
        assert any(q["sql"].startswith("PREPARE ") for q in queries.captured_queries)
        for _ in range(3):
            assert check(customer, sender=sender.number).reason == "no_consent"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE consent_consentstate"
                f" ALTER COLUMN sender TYPE varchar({_SENDER_LENGTH})"
            )
        _forget_prepared_statements()


def test_since_is_the_moment_django_reads_from_the_state(customer, contact, sender):
    """On PostgreSQL the check reads ``since`` as a UTC timestamp (a faster loader);
    the answer must be the datetime the ORM gives, to the microsecond and the zone."""
    occurred_at = dt.datetime(
        2026, 1, 5, 2, 3, 4, 123456, tzinfo=zoneinfo.ZoneInfo("America/Denver")
    )
    services.consent_event_record(
        actor=None, purpose="sms_marketing", action="grant", method="web_form",
        contact=contact, identifier=contact.phone, sender=sender.number,
        notice=selectors.notice_published(purpose_code="sms_marketing"),
        occurred_at=occurred_at,
    )  # fmt: skip
    decision = check(customer, sender=sender.number)
    state = ConsentState.objects.get(contact=contact, purpose__code="sms_marketing")
    assert decision.allowed and decision.since == state.since == occurred_at
    assert decision.since.tzinfo is state.since.tzinfo
    assert (
        decision.as_json()["since"] == state.since.isoformat() == "2026-01-05T09:03:04.123456+00:00"
    )


def test_a_suppression_under_a_rotated_out_key_still_says_no(settings, customer, contact, sender):
    """Two keys make a query with two HMACs: a shape of its own, not the one-key text."""
    services.consent_event_record(
        actor=None, purpose="sms_marketing", action="grant", method="web_form",
        contact=contact, identifier=contact.phone, sender=sender.number,
        notice=selectors.notice_published(purpose_code="sms_marketing"),
        occurred_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    )  # fmt: skip
    assert check(customer, sender=sender.number).allowed  # the one-key shape, granted
    suppressions_add(identifiers=[("phone", contact.phone)], customer=customer)
    settings.SUPPRESSION_HMAC_KEYS = {"t0": "the-new-key", **settings.SUPPRESSION_HMAC_KEYS}
    settings.SUPPRESSION_HMAC_ACTIVE_KEY_ID = "t0"
    decision = check(customer, sender=sender.number)
    assert (decision.allowed, decision.reason) == (False, "suppressed")


# --- quiet hours: the walk is shared by an exchange for an hour --------------------------


def _walk(e164: str, now: dt.datetime) -> quiet_hours.QuietHoursAnswer:
    """The walk without its cache."""
    locale = quiet_hours.phone_locale(e164)
    hour = now.replace(minute=0, second=0, microsecond=0)
    return quiet_hours._quiet_until(quiet_hours.rule_for_state(locale.state), locale, hour)


@pytest.mark.parametrize(
    ("e164", "now"),
    [
        ("+12145550199", dt.datetime(2026, 1, 18, 17, 0)),  # Dallas, Sunday 11:00: until 12
        ("+12145550199", dt.datetime(2026, 1, 18, 4, 0)),  # Dallas, Saturday 22:00: Sunday 12
        ("+13125550199", dt.datetime(2026, 1, 18, 4, 0)),  # Chicago, same hour: Sunday 8
        ("+12055550199", dt.datetime(2026, 7, 4, 3, 15)),  # Alabama, July 4th holiday
        ("+13055550111", dt.datetime(2026, 3, 5, 1, 30)),  # Miami 20:30: Florida's 20:00
        ("+12085550199", dt.datetime(2026, 3, 8, 9, 45)),  # Idaho, DST starts that night
        ("+17095550199", dt.datetime(2026, 3, 5, 2, 10)),  # Newfoundland, half-hour zone
    ],
)
def test_quiet_hours_answers_are_those_of_the_walk_cached_or_not(e164, now):
    now = now.replace(tzinfo=dt.UTC)
    quiet_hours._quiet_until_cached.cache_clear()
    first = quiet_hours.quiet_hours_at(e164=e164, now=now)
    # Another number of the exchange, later in the same hour, is answered from the cache.
    neighbour = e164[:-4] + "0000"
    later = now.replace(minute=59, second=59)
    second = quiet_hours.quiet_hours_at(e164=neighbour, now=later)
    if first.is_quiet:
        assert first == _walk(e164, now)
    if second.is_quiet:
        assert second == _walk(neighbour, later)


def test_texas_and_illinois_share_an_hour_but_not_an_answer():
    """The rule is part of the cache's key: Saturday 22:00 Central, Texas may text again
    at Sunday noon, Illinois at 8."""
    saturday_night = dt.datetime(2026, 1, 18, 4, 0, tzinfo=dt.UTC)
    texas = quiet_hours.quiet_hours_at(e164="+12145550199", now=saturday_night)
    illinois = quiet_hours.quiet_hours_at(e164="+13125550199", now=saturday_night)
    assert texas.retry_at == dt.datetime(2026, 1, 18, 18, 0, tzinfo=dt.UTC)
    assert illinois.retry_at == dt.datetime(2026, 1, 18, 14, 0, tzinfo=dt.UTC)


def test_changed_quiet_hours_settings_apply_at_once(settings):
    """Cached rules and walks are keyed by the hours in force, so a new setting is not
    hidden by what was cached under the old one."""
    half_past_eight_pm_ny = dt.datetime(2026, 3, 5, 1, 30, tzinfo=dt.UTC)
    at_eleven_pm_ny = dt.datetime(2026, 3, 5, 4, 0, tzinfo=dt.UTC)
    assert not quiet_hours.quiet_hours_at(e164="+12125550199", now=half_past_eight_pm_ny).is_quiet
    default = quiet_hours.quiet_hours_at(e164="+12125550199", now=at_eleven_pm_ny)
    assert default.retry_at == dt.datetime(2026, 3, 5, 13, 0, tzinfo=dt.UTC)  # 08:00 NY
    settings.CONSENT_QUIET_HOURS_START, settings.CONSENT_QUIET_HOURS_END = 9, 20
    assert quiet_hours.quiet_hours_at(e164="+12125550199", now=half_past_eight_pm_ny).is_quiet
    stricter = quiet_hours.quiet_hours_at(e164="+12125550199", now=at_eleven_pm_ny)
    assert stricter.retry_at == dt.datetime(2026, 3, 5, 14, 0, tzinfo=dt.UTC)  # 09:00 NY


def test_a_now_in_another_zone_is_answered_without_the_cache():
    """Only UTC hours are cached (as the check passes them): wall-clock arithmetic in
    another zone is not the same walk across a DST change."""
    quiet_hours._quiet_until_cached.cache_clear()
    now = dt.datetime(2026, 3, 5, 23, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
    answer = quiet_hours.quiet_hours_at(e164="+12125550199", now=now)
    assert answer.is_quiet and answer.retry_at == now.replace(day=6, hour=8)
    assert quiet_hours._quiet_until_cached.cache_info().currsize == 0


def test_the_quiet_hours_walk_cache_is_bounded():
    cached = quiet_hours._quiet_until_cached
    cached.cache_clear()
    locale = quiet_hours.phone_locale("+12125550199")
    rule = quiet_hours.rule_for_state(locale.state)
    start = dt.datetime(2026, 3, 5, 4, 0, tzinfo=dt.UTC)
    for hour in range(cached.cache_info().maxsize + 100):
        cached(rule, locale, start + dt.timedelta(hours=hour))
    assert cached.cache_info().currsize == cached.cache_info().maxsize


def test_distinct_recipients_add_nothing_per_recipient_to_any_cache(customer, sender):
    """A send list of a million numbers must not leave a million cache entries: the
    per-worker caches are keyed by sender, query shape, exchange and hour only."""
    caches = {
        "senders": identifiers._sender_normalize,
        "statements": check_selector._check_statement,
        "locales": quiet_hours._locale_of,
        "quiet walks": quiet_hours._quiet_until_cached,
    }
    for cached in caches.values():
        assert cached.cache_info().maxsize is not None  # bounded
    before = {name: cached.cache_info().currsize for name, cached in caches.items()}
    ten_pm_pacific = dt.datetime(2026, 3, 5, 6, 0, tzinfo=dt.UTC)
    for line in range(200):
        number = f"+1415555{line:04d}"
        for purpose in ("sms_marketing", "sms_informational"):
            check(customer, to=number, purpose=purpose, sender=sender.number, now=ten_pm_pacific)
        assert quiet_hours.quiet_hours_at(e164=number, now=ten_pm_pacific).is_quiet
    grown = {name: cached.cache_info().currsize - before[name] for name, cached in caches.items()}
    assert all(growth <= 1 for growth in grown.values()), grown


# --- API keys: a revoked key stops working within CONSENT_API_CACHE_SECONDS ------------


def test_a_key_revoked_by_another_worker_stops_working_within_the_cache_time(
    client, customer, contact, settings, monkeypatch
):
    """Revoking a key clears this worker's cache; other workers trust theirs for at most
    CONSENT_API_CACHE_SECONDS (config/settings/components/consent.py)."""
    settings.CONSENT_API_CACHE_SECONDS = 30
    raw_key = services.api_key_create(actor=None, customer=customer, name="dialer")[1]
    params = {"channel": "sms", "purpose": "sms_marketing", "to": contact.phone}
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}
    assert client.get("/api/v1/consent/check", params, **auth).status_code == 200
    # Revoked elsewhere: the database says so, this worker's cache does not know yet.
    ApiKey.objects.update(revoked_at=NOON_PACIFIC)
    assert client.get("/api/v1/consent/check", params, **auth).status_code == 200
    later = time.monotonic() + 31
    monkeypatch.setattr(selector_caches, "time", types.SimpleNamespace(monotonic=lambda: later))
    response = client.get("/api/v1/consent/check", params, **auth)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    ("header", "status"),
    [("Bearer {key}", 200), ("bearer {key}", 200), ("BEARER  {key} ", 200),
     ("Basic {key}", 401), ("Bearer", 401), ("{key}", 401), ("", 401)],
)  # fmt: skip
def test_the_authorization_header_is_read_as_before(client, customer, contact, header, status):
    raw_key = services.api_key_create(actor=None, customer=customer, name="dialer")[1]
    params = {"channel": "sms", "purpose": "sms_marketing", "to": contact.phone}
    response = client.get(
        "/api/v1/consent/check", params, HTTP_AUTHORIZATION=header.format(key=raw_key)
    )
    assert response.status_code == status


def test_other_customers_numbers_stay_invisible_on_the_fast_path(customer, sender):
    """The fast path changes how a number is read, not whose it is."""
    from consent.tests.factories import CustomerFactory

    other = ContactFactory(customer=CustomerFactory(slug="other"), phone="+14155550999")
    services.consent_event_record(
        actor=None, purpose="sms_marketing", action="grant", method="web_form",
        contact=other, identifier=other.phone,
    )  # fmt: skip
    assert check(customer, to="+14155550999").reason == "no_consent"


# --- the query budget of the whole request --------------------------------------------


def test_consent_check_costs_one_query_once_key_and_purpose_are_cached(
    client, customer, contact, django_assert_max_num_queries, django_assert_num_queries
):
    raw_key = services.api_key_create(actor=None, customer=customer, name="hot")[1]
    params = {"channel": "email", "purpose": "email_marketing", "to": contact.email}
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}
    with django_assert_max_num_queries(3):
        client.get("/api/v1/consent/check", params, **auth)
    with django_assert_num_queries(1):
        response = client.get("/api/v1/consent/check", params, **auth)
    assert response.json()["reason"] == "no_consent"
