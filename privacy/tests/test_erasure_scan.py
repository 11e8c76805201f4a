"""The proof DESIGN.md promises: after erasing a richly populated contact, no column of
any table in the database holds that person's name, e-mail, phone, address, date of
birth, IP, user agent, recording reference or free text. The only trace left is the
suppression list, and it holds HMACs, not the identifiers.

The scan does not know the schema: it walks every table Django's models map to *and*
every table the database reports (so tables added later by ``consent``,
``requests_app`` or a migration without a model are covered too), casts every column
to text and searches it case-insensitively. It is proven to work by finding the same
data before the erasure and an unrelated person's data after it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from privacy.hashing import identifier_hmac
from privacy.models import ContactIdentifier, Interaction, Suppression
from privacy.services import (
    contact_create,
    contact_erase,
    contact_export,
    contact_update,
    legal_hold_lift,
    legal_hold_place,
)
from privacy.tests.factories import CustomerFactory, InteractionFactory, UserFactory

pytestmark = pytest.mark.django_db

# The person to erase: values chosen so none of them can occur by accident elsewhere.
FIRST_NAME = "Wilhelmina"
LAST_NAME = "Fairweather-Quist"
RAW_EMAILS = ["  Wilhelmina.FQ@Example.ORG ", "w.quist+billing@Quist-Family.example.net"]
STORED_EMAILS = ["Wilhelmina.FQ@example.org", "w.quist+billing@quist-family.example.net"]
RAW_PHONES = ["+1 (617) 555-1746", "305-555-1823 x51"]
E164_PHONES = ["+16175551746", "+13055551823"]
NATIONAL_PHONES = ["6175551746", "3055551823", "617-555-1746", "(305) 555-1823"]
ADDRESS = {
    "address_line1": "742 Evergreen Terrace",
    "address_line2": "Apartment 9Z Rear Annex",
    "city": "Quahogsville",
}
DATE_OF_BIRTH = dt.date(1984, 3, 7)
NOTES = "Prefers mornings.\nHer sister Ottoline Fairweather-Quist may call on her behalf."
SOURCE = "Tradeshow Leipzigstand"
IPV4 = "203.0.113.77"
IPV6 = "2001:db8::4711"
USER_AGENT = "Mozilla/5.0 (X11; Linux) QuistBrowser/9.1"
RECORDING = "s3://recordings/acme/rec-WFQ-000417.wav"

# Someone else of the same customer, who must still be found after the erasure.
OTHER = {
    "first_name": "Augustin",
    "last_name": "Pemberton-Hollis",
    "email": "Augustin.Pemberton@example.com",
    "phone": "+14155551098",
    "ip": "198.51.100.23",
}


def _needles() -> dict[str, str]:
    """Everything of the erased person that must be found nowhere afterwards."""
    needles = {
        "first name": FIRST_NAME,
        "last name": LAST_NAME,
        "date of birth": DATE_OF_BIRTH.isoformat(),
        "notes": "Ottoline",
        "source": "Leipzigstand",
        "IPv4": IPV4,
        "IPv6": IPV6,
        "user agent": "QuistBrowser",
        "recording": "rec-WFQ-000417",
        "message text": "overdue invoice 88213",
        **{f"address {key}": value for key, value in ADDRESS.items()},
    }
    for index, email in enumerate(STORED_EMAILS):
        needles[f"e-mail {index + 1}"] = email.upper()  # matched case-insensitively
        needles[f"e-mail {index + 1} local part"] = email.split("@")[0]
    for index, phone in enumerate(E164_PHONES):
        needles[f"phone {index + 1} E.164"] = phone
    for index, phone in enumerate(NATIONAL_PHONES):
        needles[f"phone national form {index + 1}"] = phone
    return needles


# --- the scan ---------------------------------------------------------------------------


def _model_tables() -> set[str]:
    return {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def _all_tables() -> list[str]:
    """Every table in the database, whether or not a model maps to it."""
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def _columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        return [col.name for col in connection.introspection.get_table_description(cursor, table)]


def _like_pattern(needle: str) -> str:
    escaped = needle.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


def _text_of(column: str) -> str:
    return f"CAST({connection.ops.quote_name(column)} AS TEXT)"


def _matches(column_sql: str) -> str:
    # ILIKE on PostgreSQL; SQLite's LIKE is case-insensitive already.
    operator = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
    return f"{column_sql} {operator} %s ESCAPE '!'"


def scan_database(needles: dict[str, str]) -> dict[str, set[str]]:
    """{needle label: {"table.column", ...}} for every needle found anywhere."""
    found: dict[str, set[str]] = {}
    with connection.cursor() as cursor:
        for table in _all_tables():
            columns = _columns(table)
            if not columns:
                continue
            quoted_table = connection.ops.quote_name(table)
            for label, needle in needles.items():
                pattern = _like_pattern(needle)
                where = " OR ".join(_matches(_text_of(c)) for c in columns)
                cursor.execute(
                    f"SELECT COUNT(*) FROM {quoted_table} WHERE {where}",  # noqa: S608
                    [pattern] * len(columns),
                )
                if not cursor.fetchone()[0]:
                    continue
                for column in columns:
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {quoted_table} WHERE {_matches(_text_of(column))}",  # noqa: S608
                        [pattern],
                    )
                    if cursor.fetchone()[0]:
                        found.setdefault(label, set()).add(f"{table}.{column}")
    return found


# --- the data ---------------------------------------------------------------------------


def _populate(officer):
    customer = CustomerFactory(default_phone_region="US")
    person, created = contact_create(
        actor=officer,
        customer=customer,
        kind="end_user",
        emails=RAW_EMAILS,
        phones=RAW_PHONES,
        first_name=FIRST_NAME,
        last_name=LAST_NAME,
        date_of_birth=DATE_OF_BIRTH,
        notes=NOTES,
        source=SOURCE,
        do_not_contact=True,
        **ADDRESS,
    )
    assert created
    contact_update(actor=officer, contact=person, country="US", state="MA", reason="ticket 4411")

    yesterday = timezone.now() - dt.timedelta(days=1)
    # SMS both ways, chat, two web forms (IPv4 and IPv6), e-mail, and calls with recordings.
    InteractionFactory(
        contact=person,
        channel="sms",
        from_number=E164_PHONES[0],
        body=f"Hi, this is {FIRST_NAME} {LAST_NAME}, call me at 617-555-1746 about overdue invoice 88213",
    )
    InteractionFactory(
        contact=person,
        channel="sms",
        direction="outbound",
        from_number="+14155550100",
        to_number=E164_PHONES[0],
        body=f"Thanks {FIRST_NAME}, we will call (305) 555-1823 tomorrow.",
    )
    InteractionFactory(
        contact=person,
        channel="chat",
        from_number=None,
        to_number=None,
        body=f"{FIRST_NAME}: my e-mail is {STORED_EMAILS[0]}; I live at {ADDRESS['address_line1']}",
    )
    for ip in (IPV4, IPV6):
        InteractionFactory(
            contact=person,
            channel="web_form",
            from_number=None,
            to_number=None,
            ip_address=ip,
            user_agent=USER_AGENT,
            body=f"name={FIRST_NAME}+{LAST_NAME}&email={STORED_EMAILS[1]}&phone=3055551823",
        )
    InteractionFactory(
        contact=person,
        channel="email",
        from_number=None,
        to_number=None,
        body=f"From: {STORED_EMAILS[1]}\nDear support, {LAST_NAME} here.",
    )
    for minutes in (3, 17):
        InteractionFactory(
            contact=person,
            channel="call",
            occurred_at=yesterday - dt.timedelta(minutes=minutes),
            from_number=E164_PHONES[minutes % 2],
            to_number="+14155550100",
            duration_seconds=minutes * 60,
            body=f"Transcript: agent greets {FIRST_NAME} {LAST_NAME}",
            recording_ref=RECORDING,
        )

    # Holds and exports leave audit rows and hold rows; none may carry personal data.
    hold = legal_hold_place(actor=officer, contact=person, reason="Matter 2026-17 billing dispute")
    legal_hold_lift(actor=officer, hold=hold)
    contact_export(actor=officer, contact=person, destination=io.BytesIO())

    # Unrelated people: one of the same customer, one of another customer, one of ours.
    other, _ = contact_create(
        actor=officer,
        customer=customer,
        emails=[OTHER["email"]],
        phones=[OTHER["phone"]],
        first_name=OTHER["first_name"],
        last_name=OTHER["last_name"],
        do_not_contact=True,
    )
    InteractionFactory(
        contact=other,
        channel="web_form",
        ip_address=OTHER["ip"],
        body=f"{OTHER['first_name']} asks for a call back",
    )
    InteractionFactory(contact=other, channel="call", duration_seconds=30, recording_ref="rec-AP")
    contact_create(
        actor=officer,
        customer=CustomerFactory(),
        emails=["someone.else@example.net"],
        first_name="Cornelius",
    )
    contact_create(actor=None, customer=None, kind="prospect", phones=["+44 20 7946 0958"])
    return person, other


def test_erased_person_is_found_nowhere_but_as_hmacs_on_the_suppression_list():
    officer = UserFactory(role="Privacy officer")
    person, other = _populate(officer)
    needles = _needles()

    # The scan finds every needle before the erasure: it can see the data it looks for.
    before = scan_database(needles)
    assert set(before) == set(needles), sorted(set(needles) - set(before))
    assert "privacy_contact.first_name" in before["first name"]
    assert "privacy_contactidentifier.value" in before["e-mail 1"]
    assert "privacy_interaction.ip_address" in before["IPv4"]
    assert "privacy_interaction.recording_ref" in before["recording"]

    certificate = contact_erase(actor=officer, contact=person)

    after = scan_database(needles)
    assert after == {}, f"personal data left after erasure: {after}"

    # The search still works: the unrelated person is found where their data lives.
    others = scan_database(
        {
            "other first name": OTHER["first_name"],
            "other last name": OTHER["last_name"],
            "other e-mail": OTHER["email"].lower(),
            "other phone": OTHER["phone"],
            "other IP": OTHER["ip"],
            "other customer's contact": "Cornelius",
        }
    )
    assert "privacy_contact.first_name" in others["other first name"]
    assert "privacy_contact.last_name" in others["other last name"]
    assert "privacy_contactidentifier.match_key" in others["other e-mail"]
    assert "privacy_contactidentifier.value" in others["other phone"]
    assert "privacy_interaction.ip_address" in others["other IP"]
    assert "privacy_contact.first_name" in others["other customer's contact"]
    assert ContactIdentifier.objects.filter(contact=other).count() == 2

    # The only trace: one HMAC per opted-out identifier, in the suppression list alone.
    expected = {("email", identifier_hmac(channel="email", value=e)) for e in STORED_EMAILS} | {
        ("phone", identifier_hmac(channel="phone", value=p)) for p in E164_PHONES
    }
    rows = set(
        Suppression.objects.filter(customer=person.customer).values_list(
            "channel", "identifier_hmac"
        )
    )
    assert rows == expected
    assert certificate.suppressed == 4
    hmac_hits = scan_database({f"hmac {n}": digest for n, (_, digest) in enumerate(expected)})
    assert len(hmac_hits) == 4
    assert all(tables == {"privacy_suppression.identifier_hmac"} for tables in hmac_hits.values())

    # Call records survive for billing, with nothing personal left in them.
    calls = Interaction.objects.filter(contact=person).order_by("duration_seconds")
    assert [c.duration_seconds for c in calls] == [180, 1020]
    assert all(c.deidentified_at is not None for c in calls)


def test_scan_covers_every_text_column_django_knows():
    """Guard against the scan quietly missing a table or column: every text-like model
    field's column is among the columns it searches."""
    from django.db import models

    tables = _all_tables()
    # A model whose table is missing (a model without its migration) would go unscanned.
    missing = _model_tables() - set(tables)
    assert not missing, f"models without a table (missing migration?): {sorted(missing)}"
    scanned = {(t, c) for t in tables for c in _columns(t)}
    text_like = (
        models.CharField,
        models.TextField,
        models.GenericIPAddressField,
        models.JSONField,
    )  # EmailField, SlugField, URLField are CharFields
    expected = {
        (model._meta.db_table, field.column)
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
        for field in model._meta.local_fields
        if isinstance(field, text_like)
    }
    assert ("privacy_interaction", "body") in expected
    assert ("privacy_contact", "notes") in expected
    assert expected <= scanned, sorted(expected - scanned)
