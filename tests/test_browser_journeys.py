"""Journeys in a real headless Chromium (Debian's), and the public pages checked with
axe-core:

- a contact asks for a copy of their data and its deletion in one form, confirms once
  by the e-mailed link, and sees both requests;
- a support agent takes a "stop texting me" call: from the contact's page, records the
  opt-out, confirms it, and sees their name in the consent history;
- an auditor finds a number's consent evidence by a posted search and downloads the
  PDF;
- every public page (request form, thank-you, verify, code, status, download expired,
  appeal, preference centre) has no serious or critical axe-core violation, no
  horizontal scroll at 390 px, and a focus ring of at least 3:1.

``scripts/screenshots.py`` runs these (marker ``screenshots``) with ``SCREENSHOT_DIR``
set, and they save the screenshots in ``docs/screenshots/``."""

from __future__ import annotations

import io
import os
import re

import pytest
from django.core import mail
from pypdf import PdfReader

from consent import services as consent_services
from consent.models import ConsentEvent
from consent.selectors import preference_token_make
from consent.tests.factories import SenderNumberFactory
from privacy.models import AuditEvent
from privacy.tests.factories import ContactFactory, CustomerFactory, UserFactory
from requests_app import services as request_services
from requests_app.models import PrivacyRequest, Status
from tests.browser import (
    axe_violations,
    browser_marks,
    launch,
    login,
    record_csp_violations,
    shot,
)

# Playwright's sync API runs an event loop in this thread; the ORM calls here are safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = browser_marks


@pytest.fixture
def playwright():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as running:
        yield running


