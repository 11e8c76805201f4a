"""The public request form and verification: CSRF, honeypot, rate limits, no
enumeration, duplicate linking, agent uploads, single-use expiring links, SMS codes."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.files.storage import storages
from django.test import Client
from django.urls import reverse

from consent import sms as consent_sms
from privacy.tests.factories import ContactFactory
from requests_app import services
from requests_app.models import (
    PrivacyRequest,
    RequestEvent,
    Status,
    Submission,
    VerificationChallenge,
)
from requests_app.tests.helpers import links_in_mail

pytestmark = pytest.mark.django_db

FORM = reverse("requests_app:request_form")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def form_data(**overrides):
    data = {
        "request_type": "access",
        "country": "US",
        "state": "CA",
        "full_name": "Alex Example",
        "email": "alex@example.org",
        "phone": "",
        "details": "",
        "website": "",
    }
    data.update(overrides)
    return data


def test_form_labels_every_field_and_works_without_javascript(client):
    response = client.get(FORM)
    html = response.content.decode()
    assert response.status_code == 200
    for field_id in (
        "id_country",
        "id_state",
        "id_full_name",
        "id_email",
        "id_phone",
        "id_details",
        "id_is_agent",
        "id_agent_name",
        "id_agent_email",
        "id_agent_proof",
        "id_website",
    ):
        assert f'for="{field_id}"' in html, field_id
    assert "<script" not in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_form_requires_csrf():
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(FORM, form_data())
    assert response.status_code == 403
    assert not PrivacyRequest.objects.exists()


def test_submission_records_request_acknowledges_and_sends_verification_link(client):
    response = client.post(FORM, form_data(email="  Alex@EXAMPLE.org "))
    assert response.status_code == 302
    request = PrivacyRequest.objects.get()
    assert request.email == "Alex@example.org"  # normalised: domain lower-cased
    assert request.email_key == "alex@example.org"
    assert request.status == Status.AWAITING_VERIFICATION
    assert request.rule_code == "ccpa"
    assert request.acknowledged_at is not None
    subjects = [m.subject for m in mail.outbox]
    assert any("received your privacy request" in s for s in subjects)
    assert len(links_in_mail("verify")) == 1
    # The token is not stored in plain form.
    token = links_in_mail("verify")[0].split("/")[-2]
    assert not VerificationChallenge.objects.filter(secret_hash=token).exists()


def test_honeypot_looks_like_success_but_keeps_nothing(client):
    response = client.post(FORM, form_data(website="http://spam.example"), follow=True)
    assert response.status_code == 200
    assert "we received your request" in response.content.decode()
    assert not PrivacyRequest.objects.exists()
    assert mail.outbox == []


def test_no_enumeration_known_and_unknown_person_get_identical_pages(client):
    ContactFactory(email="known@example.org", customer=None)
    known = client.post(FORM, form_data(email="known@example.org"), follow=True)
    unknown = client.post(FORM, form_data(email="nobody@example.org"), follow=True)
    assert known.status_code == unknown.status_code == 200
    # Each sending gets its own reference, of the same form whoever sent it.
    reference = re.compile(rb"SR-[A-Z0-9]{4}-[A-Z0-9]{4}")
    assert reference.search(known.content) and reference.search(unknown.content)
    assert reference.sub(b"SR-REF", known.content) == reference.sub(b"SR-REF", unknown.content)
    assert known.redirect_chain == unknown.redirect_chain
    # And the same number and kind of messages went to each.
    per_address = {}
    for message in mail.outbox:
        per_address.setdefault(message.to[0], []).append(re.sub(r"PR-\S+", "", message.subject))
    assert per_address["known@example.org"] == per_address["nobody@example.org"]


def test_duplicate_open_request_is_linked_not_multiplied(client):
    client.post(FORM, form_data())
    client.post(FORM, form_data(email="ALEX@example.org"))
    request = PrivacyRequest.objects.get()
    assert request.duplicate_count == 1
    assert RequestEvent.objects.filter(request=request, kind="duplicate").count() == 1
    # Sent again at once: no second link (one re-send per window, test_resubmission.py),
    # and the first one still works.
    [first] = links_in_mail("verify")
    assert client.post(first).status_code == 302
    # A different type is a different request.
    client.post(FORM, form_data(request_type="deletion"))
    assert PrivacyRequest.objects.count() == 2


def test_rate_limit_per_identifier_gives_a_clear_429(client, settings):
    settings.REQUESTS_RATE_LIMIT_PER_IDENTIFIER = "2/3600"
    types = ["access", "deletion", "correction"]
    responses = [client.post(FORM, form_data(request_type=t)) for t in types]
    assert [r.status_code for r in responses] == [302, 302, 429]
    assert "Too many requests" in responses[-1].content.decode()
    assert PrivacyRequest.objects.count() == 2


def test_rate_limit_per_ip(client, settings):
    settings.REQUESTS_RATE_LIMIT_PER_IP = "3/3600"
    codes = [client.post(FORM, form_data(email=f"p{i}@example.org")).status_code for i in range(4)]
    assert codes == [302, 302, 302, 429]


def test_invalid_identifier_is_rejected_with_a_clear_message(client):
    response = client.post(FORM, form_data(email="", phone="12"))
    assert response.status_code == 200
    assert "Not a valid phone number" in response.content.decode()
    assert not PrivacyRequest.objects.exists()


def agent_data(upload, **overrides):
    return form_data(
        is_agent="on",
        agent_name="Agent Smith",
        agent_email="agent@agency.example",
        agent_proof=upload,
        **overrides,
    )


def test_agent_proof_is_sniffed_and_stored_privately(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("consent of Alex.pdf", PDF, content_type="application/pdf")
    assert client.post(FORM, agent_data(upload)).status_code == 302
    request = PrivacyRequest.objects.get()
    assert request.is_agent_request
    assert request.agent_proof.name.endswith(".pdf")
    assert "Alex" not in request.agent_proof.name  # the original name is not kept
    assert storages["private"].exists(request.agent_proof.name)
    # Outside MEDIA_ROOT and served by no URL.
    from django.conf import settings

    assert not request.agent_proof.path.startswith(str(settings.MEDIA_ROOT))
    assert client.get("/" + request.agent_proof.name).status_code == 404
    assert client.get("/media/" + request.agent_proof.name).status_code == 404
    # Notices go to the agent who asked.
    assert any(m.to == ["agent@agency.example"] for m in mail.outbox)


def test_agent_proof_with_a_fake_type_is_refused(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile(
        "permission.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    response = client.post(FORM, agent_data(fake))
    assert response.status_code == 200
    assert "Upload a PDF, PNG or JPEG file" in response.content.decode()
    assert not PrivacyRequest.objects.exists()


def test_agent_proof_over_the_size_limit_is_refused(client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.REQUESTS_AGENT_PROOF_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"0" * (1024 * 1024 + 1))
    response = client.post(FORM, agent_data(big))
    assert "too large" in response.content.decode()
    assert not PrivacyRequest.objects.exists()


def test_verification_link_is_single_use(client):
    client.post(FORM, form_data())
    link = links_in_mail("verify")[0]
    assert client.get(link).status_code == 200  # shows a button; does not use the link
    response = client.post(link)
    assert response.status_code == 302
    assert response["Location"].startswith("/privacy/status/")
    request = PrivacyRequest.objects.get()
    assert request.verification_method == "email_link"
    assert request.status != Status.AWAITING_VERIFICATION
    assert client.post(link).status_code == 410
    assert client.get(link).status_code == 410


def test_verification_link_expires(client, settings):
    client.post(FORM, form_data())
    link = links_in_mail("verify")[0]
    VerificationChallenge.objects.update(
        expires_at=PrivacyRequest.objects.get().received_at - dt.timedelta(seconds=1)
    )
    assert client.post(link).status_code == 410
    assert PrivacyRequest.objects.get().status == Status.AWAITING_VERIFICATION


def test_phone_only_request_is_verified_by_sms_code(client):
    client.post(FORM, form_data(email="", phone="(415) 555-0134"))
    request = PrivacyRequest.objects.get()
    assert request.phone == "+14155550134"
    assert len([m for m in consent_sms.outbox if "code" in m.body]) == 1
    code = re.search(r"\b(\d{6})\b", consent_sms.outbox[-1].body).group(1)
    url = reverse("requests_app:verify_code")
    wrong = "000000" if code != "000000" else "111111"
    us = {"country": "US"}
    assert (
        "not valid"
        in client.post(url, {**us, "phone": "4155550134", "code": wrong}).content.decode()
    )
    response = client.post(url, {**us, "phone": "+1 415 555 0134", "code": code})
    assert response.status_code == 302
    assert PrivacyRequest.objects.get().verification_method == "sms_code"
    # Single use.
    assert (
        "not valid"
        in client.post(url, {**us, "phone": "4155550134", "code": code}).content.decode()
    )


def test_sms_code_for_a_national_number_outside_the_us(client):
    """A UK requester types the number the way they did on the form, nationally."""
    client.post(FORM, form_data(email="", phone="020 7946 0958", country="GB", state=""))
    request = PrivacyRequest.objects.get()
    assert request.phone == "+442079460958"
    code = re.search(r"\b(\d{6})\b", consent_sms.outbox[-1].body).group(1)
    url = reverse("requests_app:verify_code")
    response = client.post(url, {"country": "GB", "phone": "020 7946 0958", "code": code})
    assert response.status_code == 302
    assert PrivacyRequest.objects.get().verification_method == "sms_code"


def test_opt_out_of_sale_needs_no_verification(client):
    contact = ContactFactory(email="optout@example.org", customer=None)
    client.post(FORM, form_data(request_type="opt_out_sale", email="optout@example.org"))
    request = PrivacyRequest.objects.get()
    assert request.rule_code == "ccpa_opt_out"
    assert request.verification_method == "not_required"
    assert links_in_mail("verify") == []
    # Applied through the consent app at once, and the request completed.
    assert request.status == Status.COMPLETED
    from consent.models import ConsentEvent

    assert ConsentEvent.objects.filter(contact=contact, purpose__code="sale_sharing").exists()


def test_status_page_shows_state_due_date_and_only_person_facing_timeline(client):
    client.post(FORM, form_data())
    response = client.post(links_in_mail("verify")[0], follow=True)
    html = response.content.decode()
    request = PrivacyRequest.objects.get()
    assert request.reference in html
    assert "We received your request." in html
    assert "Notice “" not in html  # staff notes stay in admin
    assert response.redirect_chain[-1][0].startswith("/privacy/status/")
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert client.get("/privacy/status/not-a-token/").status_code == 404


def test_verification_code_goes_through_the_consent_gateway_from_our_number(client):
    """The one SMS path: the consent app's gateway (Twilio in production), from our
    configured requests number."""
    client.post(FORM, form_data(email="", phone="(415) 555-0134"))
    codes = [m for m in consent_sms.outbox if "code is" in m.body]
    assert [(m.to, m.sender) for m in codes] == [("+14155550134", "+13125550199")]


def test_rate_limit_counts_the_client_behind_a_trusted_proxy(client, settings):
    """Behind the configured proxy each visitor has a limit of their own: keyed on the
    address the proxy saw, not on the proxy's."""
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.REQUESTS_RATE_LIMIT_PER_IP = "2/3600"

    def post(visitor: str, n: int) -> int:
        return client.post(
            FORM,
            form_data(email=f"v{n}@example.org"),
            REMOTE_ADDR="10.0.0.5",
            HTTP_X_FORWARDED_FOR=visitor,
        ).status_code

    assert [post("198.51.100.1", n) for n in range(3)] == [302, 302, 429]
    assert post("198.51.100.2", 9) == 302


