"""Admin tools on one request: opening an authorised agent's proof (permission-checked,
streamed as an attachment, never cached, audited without personal data), applying a
correction, and sending a fee estimate / recording a fee — each through its service."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse

from privacy.models import AuditEvent, Contact
from privacy.tests.factories import ContactFactory, UserFactory
from requests_app.models import PrivacyRequest, RequestEvent, RequestMatch, Status
from requests_app.tests.factories import PrivacyRequestFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _url(name, obj):
    return reverse(f"admin:requests_app_privacyrequest_{name}", args=[obj.pk])


@pytest.fixture
def officer(client):
    user = UserFactory(role="Privacy officer")
    client.force_login(user)
    return user


@pytest.fixture
def agent_request():
    request = PrivacyRequestFactory(
        is_agent_request=True,
        agent_name="Bartholomew Agent",
        agent_email="bart@agents.example.com",
        full_name="Consumer Person",
    )
    request.agent_proof.save("c0ffee.pdf", ContentFile(PDF), save=True)
    return request


def test_officer_downloads_the_agents_proof_as_an_uncached_attachment(
    client, officer, agent_request
):
    page = client.get(_url("change", agent_request)).content.decode()
    assert _url("agent_proof", agent_request) in page  # linked from the request's page

    response = client.get(_url("agent_proof", agent_request))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"{agent_request.reference}-agent-proof.pdf" in disposition
    assert "no-store" in response["Cache-Control"]

    event = AuditEvent.objects.get(action="privacy_request.agent_proof_opened")
    assert event.actor_id == officer.pk and event.object_id == str(agent_request.pk)
    assert event.summary == {"reference": agent_request.reference}
    assert RequestEvent.objects.filter(
        request=agent_request, note__contains="proof opened", person_facing=False
    ).exists()


def test_staff_without_the_permission_cannot_open_the_proof(client, agent_request):
    support = UserFactory(role="Support agent")
    client.force_login(support)
    assert client.get(_url("change", agent_request)).status_code == 200
    assert (
        _url("agent_proof", agent_request)
        not in client.get(_url("change", agent_request)).content.decode()
    )
    assert client.get(_url("agent_proof", agent_request)).status_code == 403
    assert not AuditEvent.objects.filter(action="privacy_request.agent_proof_opened").exists()


def test_proof_is_not_served_to_anonymous_users_or_when_missing(client, agent_request):
    response = client.get(_url("agent_proof", agent_request))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(UserFactory(role="Privacy officer"))
    assert client.get(_url("agent_proof", PrivacyRequestFactory())).status_code == 404


def test_correction_is_applied_to_the_contact_in_scope(client, officer):
    contact = ContactFactory(customer=None, first_name="Jonh", city="Springfeld")
    other = ContactFactory(customer=None, first_name="Untouched")
    request = PrivacyRequestFactory(request_type="correction", status=Status.IN_PROGRESS)
    RequestMatch.objects.create(request=request, contact=contact, matched_on="email")

    page = client.get(_url("change", request)).content.decode()
    assert _url("correction", request) in page
    form = client.get(_url("correction", request)).content.decode()
    assert f'value="{contact.pk}"' in form and f'value="{other.pk}"' not in form

    # Nothing filled in: refused on the form.
    empty = client.post(_url("correction", request), {"contact": contact.pk})
    assert "at least one corrected value" in empty.content.decode()

    response = client.post(
        _url("correction", request),
        {"contact": contact.pk, "first_name": "John", "city": "Springfield"},
        follow=True,
    )
    assert "corrected: first_name, city" in response.content.decode()
    contact.refresh_from_db()
    assert contact.first_name == "John" and contact.city == "Springfield"
    audit = AuditEvent.objects.get(action="privacy_request.correction_applied")
    assert audit.summary["fields"] == ["city", "first_name"]
    assert "John" not in str(audit.summary) and "Springfield" not in str(audit.summary)
    # A contact outside the request cannot be chosen.
    client.post(_url("correction", request), {"contact": other.pk, "first_name": "Changed"})
    assert Contact.objects.get(pk=other.pk).first_name == "Untouched"


def test_correction_refused_by_the_service_is_shown_not_applied(client, officer):
    contact = ContactFactory(customer=None, first_name="Jonh")
    request = PrivacyRequestFactory(request_type="correction", status=Status.IN_PROGRESS)
    RequestMatch.objects.create(request=request, contact=contact, matched_on="email")
    PrivacyRequest.objects.filter(pk=request.pk).update(status=Status.COMPLETED)
    response = client.post(_url("correction", request), {"contact": contact.pk, "first_name": "X"})
    assert response.status_code == 200
    assert "The request is not in progress." in response.content.decode()
    assert Contact.objects.get(pk=contact.pk).first_name == "Jonh"


def test_fee_estimate_is_sent_before_a_fee_is_recorded(client, officer):
    request = PrivacyRequestFactory(
        status=Status.IN_PROGRESS, rule_code="gdpr", country="DE", state=""
    )
    assert _url("fee_estimate", request) in client.get(_url("change", request)).content.decode()

    # Recording first is refused by the service, on the form.
    refused = client.post(_url("fee_record", request), {"amount": "25.00"})
    assert "Send the fee estimate before recording a fee" in refused.content.decode()
    assert PrivacyRequest.objects.get(pk=request.pk).fee is None

    mail.outbox.clear()
    response = client.post(_url("fee_estimate", request), {"amount": "25.00"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.fee_estimate == Decimal("25.00") and request.fee_estimate_sent_at
    [notice] = [m for m in mail.outbox if "Fee estimate" in m.subject]
    assert notice.to == [request.email] and "25.00" in notice.body

    assert _url("fee_record", request) in client.get(_url("change", request)).content.decode()
    assert client.post(_url("fee_record", request), {"amount": "25.00"}).status_code == 302
    request.refresh_from_db()
    assert request.fee == Decimal("25.00")
    assert AuditEvent.objects.filter(action="privacy_request.fee_recorded").exists()


def test_fee_tools_follow_the_rule_and_the_permission(client):
    ccpa = PrivacyRequestFactory(status=Status.IN_PROGRESS, rule_code="ccpa")
    officer = UserFactory(role="Privacy officer")
    client.force_login(officer)
    assert _url("fee_estimate", ccpa) not in client.get(_url("change", ccpa)).content.decode()
    refused = client.post(_url("fee_estimate", ccpa), {"amount": "10"})
    assert "allows no fee" in refused.content.decode()
    assert PrivacyRequest.objects.get(pk=ccpa.pk).fee_estimate is None

    client.force_login(UserFactory(role="Auditor"))
    assert client.post(_url("fee_estimate", ccpa), {"amount": "10"}).status_code == 403
    assert client.post(_url("correction", ccpa), {}).status_code == 403