@pytest.fixture
def page(playwright):
    browser, context = launch(playwright, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.csp_violations = record_csp_violations(page)
    yield page
    context.close()
    browser.close()


@pytest.fixture
def live(live_server, settings):
    # Each transactional test re-creates the purposes: no cached row of an earlier test.
    from consent.selectors import caches_clear

    caches_clear()
    settings.REQUESTS_PUBLIC_BASE_URL = live_server.url
    settings.CONSENT_PUBLIC_BASE_URL = live_server.url
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.REQUESTS_SMS_FROM_NUMBER = "+13125550199"
    settings.CONSENT_SMS_GATEWAY = "consent.sms.LocmemGateway"
    return live_server.url


def _verify_link() -> str:
    for message in reversed(mail.outbox):
        found = re.search(r"(http://\S+/privacy/verify/[A-Za-z0-9_\-]+/)", message.body)
        if found:
            return found.group(1)
    raise AssertionError("no verification link in the sent mail")


def test_two_types_in_one_form_confirmed_once(live, page):
    page.goto(f"{live}/privacy/request/")
    page.get_by_label("Access (a copy of my data)").check()
    page.get_by_label("Deletion").check()
    page.get_by_label("Country where you live").select_option("DE")
    page.get_by_label("Your full name").fill("Dana Example")
    page.get_by_label("E-mail address", exact=False).first.fill("dana.example@example.org")
    shot(page, "public-request-form-two-types")
    page.get_by_role("button", name="Send my request").click()
    page.get_by_role("heading", name="Thank you — we received your request").wait_for()
    reference = page.locator("#submission-reference").inner_text()
    assert re.fullmatch(r"SR-[A-Z0-9]{4}-[A-Z0-9]{4}", reference)
    shot(page, "public-thank-you-reference")

    verify_links = set(
        re.findall(r"http://\S+/privacy/verify/\S+/", "\n".join(m.body for m in mail.outbox))
    )
    assert len(verify_links) == 1  # one confirmation for both requests
    page.goto(_verify_link())
    page.get_by_role("button", name="Confirm my request").click()
    page.get_by_role("heading", name=re.compile("Your privacy request PR-")).wait_for()
    requests = list(PrivacyRequest.objects.order_by("request_type"))
    assert [r.request_type for r in requests] == ["access", "deletion"]
    assert all(r.verified_at is not None for r in requests)
    assert all(r.status != Status.AWAITING_VERIFICATION for r in requests)
    body = page.content()
    assert all(r.reference in body for r in requests)  # the other one is listed too
    shot(page, "public-status-sent-together")
    assert page.csp_violations == []


def test_agent_records_a_phone_opt_out(live, page):
    customer = CustomerFactory(slug="bright", name="BrightSmile Dental")
    sender = SenderNumberFactory(customer=customer, number="+13125550199")
    contact = ContactFactory(
        customer=customer, first_name="Ines", last_name="Okafor", phone="+14155550123",
        email="ines@example.org",
    )  # fmt: skip
    subscription = consent_services.sms_subscription_request(
        actor=None, contact=contact, phone=contact.phone, sender=sender.number
    )
    consent_services.sms_opt_in_prompt_send(subscription_id=subscription.pk)
    consent_services.sms_inbound_handle(
        message_sid="SM" + "1" * 32, account_sid="AC", from_number=contact.phone,
        to_number=sender.number, body="YES",
    )  # fmt: skip
    agent = UserFactory(username="sam", first_name="Sam", last_name="Support", role="Support agent")

    login(page, live, "sam")
    page.goto(f"{live}/admin/privacy/contact/{contact.pk}/change/")
    shot(page, "admin-contact-page-actions")
    page.get_by_role("link", name=re.compile("Record an opt-out")).click()
    page.locator("#contact-person").get_by_text("Ines Okafor").wait_for()
    assert "+14155550123" in page.locator("#contact-person").inner_text()
    page.get_by_label("Text messages (SMS)").check()
    page.get_by_role("combobox", name="From").select_option("all")
    page.get_by_label("Phone call (you)").check()
    page.get_by_label("Note").fill("Called support: please stop texting me")
    shot(page, "admin-opt-out-form")
    page.get_by_role("button", name="Review the opt-out").click()
    page.get_by_role("heading", name="Please confirm").wait_for()
    shot(page, "admin-opt-out-confirm")
    page.get_by_role("button", name="Yes, record the opt-out").click()
    page.get_by_text(re.compile("Opt-out recorded by Sam Support")).wait_for()
    assert "Sam Support (sam)" in page.content()  # the history names the agent
    shot(page, "admin-consent-history-after-opt-out")
    events = ConsentEvent.objects.filter(method="phone")
    assert events.count() == 2 and {e.recorded_by for e in events} == {agent}
    from consent.selectors import consent_check

    decision = consent_check(
        customer_id=customer.pk, channel="sms", purpose_code="sms_marketing", to=contact.phone
    )
    assert not decision.allowed and decision.reason == "withdrawn"
    assert page.csp_violations == []


def test_auditor_downloads_an_evidence_pack(live, page, tmp_path):
    customer = CustomerFactory(slug="north", name="Northwind Plumbing")
    sender = SenderNumberFactory(customer=customer, number="+12125550101")
    contact = ContactFactory(customer=customer, phone="+14155550188")
    subscription = consent_services.sms_subscription_request(
        actor=None, contact=contact, phone=contact.phone, sender=sender.number
    )
    consent_services.sms_opt_in_prompt_send(subscription_id=subscription.pk)
    consent_services.sms_inbound_handle(
        message_sid="SM" + "2" * 32, account_sid="AC", from_number=contact.phone,
        to_number=sender.number, body="YES",
    )  # fmt: skip
    consent_services.sms_inbound_handle(
        message_sid="SM" + "3" * 32, account_sid="AC", from_number=contact.phone,
        to_number=sender.number, body="STOP",
    )  # fmt: skip
    UserFactory(username="audrey", first_name="Audrey", last_name="Auditor", role="Auditor")

    login(page, live, "audrey")
    page.goto(f"{live}/admin/consent/contactconsent/evidence/")
    page.get_by_label("Phone number or e-mail address").fill("(415) 555-0188")
    shot(page, "admin-evidence-search")
    page.get_by_role("button", name="Show the evidence pack").click()
    page.locator("#evidence-identifier").get_by_text("+14155550188").wait_for()
    assert "555" not in page.url  # posted, never in the URL
    assert "“YES”" in page.content() and "“STOP”" in page.content()
    shot(page, "admin-evidence-pack")
    with page.expect_download() as download_info:
        page.locator("#download-pdf").click()
    target = tmp_path / "pack.pdf"
    download_info.value.save_as(target)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(target.read_bytes())).pages)
    assert "+14155550188" in text and "Reply YES" in text
    assert "555" not in download_info.value.suggested_filename
    formats = set(
        AuditEvent.objects.filter(action="consent.evidence_pack_viewed").values_list(
            "summary__format", flat=True
        )
    )
    assert formats == {"html", "pdf"}
    assert page.csp_violations == []


