"""The staff queue in admin: badges, search by normalised identifiers, the dashboard,
the rule table, actions through the services, and the roles' permissions."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from privacy.tests.factories import ContactFactory, UserFactory
from requests_app import services
from requests_app.models import PrivacyRequest, ScheduledErasure, Status
from requests_app.tests.factories import PrivacyRequestFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:requests_app_privacyrequest_changelist")


@pytest.fixture
def officer_client(client):
    officer = UserFactory(role="Privacy officer")
    client.force_login(officer)
    client.officer = officer
    return client


def test_queue_shows_coloured_days_left_badges(officer_client):
    today = timezone.localdate()
    for days in (-2, 3, 20):
        request = PrivacyRequestFactory(status=Status.IN_PROGRESS)
        PrivacyRequest.objects.filter(pk=request.pk).update(
            deadline_on=today + dt.timedelta(days=days)
        )
    html = officer_client.get(CHANGELIST).content.decode()
    # Colours come from classes in a static file (the CSP allows no inline styles).
    assert '<span class="badge badge-overdue">2 overdue</span>' in html
    assert '<span class="badge badge-soon">3 left</span>' in html
    assert '<span class="badge badge-ok">20 left</span>' in html
    assert "privacy/staff.css" in html


def test_search_by_reference_email_or_phone_in_any_format(officer_client):
    target = PrivacyRequestFactory(
        email="Find.Me@example.org", email_key="find.me@example.org", phone="+14155550188"
    )
    other = PrivacyRequestFactory()
    for term in (target.reference.lower(), "FIND.ME@EXAMPLE.ORG", "(415) 555-0188"):
        html = officer_client.get(CHANGELIST, {"q": term}).content.decode()
        assert target.reference in html, term
        assert other.reference not in html, term


def test_dashboard_and_rule_table(officer_client):
    PrivacyRequestFactory(status=Status.IN_PROGRESS)
    dashboard = officer_client.get(reverse("admin:requests_app_privacyrequest_dashboard"))
    assert dashboard.status_code == 200 and "Open requests: 1" in dashboard.content.decode()
    rules = officer_client.get(reverse("admin:requests_app_privacyrequest_rules")).content.decode()
    assert "11 CCR" in rules and "Va. Code" in rules


def test_assign_and_deny_actions_go_through_the_services(officer_client):
    request = PrivacyRequestFactory(status=Status.IN_PROGRESS)
    officer_client.post(CHANGELIST, {"action": "assign_to_me", "_selected_action": [request.pk]})
    request.refresh_from_db()
    assert request.assignee == officer_client.officer
    # Deny shows a form first, then applies with the statutory reason.
    form_page = officer_client.post(
        CHANGELIST, {"action": "deny_requests", "_selected_action": [request.pk]}
    )
    assert "Statutory reason" in form_page.content.decode()
    officer_client.post(
        CHANGELIST,
        {
            "action": "deny_requests",
            "_selected_action": [request.pk],
            "apply": "1",
            "reason": "unverified",
        },
    )
    request.refresh_from_db()
    assert request.status == Status.DENIED and request.denial_reason == "unverified"


def test_refused_action_is_reported_not_applied(officer_client):
    request = PrivacyRequestFactory(status=Status.COMPLETED)
    response = officer_client.post(
        CHANGELIST + "?queue=closed",  # closed requests are listed (and selected) there
        {"action": "withdraw_requests", "_selected_action": [request.pk], "apply": "1"},
        follow=True,
    )
    assert "cannot move" in response.content.decode()
    assert PrivacyRequest.objects.get(pk=request.pk).status == Status.COMPLETED


def test_schedule_erasure_shows_what_goes_then_schedules_and_can_be_cancelled(
    officer_client, django_capture_on_commit_callbacks
):
    contact = ContactFactory(email="gone@example.org", customer=None)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.privacy_request_submit(
            actor=None, request_type="deletion", country="US", state="CA", email=contact.email
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_verify_manually(
            actor=None, request=result.request, method="id_document"
        )
    request = result.request

    page = officer_client.post(
        CHANGELIST, {"action": "schedule_erasure", "_selected_action": [request.pk]}
    )
    assert page.status_code == 200
    assert f"Contact record #{contact.pk}" in page.content.decode()  # the erasure preview
    assert not ScheduledErasure.objects.exists()

    officer_client.post(
        CHANGELIST,
        {"action": "schedule_erasure", "_selected_action": [request.pk], "apply": "yes"},
    )
    erasure = ScheduledErasure.objects.get(request=request, contact=contact)
    assert erasure.state == ScheduledErasure.State.SCHEDULED

    cancelled = officer_client.post(
        reverse("admin:requests_app_schedulederasure_changelist"),
        {"action": "cancel", "_selected_action": [erasure.pk]},
        follow=True,
    )
    assert "1 scheduled erasure(s) cancelled." in cancelled.content.decode()
    erasure.refresh_from_db()
    assert erasure.state == ScheduledErasure.State.CANCELLED


def test_roles():
    perms = {
        name: set(
            Group.objects.get(name=name)
            .permissions.filter(content_type__app_label="requests_app")
            .values_list("codename", flat=True)
        )
        for name in ("Privacy officer", "Support agent", "Auditor")
    }
    assert {"process_privacyrequest", "deny_privacyrequest", "change_noticetemplate"} <= perms[
        "Privacy officer"
    ]
    assert "add_privacyrequest" in perms["Support agent"]
    assert not any(
        p.startswith(("change_", "delete_", "process_", "deny_")) for p in perms["Support agent"]
    )
    assert perms["Auditor"] and all(p.startswith("view_") for p in perms["Auditor"])


def test_support_agent_takes_a_request_by_phone_but_cannot_act(client):
    agent = UserFactory(role="Support agent")
    client.force_login(agent)
    add_url = reverse("admin:requests_app_privacyrequest_add")
    response = client.post(
        add_url,
        {
            "channel": "phone",
            "request_type": "access",
            "country": "US",
            "state": "TX",
            "phone": "512 555 0142",
        },
    )
    assert response.status_code == 302
    request = PrivacyRequest.objects.get()
    assert (
        request.channel == "phone" and request.created_by == agent and request.rule_code == "tdpsa"
    )
    html = client.get(CHANGELIST).content.decode()
    assert "deny_requests" not in html and "assign_to_me" not in html


def test_queue_pages_never_count_the_whole_table(client, django_assert_max_num_queries):
    """The queue at scale: an estimated or capped count, never SELECT COUNT(*) over all
    requests (the same paginator as the contact list)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from privacy.tests.factories import UserFactory

    officer = UserFactory(role="Privacy officer")
    client.force_login(officer)
    for url in (
        "admin:requests_app_privacyrequest_changelist",
        "admin:requests_app_relay_changelist",
    ):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(url))
        assert response.status_code == 200
        full_counts = [
            q["sql"] for q in queries.captured_queries
            if q["sql"].upper().startswith("SELECT COUNT(*)") and "LIMIT" not in q["sql"].upper()
        ]  # fmt: skip
        assert full_counts == [], full_counts
