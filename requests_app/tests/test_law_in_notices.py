"""What the person is told from the rule table: denial and appeal-denial notices name
the authority of the request's own rule; the stored notice text is updated only where
staff have not edited it; Canadians give a province so Québec's law can apply."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core import mail

from requests_app import services
from requests_app.forms import PrivacyRequestForm
from requests_app.models import NoticeTemplate, PrivacyRequest, RequestType, Status
from requests_app.notices import DEFAULT_NOTICES
from requests_app.tests.factories import PrivacyRequestFactory

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("requests_app.migrations.0005_denial_notice_names_authority")


def _deny(capture, request, reason="excessive"):
    with capture(execute=True):
        services.privacy_request_deny(actor=None, request=request, reason=reason)
    return mail.outbox[-1]


def test_a_denial_names_the_attorney_general_of_the_persons_state(
    django_capture_on_commit_callbacks,
):
    request = PrivacyRequestFactory(
        status=Status.IN_PROGRESS, rule_code="ocpa", country="US", state="OR"
    )
    body = _deny(django_capture_on_commit_callbacks, request).body
    assert "We cannot fulfil your access request." in body
    assert "Where to complain: Oregon Department of Justice (Attorney General)" in body
    assert "https://justice.oregon.gov/consumercomplaints/" in body
    assert "To appeal, use this form:" in body


def test_an_appeal_denial_says_so_and_names_the_authority_without_offering_another_appeal(
    django_capture_on_commit_callbacks,
):
    original = PrivacyRequestFactory(
        status=Status.IN_PROGRESS, rule_code="vcdpa", country="US", state="VA"
    )
    _deny(django_capture_on_commit_callbacks, original)
    with django_capture_on_commit_callbacks(execute=True):
        appeal = services.appeal_submit(original=original, statement="I asked only once.")
    appeal = PrivacyRequest.objects.get(pk=appeal.pk)
    assert appeal.request_type == RequestType.APPEAL
    body = _deny(django_capture_on_commit_callbacks, appeal, reason="other_exemption").body
    assert body.startswith("We reviewed your appeal and cannot change our decision.")
    assert "Virginia Attorney General (Consumer Protection Section)" in body
    assert "https://www.oag.state.va.us/" in body
    assert "To appeal" not in body and "Your options" not in body


def test_the_house_rule_has_no_authority_line(django_capture_on_commit_callbacks):
    request = PrivacyRequestFactory(
        status=Status.IN_PROGRESS, rule_code="house", country="IN", state=""
    )
    body = _deny(django_capture_on_commit_callbacks, request).body
    assert "Where to complain" not in body
    assert "internal review" in body


def test_a_how_to_complain_sentence_follows_the_address(django_capture_on_commit_callbacks):
    request = PrivacyRequestFactory(
        status=Status.IN_PROGRESS, rule_code="nhdpa", country="US", state="NH"
    )
    body = _deny(django_capture_on_commit_callbacks, request).body
    assert "https://www.doj.nh.gov/data-privacy-enforcement\nE-mail DOJ-CPB@doj.nh.gov" in body


def test_the_migration_updates_the_denial_text_only_where_staff_left_the_default():
    row = NoticeTemplate.objects.get(code="denial")
    # Migrations ran on the test database: the seeded default is the new text.
    assert row.body == DEFAULT_NOTICES["denial"]["body"] == MIGRATION.NEW_BODY

    row.body = MIGRATION.OLD_BODY
    row.save()
    MIGRATION.forward(apps, None)
    row.refresh_from_db()
    assert row.body == MIGRATION.NEW_BODY
    assert row.description == MIGRATION.NEW_DESCRIPTION

    edited = MIGRATION.OLD_BODY.replace("We cannot fulfil", "Sorry, we cannot fulfil")
    row.body = edited
    row.save()
    MIGRATION.forward(apps, None)
    row.refresh_from_db()
    assert row.body == edited

    row.body = MIGRATION.NEW_BODY
    row.save()
    MIGRATION.backward(apps, None)
    row.refresh_from_db()
    assert row.body == MIGRATION.OLD_BODY


@pytest.mark.parametrize(
    ("country", "state", "error"),
    [
        ("CA", "", "Choose your province."),
        ("US", "", "Choose your state."),
        ("CA", "TX", "Choose a state or province of the country you chose."),
        ("US", "QC", "Choose a state or province of the country you chose."),
    ],
)
def test_the_form_asks_a_state_or_province_of_the_chosen_country(country, state, error):
    form = PrivacyRequestForm(
        data={
            "request_type": "access",
            "country": country,
            "state": state,
            "email": "someone@example.org",
        }
    )
    assert not form.is_valid()
    assert error in form.errors["state"]


def test_a_state_given_with_another_country_is_dropped():
    form = PrivacyRequestForm(
        data={"request_type": "access", "country": "DE", "state": "CA", "email": "a@example.org"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["state"] == ""


def test_a_quebec_resident_is_routed_to_quebecs_law(client):
    response = client.post(
        "/privacy/request/",
        {
            "request_type": "access",
            "country": "CA",
            "state": "QC",
            "full_name": "Québec Person",
            "email": "qc.person@example.org",
        },
    )
    assert response.status_code == 302
    request = PrivacyRequest.objects.get(email="qc.person@example.org")
    assert (request.rule_code, request.state) == ("quebec", "QC")
    assert (request.due_on - request.received_at.date()).days == 30


def test_staff_see_dates_citations_authority_and_our_promise_in_the_rule_table(client, settings):
    from django.urls import reverse

    from privacy.tests.factories import UserFactory

    settings.REQUESTS_RESPONSE_PROMISE_DAYS = "gdpr=30"
    client.force_login(UserFactory(role="Privacy officer"))
    html = client.get(reverse("admin:requests_app_privacyrequest_rules")).content.decode()
    assert "from 2026-01-01" in html  # Rhode Island, Indiana, Kentucky
    assert "until 2023-08-31" in html  # the replaced Swiss FADP
    assert "ORS 646A.576(6)(d)" in html
    assert "https://justice.oregon.gov/consumercomplaints/" in html
    assert "answer within 30 days; no extension" in html
    assert "2026-11-30" in html and "not yet" in html


def test_extending_a_request_our_promise_allows_no_extension_for_is_refused_with_the_reason(
    settings,
):
    from django.core.exceptions import ValidationError

    settings.REQUESTS_RESPONSE_PROMISE_DAYS = "gdpr=30"
    request = PrivacyRequestFactory(
        status=Status.IN_PROGRESS, rule_code="gdpr", country="DE", state=""
    )
    with pytest.raises(ValidationError, match=r"Our promise .* allows no extension beyond 30 days"):
        services.privacy_request_extend(actor=None, request=request, reason="Many records")
    request.refresh_from_db()
    assert request.extended_due_on is None


def test_an_extension_under_a_promise_that_allows_one_stops_at_the_promise(
    settings, django_capture_on_commit_callbacks
):
    settings.REQUESTS_RESPONSE_PROMISE_DAYS = "gdpr=30+30"
    request = PrivacyRequestFactory(
        status=Status.IN_PROGRESS, rule_code="gdpr", country="DE", state=""
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_extend(actor=None, request=request, reason="Many records")
    request.refresh_from_db()
    assert request.extended_due_on == request.due_on + dt.timedelta(days=30)
    assert request.deadline_on == request.extended_due_on
    assert "More time needed" in mail.outbox[-1].subject


def test_staff_taking_a_request_by_phone_give_a_province_for_canadians(client):
    from django.urls import reverse

    from privacy.tests.factories import UserFactory

    client.force_login(UserFactory(role="Support agent"))
    add_url = reverse("admin:requests_app_privacyrequest_add")
    base = {"channel": "phone", "request_type": "access", "country": "CA", "phone": "514 555 0142"}
    refused = client.post(add_url, {**base, "state": "TX"})
    assert refused.status_code == 200 and not PrivacyRequest.objects.exists()
    assert "Choose a state or province of the country you chose." in refused.content.decode()
    assert client.post(add_url, {**base, "state": "QC"}).status_code == 302
    assert PrivacyRequest.objects.get().rule_code == "quebec"


def test_a_requests_page_shows_our_promise_beside_its_rule(client, settings):
    from django.urls import reverse

    from privacy.tests.factories import UserFactory

    settings.REQUESTS_RESPONSE_PROMISE_DAYS = "gdpr=30"
    client.force_login(UserFactory(role="Privacy officer"))
    request = PrivacyRequestFactory(
        status=Status.IN_PROGRESS, rule_code="gdpr", country="FR", state=""
    )
    html = client.get(
        reverse("admin:requests_app_privacyrequest_change", args=[request.pk])
    ).content.decode()
    assert "respond within 1 month (our promise: answer within 30 days; no extension)" in html
