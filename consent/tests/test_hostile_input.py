"""Issue 11's consent rows, through the real views with a valid Twilio signature or API
key: NUL bytes in the webhook and the API, over-long MessageSids, and an API key naming
another customer's sender number.

Decisions (docs/consent.md, "Hostile input"): NUL bytes in a text's Body are removed
before it is classified and stored, so "STOP\\0" is a STOP; a NUL in MessageSid (which
could not be de-duplicated), From, To or AccountSid is a 400 naming the field, nothing
stored; a MessageSid over 64 characters is a 400 (Twilio's are 34), never cut to a
shorter one that could match another text; NUL anywhere in an API request is a JSON 400
naming the field."""

from __future__ import annotations

import json

import pytest

from consent import services
from consent.models import ConsentEvent, ConsentState, InboundMessage, SmsSubscription
from consent.tests.conftest import sign
from consent.tests.factories import CustomerFactory, SenderNumberFactory
from privacy.models import Contact

pytestmark = pytest.mark.django_db

PHONE = "+14155550111"


def _post_text(client, sender, **fields):
    params = {
        "From": PHONE,
        "To": sender.number,
        "Body": "STOP",
        "MessageSid": "SM" + "a" * 32,
        "AccountSid": "AC" + "0" * 32,
        **fields,
    }
    return client.post("/sms/inbound/", params, HTTP_X_TWILIO_SIGNATURE=sign(params))


def _stored() -> tuple[int, ...]:
    return (
        InboundMessage.objects.count(),
        ConsentEvent.objects.count(),
        ConsentState.objects.count(),
        Contact.objects.count(),
        SmsSubscription.objects.count(),
    )


# --- the webhook --------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["STOP\x00", "\x00STOP", "ST\x00OP", "STOP\x00\x00 "])
def test_a_stop_with_nul_bytes_in_its_body_is_honoured(client, customer, sender, contact, body):
    response = _post_text(client, sender, Body=body)

    assert response.status_code == 200, response.content
    assert "unsubscribed" in response.content.decode()
    message = InboundMessage.objects.get()
    assert (message.keyword, message.outcome) == ("stop", "opted_out")
    assert "\x00" not in message.body
    assert ConsentEvent.objects.filter(action="withdraw", contact=contact).count() == 2


def test_nul_bytes_in_a_free_text_are_removed_and_the_rest_kept(client, sender, contact):
    assert _post_text(client, sender, Body="call me\x00 back").status_code == 200
    assert InboundMessage.objects.get().body == "call me back"


@pytest.mark.parametrize("field", ["MessageSid", "From", "To", "AccountSid"])
def test_a_nul_byte_in_an_identifier_field_is_a_400_naming_it(client, sender, contact, field):
    before = _stored()
    value = {"MessageSid": "SM\x00" + "a" * 31, "From": PHONE + "\x00", "To": sender.number + "\x00",
             "AccountSid": "AC\x00" + "0" * 31}[field]  # fmt: skip

    response = _post_text(client, sender, **{field: value})

    assert response.status_code == 400, response.content
    assert field in response.content.decode()
    assert _stored() == before


def test_a_message_sid_over_64_characters_is_refused_never_cut_to_match_another(
    client, sender, contact
):
    sixty_four = "SM" + "b" * 62
    assert _post_text(client, sender, MessageSid=sixty_four, Body="HELP").status_code == 200

    # Shares its first 64 characters with the text above: it used to be dropped as that
    # text's duplicate (200, no reply), the STOP lost.
    response = _post_text(client, sender, MessageSid=sixty_four + "c" * 6, Body="STOP")

    assert response.status_code == 400, response.content
    assert "MessageSid" in response.content.decode()
    assert list(InboundMessage.objects.values_list("message_sid", flat=True)) == [sixty_four]


# --- the API ------------------------------------------------------------------------------


@pytest.fixture
def key(customer):
    return services.api_key_create(actor=None, customer=customer, name="crm")[1]