def test_rate_limit_ignores_a_forwarded_for_header_from_anyone_else(client, settings):
    """Without a trusted proxy in between, X-Forwarded-For is the sender's own claim:
    changing it on every post gets no fresh limit."""
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.REQUESTS_RATE_LIMIT_PER_IP = "2/3600"
    codes = [
        client.post(
            FORM,
            form_data(email=f"s{n}@example.org"),
            REMOTE_ADDR="203.0.113.50",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        ).status_code
        for n in range(3)
    ]
    assert codes == [302, 302, 429]


def test_two_types_in_one_submission_are_two_requests_verified_by_one_link(client):
    response = client.post(
        FORM, form_data(request_type=["access", "deletion"], country="DE", state=""), follow=True
    )
    body = response.content.decode()
    access, deletion = PrivacyRequest.objects.order_by("request_type")
    assert (access.request_type, deletion.request_type) == ("access", "deletion")
    assert access.rule_code == deletion.rule_code == "gdpr"
    assert {access.due_on, deletion.due_on} == {access.due_on}  # each its own row and date
    submission = Submission.objects.get()
    assert set(submission.requests.all()) == {access, deletion}
    assert submission.reference in body  # the thank-you page shows the reference
    assert access.reference not in body and deletion.reference not in body
    links = links_in_mail("verify")
    assert len(links) == 1  # one confirmation for both
    client.post(links[0])
    for request in (access, deletion):
        request.refresh_from_db()
        assert request.verified_at is not None and request.verification_method == "email_link"
    status = client.get(response.redirect_chain[-1][0])  # the thank-you page again
    assert status.status_code == 200


