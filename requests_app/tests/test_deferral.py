"""Issue 8, item 1: the retention sweep no longer strands open requests. A person with an
open privacy request (any status before completed / denied / withdrawn / expired) —
matched to it, or not yet matched but confirmed and carrying one of the person's e-mail
addresses or numbers — is deferred ("deferred: open request") and taken the night after
the request closes. Issue 8, item 4: one that carries their identifiers but was never
confirmed does not defer (anyone can type an address); the erasure closes it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from privacy.models import AuditEvent, Contact, ErasureCertificate, RetentionRule
from privacy.services import ErasureDeferred, contact_create, contact_erase, retention_sweep
from privacy.tests.factories import UserFactory
from requests_app import services
from requests_app.models import RequestMatch, RequestType, Status, VerificationChallenge
from requests_app.providers import PrivacyRequestProvider
from requests_app.services.deidentify import UNCONFIRMED_CLOSED_NOTE, UNCONFIRMED_KEPT_REASON
from requests_app.tests.factories import PrivacyRequestFactory

pytestmark = pytest.mark.django_db

PROSPECT = RetentionRule.Code.PROSPECT_LAST_CONTACT


def stale_prospect(email="wilma.prospect@example.org", phone="+14155550142") -> Contact:
    contact, _ = contact_create(
        actor=None,
        customer=None,
        kind="prospect",
        emails=[email],
        phones=[phone],
        first_name="Wilma",
        last_name="Prospect",
    )
    old = timezone.now() - dt.timedelta(days=800)
    Contact.objects.filter(pk=contact.pk).update(created_at=old, last_interaction_at=old)
    return contact


def is_erased(contact: Contact) -> bool:
    return Contact.objects.get(pk=contact.pk).erased_at is not None


@pytest.mark.parametrize(
    "status",
    [
        Status.RECEIVED,
        Status.AWAITING_VERIFICATION,
        Status.VERIFIED,
        Status.IN_PROGRESS,
        Status.RELAYED,
    ],
)
def test_a_matched_open_request_defers_the_sweep_until_it_is_closed(status):
    contact = stale_prospect()
    request = PrivacyRequestFactory(status=status, email="someone.else@example.org")
    RequestMatch.objects.create(request=request, contact=contact, matched_on="email")

    report = retention_sweep(actor=None)

    assert not is_erased(contact)
    assert (report.rules[PROSPECT].deferred, report.rules[PROSPECT].erased) == (1, 0)
    assert report.rules[PROSPECT].deferred_by == {"open request": 1}
    summary = AuditEvent.objects.get(action="retention.swept").summary
    assert summary["rules"][PROSPECT]["deferred_by"] == {"open request": 1}

    services.privacy_request_withdraw(actor=None, request=request, note="closed")
    report = retention_sweep(actor=None)
    assert is_erased(contact)
    assert (report.rules[PROSPECT].deferred, report.rules[PROSPECT].erased) == (0, 1)


@pytest.mark.parametrize("identifier", ["email", "phone"])
def test_an_unmatched_confirmed_request_with_the_persons_identifier_defers_it(identifier):
    contact = stale_prospect()
    # Confirmed, but never matched (say, verified before the contact existed).
    if identifier == "email":
        # Stored as the person typed it; matched on the normalised key.
        request = PrivacyRequestFactory(
            status=Status.VERIFIED,
            email="Wilma.Prospect@EXAMPLE.org",
            email_key="wilma.prospect@example.org",
        )
    else:
        request = PrivacyRequestFactory(
            status=Status.IN_PROGRESS, email=None, email_key=None, phone="+14155550142"
        )
    other = stale_prospect(email="unrelated@example.org", phone="+14155550199")

    report = retention_sweep(actor=None)

    assert not is_erased(contact) and is_erased(other)
    assert report.rules[PROSPECT].deferred == 1
    with pytest.raises(ErasureDeferred, match=request.reference):
        contact_erase(actor=None, contact=contact)

    services.privacy_request_withdraw(actor=None, request=request, note="closed")
    retention_sweep(actor=None)
    assert is_erased(contact)


@pytest.mark.parametrize("identifier", ["email", "phone"])
def test_an_unconfirmed_request_with_the_persons_identifier_is_closed_not_waited_for(
    identifier, django_capture_on_commit_callbacks
):
    """Anyone can type the person's address into the form, again every fortnight: an
    unconfirmed request must not hold their erasure off. It is closed (expired, with a
    staff note, no notice to the erased address), de-identified and named on the
    certificate."""
    contact = stale_prospect()
    if identifier == "email":
        request = PrivacyRequestFactory(
            email="Wilma.Prospect@EXAMPLE.org",
            email_key="wilma.prospect@example.org",
            details="Wilma's old address: 12 Quince Lane",
        )
    else:
        request = PrivacyRequestFactory(email=None, email_key=None, phone="+14155550142")
    assert request.status == Status.AWAITING_VERIFICATION
    VerificationChallenge.objects.create(
        request=request,
        channel="email",
        secret_hash="1" * 64,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    someone_elses = PrivacyRequestFactory(email="another.person@example.org")
    assert PrivacyRequestProvider().deferrals([contact], trigger="staff", reference="") == {}

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = retention_sweep(actor=None)

    assert is_erased(contact) and report.rules[PROSPECT].deferred == 0
    request.refresh_from_db()
    assert request.status == Status.EXPIRED and request.closed_at is not None
    assert request.deidentified_at is not None
    assert (request.email, request.email_key, request.phone, request.details) == (None,) * 4
    assert not VerificationChallenge.objects.filter(request=request).exists()
    closing = request.events.get(to_status=Status.EXPIRED)
    assert closing.note == UNCONFIRMED_CLOSED_NOTE and closing.actor is None
    assert mail.outbox == []  # nothing goes to the erased person's address
    [certificate] = ErasureCertificate.objects.filter(contact=contact)
    [kept] = [k for k in certificate.kept if k["table"] == "privacy request (unconfirmed)"]
    assert (kept["count"], kept["references"]) == (1, [request.reference])
    assert kept["reason"] == UNCONFIRMED_KEPT_REASON
    assert certificate.counts["requests_app.privacy_request"]["request_identities"] == 1
    # Someone else's unconfirmed request is untouched.
    someone_elses.refresh_from_db()
    assert someone_elses.status == Status.AWAITING_VERIFICATION
    assert someone_elses.deidentified_at is None


def test_closed_requests_and_other_peoples_requests_defer_nothing():
    contact = stale_prospect()
    PrivacyRequestFactory(
        status=Status.COMPLETED, email="wilma.prospect@example.org", closed_at=timezone.now()
    )
    PrivacyRequestFactory(status=Status.EXPIRED, phone="+14155550142", closed_at=timezone.now())
    PrivacyRequestFactory(status=Status.IN_PROGRESS, email="another.person@example.org")

    retention_sweep(actor=None)

    assert is_erased(contact)


def test_an_open_appeal_of_a_matched_request_defers_it():
    contact = stale_prospect()
    original = PrivacyRequestFactory(
        status=Status.DENIED, rule_code="vcdpa", state="VA", closed_at=timezone.now()
    )
    RequestMatch.objects.create(request=original, contact=contact, matched_on="email")
    appeal = services.appeal_submit(original=original, statement="I disagree")
    # The appeal carries the original's identity; make it differ to test the link.
    appeal.email = appeal.email_key = None
    appeal.phone = "+14155550100"
    appeal.save(update_fields=["email", "email_key", "phone"])

    retention_sweep(actor=None)
    assert not is_erased(contact)

    services.privacy_request_complete(actor=None, request=appeal)
    retention_sweep(actor=None)
    assert is_erased(contact)


def test_the_provider_names_every_open_request_by_reference_only():
    contact = stale_prospect()
    first = PrivacyRequestFactory(status=Status.VERIFIED, email="wilma.prospect@example.org")
    second = PrivacyRequestFactory(
        status=Status.IN_PROGRESS,
        email=None,
        email_key=None,
        phone="+14155550142",
        request_type=RequestType.DELETION,
    )
    reasons = PrivacyRequestProvider().deferrals([contact], trigger="staff", reference="")
    assert reasons == {contact.pk: f"open privacy requests {first.reference}, {second.reference}"}
    # Run for the deletion request itself: only the other request defers.
    reasons = PrivacyRequestProvider().deferrals(
        [contact], trigger="request", reference=second.reference
    )
    assert reasons == {contact.pk: f"open privacy request {first.reference}"}
    # A retention rule code that happens to equal nothing defers as usual.
    assert (
        PrivacyRequestProvider()
        .deferrals([contact], trigger="retention", reference=second.reference)[contact.pk]
        .startswith("open privacy requests")
    )


def test_an_access_request_is_answered_even_when_the_sweep_runs_first(
    django_capture_on_commit_callbacks,
):
    """The defect as seen: the sweep erased the person, and the access request could
    never complete ("Export package not ready")."""
    contact = stale_prospect()
    with django_capture_on_commit_callbacks(execute=True):
        submitted = services.privacy_request_submit(
            actor=None,
            request_type="access",
            country="US",
            state="CA",
            email="wilma.prospect@example.org",
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_verify_manually(
            actor=None, request=submitted.request, method="id_document"
        )
    request = submitted.request
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS

    with django_capture_on_commit_callbacks(execute=True):
        retention_sweep(actor=None)

    assert not is_erased(contact)
    with django_capture_on_commit_callbacks(execute=True):
        completed = services.privacy_request_complete(actor=None, request=request)
    assert completed.status == Status.COMPLETED
    retention_sweep(actor=None)
    assert is_erased(contact)


def test_a_scheduled_erasure_waits_for_the_persons_other_open_request(
    django_capture_on_commit_callbacks, logged
):
    """The person asked for a copy of their data and for deletion: the access request
    is answered first, the erasure waits (staff see why) and runs the night after."""
    contact = stale_prospect()

    def submit_and_verify(request_type):
        with django_capture_on_commit_callbacks(execute=True):
            submitted = services.privacy_request_submit(
                actor=None,
                request_type=request_type,
                country="US",
                state="CA",
                email="wilma.prospect@example.org",
            )
        with django_capture_on_commit_callbacks(execute=True):
            services.privacy_request_verify_manually(
                actor=None, request=submitted.request, method="id_document"
            )
        submitted.request.refresh_from_db()
        return submitted.request

    access = submit_and_verify("access")
    deletion = submit_and_verify("deletion")
    services.erasure_schedule(actor=None, request=deletion)
    later = timezone.now() + dt.timedelta(days=30)

    log = logged("requests_app.services.jobs")
    assert services.scheduled_erasures_run(now=later) == {"deferred": 1}

    assert not is_erased(contact)
    erasure = deletion.erasures.get()
    assert erasure.state == "scheduled"  # retried next night, not blocked
    notes = list(deletion.events.filter(note__contains="deferred").values_list("note", flat=True))
    assert notes == [
        f"Erasure of contact #{contact.pk} deferred. Waiting for open privacy request "
        f"{access.reference} to be answered; the erasure is retried nightly."
    ]
    job = AuditEvent.objects.filter(action="requests_job.scheduled_erasures").latest("id")
    assert job.summary == {"deferred": 1}
    assert any("'deferred': 1" in record.getMessage() for record in log)
    # The next night, still waiting: no second note.
    assert services.scheduled_erasures_run(now=later) == {"deferred": 1}
    assert deletion.events.filter(note__contains="deferred").count() == 1

    # The access request is answered, with its package; then the erasure runs.
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_complete(actor=None, request=access)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.scheduled_erasures_run(now=later) == {"done": 1}
    assert is_erased(contact)
    deletion.refresh_from_db()
    assert deletion.status == Status.COMPLETED


def test_running_the_erasure_now_also_waits_for_the_persons_other_open_request(
    django_capture_on_commit_callbacks,
):
    contact = stale_prospect()
    access = PrivacyRequestFactory(email="wilma.prospect@example.org", status=Status.IN_PROGRESS)
    deletion = PrivacyRequestFactory(
        email="wilma.prospect@example.org",
        status=Status.IN_PROGRESS,
        request_type=RequestType.DELETION,
    )
    RequestMatch.objects.create(request=deletion, contact=contact, matched_on="email")

    with django_capture_on_commit_callbacks(execute=True):
        result = services.erasure_run_now(actor=None, request=deletion, reason="person_asked")

    assert result.done == 0 and not result.blocked and not result.completed
    assert result.deferred == [
        f"contact #{contact.pk}: Waiting for open privacy request {access.reference} to be "
        "answered; the erasure is retried nightly."
    ]
    assert not is_erased(contact)
    assert deletion.erasures.get().state == "scheduled"


def test_staff_see_which_unconfirmed_request_an_erasure_closes_before_confirming(client):
    contact = stale_prospect()
    request = PrivacyRequestFactory(email="wilma.prospect@example.org")
    client.force_login(UserFactory(role="Privacy officer"))
    data = {"action": "erase_contacts", "_selected_action": [contact.pk]}

    page = client.post(reverse("admin:privacy_contact_changelist"), data)

    assert page.status_code == 200
    body = page.content.decode()
    assert f"privacy request (unconfirmed) (1: {request.reference})" in body
    assert "closed by this erasure" in body
    assert not is_erased(contact)