def _contrast(rgb_a: str, rgb_b: str) -> float:
    def luminance(rgb: str) -> float:
        channels = [int(x) / 255 for x in re.findall(r"[\d.]+", rgb)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted([luminance(rgb_a), luminance(rgb_b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def _public_pages(live) -> list[tuple[str, str]]:
    """(name, URL) of every kind of public page, with the data each needs."""
    customer = CustomerFactory(slug="pref", name="Pref Co")
    contact = ContactFactory(customer=customer, email="pat@example.org", phone="+14155550166")
    request_services.privacy_requests_submit(
        actor=None, request_types=["access"], country="US", state="CA",
        email="pat@example.org",
    )  # fmt: skip
    verify = _verify_link()
    denied = request_services.privacy_request_submit(
        actor=None, request_type="deletion", country="US", state="VA", email="vic@example.org"
    ).request
    denied = request_services.privacy_request_deny(actor=None, request=denied, reason="unverified")
    token = request_services.status_token(denied)
    return [
        ("public-request-form", f"{live}/privacy/request/"),
        ("public-verify", verify),
        ("public-verify-code", f"{live}/privacy/verify/code/"),
        ("public-status", f"{live}/privacy/status/{token}/"),
        ("public-appeal", f"{live}/privacy/appeal/{token}/"),
        ("public-download-expired", f"{live}/privacy/download/not-a-valid-token/"),
        (
            "public-preference-centre",
            f"{live}/preferences/{preference_token_make(contact_id=contact.pk)}/",
        ),
    ]


def test_public_pages_pass_axe_and_fit_a_phone(live, playwright):
    browser, context = launch(playwright, bypass_csp=True, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        pages = _public_pages(live)
        # The thank-you page, reached the way a person reaches it.
        page.goto(f"{live}/privacy/request/")
        page.get_by_label("Access (a copy of my data)").check()
        page.get_by_label("Country where you live").select_option("US")
        page.get_by_label(re.compile("^State or province")).select_option("NY")
        page.get_by_label("Phone number", exact=True).fill("(212) 555-0123")
        page.get_by_role("button", name="Send my request").click()
        page.get_by_role("heading", name="Thank you — we received your request").wait_for()
        checked = {"public-thank-you": (axe_violations(page), _scroll_width(page))}
        # The code page right after it, keeping the number.
        page.goto(f"{live}/privacy/verify/code/")
        assert "0123" in page.content() and page.locator("input[name=phone]").count() == 0
        checked["public-verify-code-kept-number"] = (axe_violations(page), _scroll_width(page))
        shot(page, "public-verify-code-kept-number")
        for name, url in pages:
            page.goto(url)
            checked[name] = (axe_violations(page), _scroll_width(page))
            shot(page, name)
        # A page showing its errors, too.
        page.goto(f"{live}/privacy/request/")
        page.get_by_role("button", name="Send my request").click()
        page.locator(".error-summary").first.wait_for()
        checked["public-request-form-errors"] = (axe_violations(page), _scroll_width(page))

        problems = {name: found for name, (found, _) in checked.items() if found}
        assert problems == {}
        too_wide = {name: width for name, (_, width) in checked.items() if width > 390}
        assert too_wide == {}
        assert len(checked) >= 10

        # The focus ring: at least 3:1 against the page around it.
        page.goto(f"{live}/privacy/request/")
        page.get_by_label("Your full name").focus()
        outline, background = page.evaluate(
            """() => [getComputedStyle(document.activeElement).outlineColor,
                      getComputedStyle(document.body).backgroundColor]"""
        )
        assert _contrast(outline, background) >= 3.0
    finally:
        context.close()
        browser.close()


def _scroll_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")
