"""End to end in a real headless Chromium: a person asks for their data on the public
form, confirms by the e-mailed link, sees the status page; a privacy officer logs into
the admin and completes the request; the person downloads the package by its token.

Needs Debian's ``chromium`` (never a downloaded browser); skipped with the reason when
it is missing. CI installs it and runs this test."""

import os
import re
import shutil

import pytest
from django.core import mail

from privacy.tests.factories import ContactFactory, InteractionFactory, UserFactory
from requests_app.models import ExportPackage, PrivacyRequest, Status

# Playwright's sync API runs an event loop in this thread; the ORM calls here are safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    # Transactional: the live server's thread must see committed rows. (No serialized
    # rollback: consent's trigger refuses the re-save of published notices it does.)
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (os.path.exists(CHROMIUM) or shutil.which("chromium")),
        reason="Debian's chromium is not installed (apt-get install chromium)",
    ),
]


def _link(kind: str) -> str:
    for message in reversed(mail.outbox):
        found = re.search(rf"(http://\S+/privacy/{kind}/[A-Za-z0-9_\-]+/)", message.body)
        if found:
            return found.group(1)
    raise AssertionError(f"no {kind} link in the sent mail")


@pytest.fixture
def browser_page():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(20_000)
        # Anything the Content-Security-Policy blocked (a script, a style) is reported
        # on the console: the pages must work under the policy, so there must be none.
        page.csp_violations = []
        page.on(
            "console",
            lambda message: (
                "Content Security Policy" in message.text
                and page.csp_violations.append(f"{page.url}: {message.text}")
            ),
        )
        yield page
        context.close()
        browser.close()


def test_access_request_from_form_to_download(live_server, settings, browser_page, tmp_path):
    settings.REQUESTS_PUBLIC_BASE_URL = live_server.url
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    contact = ContactFactory(customer=None, email="e2e.person@example.org")
    InteractionFactory.create_batch(2, contact=contact)
    UserFactory(username="officer_e2e", role="Privacy officer")
    page = browser_page

    # 1. The public form, filled by its labels.
    page.goto(f"{live_server.url}/privacy/request/")
    page.get_by_label("Access (a copy of my data)").check()
    page.get_by_label("Country where you live").select_option("US")
    page.get_by_label(
        "State or province (if you live in the United States or Canada)"
    ).select_option("CA")
    page.get_by_label("Your full name").fill("E2E Person")
    page.get_by_label("E-mail address", exact=False).first.fill("e2e.person@example.org")
    page.get_by_role("button", name="Send my request").click()
    page.get_by_role("heading", name="Thank you — we received your request").wait_for()

    # 2. The verification link from the sent mail.
    page.goto(_link("verify"))
    page.get_by_role("button", name="Confirm my request").click()
    page.get_by_role("heading", name=re.compile("Your privacy request PR-")).wait_for()
    request = PrivacyRequest.objects.get()
    assert request.reference in page.content()
    assert "Your identity was confirmed." in page.content()
    assert ExportPackage.objects.get(request=request).state == ExportPackage.State.READY

    # 3. A privacy officer completes it in the admin.
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill("officer_e2e")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/admin/requests_app/privacyrequest/")
    page.get_by_role("row", name=re.compile(request.reference)).get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option("complete_requests")
    page.locator("button[name=index]").first.click()
    page.get_by_role("button", name="Complete").click()
    page.get_by_text("Complete: 1 done.").wait_for()
    request.refresh_from_db()
    assert request.status == Status.COMPLETED

    # 4. The requester downloads the package by its token.
    link = _link("download")
    with page.expect_download() as download_info:
        page.evaluate("url => { window.location.href = url; }", link)
    target = tmp_path / "package.zip"
    download_info.value.save_as(target)
    assert target.read_bytes()[:2] == b"PK"
    assert ExportPackage.objects.get(request=request).download_count == 1
    assert page.csp_violations == [], page.csp_violations


def test_staff_two_factor_enrolment_and_admin_pages_under_the_content_security_policy(
    live_server, settings, browser_page
):
    """Production's two-factor login in a real browser: first login by password goes to
    the enrolment page, a code from the (computed) app turns it on and shows recovery
    codes; then the admin's pages load with nothing blocked by the policy."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.STAFF_OTP_REQUIRED = True
    contact = ContactFactory(customer=None, email="csp.person@example.org")
    UserFactory(username="officer_2fa", role="Privacy officer")
    page = browser_page

    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill("officer_2fa")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Turn on two-factor login").wait_for()
    assert page.locator(".otp-qr svg").count() == 1
    device = TOTPDevice.objects.get(user__username="officer_2fa", confirmed=False)
    page.get_by_label("Code from the app").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Turn on two-factor login").click()
    page.get_by_text("Your recovery codes").wait_for()
    assert page.locator(".otp-recovery-codes li").count() == 10
    page.get_by_role("link", name="Continue to the back office").click()
    # A privacy officer's home is the morning page.
    page.get_by_role("heading", name="My requests").wait_for()

    for path in (
        "/admin/privacy/contact/",
        f"/admin/privacy/contact/{contact.pk}/change/",
        "/admin/privacy/contact/export/",
        "/admin/privacy/contact/import/",
        "/admin/requests_app/privacyrequest/dashboard/",
        "/admin/requests_app/privacyrequest/rules/",
        "/admin/privacy/auditevent/",
        "/admin/apps/",
        "/admin/time-zone/",
        "/privacy/certificate-key/",
        "/privacy/request/",
        "/privacy/verify/code/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
    assert page.csp_violations == [], page.csp_violations
