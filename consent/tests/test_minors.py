"""Children (issue 9 §2, consent part): the check refuses marketing to a minor
(``reason: "minor"``), and no marketing consent is recorded for one — by the API, the
preference centre, an SMS keyword or an import — without verifiable parental consent
evidence on the ledger event. The check stays one query."""

from __future__ import annotations

import datetime as dt

import pytest
import tablib
from django.core.exceptions import ValidationError
from django.utils import timezone

from consent import selectors, services
from consent.imports import consent_evidence_import
from consent.models import ConsentEvent, InboundMessage, SmsSubscription
from consent.tests.conftest import NOON_PACIFIC, check
from privacy.services import contact_update

pytestmark = pytest.mark.django_db


def _born_years_ago(years: int, *, days: int = 0) -> dt.date:
    today = timezone.localdate()
    return dt.date(today.year - years, today.month, min(today.day, 28)) - dt.timedelta(days=days)


# Under the default age limit of 16 today and on NOON_PACIFIC (the checks' clock).
FIFTEEN = _born_years_ago(15)
ADULT = dt.date(1990, 6, 1)


def _grant(contact, purpose="email_marketing", **kwargs):
    identifier = contact.email if purpose.startswith("email") else contact.phone
    if purpose == "sale_sharing":
        identifier = ""
    return services.consent_event_record(
        actor=None,
        purpose=purpose,
        action="grant",
        method="api",
        contact=contact,
        identifier=identifier,
        **kwargs,
    )


@pytest.fixture
def minor(contact):
    contact_update(actor=None, contact=contact, date_of_birth=FIFTEEN)
    contact.refresh_from_db()
    return contact


def test_no_marketing_consent_is_recorded_for_a_minor_without_parental_evidence(minor):
    with pytest.raises(ValidationError) as raised:
        _grant(minor)
    assert raised.value.code == "minor"
    assert not ConsentEvent.objects.exists()


def test_a_grant_with_parental_evidence_is_recorded_and_the_check_allows_it(customer, minor):
    event = _grant(
        minor, parental_consent_method="signed_form", parental_consent_reference="case-2041"
    )
    assert event.parental_consent_method == "signed_form"
    decision = check(customer, to=minor.email, purpose="email_marketing")
    assert (decision.allowed, decision.reason) == (True, "granted")


def test_parental_evidence_needs_a_known_method_and_a_reference(minor):
    for kwargs in (
        {"parental_consent_method": "a_friend_said_so", "parental_consent_reference": "x"},
        {"parental_consent_method": "signed_form"},
    ):
        with pytest.raises(ValidationError):
            _grant(minor, **kwargs)
    assert not ConsentEvent.objects.exists()


def test_the_check_refuses_marketing_to_a_minor_granted_before_we_knew(customer, contact):
    _grant(contact)  # adult as far as we knew
    assert check(customer, to=contact.email, purpose="email_marketing").allowed

    contact_update(actor=None, contact=contact, date_of_birth=FIFTEEN)

    decision = check(customer, to=contact.email, purpose="email_marketing")
    assert (decision.allowed, decision.reason) == (False, "minor")


def test_the_staff_flag_makes_a_minor_too(customer, contact):
    _grant(contact)
    contact_update(actor=None, contact=contact, is_minor=True)
    assert check(customer, to=contact.email, purpose="email_marketing").reason == "minor"


def test_minor_refusals_cover_sale_sharing_but_not_informational_texts(customer, minor, sender):
    # Sale/sharing of a minor's data needs opt-in (Cal. Civ. Code §1798.120(c)).
    decision = check(customer, to=minor.email, purpose="sale_sharing")
    assert (decision.allowed, decision.reason) == (False, "minor")
    services.consent_event_record(
        actor=None,
        purpose="sms_informational",
        action="grant",
        method="api",
        contact=minor,
        identifier=minor.phone,
    )
    assert check(customer, purpose="sms_informational", sender=sender.number).allowed


def test_an_adult_with_a_birth_date_is_not_a_minor(customer, contact):
    contact_update(actor=None, contact=contact, date_of_birth=ADULT)
    _grant(contact)
    assert check(customer, to=contact.email, purpose="email_marketing").allowed


def test_the_age_limit_is_the_setting(settings, customer, contact):
    now = timezone.now()
    contact_update(actor=None, contact=contact, date_of_birth=_born_years_ago(17, days=30))
    _grant(contact)
    assert check(customer, to=contact.email, purpose="email_marketing", now=now).allowed
    settings.PRIVACY_MINOR_AGE = 18  # one of the policies promises under-18s
    decision = check(customer, to=contact.email, purpose="email_marketing", now=now)
    assert decision.reason == "minor"


