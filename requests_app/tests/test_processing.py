"""Processing a verified request (requests_app/services/processing.py): matching, the relay
to a customer and its answer, fulfilment by type, and what the audit trail keeps."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from privacy.models import AuditEvent, Contact
from privacy.tests.factories import ContactFactory, InteractionFactory, UserFactory
from requests_app import services
from requests_app.models import (
    Relay,
    ScheduledErasure,
    Status,
)
from requests_app.tests.helpers import submit_and_verify

pytestmark = pytest.mark.django_db


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
