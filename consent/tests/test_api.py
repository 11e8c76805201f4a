"""The JSON API: API keys, the consent check, recording events, customer isolation."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from consent import services
from consent.models import ApiKey, ConsentEvent, ConsentState
from consent.tests.factories import ContactFactory, CustomerFactory
from privacy.services import contact_restrict, contact_update
from privacy.services.suppression import suppressions_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_a(customer):
    return services.api_key_create(actor=None, customer=customer, name="dialer")[1]


@pytest.fixture
def customer_b(db):
    return CustomerFactory(slug="other-co", name="Other Co")


@pytest.fixture
def contact_b(customer_b):
    return ContactFactory(customer=customer_b, phone="+14155550222", email="bob@example.org")


def _auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _check(client, key, **params):
    return client.get("/api/v1/consent/check", params, **_auth(key))


def _post(client, key, data):
    return client.post(
        "/api/v1/consent/events", json.dumps(data), content_type="application/json", **_auth(key)
    )


def test_key_is_stored_hashed_and_printed_once_by_the_command(customer, capsys):
    call_command("create_api_key", "--customer", customer.slug, "--name", "crm")
    raw_key = capsys.readouterr().out.strip()
    key = ApiKey.objects.get(name="crm")
    assert raw_key.startswith(f"pbo_{key.prefix}_")
    assert raw_key not in (key.key_hash, key.prefix)
    assert len(key.key_hash) == 64


def test_missing_wrong_or_revoked_key_is_401(client, customer, key_a, contact):
    assert client.get("/api/v1/consent/check").status_code == 401
    assert _check(client, "pbo_nope_nope", channel="email", to=contact.email,
                  purpose="email_marketing").status_code == 401  # fmt: skip
    services.api_key_revoke(actor=None, api_key=ApiKey.objects.get())
    response = _check(client, key_a, channel="email", to=contact.email, purpose="email_marketing")
    assert response.status_code == 401


def test_grant_then_check_then_withdraw_through_the_api(client, key_a, contact):
    response = _post(client, key_a, {
        "purpose": "email_marketing", "action": "grant", "to": "  Ann@EXAMPLE.org ",
        "notice_version": 1, "occurred_at": "2026-01-05T10:00:00+00:00",
        "evidence": {"ip": "203.0.113.9", "user_agent": "UA", "page_url": "https://x/y",
                     "source": "newsletter form"},
    })  # fmt: skip
    assert response.status_code == 201, response.content
    event = ConsentEvent.objects.get(pk=response.json()["id"])
    assert (event.contact_id, event.method, event.notice.version) == (contact.pk, "api", 1)
    assert event.ip_address == "203.0.113.9" and event.source == "newsletter form"

    answer = _check(client, key_a, channel="email", to="ann@example.org", purpose="email_marketing")
    assert answer.json() == {"allowed": True, "reason": "granted",
                             "since": "2026-01-05T10:00:00+00:00"}  # fmt: skip

    _post(client, key_a, {"purpose": "email_marketing", "action": "withdraw", "to": contact.email})
    answer = _check(client, key_a, channel="email", to=contact.email, purpose="email_marketing")
    assert answer.json()["allowed"] is False and answer.json()["reason"] == "withdrawn"


def test_customer_a_key_cannot_read_or_write_customer_b_consent(
    client, key_a, contact, contact_b, customer_b
):
    services.consent_event_record(
        actor=None, purpose="email_marketing", action="grant", method="web_form",
        contact=contact_b, identifier=contact_b.email,
    )  # fmt: skip
    # Read: B's granted contact looks like nobody to A's key.
    answer = _check(client, key_a, channel="email", to=contact_b.email, purpose="email_marketing")
    assert answer.json() == {"allowed": False, "reason": "no_consent", "since": None}
    assert (
        client.get(f"/api/v1/contacts/{contact_b.pk}/consents", **_auth(key_a)).status_code == 404
    )
    # Write: by id or by identifier, 404, and B's consent is untouched.
    by_id = _post(client, key_a, {"purpose": "email_marketing", "action": "withdraw",
                                  "contact_id": contact_b.pk})  # fmt: skip
    by_identifier = _post(client, key_a, {"purpose": "email_marketing", "action": "withdraw",
                                          "to": contact_b.email})  # fmt: skip
    assert by_id.status_code == 404 and by_identifier.status_code == 404
    state = ConsentState.objects.get(contact=contact_b)
    assert state.is_granted
    assert ConsentEvent.objects.filter(contact=contact_b).count() == 1
    # B's own key sees it.
    key_b = services.api_key_create(actor=None, customer=customer_b, name="b")[1]
    answer = _check(client, key_b, channel="email", to=contact_b.email, purpose="email_marketing")
    assert answer.json()["allowed"] is True


def test_own_contact_history_is_readable(client, key_a, contact):
    _post(client, key_a, {"purpose": "email_marketing", "action": "grant", "to": contact.email})
    data = client.get(f"/api/v1/contacts/{contact.pk}/consents", **_auth(key_a)).json()
    assert data["consents"][0]["purpose"] == "email_marketing"
    assert data["events"][0]["action"] == "grant"


def test_create_contact_on_request_only(client, key_a, customer):
    data = {"purpose": "email_marketing", "action": "grant", "to": "new@example.org"}
    assert _post(client, key_a, data).status_code == 404
    assert _post(client, key_a, {**data, "create_contact": True}).status_code == 201


def test_bad_requests_are_400_without_echoing_the_value(client, key_a, contact):
    bad_phone = _check(client, key_a, channel="sms", to="+1 415 55", purpose="sms_marketing")
    assert bad_phone.status_code == 400 and "415" not in bad_phone.json()["error"]
    assert _check(client, key_a, channel="sms", to=contact.phone,
                  purpose="email_marketing").status_code == 400  # fmt: skip
    assert _check(client, key_a, channel="fax", to=contact.phone,
                  purpose="sms_marketing").status_code == 400  # fmt: skip
    assert _check(client, key_a, channel="sms", to=contact.phone,
                  purpose="nope").status_code == 400  # fmt: skip
    assert _post(client, key_a, {"purpose": "email_marketing", "action": "maybe",
                                 "to": contact.email}).status_code == 400  # fmt: skip
    future = _post(client, key_a, {"purpose": "email_marketing", "action": "grant",
                                   "to": contact.email, "occurred_at": "2999-01-01T00:00:00Z"})  # fmt: skip
    assert future.status_code == 400


def test_check_says_no_for_restricted_and_suppressed(client, key_a, contact, customer):
    services.consent_event_record(
        actor=None, purpose="email_marketing", action="grant", method="web_form",
        contact=contact, identifier=contact.email,
    )  # fmt: skip
    params = {"channel": "email", "to": contact.email, "purpose": "email_marketing"}
    assert _check(client, key_a, **params).json()["allowed"] is True

    suppressions_add(identifiers=[("email", contact.email)], customer=customer)
    assert _check(client, key_a, **params).json()["reason"] == "suppressed"

    other = ContactFactory(customer=customer, email="cy@example.org", phone="+14155550333")
    services.consent_event_record(
        actor=None, purpose="email_marketing", action="grant", method="web_form",
        contact=other, identifier=other.email,
    )  # fmt: skip
    contact_restrict(actor=None, contact=other, restricted=True)
    answer = _check(client, key_a, channel="email", to=other.email, purpose="email_marketing")
    assert answer.json() == {"allowed": False, "reason": "restricted", "since": None}


def test_check_says_no_to_a_contact_who_asked_never_to_be_contacted(client, key_a, contact):
    """A granted consent does not override "do not contact" (a wrong yes is the one
    answer the check must never give)."""
    services.consent_event_record(
        actor=None, purpose="email_marketing", action="grant", method="web_form",
        contact=contact, identifier=contact.email,
    )  # fmt: skip
    params = {"channel": "email", "to": contact.email, "purpose": "email_marketing"}
    assert _check(client, key_a, **params).json()["allowed"] is True
    contact_update(actor=None, contact=contact, do_not_contact=True)
    answer = _check(client, key_a, **params).json()
    assert answer == {"allowed": False, "reason": "do_not_contact", "since": None}


def test_inline_suppression_matches_privacy_selector(customer, contact):
    """The check inlines the suppression lookup for speed; it must agree with privacy's."""
    from consent.tests.conftest import check
    from privacy.selectors import identifier_is_suppressed

    services.consent_event_record(
        actor=None, purpose="email_marketing", action="grant", method="web_form",
        contact=contact, identifier=contact.email,
    )  # fmt: skip
    for suppress in (False, True):
        if suppress:
            suppressions_add(identifiers=[("email", contact.email)], customer=None)
        suppressed = identifier_is_suppressed(
            channel="email", value=contact.email, customer_id=customer.pk
        )
        decision = check(customer, to=contact.email, purpose="email_marketing")
        assert suppressed is suppress
        assert (decision.reason == "suppressed") is suppressed


def test_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/v1/consent/check", "/api/v1/consent/events"} <= set(doc["paths"])
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