def _post_event(client, key, data):
    return client.post(
        "/api/v1/consent/events",
        json.dumps(data),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def _grant(**changes) -> dict:
    data = {
        "purpose": "sms_marketing",
        "action": "grant",
        "to": PHONE,
        "sender": "+12125550100",
        "notice_version": 1,
        "confirmed": True,
        "occurred_at": "2026-01-05T10:00:00+00:00",
        "evidence": {
            "ip": "203.0.113.9",
            "user_agent": "Mozilla/5.0",
            "page_url": "https://example.com/sign-up",
            "source": "sign-up form",
            "reference": "order 17",
        },
    }
    for path, value in changes.items():
        target = data
        *parents, name = path.split(".")
        for parent in parents:
            target = target[parent]
        target[name] = value
    return data


@pytest.mark.parametrize(
    "field",
    [
        "purpose", "action", "to", "sender", "occurred_at", "evidence.ip",
        "evidence.user_agent", "evidence.page_url", "evidence.source", "evidence.reference",
    ],
)  # fmt: skip
def test_a_nul_byte_in_any_api_string_is_a_json_400_naming_the_field(
    client, key, sender, contact, field
):
    before = _stored()
    original = _grant()
    value = original
    for part in field.split("."):
        value = value[part]

    response = _post_event(client, key, _grant(**{field: value[:2] + "\x00" + value[2:]}))

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["field"] == field
    assert field in response.json()["error"] and "NUL" in response.json()["error"]
    assert _stored() == before
    # The same request without the NUL byte is fine: the refusal was for that field.
    assert _post_event(client, key, original).status_code == 201


def test_a_nul_byte_in_a_key_of_the_body_is_refused_too(client, key, sender, contact):
    data = _grant()
    data["evidence"]["note\x00"] = "x"
    response = _post_event(client, key, data)
    assert response.status_code == 400 and "NUL" in response.json()["error"]


@pytest.mark.parametrize("param", ["channel", "purpose", "to", "sender"])
def test_a_nul_byte_in_a_check_parameter_is_a_json_400_naming_it(client, key, sender, param):
    params = {"channel": "sms", "purpose": "sms_marketing", "to": PHONE, "sender": sender.number}
    params[param] = params[param] + "\x00"
    response = client.get("/api/v1/consent/check", params, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 400, response.content
    assert response.json()["field"] == param


@pytest.mark.parametrize("confirmed", [True, False])
def test_an_api_key_naming_another_customers_sender_is_refused_like_an_unknown_one(
    client, key, sender, contact, confirmed
):
    theirs = SenderNumberFactory(customer=CustomerFactory(slug="theirs"), number="+12125550188")
    before = _stored()

    foreign = _post_event(client, key, _grant(sender=theirs.number, confirmed=confirmed))
    unknown = _post_event(client, key, _grant(sender="+12125550199", confirmed=confirmed))

    assert foreign.status_code == unknown.status_code == 400, foreign.content
    assert foreign.json() == unknown.json()  # nothing tells the two apart
    assert "sender" in foreign.json()["error"]
    assert _stored() == before
    assert _post_event(client, key, _grant(confirmed=confirmed)).status_code in (201, 202)


# --- the public endpoints -----------------------------------------------------------------


def test_a_nul_byte_on_the_preference_centre_is_a_400_and_changes_nothing(client, contact):
    from consent.selectors import preference_token_make

    page = f"/preferences/{preference_token_make(contact_id=contact.pk)}/"
    before = _stored()
    for form in (
        {"purpose": "email\x00_marketing", "identifier": contact.email, "choice": "grant"},
        {"purpose": "email_marketing", "identifier": contact.email + "\x00", "choice": "grant"},
    ):
        response = client.post(page, form)
        assert response.status_code == 400
        assert "could not be saved" in response.content.decode()
    assert _stored() == before


def test_the_cookie_banner_refuses_nul_fields_and_keeps_a_choice_whose_user_agent_has_one(
    client,
):
    bad = {"visitor_id": "a\x00", "categories": {"analytics": True}, "notice_version": 1}
    response = client.post("/consent/cookies/", json.dumps(bad), content_type="application/json")
    assert response.status_code == 400 and response.json()["field"] == "visitor_id"

    good = {"categories": {"analytics": True}, "notice_version": 1}
    response = client.post(
        "/consent/cookies/",
        json.dumps(good),
        content_type="application/json",
        HTTP_USER_AGENT="Mozilla/5.0\x00 evil",
    )
    assert response.status_code == 201, response.content
    agents = set(
        ConsentEvent.objects.filter(visitor_id__isnull=False).values_list("user_agent", flat=True)
    )
    assert agents == {"Mozilla/5.0 evil"}
