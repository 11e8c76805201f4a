"""The consent check's shortcuts give the answers of the long way, and stay bounded.

The hot path (GET /api/v1/consent/check) skips work that does not change its answer.
Each shortcut is held here to the code it stands in for; none may ever turn a "no" into
a "yes", and no cache may grow with the number of recipients."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from consent import selectors, services
from consent.tests.conftest import check
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
        assert _outcome(selectors._phone_e164, raw, "US") == expected, raw
        valid += isinstance(expected, str)
    # Both kinds were exercised: the sample is not all valid or all invalid.
    assert 0.3 * len(sample) < valid < 0.95 * len(sample)


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
    assert _outcome(selectors._phone_e164, raw, region) == _outcome(_the_long_way, raw, region)


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
    selectors._check_statement.cache_clear()
    before = _prepared_names() if connection.vendor == "postgresql" else set()
    for _ in range(3):
        check(customer, sender=sender.number)
        check(customer)
        check(customer, to=contact.email, purpose="email_marketing")
    info = selectors._check_statement.cache_info()
    assert (info.currsize, info.misses, info.hits) == (3, 3, 6)
    if connection.vendor == "postgresql":
        after = _prepared_names()
        assert len(after - before) <= 3
        for _ in range(3):
            check(customer, sender=sender.number)
        assert _prepared_names() == after


def test_a_suppression_under_a_rotated_out_key_still_says_no(settings, customer, contact, sender):
    """Two keys make a query with two HMACs: a shape of its own, not the one-key text."""
    services.consent_event_record(
        actor=None, purpose="sms_marketing", action="grant", method="web_form",
        contact=contact, identifier=contact.phone, sender=sender.number,
        notice=services.notice_published(purpose_code="sms_marketing"),
        occurred_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    )  # fmt: skip
    assert check(customer, sender=sender.number).allowed  # the one-key shape, granted
    suppressions_add(identifiers=[("phone", contact.phone)], customer=customer)
    settings.SUPPRESSION_HMAC_KEYS = {"t0": "the-new-key", **settings.SUPPRESSION_HMAC_KEYS}
    settings.SUPPRESSION_HMAC_ACTIVE_KEY_ID = "t0"
    decision = check(customer, sender=sender.number)
    assert (decision.allowed, decision.reason) == (False, "suppressed")
