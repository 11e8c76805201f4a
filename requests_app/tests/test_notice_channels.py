"""Notices reach people on the channel they gave, through one sender and one guard
(issues 8.3, 12.2, 8.2): e-mail, or a short SMS through the consent app's gateway for
phone-only requesters; the suppression list and opt-outs are asked first."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from consent import sms as consent_sms
from privacy.services import suppressions_add
from requests_app import services
from requests_app.models import (
    NoticeDelivery,
    NoticeTemplate,
    PrivacyRequest,
    RequestEvent,
    Status,
    VerificationChallenge,
)
from requests_app.tests.factories import PrivacyRequestFactory
from requests_app.tokens import token_hash
from tests.silent_smtp import silent_smtp  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

FORM = reverse("requests_app:request_form")
OUR_NUMBER = "+13125550199"  # REQUESTS_SMS_FROM_NUMBER in requests_app/tests/conftest.py


def form_data(**overrides):
    data = {
        "request_type": "access",
        "country": "US",
        "state": "CA",
        "full_name": "Pia Phoneonly",
        "email": "",
        "phone": "(415) 555-0134",
        "details": "",
        "website": "",
    }
    data.update(overrides)
    return data


def notes(request: PrivacyRequest) -> list[str]:
    return list(request.events.order_by("pk").values_list("note", flat=True))


def test_a_phone_only_requester_gets_the_receipt_by_sms_from_our_number(client):
    client.post(FORM, form_data())
    request = PrivacyRequest.objects.get()
    receipt, code = consent_sms.outbox
    assert (receipt.to, receipt.sender) == ("+14155550134", OUR_NUMBER)
    assert request.reference in receipt.body
    assert services.status_url(request) in receipt.body
    assert "Pia" not in receipt.body and len(receipt.body) < 320  # short, no name
    assert re.search(r"\b\d{6}\b", code.body)  # then the verification code
    assert mail.outbox == []
    # Acknowledged: the receipt actually left.
    assert request.acknowledged_at is not None
    # The timeline keeps the code and the channel, not the rendered text.
    assert "Notice “receipt” sent (text message)." in notes(request)
    assert not any(request.reference in n for n in notes(request) if "receipt" in n)


def test_with_both_an_address_and_a_number_notices_go_by_e_mail(client):
    client.post(FORM, form_data(email="pia@example.org"))
    assert consent_sms.outbox == []
    assert [m.to for m in mail.outbox] == [["pia@example.org"], ["pia@example.org"]]


def test_a_denial_reaches_a_phone_only_requester_with_the_appeal_link(
    django_capture_on_commit_callbacks,
):
    request = PrivacyRequestFactory(
        email=None,
        email_key=None,
        phone="+14155550177",
        status="in_progress",
        rule_code="vcdpa",  # Virginia: the person may appeal
        state="VA",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_deny(actor=None, request=request, reason="unverified")
    [text] = consent_sms.outbox
    assert text.to == "+14155550177"
    token = services.status_token(request)
    assert reverse("requests_app:appeal", args=[token]) in text.body
    assert "Notice “denial” sent (text message)." in notes(request)


def test_staff_edited_sms_text_is_used(django_capture_on_commit_callbacks):
    NoticeTemplate.objects.filter(code="extension").update(
        sms_body="More time for {{ reference }} until {{ extended_due_on|date:'Y-m-d' }}."
    )
    request = PrivacyRequestFactory(
        email=None, email_key=None, phone="+14155550178", status="in_progress"
    )
    with django_capture_on_commit_callbacks(execute=True):
        request = services.privacy_request_extend(actor=None, request=request, reason="Many files")
    [text] = consent_sms.outbox
    assert text.body == f"More time for {request.reference} until {request.extended_due_on}."


def test_the_data_migration_fills_empty_sms_texts_and_keeps_staff_edits():
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "requests_app.migrations.0011_notice_deliveries_and_sms_texts"
    )
    NoticeTemplate.objects.filter(code="receipt").update(sms_body="")
    NoticeTemplate.objects.filter(code="denial").update(sms_body="Ours: {{ status_url }}")
    migration.sms_texts_fill(apps, None)
    assert NoticeTemplate.objects.get(code="receipt").sms_body == migration.SMS_TEXTS["receipt"]
    assert NoticeTemplate.objects.get(code="denial").sms_body == "Ours: {{ status_url }}"


# --- the guard ------------------------------------------------------------------------------


def test_a_suppressed_number_gets_no_verification_code_and_is_told_e_mail_works(client):
    suppressions_add(identifiers=[("phone", "+14155550134")], customer=None)
    response = client.post(FORM, form_data())
    assert response.status_code == 302
    request = PrivacyRequest.objects.get()
    assert consent_sms.outbox == []
    assert not NoticeDelivery.objects.exists()
    blocked = request.events.filter(note__contains="not sent (text message)")
    assert {n.split(":")[0] for n in blocked.values_list("note", flat=True)} == {
        "Notice “receipt” not sent (text message)",
        "Notice “verification_sms” not sent (text message)",
    }
    assert all("suppression list" in n for n in blocked.values_list("note", flat=True))
    assert all("5550134" not in n for n in notes(request))  # never the identifier
    # The person sees that e-mail still works.
    public = request.events.filter(person_facing=True).values_list("public_message", flat=True)
    assert any("by e-mail" in m for m in public)
    assert request.acknowledged_at is None  # nothing left: not acknowledged


def test_a_suppressed_address_gets_no_notice(django_capture_on_commit_callbacks):
    suppressions_add(identifiers=[("email", "gone@example.org")], customer=None)
    request = PrivacyRequestFactory(email="gone@example.org", status="in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        services.privacy_request_extend(actor=None, request=request, reason="Many files")
    assert mail.outbox == []
    assert (
        "Notice “extension” not sent (e-mail): the address or number is on the suppression list."
        in notes(request)
    )


def test_a_suppression_after_queueing_still_stops_the_notice(django_capture_on_commit_callbacks):
    """The task asks the guard again: an erasure or STOP may come between queue and send."""
    request = PrivacyRequestFactory(email="late@example.org", status="in_progress")
    services.privacy_request_extend(actor=None, request=request, reason="Many files")
    suppressions_add(identifiers=[("email", "late@example.org")], customer=None)
    delivery = NoticeDelivery.objects.get()
    from requests_app.tasks import notice_deliver

    notice_deliver.apply(args=[delivery.pk])
    delivery.refresh_from_db()
    assert mail.outbox == []
    assert delivery.sent_at is None and delivery.given_up_at is not None
    assert (delivery.recipient, delivery.context) == ("", {})


# --- secrets are minted by the task, never stored ------------------------------------------


def test_the_verification_link_is_minted_by_the_task_and_never_stored(client):
    from privacy.models import OutboxTask

    client.post(FORM, form_data(phone="", email="vera@example.org"))
    [link] = re.findall(r"/privacy/verify/([^/\s]+)/", mail.outbox[-1].body)
    challenge = VerificationChallenge.objects.get()
    assert challenge.secret_hash == token_hash(link)
    delivery = NoticeDelivery.objects.get(code="verification_email")
    assert delivery.context == {} and delivery.recipient == ""  # cleared once sent
    stored = " ".join(str(r.args) for r in OutboxTask.objects.all())
    assert link not in stored
    assert not RequestEvent.objects.filter(note__contains=link).exists()


def test_the_sms_code_is_minted_by_the_task(client):
    client.post(FORM, form_data())
    code = re.search(r"\b(\d{6})\b", consent_sms.outbox[-1].body).group(1)
    delivery = NoticeDelivery.objects.get(code="verification_sms")
    assert code not in str(delivery.context)
    response = client.post(
        reverse("requests_app:verify_code"), {"country": "US", "phone": "4155550134", "code": code}
    )
    assert response.status_code == 302


# --- a mail server that never answers (issue 11) --------------------------------------------


@pytest.mark.usefixtures("silent_smtp")
def test_a_silent_mail_server_neither_holds_the_visitor_nor_marks_the_request_acknowledged(
    client, celery_conf, settings
):
    from requests_app.services.notice_delivery import NoticeNotSent, notice_delivery_send
    from requests_app.tasks import notice_deliver

    celery_conf(task_always_eager=False)  # a worker, not the web process, sends mail
    response = client.post(FORM, form_data(phone="", email="sam@example.org"))

    assert response.status_code == 302  # the visitor's page, whatever the mail server does
    request = PrivacyRequest.objects.get()
    assert request.acknowledged_at is None
    receipt = NoticeDelivery.objects.get(code="receipt")
    assert receipt.sent_at is None

    # The worker's first attempt times out: counted, nothing marked sent or acknowledged.
    with pytest.raises(NoticeNotSent):
        notice_delivery_send(delivery_id=receipt.pk)
    receipt.refresh_from_db()
    assert (receipt.attempts, receipt.sent_at) == (1, None)
    assert receipt.last_error in {"TimeoutError", "SMTPServerDisconnected"}
    request.refresh_from_db()
    assert request.acknowledged_at is None
    assert "Notice “receipt” sent (e-mail)." not in notes(request)

    # The mail server works again: the retry sends it and only now acknowledges.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notice_deliver.apply(args=[receipt.pk])
    receipt.refresh_from_db()
    request.refresh_from_db()
    assert receipt.sent_at is not None and receipt.attempts == 2
    assert request.acknowledged_at == receipt.sent_at
    assert [m.to for m in mail.outbox] == [["sam@example.org"]]
    assert "Acknowledged: the receipt notice was sent." in notes(request)


@pytest.mark.usefixtures("silent_smtp")
def test_after_the_last_retry_staff_are_told_the_notice_was_not_sent(settings):
    from requests_app.tasks import notice_deliver

    settings.REQUESTS_NOTICE_MAX_RETRIES = 1
    request = PrivacyRequestFactory(email="tess@example.org", status="in_progress")
    services.privacy_request_extend(actor=None, request=request, reason="Many files")
    delivery = NoticeDelivery.objects.get()

    # The first try fails, its one retry (Celery runs it inline here) too; then no more.
    notice_deliver.apply(args=[delivery.pk], throw=False)

    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.sent_at is None
    assert delivery.given_up_at is not None
    assert (delivery.recipient, delivery.context) == ("", {})  # nothing kept
    [failed] = [n for n in notes(request) if "NOT sent" in n]
    assert failed.startswith("Notice “extension” NOT sent (e-mail): 2 attempts failed")
    assert "tess" not in failed


# --- a STOP texted to our own requests number -----------------------------------------------


def _text_our_number(body: str, sid: str):
    from consent.services import sms_inbound_handle

    return sms_inbound_handle(
        message_sid=sid,
        account_sid="AC-test",
        from_number="+14155550134",
        to_number=OUR_NUMBER,
        body=body,
    )


def test_a_stop_to_our_requests_number_stops_verification_codes_and_notices(client):
    result = _text_our_number("Stop", "SM-own-1")
    assert result.outcome == "opted_out_own_number"
    assert "no more texts" in result.reply  # the one confirmation

    client.post(FORM, form_data())

    assert consent_sms.outbox == []
    request = PrivacyRequest.objects.get()
    assert any("the number texted STOP" in n for n in notes(request))
    public = request.events.filter(person_facing=True).values_list("public_message", flat=True)
    assert any("by e-mail" in m for m in public)


def test_a_stop_to_our_number_leaves_a_customers_texts_alone():
    from consent.selectors import outbound_block_reason
    from consent.tests.factories import SenderNumberFactory

    customer_sender = SenderNumberFactory()
    _text_our_number("STOP", "SM-own-2")
    ours = outbound_block_reason(
        channel="sms", to="+14155550134", customer_id=None, sender=OUR_NUMBER
    )
    theirs = outbound_block_reason(
        channel="sms",
        to="+14155550134",
        customer_id=customer_sender.customer_id,
        sender=customer_sender.number,
    )
    assert (ours, theirs) == ("opted_out", None)


def test_start_to_our_number_lets_texts_through_again(client):
    _text_our_number("STOP", "SM-own-3")
    assert _text_our_number("START", "SM-own-4").outcome == "rejoined_own_number"
    client.post(FORM, form_data())
    assert [m.to for m in consent_sms.outbox] == ["+14155550134", "+14155550134"]


def test_the_thank_you_page_offers_e_mail_for_a_phone_only_request_whatever_happened(client):
    """The same words whether the number is blocked or not: the page must not tell
    whoever typed a number that it texted STOP or was erased."""
    suppressions_add(identifiers=[("phone", "+14155550135")], customer=None)
    pages = []
    for phone in ("(415) 555-0134", "(415) 555-0135"):  # texted; refused
        client.post(FORM, form_data(phone=phone))
        pages.append(client.get(reverse("requests_app:submitted")).content.decode())
    assert [m.to for m in consent_sms.outbox] == ["+14155550134", "+14155550134"]
    assert all("e-mail address instead" in page for page in pages)


def test_the_deploy_check_warns_when_our_sms_number_is_missing(settings):
    from requests_app.checks import sms_from_number_check

    settings.REQUESTS_SMS_FROM_NUMBER = ""
    assert [m.id for m in sms_from_number_check()] == ["requests_app.W002"]
    settings.REQUESTS_SMS_FROM_NUMBER = OUR_NUMBER
    assert sms_from_number_check() == []


def test_a_link_used_before_its_notice_left_is_not_sent(django_capture_on_commit_callbacks):
    """A queued verification whose challenge was used (or expired) meanwhile sends
    nothing, and staff see why."""
    request = PrivacyRequestFactory(email="ula@example.org")
    challenge = services.verification_challenge_issue(request=request)
    VerificationChallenge.objects.filter(pk=challenge.pk).update(used_at=challenge.created_at)
    from requests_app.tasks import notice_deliver

    notice_deliver.apply(args=[NoticeDelivery.objects.get(code="verification_email").pk])
    assert mail.outbox == []
    assert any("used or had expired" in n for n in notes(request))


def test_a_number_suppressed_at_a_customer_gets_none_of_our_texts(client):
    """An erased person who had opted out of a customer's texts files a request with only
    that number: neither the receipt nor the code is texted to it (DESIGN.md: every
    outbound path consults the suppression list, so an erased person is never
    re-contacted); the timeline says why, without the number."""
    from consent.tests.factories import CustomerFactory

    suppressions_add(identifiers=[("phone", "+14155550134")], customer=CustomerFactory())
    client.post(FORM, form_data())
    request = PrivacyRequest.objects.get()
    assert consent_sms.outbox == []
    assert any("suppression list" in note for note in notes(request))
    assert not any("555" in note for note in notes(request))


@pytest.mark.parametrize(
    ("method", "queued"),
    [("email_link", True), ("id_document", False), ("sms_code", False)],
)
def test_only_a_request_proven_through_the_address_is_answered_past_its_suppression(method, queued):
    """The person proved the address (the link mailed to it): the answer goes although
    the address is suppressed (their erasure did that). Verified some other way — staff
    checked an ID, a code texted to a number — the suppressed address gets nothing."""
    from django.utils import timezone

    from consent.tests.factories import CustomerFactory

    request = PrivacyRequestFactory(
        email="proof@example.org",
        status=Status.VERIFIED,
        verified_at=timezone.now(),
        verification_method=method,
    )
    suppressions_add(identifiers=[("email", "proof@example.org")], customer=CustomerFactory())
    delivery = services.notice_send(request=request, code="extension", extra={"reason": "x"})
    assert (delivery is not None) is queued
