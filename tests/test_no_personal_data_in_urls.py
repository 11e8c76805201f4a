"""No personal data in URLs or logs: staff search for a person in every admin search that
takes an identifier (contacts, consent history, suppression list, privacy requests, SMS
subscriptions, the evidence pack), open what they find, download the evidence pack and
record an opt-out; a person uses the public request form and the SMS-code page. Every
URL visited, every redirect, every link and form target on the pages, and every log
record written meanwhile are scanned for the identifiers used, in the forms typed and
stored. (Masking tokens in the web server's access log is the access-log filter's job;
here the application's own logs and URLs.)"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

import pytest

from consent import services as consent_services
from consent.tests.factories import SenderNumberFactory
from privacy.services import contact_erase
from privacy.tests.factories import ContactFactory, CustomerFactory, UserFactory
from requests_app import services as request_services
from requests_app.models import OPEN_Q, PrivacyRequest

pytestmark = pytest.mark.django_db

PHONE_TYPED = "(415) 555-0142"
PHONE_STORED = "+14155550142"
EMAIL_TYPED = "Rita.Reyes@Example.ORG"
EMAIL_STORED = "rita.reyes@example.org"
SECRETS = [PHONE_STORED, EMAIL_STORED, "4155550142", "555-0142", "rita.reyes", "Reyes"]

_LINK = re.compile(r'(?:href|action|src)="([^"]*)"')


class Recorder:
    """The test client, noting every URL it asks for or is sent to, and every link and
    form target in the pages it gets."""

    def __init__(self, client):
        self.client = client
        self.urls: list[str] = []

    def _note(self, response):
        for url, _status in getattr(response, "redirect_chain", []):
            self.urls.append(url)
        if response.get("Location"):
            self.urls.append(response["Location"])
        if "html" in response.get("Content-Type", ""):
            self.urls.extend(_LINK.findall(response.content.decode()))
        return response

    def get(self, url, data=None, **kwargs):
        response = self.client.get(url, data, follow=True, **kwargs)
        self.urls.append(response.request["PATH_INFO"] + "?" + response.request["QUERY_STRING"])
        return self._note(response)

    def post(self, url, data=None, **kwargs):
        self.urls.append(url)
        response = self.client.post(url, data, follow=True, **kwargs)
        self.urls.append(response.request["PATH_INFO"] + "?" + response.request["QUERY_STRING"])
        return self._note(response)


@pytest.fixture
def person():
    customer = CustomerFactory(slug="urls-co", name="Urls Co")
    SenderNumberFactory(customer=customer, number="+13125550199")
    contact = ContactFactory(
        customer=customer, first_name="Rita", last_name="Reyes", email=EMAIL_STORED,
        phone=PHONE_STORED,
    )  # fmt: skip
    consent_services.sms_subscription_request(actor=None, contact=contact, phone=PHONE_STORED)
    request_services.privacy_request_submit(
        actor=None, request_type="access", country="US", state="CA", email=EMAIL_STORED
    )
    return contact


def _assert_clean(urls: list[str], records: list[logging.LogRecord]) -> None:
    assert urls, "the test visited nothing"
    for url in urls:
        decoded = unquote_plus(url)
        for secret in SECRETS:
            assert secret.lower() not in decoded.lower(), f"identifier in a URL: {url}"
    for record in records:
        text = record.getMessage()
        for secret in SECRETS:
            assert secret.lower() not in text.lower(), f"identifier in a log record: {text}"


def test_staff_searches_and_pages_keep_identifiers_out_of_urls_and_logs(
    client, person, caplog, settings
):
    settings.CONSENT_SMS_GATEWAY = "consent.sms.LocmemGateway"
    caplog.set_level(logging.DEBUG)
    officer = UserFactory(username="officer_urls", role="Privacy officer")
    browser = Recorder(client)
    client.force_login(officer)

    searches = [
        "/admin/privacy/contact/search/",
        "/admin/consent/contactconsent/search/",
        "/admin/privacy/suppression/search/",
        "/admin/requests_app/privacyrequest/search/",
        "/admin/consent/smssubscription/search/",
    ]
    for url in searches:
        for term in (PHONE_TYPED, EMAIL_TYPED):
            page = browser.post(url, {"q": term})
            assert page.status_code == 200, url
    # The searches found the person where they are (not an empty list that proves nothing).
    found = browser.post("/admin/privacy/contact/search/", {"q": PHONE_TYPED})
    assert f"/admin/privacy/contact/{person.pk}/change/" in found.content.decode()
    requests_found = browser.post("/admin/requests_app/privacyrequest/search/", {"q": EMAIL_TYPED})
    assert "PR-" in requests_found.content.decode()
    subscriptions = browser.post("/admin/consent/smssubscription/search/", {"q": PHONE_TYPED})
    assert "Pending confirmation" in subscriptions.content.decode()

    # The person's pages, the evidence pack (page and downloads) and an opt-out.
    browser.get(f"/admin/privacy/contact/{person.pk}/change/")
    browser.get(f"/admin/consent/contactconsent/{person.pk}/change/")
    pack = browser.post(
        "/admin/consent/contactconsent/evidence/", {"identifier": PHONE_TYPED, "region": "US"}
    )
    assert PHONE_STORED in pack.content.decode()
    for output in ("pdf", "json"):
        download = browser.post(
            "/admin/consent/contactconsent/evidence/",
            {"identifier": PHONE_TYPED, "region": "US", "format": output},
        )
        assert PHONE_STORED not in download["Content-Disposition"]
    browser.get(f"/admin/consent/contactconsent/{person.pk}/evidence/")
    opt_out = f"/admin/consent/contactconsent/{person.pk}/opt-out/"
    browser.get(opt_out)
    data = {
        "channel": "sms",
        "phone": PHONE_STORED,
        "sender": "all",
        "method": "phone",
        "note": "Rita Reyes called",
    }
    browser.post(opt_out, data)
    browser.post(opt_out, {**data, "confirm": "yes"})
    # The person's open access request would defer the erasure: it is closed first.
    for open_request in PrivacyRequest.objects.filter(OPEN_Q):
        request_services.privacy_request_withdraw(actor=officer, request=open_request)
    contact_erase(actor=officer, contact=person)
    browser.post("/admin/privacy/suppression/search/", {"q": PHONE_TYPED})

    _assert_clean(browser.urls, caplog.records)


def test_public_pages_keep_identifiers_out_of_urls_and_logs(client, caplog, settings):
    settings.CONSENT_SMS_GATEWAY = "consent.sms.LocmemGateway"
    settings.REQUESTS_SMS_FROM_NUMBER = "+13125550199"
    caplog.set_level(logging.DEBUG)
    browser = Recorder(client)
    browser.get("/privacy/request/")
    browser.post(
        "/privacy/request/",
        {
            "request_type": ["access", "deletion"],
            "country": "US",
            "state": "CA",
            "full_name": "Rita Reyes",
            "phone": PHONE_TYPED,
        },
    )
    page = browser.get("/privacy/verify/code/")
    assert page.status_code == 200
    browser.post("/privacy/verify/code/", {"country": "US", "code": "000000"})
    _assert_clean(browser.urls, caplog.records)
