"""The rights the policies promise that had no home (issue 9, sections 4 and 6):
unverified California opt-outs and limits acted on within the rule with a confirmation,
GPC signals as processed opt-out requests, Shine the Light, instructions after death,
portability to another organisation, and the confirmation before a deletion runs."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from consent.models import ConsentState, Purpose
from privacy.models import AuditEvent, Contact, DataCategory
from privacy.services import contact_erase, opt_out_signal_record
from privacy.tests.factories import ContactFactory, InteractionFactory, UserFactory
from requests_app import deadlines, services
from requests_app.models import (
    Channel,
    PackageTransfer,
    PostMortemInstructions,
    PrivacyRequest,
    RequestType,
    Status,
    VerificationMethod,
)
from requests_app.rules import rule_code_for
from requests_app.tests.helpers import links_in_mail

CONFIRM_LINK = re.compile(r"http://testserver(/privacy/transfer/confirm/[A-Za-z0-9_\-]+/)")


def _confirm_link() -> str:
    [path] = [p for m in mail.outbox for p in CONFIRM_LINK.findall(m.body)]
    return path


pytestmark = pytest.mark.django_db


def _submit(capture, **kwargs):
    kwargs.setdefault("country", "US")
    kwargs.setdefault("state", "CA")
    with capture(execute=True):
        result = services.privacy_request_submit(actor=None, **kwargs)
    return PrivacyRequest.objects.get(pk=result.request.pk)


def _verify(capture, request):
    with capture(execute=True):
        services.privacy_request_verify_manually(actor=None, request=request, method="id_document")
    return PrivacyRequest.objects.get(pk=request.pk)


def _public(request) -> list[str]:
    return list(request.events.filter(person_facing=True).values_list("public_message", flat=True))


# --- 11 CCR §7026 / §7027: no verification, within 15 business days, confirmed ----------------


def test_a_californian_opt_out_is_acted_on_unverified_within_the_rule_and_confirmed(
    django_capture_on_commit_callbacks,
):
    contact = ContactFactory(email="optout@example.org", customer=None)
    request = _submit(
        django_capture_on_commit_callbacks,
        request_type=RequestType.OPT_OUT_SALE,
        email="optout@example.org",
    )
    assert request.rule_code == "ccpa_opt_out"
    assert request.verification_method == VerificationMethod.NOT_REQUIRED
    assert request.status == Status.COMPLETED
    # Done on the day it arrived: well within the 15 business days of the rule.
    received = timezone.localdate(request.received_at)
    assert request.due_on == deadlines.due_date("ccpa_opt_out", received)
    assert timezone.localdate(request.closed_at) <= request.due_on
    assert not request.verification_challenges.exists()
    # The opt-out reached the consent ledger for the matched contact.
    state = ConsentState.objects.get(contact=contact, purpose__code=Purpose.Code.SALE_SHARING)
    assert not state.is_granted
    # The person is told it was processed: the confirmation and the status page.
    [confirmation] = [m for m in mail.outbox if "has been processed" in m.subject]
    assert confirmation.to == ["optout@example.org"]
    assert "opt out of the sale or sharing" in confirmation.body
    assert "We no longer sell or share it" in confirmation.body
    assert any("opt-out was processed" in m for m in _public(request))


def test_a_californian_limit_of_sensitive_data_is_unverified_applied_and_confirmed(
    django_capture_on_commit_callbacks,
):
    contact = ContactFactory(email="limit@example.org", customer=None)
    request = _submit(
        django_capture_on_commit_callbacks,
        request_type=RequestType.LIMIT_SENSITIVE,
        email="limit@example.org",
    )
    assert (request.rule_code, request.status) == ("ccpa_opt_out", Status.COMPLETED)
    assert request.verification_method == VerificationMethod.NOT_REQUIRED
    contact.refresh_from_db()
    assert contact.sensitive_use_limited_at is not None
    assert AuditEvent.objects.filter(
        action="contact.sensitive_use_limited", object_id=str(contact.pk)
    ).exists()
    [confirmation] = [m for m in mail.outbox if "has been processed" in m.subject]
    assert "limit the use of your" in confirmation.body and "sensitive" in confirmation.body


def test_limit_requests_are_routed_to_the_15_day_rule_only_since_the_regulations_took_effect():
    assert (
        rule_code_for(country="US", state="CA", request_type="limit_sensitive", received_on=dt.date(2023, 3, 28))
        == "ccpa"
    )  # fmt: skip
    assert (
        rule_code_for(country="US", state="CA", request_type="limit_sensitive", received_on=dt.date(2023, 3, 29))
        == "ccpa_opt_out"
    )  # fmt: skip
    # Outside California a limit request is verified like any other.
    assert rule_code_for(country="US", state="TX", request_type="limit_sensitive", received_on=dt.date(2026, 11, 30)) == "tdpsa"  # fmt: skip


# --- GPC: a processed opt-out request the person and staff can see ----------------------------


def test_a_gpc_signal_becomes_one_processed_opt_out_request_with_a_status_page(
    client, django_capture_on_commit_callbacks
):
    contact = ContactFactory(email="gpc@example.org", country="US", state="CA")
    with django_capture_on_commit_callbacks(execute=True):
        results = opt_out_signal_record(contact=contact)
    request = results["requests_app.gpc_opt_out"]
    assert isinstance(request, PrivacyRequest)
    assert (request.channel, request.request_type) == (Channel.GPC, RequestType.OPT_OUT_SALE)
    assert (request.rule_code, request.status) == ("ccpa_opt_out", Status.COMPLETED)
    assert list(request.matches.values_list("contact_id", flat=True)) == [contact.pk]
    assert not ConsentState.objects.get(
        contact=contact, purpose__code=Purpose.Code.SALE_SHARING
    ).is_granted
    # One message only: the confirmation, saying it came from the browser's signal.
    assert [m.subject for m in mail.outbox] == [
        f"Your request {request.reference} has been processed"
    ]
    assert "Global Privacy Control" in mail.outbox[0].body
    page = client.get(services.status_url(request).replace("http://testserver", ""))
    assert page.status_code == 200
    assert b"Global Privacy Control signal as a request" in page.content
    assert b"opt-out was processed" in page.content

    # The signal comes with every page view: still one request.
    again = services.opt_out_request_from_gpc(contact=contact)
    assert again.pk == request.pk
    assert PrivacyRequest.objects.filter(channel=Channel.GPC).count() == 1
    assert len(mail.outbox) == 1


def test_no_gpc_request_for_an_erased_contact():
    contact = ContactFactory()
    contact_erase(actor=None, contact=contact)
    assert services.opt_out_request_from_gpc(contact=contact) is None
    assert not PrivacyRequest.objects.exists()


# --- California Shine the Light (Civ. Code §1798.83) -------------------------------------------


def test_shine_the_light_is_answered_within_its_rule_once_a_calendar_year(
    django_capture_on_commit_callbacks,
):
    DataCategory.objects.update(sold_or_shared=False)
    shared = DataCategory.objects.order_by("code").first()
    DataCategory.objects.filter(pk=shared.pk).update(
        sold_or_shared=True, recipients="Partner Marketing Inc., 1 Main St, Springfield"
    )
    request = _submit(
        django_capture_on_commit_callbacks,
        request_type=RequestType.SHINE_THE_LIGHT,
        email="stl@example.org",
    )
    assert request.rule_code == "ca_shine_the_light"
    received = timezone.localdate(request.received_at)
    assert request.due_on == received + dt.timedelta(days=30)
    assert request.status == Status.COMPLETED
    [answer] = [m for m in mail.outbox if "direct marketing" in m.subject]
    assert f"In {received.year - 1} we disclosed" in answer.body
    assert "Partner Marketing Inc., 1 Main St, Springfield" in answer.body

    # A second request the same calendar year is over the limit: staff decide.
    second = _submit(
        django_capture_on_commit_callbacks,
        request_type=RequestType.SHINE_THE_LIGHT,
        email="stl@example.org",
    )
    assert second.over_limit and second.status == Status.IN_PROGRESS


def test_shine_the_light_counts_per_calendar_year_not_a_rolling_year():
    from requests_app.services.intake import _over_limit
    from requests_app.tests.factories import PrivacyRequestFactory

    december = timezone.make_aware(dt.datetime(2025, 12, 20, 12))
    PrivacyRequestFactory(
        request_type=RequestType.SHINE_THE_LIGHT,
        rule_code="ca_shine_the_light",
        email="stl@example.org",
        status=Status.COMPLETED,
        received_at=december,
    )
    from django.db.models import Q

    identity = Q(email_key="stl@example.org")
    assert _over_limit(
        "shine_the_light", "ca_shine_the_light", identity, december + dt.timedelta(days=3)
    )
    # A new calendar year, although fewer than 365 days later.
    assert not _over_limit(
        "shine_the_light", "ca_shine_the_light", identity, december + dt.timedelta(days=15)
    )
    # Shine the Light requests do not count against the CCPA's access limit, nor the reverse.
    assert not _over_limit("access", "ccpa", identity, december + dt.timedelta(days=3))


def test_the_answer_says_so_when_nothing_was_disclosed(django_capture_on_commit_callbacks):
    DataCategory.objects.update(sold_or_shared=False)
    _submit(
        django_capture_on_commit_callbacks,
        request_type=RequestType.SHINE_THE_LIGHT,
        email="stl2@example.org",
    )
    [answer] = [m for m in mail.outbox if "direct marketing" in m.subject]
    assert "we did not disclose personal information to third parties" in answer.body


# --- instructions after death (France, Loi n° 78-17 art. 85) --------------------------------


def test_instructions_after_death_are_recorded_verified_and_acknowledged_by_staff(
    client, django_capture_on_commit_callbacks
):
    officer = UserFactory(role="Privacy officer")
    response = client.post(
        reverse("requests_app:request_form"),
        {
            "request_type": RequestType.POST_MORTEM,
            "country": "FR",
            "full_name": "Camille Martin",
            "email": "camille@example.fr",
            "details": "Please erase everything, but first give my messages to my sister.",
            "post_mortem_wishes": PostMortemInstructions.Wishes.COMMUNICATE,
            "trusted_person_name": "Claire Martin",
            "trusted_person_contact": "claire@example.fr",
        },
    )
    assert response.status_code == 302
    request = PrivacyRequest.objects.get()
    assert (request.request_type, request.rule_code) == (RequestType.POST_MORTEM, "gdpr")
    instructions = request.post_mortem
    assert instructions.wishes == "communicate"
    assert (instructions.trusted_person_name, instructions.trusted_person_contact) == (
        "Claire Martin",
        "claire@example.fr",
    )
    # Verified like any request before staff act.
    with pytest.raises(ValidationError, match="verified"):
        services.post_mortem_instructions_acknowledge(actor=officer, request=request)
    [verify] = links_in_mail("verify")
    client.post(verify)
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS  # no automatic completion: staff acknowledge

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_mortem_instructions_acknowledge(actor=officer, request=request)
    request.refresh_from_db()
    instructions.refresh_from_db()
    assert request.status == Status.COMPLETED
    assert instructions.acknowledged_by == officer and instructions.acknowledged_at
    [notice] = mail.outbox
    assert "registered your instructions" in notice.body and "Claire Martin" in notice.body
    assert AuditEvent.objects.filter(action="privacy_request.post_mortem_acknowledged").exists()


def test_newer_instructions_supersede_older_ones_and_erasure_empties_the_named_person(
    django_capture_on_commit_callbacks,
):
    officer = UserFactory(role="Privacy officer")
    contact = ContactFactory(email="camille@example.fr", customer=None, country="FR")
    first = _verify(
        django_capture_on_commit_callbacks,
        _submit(
            django_capture_on_commit_callbacks,
            request_type=RequestType.POST_MORTEM,
            country="FR",
            state="",
            email="camille@example.fr",
        ),
    )
    services.post_mortem_instructions_record(
        actor=None, request=first, wishes="erase", trusted_person_name="Claire Martin"
    )
    services.post_mortem_instructions_acknowledge(actor=officer, request=first)
    second = _verify(
        django_capture_on_commit_callbacks,
        _submit(
            django_capture_on_commit_callbacks,
            request_type=RequestType.POST_MORTEM,
            country="FR",
            state="",
            email="camille@example.fr",
        ),
    )
    services.post_mortem_instructions_acknowledge(actor=officer, request=second)
    first.post_mortem.refresh_from_db()
    assert first.post_mortem.superseded_at is not None
    assert second.post_mortem.superseded_at is None

    contact_erase(actor=None, contact=contact)
    first.post_mortem.refresh_from_db()
    assert first.post_mortem.trusted_person_name is None


def test_a_bad_trusted_contact_is_refused_with_the_field():
    from requests_app.tests.factories import PrivacyRequestFactory

    request = PrivacyRequestFactory(
        request_type=RequestType.POST_MORTEM, rule_code="gdpr", country="FR"
    )
    with pytest.raises(ValidationError) as refused:
        services.post_mortem_instructions_record(
            actor=None, request=request, trusted_person_contact="not an address"
        )
    assert "trusted_person_contact" in refused.value.message_dict


# --- portability to another organisation ------------------------------------------------------


@pytest.fixture
def ready_portability(django_capture_on_commit_callbacks):
    contact = ContactFactory(email="porta@example.org", customer=None)
    InteractionFactory(contact=contact)
    request = _verify(
        django_capture_on_commit_callbacks,
        _submit(
            django_capture_on_commit_callbacks,
            request_type=RequestType.PORTABILITY,
            email="porta@example.org",
        ),
    )
    assert request.packages.get().state == "ready"
    mail.outbox.clear()
    return request


def test_the_package_goes_to_a_recipient_only_after_it_proves_control_of_its_address(
    client, ready_portability
):
    request = ready_portability
    status = services.status_url(request).replace("http://testserver", "")
    page = client.get(status)
    assert b"Send your data to another organisation" in page.content
    response = client.post(
        status,
        {"recipient_name": "New Provider Ltd", "recipient_email": "Intake@NewProvider.example"},
    )
    assert response.status_code == 302
    transfer = PackageTransfer.objects.get()
    assert transfer.state == PackageTransfer.State.AWAITING_RECIPIENT
    [to_recipient] = mail.outbox
    assert to_recipient.to == ["Intake@newprovider.example"]
    assert "porta@example.org" not in to_recipient.body
    # Nothing downloadable yet, and the link needs a POST (mail scanners only GET).
    confirm = _confirm_link()
    assert client.get(confirm).status_code == 200
    transfer.refresh_from_db()
    assert transfer.state == PackageTransfer.State.AWAITING_RECIPIENT

    mail.outbox.clear()
    assert client.post(confirm).status_code == 200
    transfer.refresh_from_db()
    assert transfer.state == PackageTransfer.State.SENT and transfer.confirmed_at
    by_recipient = {tuple(m.to): m for m in mail.outbox}
    download = by_recipient[("Intake@newprovider.example",)]
    assert "New Provider Ltd" in by_recipient[("porta@example.org",)].body
    [path] = re.findall(
        r"http://testserver(/privacy/transfer/download/[A-Za-z0-9_\-]+/)", download.body
    )
    got = client.get(path)
    assert got.status_code == 200 and got["Content-Type"] == "application/zip"
    transfer.refresh_from_db()
    assert transfer.download_count == 1
    # The confirmation link worked once.
    assert client.post(confirm).status_code == 410
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "privacy_request.transfer_started",
        "privacy_request.transfer_confirmed",
        "privacy_request.transfer_downloaded",
    } <= actions
    for event in AuditEvent.objects.filter(action__startswith="privacy_request.transfer"):
        assert "newprovider" not in str(event.summary).lower()


def test_a_transfer_is_refused_before_verification_and_to_ones_own_address(ready_portability):
    with pytest.raises(ValidationError, match="own address"):
        services.package_transfer_start(
            actor=None,
            request=ready_portability,
            recipient_name="Me",
            recipient_email="porta@example.org",
        )
    from requests_app.tests.factories import PrivacyRequestFactory

    unverified = PrivacyRequestFactory(request_type=RequestType.PORTABILITY)
    with pytest.raises(ValidationError, match="verified"):
        services.package_transfer_start(
            actor=None, request=unverified, recipient_name="X", recipient_email="x@example.org"
        )


def test_an_expired_confirmation_link_sends_nothing(
    ready_portability, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.package_transfer_start(
            actor=None,
            request=ready_portability,
            recipient_name="New Provider Ltd",
            recipient_email="intake@newprovider.example",
        )
    secret = _confirm_link().rstrip("/").rsplit("/", 1)[-1]
    with pytest.raises(ValidationError):
        services.package_transfer_confirm(secret=secret, now=timezone.now() + dt.timedelta(days=4))
    assert PackageTransfer.objects.get().state == PackageTransfer.State.AWAITING_RECIPIENT


# --- the confirmation before a deletion runs --------------------------------------------------


def test_the_person_is_told_what_will_be_erased_before_the_deletion_runs(
    django_capture_on_commit_callbacks, settings
):
    settings.REQUESTS_ERASURE_GRACE_DAYS = 7
    officer = UserFactory(role="Privacy officer")
    contact = ContactFactory(email="gone@example.org", customer=None)
    InteractionFactory.create_batch(2, contact=contact, channel="sms")
    InteractionFactory(contact=contact, channel="call")
    request = _verify(
        django_capture_on_commit_callbacks,
        _submit(
            django_capture_on_commit_callbacks,
            request_type=RequestType.DELETION,
            email="gone@example.org",
        ),
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        [erasure] = services.erasure_schedule(actor=officer, request=request)
    [notice] = mail.outbox
    run_on = timezone.localdate(erasure.scheduled_for)
    assert (
        notice.subject
        == f"Your deletion request {request.reference}: what we will erase on {run_on}"
    )
    assert "Communications: 2 interactions" in notice.body
    assert "Profile and identifiers" in notice.body
    assert "interaction (call) (1): Call activity records" in notice.body
    assert Contact.objects.get(pk=contact.pk).erased_at is None  # told before, not after
    assert any("what will be erased" in m for m in _public(request))
