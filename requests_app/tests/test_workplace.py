"""The request page as the officer's workplace: buttons for the moves open in the
request's state (the list actions, their permissions and confirmation pages), the access
package checked before it is sent (audited), the erasure in plain words, names and
minutes instead of ids and microseconds."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from privacy.models import AuditEvent
from privacy.tests.factories import ContactFactory, InteractionFactory, UserFactory
from requests_app import services
from requests_app.models import ExportPackage, PrivacyRequest, RequestEvent, Status
from requests_app.tests.factories import PrivacyRequestFactory

pytestmark = pytest.mark.django_db


def _change(request):
    return reverse("admin:requests_app_privacyrequest_change", args=[request.pk])


def _step(request, action):
    return reverse("admin:requests_app_privacyrequest_step", args=[request.pk, action])


def _buttons(html: str) -> list[str]:
    section = html.split('id="next-steps-title"')[1].split("</section>")[0]
    return re.findall(r'<button type="submit"[^>]*>([^<]+)</button>', section)


@pytest.fixture
def officer(client):
    user = UserFactory(role="Privacy officer", first_name="Ada", last_name="Officer")
    client.force_login(user)
    client.user = user
    return client


def _submitted(kind: str, email: str, capture) -> PrivacyRequest:
    ContactFactory(email=email, customer=None)
    with capture(execute=True):
        result = services.privacy_request_submit(
            actor=None, request_type=kind, country="US", state="CA", email=email
        )
    return result.request


def test_buttons_follow_the_state_and_the_permissions(officer, client):
    unverified = PrivacyRequestFactory(status=Status.AWAITING_VERIFICATION)
    html = officer.get(_change(unverified)).content.decode()
    assert _buttons(html) == [
        "Assign to me",
        "Verify identity…",
        "Extend the deadline…",
        "Deny…",
        "Mark withdrawn…",
    ]
    deletion = PrivacyRequestFactory(status=Status.IN_PROGRESS, request_type="deletion")
    html = officer.get(_change(deletion)).content.decode()
    assert "Complete…" in _buttons(html)
    assert "Before it can be completed" not in html or "Erasure" in html
    closed = PrivacyRequestFactory(status=Status.COMPLETED)
    assert 'id="next-steps-title"' not in officer.get(_change(closed)).content.decode()

    # A support agent sees the request's page but no workflow buttons they may not use.
    agent = UserFactory(role="Support agent")
    agent.user_permissions.add(
        *__import__(
            "django.contrib.auth.models", fromlist=["Permission"]
        ).Permission.objects.filter(codename="view_privacyrequest")
    )
    client.force_login(agent)
    page = client.get(_change(unverified))
    assert page.status_code == 200 and 'id="next-steps-title"' not in page.content.decode()
    assert client.post(_step(unverified, "verify_manually")).status_code == 403


def test_verify_button_shows_the_same_form_then_runs_the_service(
    officer, django_capture_on_commit_callbacks
):
    request = _submitted("access", "check.me@example.org", django_capture_on_commit_callbacks)
    form_page = officer.post(_step(request, "verify_manually"))
    assert form_page.status_code == 200
    assert "How was the identity verified?" in form_page.content.decode()
    assert PrivacyRequest.objects.get(pk=request.pk).status == Status.AWAITING_VERIFICATION
    done = officer.post(
        _step(request, "verify_manually"), {"apply": "yes", "method": "id_document"}
    )
    assert done.status_code == 302 and done["Location"] == _change(request)
    request.refresh_from_db()
    # Verified, then processed on commit: matched and its package built.
    assert request.status == Status.IN_PROGRESS
    assert ExportPackage.objects.get(request=request).state == ExportPackage.State.READY


def test_officer_checks_the_package_before_completing(officer, django_capture_on_commit_callbacks):
    request = _submitted("access", "pkg.person@example.org", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_verify_manually(actor=None, request=request, method="id_document")
    contact = PrivacyRequest.objects.get(pk=request.pk).matches.get().contact
    InteractionFactory(contact=contact, channel="sms", body="Is Tuesday still fine?")
    package = ExportPackage.objects.get(request=request)
    html = officer.get(_change(request)).content.decode()
    url = reverse("admin:requests_app_privacyrequest_package", args=[request.pk, package.pk])
    assert url in html
    page = officer.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"].startswith("no-store, private")
    assert "SUMMARY.txt" in text and "Your personal data" in text
    assert "privacy.contact/profile.json" in text and "pkg.person@example.org" in text
    audit = AuditEvent.objects.get(action="privacy_request.package_viewed")
    assert audit.actor_id == officer.user.pk and audit.summary["package_id"] == package.pk
    assert RequestEvent.objects.filter(request=request, note__contains="opened by staff").exists()
    download = officer.get(
        reverse("admin:requests_app_privacyrequest_package_download", args=[request.pk, package.pk])
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content)[:2] == b"PK"
    # Then "Complete" from the page sends it.
    officer.post(_step(request, "complete_requests"), {"apply": "yes", "message": ""})
    assert PrivacyRequest.objects.get(pk=request.pk).status == Status.COMPLETED


def test_erasure_in_plain_words_then_run_now_from_the_page(
    officer, django_capture_on_commit_callbacks
):
    request = _submitted("deletion", "gone.soon@example.org", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_verify_manually(actor=None, request=request, method="id_document")
    contact = PrivacyRequest.objects.get(pk=request.pk).matches.get().contact
    InteractionFactory.create_batch(2, contact=contact, channel="sms")
    html = officer.get(_change(request)).content.decode()
    assert "Communications: 2 \u00d7 text messages, chats, e-mails and web-form submissions" in html
    assert "What stays, and why" in html and "Not scheduled yet" in html
    assert "{'" not in html  # no raw dicts
    assert "Run erasure now…" in _buttons(html)

    confirm = officer.post(_step(request, "run_erasure_now"))
    assert "Why skip the grace period?" in confirm.content.decode()
    assert "Communications: 2 \u00d7" in confirm.content.decode()
    refused = officer.post(_step(request, "run_erasure_now"), {"apply": "yes", "reason": "other"})
    assert "Explain the reason." in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = officer.post(
            _step(request, "run_erasure_now"),
            {"apply": "yes", "reason": "person_asked", "note": ""},
            follow=True,
        )
    text = done.content.decode()
    assert "Erased 1 contact record(s) now" in text
    assert PrivacyRequest.objects.get(pk=request.pk).status == Status.COMPLETED
    assert "Erasure certificate #" in text
    # Names and minutes, not ids and microseconds.
    assert "Ada Officer" in text
    assert "user #" not in text and "Performed by: -" not in text
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d{6}", text)


def test_agents_cannot_run_an_erasure_now(client):
    agent = UserFactory(role="Support agent")
    from django.contrib.auth.models import Permission

    agent.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_privacyrequest", "process_privacyrequest"])
    )
    client.force_login(agent)
    request = PrivacyRequestFactory(status=Status.IN_PROGRESS, request_type="deletion")
    assert client.post(_step(request, "run_erasure_now")).status_code == 403


def test_unverified_uk_request_is_not_overdue(officer):
    import datetime as dt

    from django.utils import timezone

    uk = PrivacyRequestFactory(
        status=Status.AWAITING_VERIFICATION, rule_code="uk_gdpr", country="GB", state=""
    )
    us = PrivacyRequestFactory(status=Status.AWAITING_VERIFICATION)
    past = timezone.localdate() - dt.timedelta(days=3)
    PrivacyRequest.objects.filter(pk__in=[uk.pk, us.pk]).update(deadline_on=past, due_on=past)
    changelist = reverse("admin:requests_app_privacyrequest_changelist")
    html = officer.get(changelist, {"deadline": "overdue"}).content.decode()
    assert us.reference in html and uk.reference not in html
    html = officer.get(changelist).content.decode()
    assert "clock starts at verification" in html and "after verification" in html
    from requests_app.selectors import privacy_requests_due_soon

    due = [r["reference"] for r in privacy_requests_due_soon(today=timezone.localdate())]
    assert us.reference in due and uk.reference not in due


def test_queue_hides_closed_requests_unless_asked_or_searched(officer):
    open_request = PrivacyRequestFactory(status=Status.IN_PROGRESS)
    closed = PrivacyRequestFactory(status=Status.COMPLETED)
    changelist = reverse("admin:requests_app_privacyrequest_changelist")
    html = officer.get(changelist).content.decode()
    assert open_request.reference in html and closed.reference not in html
    assert "Open (default)" in html
    html = officer.get(changelist, {"queue": "closed"}).content.decode()
    assert closed.reference in html and open_request.reference not in html
    assert closed.reference in officer.get(changelist, {"q": closed.reference}).content.decode()
    assert "Due" in html  # the due-date column
