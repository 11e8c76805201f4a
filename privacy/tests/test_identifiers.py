"""How e-mail addresses and phone numbers are normalised, matched and deduplicated."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from privacy.identifiers import (
    email_match_key,
    normalize_email,
    normalize_phone,
    parse_phone,
    search_keys,
)
from privacy.models import AuditEvent, Contact, ContactIdentifier
from privacy.selectors import contacts_matching_identifier
from privacy.services import contact_create, contact_identifier_add
from privacy.tests.factories import CustomerFactory, UserFactory

# --- phones ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("(415) 555-1098", "US", "+14155551098"),
        ("415.555.1098", "US", "+14155551098"),
        ("415 555 1098", "US", "+14155551098"),
        ("  415   555 1098  ", "US", "+14155551098"),
        ("+1 617 555 1746", "US", "+16175551746"),
        ("+1 617 555 1746", "GB", "+16175551746"),  # a country code needs no region
        ("14155551301", "US", "+14155551301"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("020 7946 0958", "gb", "+442079460958"),
    ],
)
def test_phone_numbers_in_common_formats_become_e164(raw, region, e164):
    parsed = parse_phone(raw, default_region=region)
    assert parsed.e164 == e164
    assert parsed.extension is None
    assert normalize_phone(raw, default_region=region) == e164


def test_region_decides_what_a_national_number_means():
    with pytest.raises(ValidationError):
        parse_phone("020 7946 0958", default_region="US")
    assert parse_phone("020 7946 0958", default_region="GB").region == "GB"


def test_missing_region_falls_back_to_us():
    assert normalize_phone("(415) 555-1098", default_region=None) == "+14155551098"


@pytest.mark.parametrize(
    "raw", ["305-555-1823 x51", "305-555-1823 ext. 51", "(305) 555-1823;ext=51"]
)
def test_extension_is_kept_apart_from_the_number(raw):
    parsed = parse_phone(raw)
    assert (parsed.e164, parsed.extension) == ("+13055551823", "51")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("12345", "phone_invalid"),
        ("not a phone", "phone_invalid"),
        ("", "phone_empty"),
        ("   ", "phone_empty"),
        (None, "phone_empty"),
        ("+1 415 555", "phone_invalid"),
        ("+999 1234 5678", "phone_invalid"),
    ],
)
def test_invalid_phones_are_rejected_without_repeating_them(raw, code):
    with pytest.raises(ValidationError) as info:
        parse_phone(raw)
    assert info.value.code == code
    message = " ".join(info.value.messages)
    assert message
    if raw and raw.strip():
        assert raw.strip() not in message


# --- e-mail ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  Jane.Doe@Example.COM  ", "Jane.Doe@example.com"),
        ("jane.doe@example.com", "jane.doe@example.com"),
        ("\tJANE+Tag@Sub.Example.Org\n", "JANE+Tag@sub.example.org"),
    ],
)
def test_email_is_trimmed_domain_lowered_local_part_kept(raw, stored):
    assert normalize_email(raw) == stored


def test_email_match_key_is_case_insensitive():
    keys = {
        email_match_key(normalize_email(raw))
        for raw in ("Jane.Doe@Example.com", "JANE.DOE@EXAMPLE.COM", " jane.doe@example.com ")
    }
    assert keys == {"jane.doe@example.com"}


@pytest.mark.parametrize(
    "raw",
    [
        "jane",
        "jane@",
        "@example.com",
        "jane doe@example.com",
        "jane@exa mple.com",
        "jane@@example.com",
        "jane@bob@example.com",
        "jane@example",
        "jane@example..com",
    ],
)
def test_invalid_emails_are_rejected_without_repeating_them(raw):
    with pytest.raises(ValidationError) as info:
        normalize_email(raw)
    assert info.value.code == "email_invalid"
    assert raw not in " ".join(info.value.messages)
    assert "jane" not in " ".join(info.value.messages).lower()


def test_empty_email_is_rejected():
    with pytest.raises(ValidationError) as info:
        normalize_email("   ")
    assert info.value.code == "email_empty"


def test_search_keys_understand_any_format():
    assert search_keys(" Jane.Doe@EXAMPLE.com ") == [("email", "jane.doe@example.com")]
    assert search_keys("(415) 555-1098") == [("phone", "+14155551098")]
    assert search_keys("020 7946 0958", default_region="GB") == [("phone", "+442079460958")]
    assert search_keys("Jane") == []
    assert search_keys("1234") == []
    assert search_keys("") == []


# --- through the services ------------------------------------------------------------------


needs_db = pytest.mark.django_db


@needs_db
def test_contact_create_stores_normalised_identifiers_with_extension():
    customer = CustomerFactory(default_phone_region="GB")
    contact, created = contact_create(
        actor=None,
        customer=customer,
        emails=["  Jane.Doe@Example.COM "],
        phones=["020 7946 0958", "+1 305-555-1823 x51"],
        first_name="Jane",
    )
    assert created
    assert (contact.email, contact.phone) == ("Jane.Doe@example.com", "+442079460958")
    rows = set(contact.identifiers.values_list("kind", "value", "match_key", "extension"))
    assert rows == {
        ("email", "Jane.Doe@example.com", "jane.doe@example.com", None),
        ("phone", "+442079460958", "+442079460958", None),
        ("phone", "+13055551823", "+13055551823", "51"),
    }
    assert list(contacts_matching_identifier("jane.doe@EXAMPLE.com")) == [contact]
    assert list(contacts_matching_identifier("+44 20 7946 0958")) == [contact]


@needs_db
def test_contact_create_deduplicates_within_a_customer():
    customer = CustomerFactory()
    first, created = contact_create(
        actor=None, customer=customer, emails=["jane@example.com"], first_name="Jane"
    )
    assert created

    by_email_case, created_again = contact_create(
        actor=None, customer=customer, emails=["JANE@Example.com"], phones=["(415) 555-1098"]
    )
    assert not created_again and by_email_case.pk == first.pk

    by_phone_format, created_third = contact_create(
        actor=None, customer=customer, phones=["415.555.1098"], emails=["jd@work.example.com"]
    )
    assert not created_third and by_phone_format.pk == first.pk

    assert Contact.objects.filter(customer=customer).count() == 1
    assert set(first.identifiers.values_list("kind", "match_key")) == {
        ("email", "jane@example.com"),
        ("phone", "+14155551098"),
        ("email", "jd@work.example.com"),
    }
    assert (
        AuditEvent.objects.filter(
            action="contact.identifiers_added", object_id=str(first.pk)
        ).count()
        == 2
    )


@needs_db
def test_a_contact_first_known_by_phone_shows_the_email_added_later():
    customer = CustomerFactory()
    contact, _ = contact_create(actor=None, customer=customer, phones=["(415) 555-1098"])
    same, created = contact_create(
        actor=None, customer=customer, phones=["415 555 1098"], emails=["Later@Example.com"]
    )
    assert not created and same.pk == contact.pk
    same.refresh_from_db()
    assert same.email == "Later@example.com"
    assert same.identifiers.get(kind="email").is_primary


@needs_db
def test_no_deduplication_across_customers_or_with_our_own_contacts():
    a, b = CustomerFactory(), CustomerFactory()
    in_a, _ = contact_create(actor=None, customer=a, emails=["jane@example.com"])
    in_b, created_b = contact_create(actor=None, customer=b, emails=["Jane@example.com"])
    ours, created_ours = contact_create(
        actor=None, customer=None, kind="prospect", emails=["JANE@example.com"]
    )
    assert created_b and created_ours
    assert len({in_a.pk, in_b.pk, ours.pk}) == 3
    assert ContactIdentifier.objects.filter(match_key="jane@example.com").count() == 3


@needs_db
def test_invalid_identifiers_store_nothing_and_name_the_position_not_the_value():
    customer = CustomerFactory()
    with pytest.raises(ValidationError) as info:
        contact_create(
            actor=None,
            customer=customer,
            emails=["good@example.com", "bad at example.com"],
            phones=["12345"],
            first_name="Jane",
        )
    messages = info.value.message_dict
    assert messages["email"] == ["E-mail 2: Not a valid e-mail address."]
    assert messages["phone"][0].startswith("Phone 1: Not a valid phone number")
    assert "bad at" not in str(messages) and "12345" not in str(messages)
    assert not Contact.objects.exists()
    assert not ContactIdentifier.objects.exists()
    assert not AuditEvent.objects.exists()


@needs_db
def test_an_identifier_of_another_contact_cannot_be_added():
    customer = CustomerFactory()
    jane, _ = contact_create(actor=None, customer=customer, emails=["jane@example.com"])
    john, _ = contact_create(actor=None, customer=customer, emails=["john@example.com"])
    with pytest.raises(ValidationError, match="already has this e-mail"):
        contact_identifier_add(actor=None, contact=john, kind="email", raw_value="JANE@example.com")
    assert jane.identifiers.count() == 1 and john.identifiers.count() == 1


@needs_db
def test_identifier_add_uses_the_customers_region():
    officer = UserFactory()
    customer = CustomerFactory(default_phone_region="GB")
    contact, _ = contact_create(actor=None, customer=customer, emails=["jane@example.com"])
    identifier = contact_identifier_add(
        actor=officer, contact=contact, kind="phone", raw_value="020 7946 0958"
    )
    assert identifier.value == "+442079460958"
    contact.refresh_from_db()
    assert contact.phone == "+442079460958"
    event = AuditEvent.objects.get(action="contact.identifier_added")
    assert event.actor_id == officer.pk and event.summary == {"kind": "phone"}
