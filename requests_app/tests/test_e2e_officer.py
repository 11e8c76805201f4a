"""The officer's journey in a real headless Chromium, without leaving the admin and
without the Django shell: from the morning page, verify, check the package and complete
an access request; verify, read the erasure in words, run it now with a reason, and read
and download the certificate of a deletion request.

With ``SCREENSHOT_DIR`` set (``scripts/screenshots.py``) it also writes the screenshots
of docs/screenshots/."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from django.core.files.storage import storages
from django.utils import timezone

from privacy.models import Contact, ErasureCertificate
from privacy.tests.factories import ContactFactory, InteractionFactory, UserFactory
from requests_app import services
from requests_app.models import ExportPackage, PrivacyRequest, Status
from requests_app.tests.factories import PrivacyRequestFactory

# Playwright's sync API runs an event loop in this thread; the ORM calls here are safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.screenshots,
    pytest.mark.django_db(transaction=True),
]


def _submit(kind: str, email: str) -> PrivacyRequest:
    return services.privacy_request_submit(
        actor=None, request_type=kind, country="US", state="CA", email=email, full_name="Sam Person"
    ).request


def _open_from_queue(page, base: str, reference: str) -> None:
    """Home → the queue (by the morning page's link) → search the reference → its page."""
    page.goto(f"{base}/admin/")
    page.get_by_role("link", name="All apps and models").click()
    page.locator("tr.model-privacyrequest th a").click()
    page.locator("#searchbar").fill(reference)
    page.locator("#searchbar").press("Enter")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("heading", name="Next steps").wait_for()


def _seed_the_morning(officer) -> None:
    """Some work waiting, so the morning page shows what it is for."""
    today = timezone.localdate()
    for days, kind in ((-2, "access"), (0, "deletion"), (4, "know")):
        r = PrivacyRequestFactory(status=Status.IN_PROGRESS, request_type=kind, assignee=officer)
        PrivacyRequest.objects.filter(pk=r.pk).update(deadline_on=today + dt.timedelta(days=days))
    PrivacyRequestFactory(status=Status.AWAITING_VERIFICATION, rule_code="uk_gdpr", country="GB", state="")  # fmt: skip


def test_officer_completes_an_access_request_and_an_erasure_in_the_admin(
    live_server, settings, chromium_page, screenshot, tmp_path
):
    settings.REQUESTS_PUBLIC_BASE_URL = live_server.url
    private = storages["private"]
    for model, field_name in ((PrivacyRequest, "agent_proof"), (ExportPackage, "file")):
        model._meta.get_field(field_name).storage = private
    officer = UserFactory(
        username="officer_journey", first_name="Olivia", last_name="Officer", role="Privacy officer"
    )
    access_contact = ContactFactory(customer=None, email="sam.access@example.org")
    InteractionFactory.create_batch(2, contact=access_contact, channel="sms")
    gone_contact = ContactFactory(customer=None, email="sam.gone@example.org", do_not_contact=True)
    InteractionFactory.create_batch(3, contact=gone_contact, channel="sms")
    InteractionFactory(contact=gone_contact, channel="call")
    access = _submit("access", "sam.access@example.org")
    deletion = _submit("deletion", "sam.gone@example.org")
    _seed_the_morning(officer)
    page = chromium_page
    base = live_server.url
    # Anything the Content-Security-Policy blocks (an inline style or script) is reported
    # on the console: the officer's pages must work under the policy.
    blocked = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text
            and blocked.append(f"{page.url}: {message.text}")
        ),
    )

    # Log in: the home is the morning page.
    page.goto(f"{base}/admin/")
    page.get_by_label("Username").fill("officer_journey")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="My requests").wait_for()
    assert page.get_by_role("heading", name="Overdue").is_visible()
    screenshot(page, "morning-page")

    # --- the access request: verify, check the package, complete ---
    _open_from_queue(page, base, access.reference)
    page.get_by_role("button", name="Verify identity…").click()
    page.get_by_label("How was the identity verified?").select_option("id_document")
    page.get_by_role("button", name="Verify identity manually").click()
    page.get_by_text("Verify identity manually: 1 done.").wait_for()
    access.refresh_from_db()
    assert access.status == Status.IN_PROGRESS
    screenshot(page, "request-page-access")
    page.get_by_role("link", name="Look at the package").click()
    page.get_by_role("heading", name=re.compile("SUMMARY.txt")).wait_for()
    assert "sam.access@example.org" in page.content()
    screenshot(page, "package-check")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the package (zip)").click()
    target = tmp_path / "package.zip"
    download_info.value.save_as(target)
    assert target.read_bytes()[:2] == b"PK"
    page.get_by_role("link", name=access.reference).click()
    page.get_by_role("button", name="Complete…").click()
    page.get_by_role("button", name="Complete", exact=True).click()
    page.get_by_text("Complete: 1 done.").wait_for()
    access.refresh_from_db()
    assert access.status == Status.COMPLETED

    # --- the deletion request: verify, read the erasure in words, run it now ---
    _open_from_queue(page, base, deletion.reference)
    page.get_by_role("button", name="Verify identity…").click()
    page.get_by_label("How was the identity verified?").select_option("id_document")
    page.get_by_role("button", name="Verify identity manually").click()
    page.get_by_text("Verify identity manually: 1 done.").wait_for()
    words = page.locator(".erasure-words")
    assert "Communications: 3 \u00d7 text messages" in words.inner_text()
    assert "call records, de-identified" in words.inner_text()
    assert "Not scheduled yet" in words.inner_text()
    screenshot(page, "request-page-deletion")
    page.get_by_role("button", name="Run erasure now…").click()
    page.get_by_label("Why skip the grace period?").select_option("person_asked")
    page.get_by_label(re.compile("Note")).fill("Asked on the phone to have it done today.")
    screenshot(page, "run-erasure-now")
    page.get_by_role("button", name="Run erasure now").click()
    page.get_by_text("Erased 1 contact record(s) now; certificates recorded.").wait_for()
    deletion.refresh_from_db()
    assert deletion.status == Status.COMPLETED
    assert Contact.objects.get(pk=gone_contact.pk).erased_at is not None

    # The certificate: by name, to the minute, in words; the PDF downloads.
    certificate = ErasureCertificate.objects.get(contact=gone_contact)
    page.get_by_role("link", name=f"Erasure certificate #{certificate.pk}").first.click()
    page.get_by_role("heading", name="What was erased").wait_for()
    assert page.locator(".performed-by").inner_text() == "Olivia Officer"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} \w+", page.locator(".performed-at").inner_text())  # fmt: skip
    assert "2 e-mail addresses or phone numbers" in page.content()
    screenshot(page, "erasure-certificate")
    with page.expect_download() as pdf_info:
        page.get_by_role("link", name="Download PDF").click()
    pdf = tmp_path / "certificate.pdf"
    pdf_info.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"

    # The audit trail of the deletion request, in words.
    page.goto(
        f"{base}/admin/privacy/auditevent/?object_type=privacy_request&object_id={deletion.pk}"
    )
    page.get_by_role(
        "cell", name="Erasure run now by a privacy officer (grace period skipped)"
    ).wait_for()
    assert "Olivia Officer" in page.content() and "user #" not in page.content()
    screenshot(page, "audit-trail")

    # The public page with the key that checks certificates.
    page.goto(f"{base}/privacy/certificate-key/")
    page.get_by_role("heading", name="Checking an erasure certificate").wait_for()
    screenshot(page, "certificate-key")
    assert blocked == [], blocked
