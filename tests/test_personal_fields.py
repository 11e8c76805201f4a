"""Every column that could hold a person's data has a decision (privacy.personal_data):
erased by the erasure (``ERASED_FIELDS``) or kept, with the reason (``KEPT_FIELDS``).

A text, date, address, IP, file, JSON, UUID or binary column added to a personal-data
model without that decision fails here, instead of quietly outliving an erasure; and what
a model declares erased is empty on every row the erasure keeps."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db import models
from django.utils import timezone

from consent import services as consent_services
from consent.models import ConsentEvent, InboundMessage, SmsSubscription
from consent.tests.factories import SenderNumberFactory
from privacy.models import Contact, Interaction
from privacy.services import contact_create, contact_erase
from privacy.tests.factories import InteractionFactory
from requests_app.models import Appeal, PrivacyRequest, RequestMatch, Status
from requests_app.tests.factories import PrivacyRequestFactory

#: Columns of these types can hold personal data (names, addresses, numbers, free text,
#: dates of birth and of activity, IP addresses, files, documents).
CHECKED_TYPES = (
    models.CharField,
    models.TextField,
    models.DateField,  # and DateTimeField
    models.TimeField,
    models.GenericIPAddressField,
    models.FileField,  # and ImageField
    models.JSONField,
    models.UUIDField,  # a visitor's cookie id, a device id: a person's identifier
    models.BinaryField,  # anything stored as bytes (a scan, a signature)
)


def _personal_data_models() -> list[type[models.Model]]:
    """The contact and the privacy request, and every model that points at either."""
    people = {Contact, PrivacyRequest}
    found = set(people)
    for model in apps.get_models():
        if model._meta.proxy or model._meta.app_label not in ("privacy", "consent", "requests_app"):
            continue
        if any(f.is_relation and f.related_model in people for f in model._meta.concrete_fields):
            found.add(model)
    return sorted(found, key=lambda m: m._meta.label)


MODELS = _personal_data_models()


def test_the_personal_data_models_include_the_ones_the_design_names():
    names = {m._meta.label for m in MODELS}
    assert {
        "privacy.Contact",
        "privacy.ContactIdentifier",
        "privacy.Interaction",
        "requests_app.PrivacyRequest",
        "consent.ConsentEvent",
        "consent.ConsentState",
        "consent.SmsSubscription",
        "consent.InboundMessage",
    } <= names


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_every_column_that_could_hold_personal_data_is_erased_or_kept_with_a_reason(model):
    erased = set(getattr(model, "ERASED_FIELDS", None) or ())
    kept = getattr(model, "KEPT_FIELDS", None)
    assert kept is not None and hasattr(model, "ERASED_FIELDS"), (
        f"{model._meta.label} declares no ERASED_FIELDS / KEPT_FIELDS"
    )
    columns = {f.name for f in model._meta.concrete_fields}
    assert erased <= columns and set(kept) <= columns, "a listed field does not exist"
    assert not erased & set(kept), f"both erased and kept: {sorted(erased & set(kept))}"
    checked = {f.name for f in model._meta.concrete_fields if isinstance(f, CHECKED_TYPES)}
    undecided = checked - erased - set(kept)
    assert not undecided, f"{model._meta.label}: no decision for {sorted(undecided)}"
    for name, reason in kept.items():
        assert len(reason.split()) >= 4, f"{model._meta.label}.{name}: give the reason in words"


@pytest.mark.django_db
def test_a_consent_event_never_holds_both_a_contact_and_a_visitor_id():
    """Why ConsentEvent keeps ``visitor_id`` after an erasure: a contact's events hold
    none, because the ledger records one subject per event."""
    import uuid

    from django.core.exceptions import ValidationError

    person, _ = contact_create(actor=None, customer=None, emails=["ida.berg@example.org"])
    with pytest.raises(ValidationError, match="exactly one subject"):
        consent_services.consent_event_record(
            actor=None,
            purpose="email_marketing",
            action="grant",
            method="web_form",
            contact=person,
            visitor_id=uuid.uuid4(),
            identifier=person.email,
        )
    assert not ConsentEvent.objects.exists()


def _empty(value) -> bool:
    return value in (None, "") or (hasattr(value, "name") and not value.name)


@pytest.mark.django_db
def test_erasure_empties_every_erased_field_of_every_row_it_keeps(
    django_capture_on_commit_callbacks,
):
    """The rows an erasure keeps (the contact's tombstone, a call record, a closed
    request and its appeal, SMS consent proof) hold nothing their model lists as erased."""
    sender = SenderNumberFactory()
    person, _ = contact_create(
        actor=None,
        customer=sender.customer,
        emails=["hedda.lindqvist@example.org"],
        phones=["+14155550142"],
        first_name="Hedda",
        last_name="Lindqvist",
        address_line1="9 Juniper Row",
        date_of_birth=dt.date(1984, 5, 6),
        notes="Prefers calls after 6pm",
        source="web form",
    )
    sender_number = sender.number
    InteractionFactory(
        contact=person,
        channel="call",
        from_number="+14155550142",
        to_number="+14155550100",
        body="Transcript: Hedda asks about her bill",
        recording_ref="rec-hl-1",
        ip_address="203.0.113.9",
        user_agent="Phone/1.0",
    )
    consent_services.consent_event_record(
        actor=None,
        purpose="sms_marketing",
        action="grant",
        method="web_form",
        contact=person,
        identifier=person.phone,
        sender=sender_number,
        ip_address="203.0.113.9",
        user_agent="Browser/1.0",
        page_url="https://example.com/sign-up?name=hedda",
        source="spring campaign",
    )
    InboundMessage.objects.create(
        message_sid="SM-hl-1",
        customer=person.customer,
        contact=person,
        sender=sender_number,
        from_number=person.phone,
        body="STOP",
        keyword="stop",
        outcome="opted_out",
    )
    closed = PrivacyRequestFactory(
        status=Status.DENIED,
        closed_at=timezone.now(),
        full_name="Hedda Lindqvist",
        email="hedda.lindqvist@example.org",
        phone="+14155550142",
        details="My maiden name was Hedda Berglund",
        extension_reason="Hedda sent many documents",
    )
    RequestMatch.objects.create(request=closed, contact=person, matched_on="email")
    appeal = PrivacyRequestFactory(request_type="appeal", status=Status.COMPLETED, parent=closed)
    Appeal.objects.create(original=closed, appeal_request=appeal, statement="Hedda disagrees")

    with django_capture_on_commit_callbacks(execute=True):
        contact_erase(actor=None, contact=person)

    kept = {
        Contact: Contact.objects.filter(pk=person.pk),
        Interaction: Interaction.objects.filter(contact=person),
        PrivacyRequest: PrivacyRequest.objects.filter(pk=closed.pk),
        Appeal: Appeal.objects.filter(original=closed),
        ConsentEvent: ConsentEvent.objects.filter(contact=person),
        SmsSubscription: SmsSubscription.objects.filter(contact=person),
        InboundMessage: InboundMessage.objects.filter(contact=person),
    }
    for model, rows in kept.items():
        assert rows.exists(), f"the scenario should keep a {model.__name__} row"
        for row in rows:
            full = [name for name in model.ERASED_FIELDS if not _empty(getattr(row, name))]
            assert full == [], f"{model.__name__} #{row.pk} still holds {full}"
