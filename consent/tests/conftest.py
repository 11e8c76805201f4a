"""Fixtures of the consent tests: a fake SMS gateway, a known Twilio auth token, a
customer with a sender number, and a client that signs webhook posts with the twilio
package's own RequestValidator."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from twilio.request_validator import RequestValidator

from consent import selectors, sms
from consent.tests.factories import ContactFactory, CustomerFactory, SenderNumberFactory

AUTH_TOKEN = "test-twilio-auth-token"
WEBHOOK_URL = "http://testserver/sms/inbound/"
# Noon in California: never quiet hours for the 415 numbers of the factories.
NOON_PACIFIC = dt.datetime(2026, 3, 4, 20, 0, tzinfo=dt.UTC)
_sids = itertools.count(1)


@pytest.fixture(autouse=True)
def consent_settings(settings):
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.CONSENT_TWILIO_WEBHOOK_BASE_URL = ""
    settings.CONSENT_SMS_GATEWAY = "consent.sms.LocmemGateway"
    settings.CONSENT_SMS_BRAND_NAME = "Acme"
    sms.outbox.clear()
    selectors.caches_clear()
    yield settings
    selectors.caches_clear()


@pytest.fixture
def customer(db):
    return CustomerFactory(slug="acme-main", name="Acme")


@pytest.fixture
def sender(customer):
    return SenderNumberFactory(customer=customer, number="+12125550100")


@pytest.fixture
def contact(customer):
    return ContactFactory(customer=customer, phone="+14155550111", email="ann@example.org")


def sign(params: dict, url: str = WEBHOOK_URL, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def new_sid() -> str:
    return f"SM{next(_sids):032d}"


@pytest.fixture
def text(client, sender):
    """text(body, from_=…, sid=…) posts a correctly signed inbound message."""

    def _text(body: str, *, from_: str = "+14155550111", to: str | None = None, sid=None):
        params = {
            "From": from_,
            "To": to or sender.number,
            "Body": body,
            "MessageSid": sid or new_sid(),
            "AccountSid": "AC" + "0" * 32,
        }
        return client.post("/sms/inbound/", params, HTTP_X_TWILIO_SIGNATURE=sign(params))

    return _text


def check(customer, to="+14155550111", purpose="sms_marketing", sender=None, now=NOON_PACIFIC):
    channel = "email" if "@" in to else "sms"
    return selectors.consent_check(
        customer_id=customer.pk,
        channel=channel,
        purpose_code=purpose,
        to=to,
        sender=sender,
        now=now,
    )


@pytest.fixture
def officer_client(client):
    """The test client logged in as a privacy officer (modules may define their own)."""
    from consent.tests.factories import UserFactory

    client.force_login(UserFactory(role="Privacy officer"))
    return client
