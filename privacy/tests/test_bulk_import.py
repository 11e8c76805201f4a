"""``manage.py import_contacts``: all or nothing, normalisation, deduplication, re-runs.

The COPY path needs PostgreSQL (marked ``postgres``); the portable ORM path is tested
directly on whatever database the suite runs on."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from privacy.models import AuditEvent, Contact, ContactIdentifier
from privacy.services import bulk_import
from privacy.services.bulk_import import (
    ContactImportRefused,
    ContactImportReport,
    contacts_import_csv,
    contacts_import_rows_orm,
    normalised_results_for_rows,
)
from privacy.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
MESSY_SAMPLE = DATA / "contacts_messy_sample.csv"
HEADER = ["first_name", "last_name", "email", "phone", "country", "state", "source", "notes"]


def write_csv(path: Path, rows: list[list[str]], *, bom: bool = True) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    path.write_text(("\ufeff" if bom else "") + buffer.getvalue(), encoding="utf-8", newline="")
    return path


def run_command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_contacts", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# The customer is British: national numbers are read as GB ones. Row 1 (line 2) and
# row 3 (line 5, the e-mail in capitals, no last name, another state) are one person;
# row 4 is an existing contact's phone in another format; row 2's notes span two lines.
CLEAN_ROWS = [
    [
        "Ana",
        "Brook",
        " Ana.Brook@Example.COM ",
        "+1 (415) 555-0123 x12",
        "us",
        "CA",
        "web form",
        "",
    ],
    ["Bo", "Castillo", "bo@example.org", "020 7946 0958", "GB", "", "call", "Called back,\nasked"],
    ["Ana", "", "ANA.BROOK@example.com", "+1 617 555 0199", "US", "MA", "sms keyword", ""],
    ["Cy", "Dubois", "cy.new@example.org", "+1.415.555.1000", "US", "NY", "trade show", ""],
    ["Dee", "Evans", "", "+1 212 555 0142", "US", "NY", "", ""],
]


@pytest.fixture
def customer():
    return CustomerFactory(slug="northwind", default_phone_region="GB")


@pytest.fixture
def existing(customer):
    return ContactFactory(
        customer=customer,
        email="cy@example.org",
        phone="+14155551000",
        first_name="Cy",
        last_name="Dubois",
        country="US",
        state="CA",
        source="crm",
    )


def identifiers_of(contact: Contact) -> set[tuple[str, str, str | None, bool]]:
    return set(contact.identifiers.values_list("kind", "value", "extension", "is_primary"))


def assert_clean_file_imported(customer, existing) -> None:
    contacts = Contact.objects.filter(customer=customer)
    assert contacts.count() == 4  # 5 rows: one merged in the file, one into `existing`
    ana = contacts.get(first_name="Ana")
    assert (ana.email, ana.phone, ana.last_name) == (
        "Ana.Brook@example.com",
        "+14155550123",
        "Brook",
    )
    # The one country rule: the person's first row that gives a location decides.
    assert (ana.country, ana.state) == ("US", "CA")
    assert identifiers_of(ana) == {
        ("email", "Ana.Brook@example.com", None, True),
        ("phone", "+14155550123", "12", True),
        ("phone", "+16175550199", None, False),
    }
    assert ana.identifiers.get(kind="email").match_key == "ana.brook@example.com"
    bo = contacts.get(first_name="Bo")
    # National format read with the customer's region (GB); multi-line notes kept whole.
    assert (bo.phone, bo.country, bo.notes) == ("+442079460958", "GB", "Called back,\nasked")
    assert contacts.get(first_name="Dee").email is None
    # The existing contact got the new e-mail; nothing else of it changed (its state
    # stays: a contact that has a location keeps it).
    existing.refresh_from_db()
    assert existing.email == "cy@example.org"
    assert (existing.country, existing.state, existing.source) == ("US", "CA", "crm")
    assert identifiers_of(existing) >= {
        ("email", "cy@example.org", None, True),
        ("email", "cy.new@example.org", None, False),
    }
    assert ContactIdentifier.objects.filter(customer=customer).count() == 9


def test_messy_sample_is_refused_whole_with_every_bad_line_and_nothing_saved():
    customer = CustomerFactory(default_phone_region="US")  # the sample's national numbers
    with pytest.raises(CommandError, match=r"4 bad row\(s\); nothing was saved") as excinfo:
        out, err = io.StringIO(), io.StringIO()
        call_command(
            "import_contacts",
            str(MESSY_SAMPLE),
            "--customer",
            customer.slug,
            stdout=out,
            stderr=err,
        )
    reported = err.getvalue().splitlines()
    # Physical line numbers (quoted notes span lines): the header is line 1.
    assert [line.split(":")[0] for line in reported] == [
        "line 54",
        "line 69",
        "line 156",
        "line 158",
    ]
    # The same rule as the admin import: a different person sharing a phone number.
    assert "phone number makes it the same person as line 44, whose name is" in reported[0]
    assert "phone number makes it the same person as line 56, whose name is" in reported[1]
    assert "e-mail" in reported[2] and "phone" in reported[2]
    assert "needs an e-mail address or a phone number" in reported[3]
    # The reasons never repeat the row's content.
    for text in ("not-an-email", "12345", "Owen", "Schmidt", "Farah", "Chidi", "555"):
        assert text not in err.getvalue() and text not in str(excinfo.value)
    assert not Contact.objects.exists()
    assert not ContactIdentifier.objects.exists()
    assert not AuditEvent.objects.filter(action="contact.bulk_imported").exists()


@pytest.mark.postgres
def test_copy_import_normalises_merges_duplicates_and_rerun_is_idempotent(
    customer, existing, tmp_path
):
    path = write_csv(tmp_path / "clean.csv", CLEAN_ROWS)
    out, _ = run_command(str(path), "--customer", customer.slug)
    assert "via copy" in out and "3 new contact(s)" in out
    assert_clean_file_imported(customer, existing)
    event = AuditEvent.objects.get(action="contact.bulk_imported")
    assert event.object_id == str(customer.pk)
    assert event.summary == {
        "method": "copy",
        "rows": 5,
        "contacts_created": 3,
        "existing_contacts_matched": 1,
        "rows_merged_in_file": 1,
        "identifiers_added": 7,
        "via": "import_contacts",
    }

    out, _ = run_command(str(path), "--customer", customer.slug)
    assert "0 new contact(s)" in out and "0 identifier(s) added" in out
    assert_clean_file_imported(customer, existing)


def test_dry_run_reports_and_saves_nothing(customer, tmp_path):
    path = write_csv(tmp_path / "clean.csv", CLEAN_ROWS, bom=False)
    out, _ = run_command(str(path), "--customer", customer.slug, "--dry-run")
    assert "Would import 5 row(s)" in out and "4 new contact(s)" in out
    assert not Contact.objects.exists()
    assert not AuditEvent.objects.filter(action="contact.bulk_imported").exists()


def test_orm_fallback_called_directly_merges_and_is_idempotent(customer, existing):
    records = [(line, row) for line, row in enumerate(CLEAN_ROWS, start=2)]
    for run in range(2):
        report = ContactImportReport(method="orm")
        contacts_import_rows_orm(
            customer=customer,
            results=normalised_results_for_rows(records, region=customer.default_phone_region),
            report=report,
            batch_size=2,
        )
        assert report.row_errors == []
        assert report.contacts_created == (3 if run == 0 else 0)
        assert report.existing_contacts_matched == (1 if run == 0 else 4)
        assert_clean_file_imported(customer, existing)


def test_orm_fallback_through_the_service_spanning_chunks(customer, existing, tmp_path):
    path = write_csv(tmp_path / "clean.csv", CLEAN_ROWS)
    # One row per chunk: the in-file duplicate is found in the database, not the chunk.
    report = contacts_import_csv(
        actor=None, customer=customer, path=path, method="orm", batch_size=1, workers=1
    )
    assert (report.contacts_created, report.rows) == (3, 5)
    assert (report.rows_merged_in_file, report.existing_contacts_matched) == (1, 1)
    assert_clean_file_imported(customer, existing)


@pytest.mark.parametrize("method", [pytest.param("copy", marks=pytest.mark.postgres), "orm"])
def test_row_matching_two_existing_contacts_is_refused(customer, tmp_path, method):
    ContactFactory(customer=customer, email="one@example.org", phone="+14155550001")
    ContactFactory(customer=customer, email="two@example.org", phone="+14155550002")
    path = write_csv(
        tmp_path / "conflict.csv",
        [
            ["Eve", "F", "new@example.org", "", "", "", "", ""],
            ["Eve", "F", "one@example.org", "+14155550002", "", "", "", ""],
        ],
    )
    with pytest.raises(ContactImportRefused) as excinfo:
        contacts_import_csv(actor=None, customer=customer, path=path, method=method)
    assert [e.line for e in excinfo.value.row_errors] == [3]
    assert "different existing contacts" in excinfo.value.row_errors[0].reason
    assert Contact.objects.filter(customer=customer).count() == 2


@pytest.mark.postgres
def test_copy_import_through_the_worker_pool(customer, tmp_path, monkeypatch):
    monkeypatch.setattr(bulk_import, "POOL_THRESHOLD_ROWS", 0)
    rows = [
        [f"P{n}", "Q", f"p{n}@example.org", f"+1 415 555 {1000 + n:04d}", "US", "", "", ""]
        for n in range(300)
    ]
    rows.append(["P7", "Q", "P7@EXAMPLE.ORG", "", "US", "", "", ""])  # the same person
    rows.append(["Bad", "Q", "p@", "", "US", "", "", ""])
    path = write_csv(tmp_path / "big.csv", rows)
    with pytest.raises(ContactImportRefused) as excinfo:
        contacts_import_csv(actor=None, customer=customer, path=path, batch_size=40, workers=2)
    assert [e.line for e in excinfo.value.row_errors] == [303]
    assert not Contact.objects.exists()

    path = write_csv(tmp_path / "big.csv", rows[:-1])
    report = contacts_import_csv(actor=None, customer=customer, path=path, batch_size=40, workers=2)
    assert (report.rows, report.contacts_created, report.rows_merged_in_file) == (301, 300, 1)
    assert Contact.objects.get(email="p7@example.org").identifiers.count() == 2


def test_header_problems_are_refused_without_echoing_the_header(customer, tmp_path):
    path = tmp_path / "no-header.csv"
    path.write_text("Ana,Brook,ana@example.org,+14155550123,US,CA,web,\n", encoding="utf-8")
    with pytest.raises(CommandError):
        err = io.StringIO()
        call_command("import_contacts", str(path), "--customer", customer.slug, stderr=err)
    assert "line 1: the header has" in err.getvalue()
    assert "ana@example.org" not in err.getvalue()


def test_unknown_customer_and_terminated_customer_are_refused(tmp_path):
    path = write_csv(tmp_path / "clean.csv", CLEAN_ROWS)
    with pytest.raises(CommandError, match="No customer"):
        run_command(str(path), "--customer", "nobody")
    ended = CustomerFactory(status="terminated", contract_ended_on="2024-01-31")
    with pytest.raises(CommandError, match="contract has ended"):
        run_command(str(path), "--customer", ended.slug)


@pytest.mark.parametrize("method", [pytest.param("copy", marks=pytest.mark.postgres), "orm"])
def test_new_primary_identifiers_fill_empty_contact_fields_and_nothing_else(
    customer, tmp_path, method
):
    # An existing contact with an e-mail only; the file brings its phone. In the file,
    # "Gil" first appears without a phone and then, as the same person, with one.
    known = ContactFactory(
        customer=customer, email="fay@example.org", phone=None, first_name="Fay", last_name="G"
    )
    known.identifiers.filter(kind="phone").delete()
    untouched = ContactFactory(
        customer=customer,
        email="hal@example.org",
        phone="+14155550777",
        first_name="Hal",
        last_name="I",
    )
    rows = [
        ["Fay", "G", "fay@example.org", "+1 415 555 0500", "", "", "", ""],
        ["Gil", "H", "gil@example.org", "", "", "", "", ""],
        ["Gil", "H", "GIL@example.org", "+1 415 555 0600", "", "", "", ""],
        ["Hal", "I", "hal@example.org", "+1 415 555 0888", "", "", "", ""],
    ]
    path = write_csv(tmp_path / "fill.csv", rows)
    contacts_import_csv(actor=None, customer=customer, path=path, method=method, workers=1)

    known.refresh_from_db()
    assert (known.email, known.phone) == ("fay@example.org", "+14155550500")
    gil = Contact.objects.get(customer=customer, first_name="Gil")
    assert (gil.email, gil.phone) == ("gil@example.org", "+14155550600")
    # Hal already had a primary phone: the new number is added, not shown.
    untouched.refresh_from_db()
    assert untouched.phone == "+14155550777"
    assert identifiers_of(untouched) >= {("phone", "+14155550888", None, False)}

    if method == "copy":
        # Re-importing the same file changes no contact row at all.
        from django.db import connection

        def versions():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id, xmin::text FROM privacy_contact WHERE customer_id = %s",
                    [customer.pk],
                )
                return dict(cursor.fetchall())

        before = versions()
        contacts_import_csv(actor=None, customer=customer, path=path, method=method, workers=1)
        assert versions() == before