def test_status_page_lists_the_requests_sent_together(client):
    client.post(FORM, form_data(request_type=["access", "deletion"]))
    client.post(links_in_mail("verify")[0], follow=True)
    first, second = PrivacyRequest.objects.order_by("id")
    page = client.get(reverse("requests_app:status", args=[services.status_token(first)]))
    assert second.reference in page.content.decode()


def test_a_type_already_open_is_linked_and_covered_by_the_same_verification(client):
    client.post(FORM, form_data(request_type=["access"]))
    mail.outbox.clear()
    client.post(FORM, form_data(request_type=["access", "deletion"]))
    assert PrivacyRequest.objects.count() == 2
    access = PrivacyRequest.objects.get(request_type="access")
    assert access.duplicate_count == 1
    links = links_in_mail("verify")
    assert len(links) == 1
    client.post(links[0])
    assert not PrivacyRequest.objects.filter(status=Status.AWAITING_VERIFICATION).exists()


def test_code_page_keeps_the_number_without_putting_it_in_the_url(client):
    sent = client.post(
        FORM, form_data(request_type=["access", "deletion"], email="", phone="(415) 555-0177"),
        follow=True,
    )  # fmt: skip
    assert 'href="/privacy/verify/code/"' in sent.content.decode()
    page = client.get(reverse("requests_app:verify_code"))
    html = page.content.decode()
    assert "0177" in html and "555-0177" not in html and "+14155550177" not in html
    assert 'name="phone"' not in html  # not asked again
    code = re.search(r"\b(\d{6})\b", consent_sms.outbox[-1].body).group(1)
    done = client.post(reverse("requests_app:verify_code"), {"code": code})
    assert done.status_code == 302 and "0177" not in done["Location"]
    assert PrivacyRequest.objects.filter(status=Status.AWAITING_VERIFICATION).count() == 0
    assert PrivacyRequest.objects.filter(verification_method="sms_code").count() == 2


