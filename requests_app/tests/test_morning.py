"""The morning page (the admin home of privacy officers) and the readable audit trail:
what each panel shows, placeholders that light up when a queue registers, the app list
still reachable, and a query count that does not grow with the tables."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from privacy import morning
from privacy.models import AuditEvent
from privacy.tests.factories import CustomerFactory, UserFactory
from requests_app.models import PrivacyRequest, Relay, ScheduledErasure, Status
from requests_app.tests.factories import PrivacyRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(client):
    user = UserFactory(role="Privacy officer", first_name="Mo", last_name="Rning")
    client.force_login(user)
    client.user = user
    return client


def _seed(today, *, n: int, assignee=None):
    """``n`` of each: overdue, due today, due this week, acknowledgement owed, relay
    waiting, scheduled and blocked erasure, open appeal, answered request."""
    customer = CustomerFactory()
    from privacy.tests.factories import ContactFactory

    for _ in range(n):
        for days in (-2, 0, 3):
            r = PrivacyRequestFactory(status=Status.IN_PROGRESS, assignee=assignee)
            PrivacyRequest.objects.filter(pk=r.pk).update(
                deadline_on=today + dt.timedelta(days=days)
            )
        r = PrivacyRequestFactory(status=Status.RELAYED)
        Relay.objects.create(
            request=r, customer=customer, sent_at=timezone.now() - dt.timedelta(days=4)
        )
        contact = ContactFactory()
        ScheduledErasure.objects.create(
            request=r, contact=contact, scheduled_for=timezone.now() + dt.timedelta(days=2)
        )
        ScheduledErasure.objects.create(
            request=PrivacyRequestFactory(status=Status.IN_PROGRESS, request_type="deletion"),
            contact=ContactFactory(),
            scheduled_for=timezone.now(),
            state=ScheduledErasure.State.BLOCKED,
            blocked_reason="Legal hold #4: Case 9",
        )
        PrivacyRequestFactory(status=Status.IN_PROGRESS, request_type="appeal")
        done = PrivacyRequestFactory(status=Status.COMPLETED)
        PrivacyRequest.objects.filter(pk=done.pk).update(
            closed_at=timezone.now(), received_at=timezone.now() - dt.timedelta(days=10)
        )


def test_morning_page_is_the_officers_home_with_every_panel(officer):
    today = timezone.localdate()
    _seed(today, n=1, assignee=officer.user)
    page = officer.get(reverse("admin:index"))
    html = page.content.decode()
    assert page.status_code == 200
    for title in (
        "My requests",
        "Overdue",
        "Due today",
        "Due this week",
        "Acknowledgements owed",
        "Relays waiting on customers",
        "Erasures scheduled",
        "Erasures blocked or deferred",
        "Appeals",
        "On time",
        "Minors&#x27; data to erase",
        "SMS revocations to review",
    ):
        assert title in html, title
    assert "2 days overdue" in html and "due today" in html and "3 days left" in html
    assert "4 days" in html  # the relay's age
    assert "Legal hold #4: Case 9" in html
    assert "100%" in html  # the one answered request was on time
    assert reverse("admin_apps") in html
    # Django's list of apps is one click away.
    apps = officer.get(reverse("admin_apps"))
    assert apps.status_code == 200 and "Privacy requests" in apps.content.decode()


def test_others_keep_djangos_index(client):
    client.force_login(UserFactory(role="Auditor"))
    html = client.get(reverse("admin:index")).content.decode()
    assert "My requests" not in html and "Privacy operations" in html


def test_a_registered_queue_replaces_its_placeholder(officer, monkeypatch):
    # A queue of its own: the planned ones light up as their apps register them
    # (consent's revocation review already has).
    planned = "A queue another change will build"
    monkeypatch.setitem(
        morning.PLANNED_PANELS,
        "future_queue",
        morning.PlannedPanel(key="future_queue", title="Future queue", order=90, text=planned),
    )
    assert planned in officer.get(reverse("admin:index")).content.decode()
    morning.panel_register(
        morning.Panel(
            "future_queue",
            "Future queue",
            90,
            lambda request, today: morning.PanelContent(count=3, empty="none"),
        )
    )
    try:
        html = officer.get(reverse("admin:index")).content.decode()
        assert planned not in html and '<p class="morning-count">3</p>' in html
    finally:
        morning._panels.pop("future_queue")


def test_morning_page_and_queue_queries_do_not_grow_with_the_tables(officer):
    today = timezone.localdate()
    _seed(today, n=1, assignee=officer.user)
    officer.get(reverse("admin:index"))  # warm: session, time zone
    with CaptureQueriesContext(connection) as small:
        officer.get(reverse("admin:index"))
    with CaptureQueriesContext(connection) as small_queue:
        officer.get(reverse("admin:requests_app_privacyrequest_changelist"))
    _seed(today, n=12, assignee=officer.user)
    with CaptureQueriesContext(connection) as big:
        officer.get(reverse("admin:index"))
    with CaptureQueriesContext(connection) as big_queue:
        officer.get(reverse("admin:requests_app_privacyrequest_changelist"))
    assert len(big) == len(small) <= 30
    assert len(big_queue) == len(small_queue) <= 20
    # No query counts a whole table.
    for query in [*big.captured_queries, *big_queue.captured_queries]:
        sql = query["sql"]
        if "COUNT(" in sql.upper():
            assert " WHERE " in sql or " LIMIT " in sql, sql


def test_audit_trail_in_words_with_filters(officer):
    request = PrivacyRequestFactory(status=Status.IN_PROGRESS)
    # As privacy_request_assign writes it, at a time with seconds and microseconds (the
    # trail is append-only, so the row is written with its time rather than updated).
    AuditEvent.objects.create(
        actor=officer.user,
        action="privacy_request.assigned",
        object_type="privacy_request",
        object_id=str(request.pk),
        occurred_at=dt.datetime(2026, 5, 4, 12, 30, 45, 654321, tzinfo=dt.UTC),
        summary={"reference": request.reference, "assignee_id": officer.user.pk},
    )
    changelist = reverse("admin:privacy_auditevent_changelist")
    html = officer.get(changelist).content.decode()
    assert "Request assigned" in html and "Mo Rning" in html
    assert "2026-05-04 12:30 UTC" in html and "654321" not in html and "12:30:45" not in html
    assert f"Privacy request #{request.pk}" in html
    assert reverse("admin:requests_app_privacyrequest_change", args=[request.pk]) in html
    assert "user #" not in html
    row = '<td class="field-what">Request assigned<br><code>privacy_request.assigned</code></td>'
    assert row in html
    assert row in officer.get(changelist, {"actor": officer.user.pk}).content.decode()
    assert row not in officer.get(changelist, {"actor": "system"}).content.decode()
    by_action = officer.get(changelist, {"action": "privacy_request.assigned"}).content.decode()
    assert row in by_action and '<td class="field-who">Mo Rning</td>' in by_action
    about = {"object_type": "privacy_request", "object_id": request.pk}
    assert row in officer.get(changelist, about).content.decode()
    assert row not in officer.get(changelist, {"object_type": "contact"}).content.decode()
