"""Preference centre (signed expiring link, one-click withdraw, GPC), cookie banner
endpoint (GPC) and the nightly purge of cookie records."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.core import signing
from django.core.management import call_command
from django.utils import timezone

from consent import selectors, services, sms
from consent.models import ConsentEvent, ConsentState, CookieConsent, SmsSubscription
from consent.services import ledger

pytestmark = pytest.mark.django_db


def _url(contact) -> str:
    return f"/preferences/{selectors.preference_token_make(contact_id=contact.pk)}/"


def test_link_carries_no_email_or_phone(contact):
    url = _url(contact)
    assert contact.email not in url and contact.phone not in url
    assert "ann" not in signing.b64_decode(url.split("/")[2].split(":")[0].encode()).decode(
        "latin-1"
    )


def test_page_shows_choices_and_withdraw_is_one_click(client, contact):
    services.consent_event_record(
        actor=None, purpose="email_marketing", action="grant", method="web_form",
        contact=contact, identifier=contact.email,
    )  # fmt: skip
    page = client.get(_url(contact))
    assert page.status_code == 200
    assert "Unsubscribe" in page.content.decode()

    response = client.post(
        _url(contact),
        {"purpose": "email_marketing", "identifier": contact.email, "choice": "withdraw"},
    )

    assert "will not receive these messages" in response.content.decode()
    state = ConsentState.objects.get(contact=contact, purpose__code="email_marketing")
    assert not state.is_granted and state.method == "preference_centre"


def test_grant_on_the_page_records_the_notice_shown(client, contact):
    client.post(
        _url(contact),
        {"purpose": "email_marketing", "identifier": contact.email, "choice": "grant"},
        REMOTE_ADDR="198.51.100.4",
    )
    event = ConsentEvent.objects.get(contact=contact)
    assert event.action == "grant" and event.notice.version == 1
    assert event.ip_address == "198.51.100.4"


def test_sms_sign_up_on_the_page_starts_double_opt_in(
    client, contact, sender, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(contact),
            {"purpose": "sms_marketing", "identifier": contact.phone, "choice": "grant"},
        )
    assert "reply YES" in response.content.decode()
    assert SmsSubscription.objects.get(phone=contact.phone).status == "pending"
    assert len(sms.outbox) == 1


def test_expired_and_tampered_links_are_refused(client, contact, settings):
    url = _url(contact)
    tampered = url[:-3] + ("A" if url[-3] != "A" else "B") + url[-2:]
    assert client.get(tampered).status_code == 404
    # Someone else's id with this link's signature.
    token = url.split("/")[2]
    _, stamp, signature = token.split(":")
    forged = signing.b64_encode(json.dumps({"c": contact.pk + 1}).encode()).decode()
    assert client.get(f"/preferences/{forged}:{stamp}:{signature}/").status_code == 404
    settings.CONSENT_PREFERENCE_LINK_MAX_AGE_DAYS = 0
    import time

    time.sleep(1.1)
    response = client.get(url)
    assert response.status_code == 410 and "expired" in response.content.decode()


def test_gpc_header_on_the_page_opts_out_of_sale_sharing(client, contact):
    response = client.get(_url(contact), HTTP_SEC_GPC="1")
    assert response.status_code == 200
    state = ConsentState.objects.get(contact=contact, purpose__code="sale_sharing")
    assert not state.is_granted and state.method == "gpc"
    # Seen again: nothing new recorded.
    client.get(_url(contact), HTTP_SEC_GPC="1")
    assert ConsentEvent.objects.filter(contact=contact, method="gpc").count() == 1


def _cookie_post(client, data, **headers):
    return client.post(
        "/consent/cookies/", json.dumps(data), content_type="application/json", **headers
    )


def test_cookie_banner_records_choices_per_category_with_the_notice(client):
    response = _cookie_post(
        client, {"categories": {"analytics": True, "advertising": True}, "notice_version": 1}
    )
    assert response.status_code == 201
    visitor = uuid.UUID(response.json()["visitor_id"])
    assert response.cookies["pbo_visitor"].value == str(visitor)
    granted = dict(
        ConsentState.objects.filter(visitor_id=visitor).values_list("purpose__code", "is_granted")
    )
    assert granted == {"cookies_analytics": True, "cookies_advertising": True}
    assert ConsentEvent.objects.filter(visitor_id=visitor, notice__version=1).count() == 2
    assert client.get("/consent/cookies/").json()["categories"] == {
        "analytics": True,
        "advertising": True,
    }


def test_cookie_banner_with_gpc_refuses_advertising_and_opts_out_of_sale(client):
    response = _cookie_post(
        client,
        {"categories": {"analytics": True, "advertising": True}, "notice_version": 1},
        HTTP_SEC_GPC="1",
    )
    assert response.json()["categories"] == {"analytics": True, "advertising": False}
    visitor = uuid.UUID(response.json()["visitor_id"])
    states = {s.purpose.code: s for s in ConsentState.objects.filter(visitor_id=visitor)}
    assert not states["cookies_advertising"].is_granted
    assert states["cookies_advertising"].method == "gpc"
    assert not states["sale_sharing"].is_granted and states["sale_sharing"].method == "gpc"
    assert CookieConsent.objects.get().gpc is True


def test_cookie_banner_rejects_unknown_notice_or_category(client):
    assert _cookie_post(client, {"categories": {"analytics": True},
                                 "notice_version": 99}).status_code == 400  # fmt: skip
    assert _cookie_post(client, {"categories": {"tracking": True},
                                 "notice_version": 1}).status_code == 400  # fmt: skip
    assert not CookieConsent.objects.exists()


def test_nightly_purge_deletes_cookie_records_older_than_12_months():
    old_visitor = uuid.uuid4()
    thirteen_months = timezone.now() - dt.timedelta(days=400)
    CookieConsent.objects.create(
        visitor_id=old_visitor,
        categories={"analytics": True},
        notice_version=1,
        recorded_at=thirteen_months,
    )
    ledger._event_write(
        actor=None,
        purpose=ledger._purpose("cookies_analytics"),
        action="grant",
        method="cookie_banner",
        visitor_id=old_visitor,
        occurred_at=thirteen_months,
    )
    recent = services.cookie_consent_record(
        visitor_id=None, categories={"analytics": False}, notice_version=1, gpc=False
    )

    call_command("consent_records_purge")

    assert list(CookieConsent.objects.values_list("pk", flat=True)) == [recent.record.pk]
    assert not ConsentEvent.objects.filter(visitor_id=old_visitor).exists()
    assert not ConsentState.objects.filter(visitor_id=old_visitor).exists()
    assert ConsentState.objects.filter(visitor_id=recent.visitor_id).exists()
    assert services.consent_state_rebuild(actor=None, apply=False).drift == 0
    # Twice is the same as once.
    assert services.consent_records_purge() == {}


def test_nightly_purge_walks_old_visitors_in_batches_and_keeps_the_recent_ones():
    """Batches of one: every old visitor's states and events go (a state's events with
    it), nothing recent is touched, and the projection still matches the ledger."""
    thirteen_months = timezone.now() - dt.timedelta(days=400)
    old_visitors = [uuid.uuid4() for _ in range(3)]
    for visitor in old_visitors:
        for code, action in (("cookies_analytics", "grant"), ("cookies_advertising", "grant"),
                             ("cookies_analytics", "withdraw")):  # fmt: skip
            ledger._event_write(
                actor=None, purpose=ledger._purpose(code), action=action,
                method="cookie_banner", visitor_id=visitor, occurred_at=thirteen_months,
            )  # fmt: skip
    recent = services.cookie_consent_record(
        visitor_id=None, categories={"analytics": True}, notice_version=1, gpc=False
    )

    counts = services.consent_records_purge(batch_size=1)

    assert counts == {"visitor_states": 6, "visitor_events": 9}
    assert not ConsentEvent.objects.filter(visitor_id__in=old_visitors).exists()
    assert not ConsentState.objects.filter(visitor_id__in=old_visitors).exists()
    assert ConsentState.objects.filter(visitor_id=recent.visitor_id).count() == 2
    assert services.consent_state_rebuild(actor=None, apply=False).drift == 0