def test_code_page_asks_for_the_number_when_it_does_not_know_it(client):
    html = client.get(reverse("requests_app:verify_code")).content.decode()
    assert 'name="phone"' in html and 'name="country"' in html
    other = client.post(reverse("requests_app:verify_code"), {"other_number": "1"})
    assert 'name="phone"' in other.content.decode()


def test_honeypot_shows_a_reference_too(client):
    page = client.post(FORM, form_data(website="x"), follow=True).content.decode()
    assert re.search(r"SR-[A-Z0-9]{4}-[A-Z0-9]{4}", page)
    assert not Submission.objects.exists()


def test_every_aria_describedby_target_exists_and_the_required_group_is_marked(client):
    pages = [
        client.get(FORM),
        client.post(FORM, form_data(request_type=[], email="", country="")),
        client.get(reverse("requests_app:verify_code")),
        client.post(reverse("requests_app:verify_code"), {"code": ""}),
    ]
    for page in pages:
        html = page.content.decode()
        ids = set(re.findall(r'\sid="([^"]+)"', html))
        for described in re.findall(r'aria-describedby="([^"]+)"', html):
            for target in described.split():
                assert target in ids, target
    form_html = pages[0].content.decode()
    legend = re.search(r"<legend>What would you like us to do\?(.*?)</legend>", form_html).group(1)
    assert "(required)" in legend
