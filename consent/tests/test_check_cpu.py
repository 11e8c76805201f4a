"""The consent check's shortcuts give the answers of the long way, and stay bounded.

The hot path (GET /api/v1/consent/check) skips work that does not change its answer.
Each shortcut is held here to the code it stands in for; none may ever turn a "no" into
a "yes", and no cache may grow with the number of recipients."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from consent import selectors, services
from consent.tests.conftest import check
from privacy.services.suppression import suppressions_add

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
