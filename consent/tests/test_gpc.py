"""Global Privacy Control on every public page (issue 9 §4): a visitor tied to a
contact (a signed preference link, a verified request's status page, the session in
which such a page was opened, a visitor cookie linked to the contact) who sends
``Sec-GPC: 1`` on any public page opts that contact out of sale/sharing, recorded once
as a ledger event (method GPC, the page's route and the user agent). And the check API
answers sale/sharing and sensitive-data questions."""

from __future__ import annotations

import uuid

import pytest

from consent import selectors, services
from consent.gpc import SESSION_KEY
from consent.models import ConsentEvent, VisitorLink
from consent.tests.conftest import check

pytestmark = pytest.mark.django_db

GPC = {"HTTP_SEC_GPC": "1", "HTTP_USER_AGENT": "Firefox/140 (test)"}


def _gpc_events():
    return ConsentEvent.objects.filter(method=ConsentEvent.Method.GPC, contact__isnull=False)


@pytest.fixture
def verified_request(contact, django_capture_on_commit_callbacks):
    """A verified access request that matched the contact; its status-page token."""
    from requests_app import services as request_services
    from requests_app.tokens import derive_token

    with django_capture_on_commit_callbacks(execute=True):
        result = request_services.privacy_request_submit(
            actor=None, request_type="access", country="US", state="CA", email=contact.email
        )
    with django_capture_on_commit_callbacks(execute=True):
        request_services.privacy_request_verify_manually(
            actor=None, request=result.request, method="id_document"
        )
    request = result.request
    request.refresh_from_db()
    assert request.matches.filter(contact=contact).exists()
    return derive_token(purpose="status", ident=request.reference, salt=request.status_token_salt)


def test_gpc_on_a_status_page_opts_the_matched_contact_out_once(
    client, customer, contact, verified_request
):
    assert check(customer, to=contact.email, purpose="sale_sharing").allowed

    response = client.get(f"/privacy/status/{verified_request}/", **GPC)

    assert response.status_code == 200
    event = _gpc_events().get()
    assert (event.contact, event.purpose.code, event.action) == (
        contact,
        "sale_sharing",
        "withdraw",
    )
    assert event.user_agent == "Firefox/140 (test)"
    # The page's route, never its path: the path holds the status token.
    assert event.page_url == "/privacy/status/<str:token>/"
    assert verified_request not in event.page_url
    decision = check(customer, to=contact.email, purpose="sale_sharing")
    assert (decision.allowed, decision.reason) == (False, "withdrawn")

    client.get(f"/privacy/status/{verified_request}/", **GPC)
    client.get("/privacy/request/", **GPC)
    assert _gpc_events().count() == 1  # once per contact


def test_gpc_on_another_public_page_in_the_same_session(
    client, customer, contact, verified_request
):
    # The status page opened without the signal ties the session to the contact...
    client.get(f"/privacy/status/{verified_request}/")
    assert client.session[SESSION_KEY] == [contact.pk]
    assert not _gpc_events().exists()

    # ...and the signal on the request form (a page that names nobody) is honoured.
    response = client.get("/privacy/request/", **GPC)

    assert response.status_code == 200
    assert _gpc_events().get().page_url == "/privacy/request/"


def test_gpc_from_a_visitor_cookie_linked_to_the_contact(client, customer, contact):
    visitor = uuid.uuid4()
    client.cookies["pbo_visitor"] = str(visitor)
    token = selectors.preference_token_make(contact_id=contact.pk)
    client.get(f"/preferences/{token}/")
    assert VisitorLink.objects.filter(visitor_id=visitor, contact=contact).exists()

    # A new browser session, the same visitor cookie: the link still ties them.
    client.session.flush()
    client.cookies["pbo_visitor"] = str(visitor)
    client.get("/privacy/request/", **GPC)

    assert _gpc_events().get().contact == contact


def test_gpc_from_a_visitor_tied_to_nobody_records_nothing(client, contact):
    client.cookies["pbo_visitor"] = str(uuid.uuid4())
    response = client.get("/privacy/request/", **GPC)
    assert response.status_code == 200
    assert not _gpc_events().exists()


def test_gpc_on_the_preference_centre_is_recorded_by_the_middleware(client, customer, contact):
    token = selectors.preference_token_make(contact_id=contact.pk)
    response = client.get(f"/preferences/{token}/", **GPC)
    assert response.status_code == 200
    assert _gpc_events().get().page_url == "/preferences/<str:token>/"


