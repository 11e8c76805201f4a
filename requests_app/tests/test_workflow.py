"""The staff workflow: relay to a customer, erasure after the grace period with the
certificate on the request, extension rules, denial and appeal, access packages."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from privacy.models import AuditEvent, Contact
from privacy.services import legal_hold_place
from privacy.tests.factories import ContactFactory, InteractionFactory, UserFactory
from requests_app import services
from requests_app.models import (
    ExportPackage,
    PrivacyRequest,
    Relay,
    RequestType,
    ScheduledErasure,
    Status,
)
from requests_app.tests.factories import PrivacyRequestFactory
from requests_app.tests.helpers import links_in_mail

pytestmark = pytest.mark.django_db


def submit_and_verify(capture, **kwargs):
    with capture(execute=True):
        result = services.privacy_request_submit(actor=None, country="US", state="CA", **kwargs)
    with capture(execute=True):
        services.privacy_request_verify_manually(
            actor=None, request=result.request, method="id_document"
        )
    return PrivacyRequest.objects.get(pk=result.request.pk)


def test_deletion_for_a_customers_contact_goes_through_relay_grace_period_and_completion(
    django_capture_on_commit_callbacks, settings
):
    settings.REQUESTS_ERASURE_GRACE_DAYS = 7
    officer = UserFactory(role="Privacy officer")
    contact = ContactFactory(email="erase.me@example.org")
    InteractionFactory.create_batch(2, contact=contact)
    customer = contact.customer

    request = submit_and_verify(
        django_capture_on_commit_callbacks, request_type="deletion", email="erase.me@example.org"
    )
    assert request.status == Status.RELAYED
    relay = Relay.objects.get(request=request)
    assert relay.customer == customer
    relay_mail = [m for m in mail.outbox if m.to == [customer.privacy_contact_email]]
    assert len(relay_mail) == 1 and request.reference in relay_mail[0].subject
    assert "erase.me@example.org" not in relay_mail[0].body  # contact ids only

    # Not complete while the customer has not answered.
    with pytest.raises(ValidationError, match="not answered"):
        services.privacy_request_complete(actor=officer, request=request)

    with django_capture_on_commit_callbacks(execute=True):
        services.relay_answer_record(actor=officer, relay=relay, answer=Relay.Answer.FULFIL)
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS

    with django_capture_on_commit_callbacks(execute=True):
        [erasure] = services.erasure_schedule(actor=officer, request=request)
    assert erasure.scheduled_for > timezone.now() + dt.timedelta(days=6)

    # The nightly job leaves it alone during the grace period…
    assert services.scheduled_erasures_run() == {}
    assert Contact.objects.get(pk=contact.pk).erased_at is None

    # …and erases after it, with the certificate linked and the request completed.
    mail.outbox.clear()
    later = timezone.now() + dt.timedelta(days=8)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.scheduled_erasures_run(now=later) == {"done": 1}
    erasure.refresh_from_db()
    assert erasure.state == ScheduledErasure.State.DONE
    assert erasure.certificate.reference == request.reference
    assert erasure.certificate.trigger == "request"
    assert Contact.objects.get(pk=contact.pk).erased_at is not None
    request.refresh_from_db()
    assert request.status == Status.COMPLETED
    assert request.erasures.get().certificate_id == erasure.certificate_id
    completion = [m for m in mail.outbox if m.to == ["erase.me@example.org"]]
    assert "erased" in completion[0].body
    # Running again does nothing.
    assert services.scheduled_erasures_run(now=later) == {}


def test_scheduled_erasure_is_blocked_by_a_hold_with_the_reason(
    django_capture_on_commit_callbacks,
):
    contact = ContactFactory(email="held@example.org", customer=None)
    request = submit_and_verify(
        django_capture_on_commit_callbacks, request_type="deletion", email="held@example.org"
    )
    assert request.status == Status.IN_PROGRESS  # our own contact: no relay
    [erasure] = services.erasure_schedule(actor=None, request=request)
    legal_hold_place(actor=None, contact=contact, reason="Matter 12 litigation")
    later = timezone.now() + dt.timedelta(days=30)
    assert services.scheduled_erasures_run(now=later) == {"blocked": 1}
    erasure.refresh_from_db()
    assert "Matter 12 litigation" in erasure.blocked_reason
    assert Contact.objects.get(pk=contact.pk).erased_at is None
    # And scheduling again is refused with the reason.
    with pytest.raises(ValidationError, match="Matter 12 litigation"):
        services.erasure_schedule(actor=None, request=request)


def test_cancelled_erasure_does_not_run(django_capture_on_commit_callbacks):
    contact = ContactFactory(email="cancel@example.org", customer=None)
    request = submit_and_verify(
        django_capture_on_commit_callbacks, request_type="deletion", email="cancel@example.org"
    )
    [erasure] = services.erasure_schedule(actor=None, request=request)
    assert services.erasure_cancel(actor=None, erasure=erasure)
    assert services.scheduled_erasures_run(now=timezone.now() + dt.timedelta(days=30)) == {}
    assert Contact.objects.get(pk=contact.pk).erased_at is None


def test_access_request_builds_package_and_completes_with_download_link(
    django_capture_on_commit_callbacks, client
):
    contact = ContactFactory(email="me@example.org", customer=None)
    InteractionFactory.create_batch(3, contact=contact)
    request = submit_and_verify(
        django_capture_on_commit_callbacks, request_type=RequestType.ACCESS, email="me@example.org"
    )
    package = ExportPackage.objects.get(request=request)
    assert package.state == ExportPackage.State.READY
    assert package.counts["privacy.interaction/interactions"] == 3
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_complete(actor=None, request=request)
    [link] = links_in_mail("download")
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content)[:2] == b"PK"
    package.refresh_from_db()
    assert package.download_count == 1
    # Expired links stop working.
    ExportPackage.objects.filter(pk=package.pk).update(expires_at=timezone.now())
    assert client.get(link).status_code == 404


def test_extension_only_once_and_only_before_the_original_due_date():
    request = PrivacyRequestFactory(status=Status.IN_PROGRESS, rule_code="ccpa")
    with pytest.raises(ValidationError, match="has passed"):
        services.privacy_request_extend(
            actor=None,
            request=request,
            reason="Complex request",
            today=request.due_on + dt.timedelta(days=1),
        )
    with pytest.raises(ValidationError, match="reason"):
        services.privacy_request_extend(actor=None, request=request, reason=" ")
    extended = services.privacy_request_extend(
        actor=None, request=request, reason="Many systems to search", today=request.due_on
    )
    assert extended.extended_due_on == request.due_on + dt.timedelta(days=45)
    assert extended.deadline_on == extended.extended_due_on
    with pytest.raises(ValidationError, match="already been extended"):
        services.privacy_request_extend(actor=None, request=extended, reason="Again")


def test_opt_out_rule_allows_no_extension():
    request = PrivacyRequestFactory(
        status=Status.IN_PROGRESS, rule_code="ccpa_opt_out", request_type="opt_out_sale"
    )
    with pytest.raises(ValidationError, match="no extension"):
        services.privacy_request_extend(actor=None, request=request, reason="Busy")


def test_denial_sends_reason_and_appeal_link_and_appeal_opens_a_linked_request(
    django_capture_on_commit_callbacks, client
):
    request = PrivacyRequestFactory(status=Status.IN_PROGRESS, rule_code="vcdpa", state="VA")
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_deny(actor=None, request=request, reason="excessive")
    denial = mail.outbox[-1]
    assert "Manifestly unfounded or excessive" in denial.body
    [appeal_link] = links_in_mail("appeal")
    response = client.post(appeal_link, {"statement": "I only asked once."})
    assert response.status_code == 302
    appeal_request = PrivacyRequest.objects.get(parent=request)
    assert appeal_request.request_type == RequestType.APPEAL
    assert appeal_request.due_on == timezone.localdate() + dt.timedelta(days=60)
    assert request.appeals.get().statement == "I only asked once."
    # One appeal per decision.
    assert client.post(appeal_link, {"statement": "again"}).status_code == 200
    assert PrivacyRequest.objects.filter(parent=request).count() == 1


def test_second_access_request_in_12_months_under_ccpa_is_flagged_over_limit(
    django_capture_on_commit_callbacks,
):
    for _ in range(2):
        PrivacyRequestFactory(
            email="twice@example.org", status=Status.COMPLETED, request_type="access"
        )
    with django_capture_on_commit_callbacks(execute=True):
        result = services.privacy_request_submit(
            actor=None, request_type="access", country="US", state="CA", email="twice@example.org"
        )
    assert result.created and result.request.over_limit


def test_audit_rows_hold_no_personal_data(django_capture_on_commit_callbacks):
    ContactFactory(email="private.person@example.org", customer=None, first_name="Zebedee")
    submit_and_verify(
        django_capture_on_commit_callbacks,
        request_type="restriction",
        email="private.person@example.org",
        full_name="Zebedee Private",
        details="Please stop using my data, I live at 1 Secret Lane",
    )
    text = " ".join(str(e.summary) for e in AuditEvent.objects.all())
    for personal in ("private.person", "Zebedee", "Secret Lane"):
        assert personal not in text
    assert Contact.objects.get(email="private.person@example.org").is_restricted


def test_a_relay_answered_after_the_request_closed_changes_nothing(
    django_capture_on_commit_callbacks,
):
    """The person withdrew while the customer was deciding; a late "fulfil" must not
    restrict, export or erase anything."""
    officer = UserFactory(role="Privacy officer")
    contact = ContactFactory(email="late.answer@example.org")
    request = submit_and_verify(
        django_capture_on_commit_callbacks,
        request_type="restriction",
        email="late.answer@example.org",
    )
    assert request.status == Status.RELAYED
    services.privacy_request_withdraw(actor=officer, request=request, note="Person withdrew")
    relay = Relay.objects.get(request=request)

    with pytest.raises(ValidationError, match="is closed"):
        services.relay_answer_record(actor=officer, relay=relay, answer=Relay.Answer.FULFIL)
    relay.refresh_from_db()
    assert relay.answered_at is None
    assert Contact.objects.get(pk=contact.pk).is_restricted is False
