"""Running an erasure now (the grace period skipped, for privacy officers): the reason is
required and recorded (code in the audit row, note on the staff timeline), the
certificate names the officer, a legal hold still blocks it, and the request completes
by itself. The nightly command says what it did in words."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from privacy.models import AuditEvent, Contact, LegalHold
from privacy.tests.factories import ContactFactory, UserFactory
from requests_app import services
from requests_app.management.commands.scheduled_erasures_run import erasures_run_words
from requests_app.models import PrivacyRequest, RequestEvent, ScheduledErasure, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def deletion(django_capture_on_commit_callbacks):
    """A verified deletion request of one of our own contacts, in progress."""
    contact = ContactFactory(email="erase.me@example.org", customer=None)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.privacy_request_submit(
            actor=None, request_type="deletion", country="US", state="CA", email=contact.email
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_verify_manually(
            actor=None, request=result.request, method="id_document"
        )
    request = PrivacyRequest.objects.get(pk=result.request.pk)
    assert request.status == Status.IN_PROGRESS
    return request, contact


def test_run_now_erases_at_once_names_the_officer_and_completes(
    deletion, django_capture_on_commit_callbacks, mailoutbox
):
    request, contact = deletion
    officer = UserFactory(role="Privacy officer", first_name="Olu", last_name="Officer")
    with django_capture_on_commit_callbacks(execute=True):
        result = services.erasure_run_now(
            actor=officer, request=request, reason="person_asked", note="Asked twice by phone."
        )
    assert result.done == 1 and result.blocked == [] and result.completed
    contact.refresh_from_db()
    assert contact.erased_at is not None
    erasure = ScheduledErasure.objects.get(request=request)
    assert erasure.state == ScheduledErasure.State.DONE
    assert erasure.certificate.performed_by == officer
    assert erasure.scheduled_by == officer
    request.refresh_from_db()
    assert request.status == Status.COMPLETED
    audit = AuditEvent.objects.get(action="privacy_request.erasure_run_now")
    assert audit.actor_id == officer.pk
    assert audit.summary["reason"] == "person_asked"
    assert audit.summary["grace_days_skipped"] == 7
    assert "Asked twice" not in str(audit.summary)  # the free text stays off the audit row
    note = RequestEvent.objects.get(request=request, note__contains="run now")
    assert note.actor == officer and "Asked twice by phone." in note.note
    assert any("complete" in m.subject.lower() for m in mailoutbox)


def test_run_now_needs_a_reason_and_a_note_for_another_reason(deletion):
    request, contact = deletion
    officer = UserFactory(role="Privacy officer")
    with pytest.raises(ValidationError, match="why"):
        services.erasure_run_now(actor=officer, request=request, reason="", note="")
    with pytest.raises(ValidationError, match="note"):
        services.erasure_run_now(actor=officer, request=request, reason="other", note=" ")
    assert not ScheduledErasure.objects.exists()
    assert Contact.objects.get(pk=contact.pk).erased_at is None


def test_run_now_is_blocked_by_a_legal_hold(deletion):
    request, contact = deletion
    officer = UserFactory(role="Privacy officer")
    LegalHold.objects.create(contact=contact, reason="Case 12-B, litigation hold")
    result = services.erasure_run_now(actor=officer, request=request, reason="confirmed")
    assert result.done == 0 and "Case 12-B" in result.blocked[0]
    assert Contact.objects.get(pk=contact.pk).erased_at is None
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS


def test_run_now_only_for_deletion_requests_in_progress(deletion):
    request, _ = deletion
    officer = UserFactory(role="Privacy officer")
    PrivacyRequest.objects.filter(pk=request.pk).update(request_type="access")
    request.refresh_from_db()
    with pytest.raises(ValidationError, match="Only deletion"):
        services.erasure_run_now(actor=officer, request=request, reason="confirmed")


def test_run_now_brings_a_scheduled_erasure_forward(deletion):
    request, _contact = deletion
    officer = UserFactory(role="Privacy officer")
    services.erasure_schedule(actor=officer, request=request)
    services.erasure_run_now(actor=officer, request=request, reason="authority")
    assert ScheduledErasure.objects.get(request=request).state == ScheduledErasure.State.DONE


def test_nightly_command_says_what_it_did_in_words(deletion, capsys):
    request, _contact = deletion
    services.erasure_schedule(actor=None, request=request)
    call_command("scheduled_erasures_run")
    assert capsys.readouterr().out.strip() == "No scheduled erasure was due; nothing was erased."
    ScheduledErasure.objects.update(scheduled_for=request.received_at)
    call_command("scheduled_erasures_run")
    out = capsys.readouterr().out.strip()
    assert out == "1 scheduled erasure ran: 1 erased (certificate recorded)."
    assert "{" not in out


def test_erasure_outcomes_in_words():
    assert erasures_run_words({"done": 2, "blocked": 1}) == (
        "3 scheduled erasures ran: 1 blocked by a legal hold or an open request (the reason "
        "is on the request's page); 2 erased (certificate recorded)."
    )