def test_gpc_is_not_read_on_the_admin_or_the_api(officer_client, contact):
    officer_client.cookies["pbo_visitor"] = str(uuid.uuid4())
    VisitorLink.objects.create(
        visitor_id=officer_client.cookies["pbo_visitor"].value, contact=contact
    )
    officer_client.get("/admin/", **GPC)
    officer_client.get("/api/v1/openapi.json", **GPC)
    assert not _gpc_events().exists()


def test_a_gpc_opt_out_after_another_opt_out_is_recorded_once_as_evidence(customer, contact):
    services.contact_sale_sharing_opt_out(actor=None, contact=contact, reference="PR-1")
    assert services.contact_gpc_signal_record(contact=contact, page_url="/x/", user_agent="ua")
    assert not services.contact_gpc_signal_record(contact=contact, page_url="/x/", user_agent="ua")
    assert _gpc_events().count() == 1


def test_erasure_removes_visitor_links(contact):
    from privacy.services import contact_erase

    VisitorLink.objects.create(visitor_id=uuid.uuid4(), contact=contact)
    contact_erase(actor=None, contact=contact)
    assert not VisitorLink.objects.exists()


# --- the check API: sale/sharing and sensitive data ---------------------------------------


@pytest.fixture
def api(client, customer):
    raw_key = services.api_key_create(actor=None, customer=customer, name="crm")[1]

    def get(**params):
        return client.get("/api/v1/consent/check", params, HTTP_AUTHORIZATION=f"Bearer {raw_key}")

    return get


def test_the_check_api_answers_sale_sharing_by_email_or_phone(api, contact):
    by_email = api(channel="email", purpose="sale_sharing", to=contact.email)
    by_phone = api(channel="sms", purpose="sale_sharing", to=contact.phone)
    assert by_email.status_code == by_phone.status_code == 200
    assert by_email.json()["reason"] == "legitimate_interest" and by_email.json()["allowed"]

    services.contact_gpc_signal_record(contact=contact)

    answer = api(channel="sms", purpose="sale_sharing", to=contact.phone).json()
    assert (answer["allowed"], answer["reason"]) == (False, "withdrawn")


def test_the_check_api_answers_sensitive_data_use(api, contact):
    answer = api(channel="email", purpose="sensitive_data_use", to=contact.email).json()
    assert (answer["allowed"], answer["reason"]) == (False, "no_consent")  # opt-in purpose
    services.consent_event_record(
        actor=None,
        purpose="sensitive_data_use",
        action="grant",
        method="api",
        contact=contact,
        notice=selectors.notice_published(purpose_code="sensitive_data_use"),
    )
    answer = api(channel="email", purpose="sensitive_data_use", to=contact.email).json()
    assert (answer["allowed"], answer["reason"]) == (True, "granted")


def test_a_messaging_purpose_still_needs_its_own_channel(api, contact):
    response = api(channel="sms", purpose="email_marketing", to=contact.phone)
    assert response.status_code == 400


def test_the_openapi_schema_lists_the_new_answers_and_parameters(client):
    from consent.models import ConsentEvent as Event

    schema = client.get("/api/v1/openapi.json").json()
    reasons = schema["components"]["schemas"]["Decision"]["properties"]["reason"]["enum"]
    assert {"objected", "minor", "reconfirmation_needed"} <= set(reasons)
    check_doc = schema["paths"]["/api/v1/consent/check"]["get"]["description"]
    assert "sale_sharing" in check_doc and "sensitive_data_use" in check_doc
    event_in = schema["components"]["schemas"]["EventIn"]["properties"]
    assert event_in["action"]["enum"] == ["grant", "withdraw", "object"]  # not "lift"
    assert event_in["parental_consent"]["properties"]["method"]["enum"] == list(
        Event.ParentalConsent.values
    )


def test_a_limit_on_sensitive_data_is_read_by_the_check(api, contact):
    import datetime as dt

    from django.utils import timezone

    from privacy.services import contact_sensitive_use_limit

    services.consent_event_record(
        actor=None,
        purpose="sensitive_data_use",
        action="grant",
        method="api",
        contact=contact,
        notice=selectors.notice_published(purpose_code="sensitive_data_use"),
        occurred_at=timezone.now() - dt.timedelta(days=1),
    )
    contact_sensitive_use_limit(actor=None, contact=contact, reason="request")

    answer = api(channel="email", purpose="sensitive_data_use", to=contact.email).json()
    assert (answer["allowed"], answer["reason"]) == (False, "limited")
    # Other purposes are not touched by that limit.
    assert api(channel="email", purpose="sale_sharing", to=contact.email).json()["allowed"]
