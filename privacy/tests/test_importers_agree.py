"""Issue 8, item 6: the two importers agree. The admin import (django-import-export,
``ContactResource``) and ``import_contacts`` (COPY on PostgreSQL, the ORM elsewhere) read
the same file the same way:

- rows that are one person (they share an e-mail or phone, directly or through other
  rows, or with an existing contact of the customer) but carry a different name are
  refused, with the lines of both rows (or the existing contact's id) and the kind of
  identifier that tied them — never its value — and nothing is saved;
- a merged person's country and state come together from its first row that gives
  either; a contact that has either keeps them.

The file (``data/contacts_same_person_rules.csv``) follows the patterns of the messy
sample: national formats, capitals in e-mail addresses, multi-line notes, the same
person twice with a UK number and country."""

from __future__ import annotations

from pathlib import Path

import pytest

from privacy.models import Contact
from privacy.resources import ContactResource, LineNumberedCSV
from privacy.services.bulk_import import ContactImportRefused, contacts_import_csv
from privacy.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

FILE = Path(__file__).parent / "data" / "contacts_same_person_rules.csv"
# "-chunked": one row per chunk, so rows of one person meet across chunks.
IMPORTERS = [
    "admin",
    pytest.param("copy", marks=pytest.mark.postgres),
    pytest.param("copy-chunked", marks=pytest.mark.postgres),
    "orm",
    "orm-chunked",
]
REFUSED_LINES = {6, 10, 11}


@pytest.fixture
def customer():
    return CustomerFactory(default_phone_region="US")


@pytest.fixture
def existing(customer):
    kwame = ContactFactory(
        customer=customer,
        first_name="Kwame",
        last_name="Eriksen",
        email="kwame.e@example.org",
        phone="+14155550101",
        country="US",
        state="CA",
    )
    unnamed = ContactFactory(
        customer=customer,
        first_name=None,
        last_name=None,
        email="noname@example.org",
        phone=None,
        country=None,
        state=None,
    )
    unnamed.identifiers.filter(kind="phone").delete()
    return kwame, unnamed


def run_import(importer: str, customer, path: Path) -> list[str]:
    """Import with one of the importers; the problems reported ([] when it worked)."""
    if importer == "admin":
        text = path.read_bytes().decode("utf-8-sig")
        dataset = LineNumberedCSV(encoding="utf-8-sig").create_dataset(text)
        result = ContactResource(customer=customer).import_data(
            dataset, dry_run=False, use_transactions=True
        )
        assert not result.has_errors()
        return result.problems
    method, _, chunked = importer.partition("-")
    try:
        contacts_import_csv(
            actor=None,
            customer=customer,
            path=path,
            method=method,
            workers=1,
            batch_size=1 if chunked else 10_000,
        )
    except ContactImportRefused as refused:
        return [str(error) for error in refused.row_errors]
    return []


def people(customer) -> dict[str, tuple]:
    """Every contact of the customer by its primary e-mail: location and identifiers."""
    return {
        contact.email: (
            contact.country,
            contact.state,
            frozenset(contact.identifiers.values_list("kind", "value")),
        )
        for contact in Contact.objects.filter(customer=customer).prefetch_related("identifiers")
    }


@pytest.mark.parametrize("importer", IMPORTERS)
def test_a_different_person_sharing_an_identifier_is_refused_the_same_way(
    importer, customer, existing
):
    kwame, _ = existing
    problems = run_import(importer, customer, FILE)

    assert problems == [
        "line 6: Its phone number makes it the same person as line 5, whose name is "
        "different. Rows that share an e-mail address or phone number are one person: if "
        "this is the same person, correct the name; otherwise correct the phone number.",
        # Through line 9's phone (line 9 has no name, and shares an e-mail with line 8).
        "line 10: Its phone number makes it the same person as line 8, whose name is "
        "different. Rows that share an e-mail address or phone number are one person: if "
        "this is the same person, correct the name; otherwise correct the phone number.",
        f"line 11: Its e-mail address makes it the same person as existing contact "
        f"#{kwame.pk}, whose name is different. If this is the same person, correct the "
        "name; otherwise correct the e-mail address.",
    ]
    assert Contact.objects.filter(customer=customer).count() == 2  # nothing saved
    assert all("example.org" not in p and "555" not in p for p in problems)


def clean_copy(tmp_path: Path) -> Path:
    raw = FILE.read_bytes().decode("utf-8-sig")
    lines = raw.splitlines(keepends=True)
    starts = LineNumberedCSV(encoding="utf-8-sig").create_dataset(raw).source_lines
    assert all(start in starts for start in REFUSED_LINES)
    kept = [line for number, line in enumerate(lines, 1) if number not in REFUSED_LINES]
    path = tmp_path / "clean.csv"
    path.write_text("".join(kept), encoding="utf-8", newline="")
    return path


EXPECTED = {
    # Line 2 gives no location, line 3 (the same Ana) gives GB: the first that gives one.
    "ana@example.org": (
        "GB",
        None,
        {("email", "ana@example.org"), ("phone", "+14155550123"), ("phone", "+16175550199")},
    ),
    "ben@example.org": ("US", "NY", {("email", "ben@example.org"), ("phone", "+14155550124")}),
    "cy@example.org": ("US", "TX", {("email", "cy@example.org")}),
    "dan@example.org": (
        "US",
        "WA",
        {("email", "dan@example.org"), ("phone", "+14155550130"), ("phone", "+14155550131")},
    ),
    # An existing contact with a location keeps it (line 12 says DE).
    "kwame.e@example.org": (
        "US",
        "CA",
        {("email", "kwame.e@example.org"), ("phone", "+14155550101"), ("phone", "+14155550140")},
    ),
    # An existing contact without one gets the person's first.
    "noname@example.org": ("FR", None, {("email", "noname@example.org")}),
    # The same Sven twice: the first row's country, the UK number added.
    "sven6@example.org": (
        "US",
        "CA",
        {("email", "sven6@example.org"), ("phone", "+13055551937"), ("phone", "+442079460958")},
    ),
}


@pytest.mark.parametrize("importer", IMPORTERS)
def test_merged_people_keep_one_country_rule(importer, customer, existing, tmp_path):
    assert run_import(importer, customer, clean_copy(tmp_path)) == []

    found = people(customer)
    assert set(found) == set(EXPECTED)
    for email, (country, state, identifiers) in EXPECTED.items():
        assert found[email] == (country, state, identifiers), email