def test_the_check_of_a_minor_is_still_one_query(customer, minor, django_assert_num_queries):
    _grant(minor, parental_consent_method="call", parental_consent_reference="call-7")
    check(customer, to=minor.email, purpose="email_marketing")  # warm the caches
    with django_assert_num_queries(1):
        decision = check(customer, to=minor.email, purpose="email_marketing")
    assert decision.allowed


def test_the_api_refuses_a_minors_grant_without_parental_consent(client, customer, minor):
    raw_key = services.api_key_create(actor=None, customer=customer, name="crm")[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}
    body = {"purpose": "email_marketing", "action": "grant", "to": minor.email}

    refused = client.post("/api/v1/consent/events", body, content_type="application/json", **auth)
    assert refused.status_code == 400 and "minor" in refused.json()["error"]
    assert not ConsentEvent.objects.exists()

    body["parental_consent"] = {"method": "id_document", "reference": "doc-88"}
    recorded = client.post("/api/v1/consent/events", body, content_type="application/json", **auth)
    assert recorded.status_code == 201 and recorded.json()["parental_consent"] == "id_document"


def test_the_api_refuses_a_minors_sms_double_opt_in(client, customer, minor, sender):
    raw_key = services.api_key_create(actor=None, customer=customer, name="crm")[1]
    response = client.post(
        "/api/v1/consent/events",
        {"purpose": "sms_marketing", "action": "grant", "to": minor.phone},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw_key}",
    )
    assert response.status_code == 400
    assert not SmsSubscription.objects.exists()


def test_the_preference_centre_refuses_a_minors_marketing_grant(client, customer, minor):
    url = f"/preferences/{selectors.preference_token_make(contact_id=minor.pk)}/"
    response = client.post(
        url, {"purpose": "email_marketing", "identifier": minor.email, "choice": "grant"}
    )
    assert response.status_code == 200
    assert "guardian's verified consent" in response.content.decode()
    assert not ConsentEvent.objects.exists()


def test_start_from_a_minor_regrants_only_informational_texts(text, customer, minor, sender):
    for purpose in services.SMS_PURPOSES:
        services.consent_event_record(
            actor=None,
            purpose=purpose,
            action="grant",
            method="api",
            contact=minor,
            identifier=minor.phone,
            sender=sender.number,
            **(
                {"parental_consent_method": "signed_form", "parental_consent_reference": "f-1"}
                if purpose == "sms_marketing"
                else {}
            ),
        )
    text("STOP")
    response = text("START")

    assert response.status_code == 200
    assert check(customer, sender=sender.number, purpose="sms_informational").allowed
    decision = check(customer, sender=sender.number)
    assert (decision.allowed, decision.reason) == (False, "withdrawn")


def test_yes_from_a_minor_confirms_nothing(text, customer, minor, sender):
    SmsSubscription.objects.create(
        customer=customer,
        contact=minor,
        phone=minor.phone,
        sender=sender.number,
        program="marketing",
        status="pending",
    )
    response = text("YES")
    assert "<Message>" in response.content.decode()  # the HELP text, no marketing
    assert InboundMessage.objects.get().outcome == "minor_refused"
    assert not ConsentEvent.objects.exists()
    assert SmsSubscription.objects.get().status == "pending"


def test_an_import_row_for_a_minor_needs_parental_evidence(customer, minor):
    rows = tablib.Dataset(
        headers=["customer", "email", "purpose", "action", "occurred_at"],
    )
    rows.append([customer.slug, minor.email, "email_marketing", "grant", "2026-03-01T10:00:00Z"])

    report = consent_evidence_import(actor=None, dataset=rows)

    assert not report.ok
    assert any("Line 2" in e and "minor" in e for e in report.errors)
    assert not ConsentEvent.objects.exists()

    rows = tablib.Dataset(
        headers=[
            "customer",
            "email",
            "purpose",
            "action",
            "occurred_at",
            "parental_consent_method",
            "parental_consent_reference",
        ],
    )
    rows.append(
        [
            customer.slug,
            minor.email,
            "email_marketing",
            "grant",
            "2026-03-01T10:00:00Z",
            "signed_form",
            "box-12",
        ]
    )
    assert consent_evidence_import(actor=None, dataset=rows).imported == 1
    assert check(customer, to=minor.email, purpose="email_marketing", now=NOON_PACIFIC).allowed
