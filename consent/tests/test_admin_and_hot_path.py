"""Admin pages staff use, and the consent check's query budget."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from consent import services
from consent.models import ApiKey, Notice
from consent.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(client):
    user = UserFactory(role="Privacy officer")
    client.force_login(user)
    return client


def test_changelists_and_contact_history_render(officer_client, contact, text):
    services.consent_event_record(
        actor=None, purpose="email_marketing", action="grant", method="web_form",
        contact=contact, identifier=contact.email,
    )  # fmt: skip
    text("STOP")
    for name in ("purpose", "notice", "consentevent", "consentstate", "smssubscription",
                 "inboundmessage", "apikey", "cookieconsent", "sendernumber", "contactconsent"):  # fmt: skip
        response = officer_client.get(f"/admin/consent/{name}/")
        assert response.status_code == 200, name
    page = officer_client.get(f"/admin/consent/contactconsent/{contact.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Consent history" in body and "E-mail marketing" in body
    found = officer_client.get("/admin/consent/contactconsent/", {"q": "(415) 555-0111"})
    assert f"/admin/consent/contactconsent/{contact.pk}/change/" in found.content.decode()


def test_published_notice_is_read_only_in_admin(officer_client):
    notice = Notice.objects.get(purpose__code="email_marketing", version=1)
    response = officer_client.post(
        f"/admin/consent/notice/{notice.pk}/change/",
        {"purpose": notice.purpose_id, "kind": notice.kind, "language": "en", "text": "x"},
    )
    assert response.status_code == 403
    notice.refresh_from_db()
    assert notice.text != "x"


def test_api_key_created_in_admin_is_shown_once(officer_client, customer):
    response = officer_client.post(
        "/admin/consent/apikey/add/", {"customer": customer.pk, "name": "crm"}, follow=True
    )
    shown = [str(m) for m in get_messages(response.wsgi_request)] or [response.content.decode()]
    key = ApiKey.objects.get(name="crm")
    assert any(f"pbo_{key.prefix}_" in m for m in shown)
    assert (
        f"pbo_{key.prefix}_"
        not in officer_client.get(f"/admin/consent/apikey/{key.pk}/change/").content.decode()
    )


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
