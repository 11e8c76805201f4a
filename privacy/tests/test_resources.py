"""Import and export through django-import-export: the messy sample file through the
admin's real import views (refused with line numbers, then imported with duplicates
merged and identifiers normalised), the standalone fast ContactResource, customers,
interactions, exports with their audit event, and the upload limit."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from privacy.models import AuditEvent, Contact, ContactIdentifier, Customer, Interaction
from privacy.resources import ContactResource, InteractionResource, LineNumberedCSV
from privacy.tests.factories import ContactFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent / "data" / "contacts_messy_sample.csv"
# Rows of the sample that must be refused: (line the row starts on, reason).
BAD_ROWS = {
    54: "Its phone number makes it the same person as line 44, whose name is different",
    69: "Its phone number makes it the same person as line 56, whose name is different",
    156: "Not a valid e-mail address",  # and "12345" is no phone number
    158: "Needs an e-mail address or a phone number",
}


def _officer(client):
    user = UserFactory(role="Privacy officer")
    client.force_login(user)
    client.user = user
    return client


def _without_lines(raw: bytes, starts: set[int]) -> bytes:
    """The file minus the records starting on the given lines (multi-line records whole)."""
    text = raw.decode("utf-8-sig")
    lines = text.splitlines(keepends=True)
    dataset = LineNumberedCSV(encoding="utf-8-sig").create_dataset(text)
    record_starts = [1, *dataset.source_lines, len(lines) + 1]
    drop = set()
    for start, following in itertools.pairwise(record_starts):
        if start in starts:
            drop.update(range(start, following))
    return (
        "\ufeff".encode()
        + "".join(line for number, line in enumerate(lines, 1) if number not in drop).encode()
    )


def _upload(client, content: bytes, customer, name="contacts.csv", model="contact"):
    data = {"format": "0", "resource": "0", "import_file": SimpleUploadedFile(name, content, "text/csv")}  # fmt: skip
    if customer is not None:
        data["customer"] = customer.pk
    return client.post(reverse(f"admin:privacy_{model}_import"), data)


def _confirm(client, dry_run_response, model="contact"):
    form = dry_run_response.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    return client.post(reverse(f"admin:privacy_{model}_process_import"), data)


# --- the messy sample through the admin ------------------------------------------------------


def test_messy_sample_is_refused_whole_with_each_bad_rows_line_and_reason(client):
    customer = CustomerFactory(default_phone_region="US")
    officer = _officer(client)

    response = _upload(officer, SAMPLE.read_bytes(), customer)

    assert response.status_code == 200
    result = response.context["result"]
    assert "confirm_form" not in response.context  # no way to confirm a bad file
    found = {int(row.location.split()[1]): row for row in result.invalid_rows}
    assert set(found) == set(BAD_ROWS)
    for line, reason in BAD_ROWS.items():
        assert reason in " ".join(found[line].error.messages)
        assert f"Line {line}" in response.content.decode()
    assert "Not a valid phone number" in " ".join(found[156].error.messages)
    assert Contact.objects.count() == 0
    assert ContactIdentifier.objects.count() == 0
    assert not AuditEvent.objects.filter(action="contact.imported").exists()


def test_sample_without_bad_rows_imports_with_duplicates_merged_and_identifiers_normalised(client):
    customer = CustomerFactory(default_phone_region="US")
    officer = _officer(client)
    clean = _without_lines(SAMPLE.read_bytes(), set(BAD_ROWS))

    preview = _upload(officer, clean, customer)
    assert preview.status_code == 200 and "confirm_form" in preview.context
    assert Contact.objects.count() == 0  # the preview saves nothing
    assert preview.context["result"].totals["new"] == 118

    done = _confirm(officer, preview)

    assert done.status_code == 302
    assert Contact.objects.filter(customer=customer).count() == 118  # 120 rows, 2 repeats
    nia = Contact.objects.get(first_name="Nia", last_name="Eriksen")  # twice in the file
    assert (nia.email, nia.phone) == ("nia3@example.org", "+16175551398")
    assert sorted(nia.identifiers.values_list("kind", "value")) == [
        ("email", "nia3@example.org"),
        ("phone", "+16175551398"),
    ]
    sven = Contact.objects.get(first_name="Sven", last_name="Jensen")  # UK number added
    assert sorted(sven.identifiers.values_list("value", "is_primary")) == [
        ("+13055551937", True),
        ("+442079460958", False),
        ("sven6@example.org", True),
    ]
    farah = Contact.objects.get(email__startswith="farah.kowalski7")
    assert (farah.email, farah.phone) == ("farah.kowalski7@example.com", "+15125551530")
    owen = Contact.objects.get(email="owen5@example.org")
    assert owen.phone == "+13055551383"
    assert owen.identifiers.get(kind="phone").extension == "24"
    assert Contact.objects.get(email="kwame0@example.org").phone == "+14155551098"
    assert Contact.objects.get(email="bo1@example.org").phone == "+14155551301"
    uma = Contact.objects.get(email="uma2@example.org")
    assert uma.notes == "Called about billing,\nasked for a callback"
    assert Contact.objects.get(email="lena12@example.org").phone == "+12125551102"
    assert not ContactIdentifier.objects.filter(customer__isnull=True).exists()

    event = AuditEvent.objects.get(action="contact.imported")
    assert event.actor_id == officer.user.pk
    assert event.summary == {
        "customer_id": customer.pk,
        "new": 118,
        "updated": 2,
        "skipped": 0,
        "via": "admin_import",
        "identifiers_added": ContactIdentifier.objects.count(),
    }


def test_reimporting_updates_existing_contacts_instead_of_duplicating(client):
    customer = CustomerFactory()
    known = ContactFactory(
        customer=customer,
        email="kwame0@example.org",
        phone="+14155559999",
        first_name="Kwame",
        last_name="Eriksen",
        state="CA",
    )
    officer = _officer(client)
    content = "first_name,last_name,email,phone,country,state,source,notes\r\n" "Kwame,Eriksen,KWAME0@example.org,(617) 555-0123,US,MA,import,\r\n"  # fmt: skip

    _confirm(officer, _upload(officer, content.encode(), customer))

    assert Contact.objects.count() == 1
    known.refresh_from_db()
    # Fields are updated from the file; the location only fills a contact without one
    # (the country rule both importers share): Kwame stays in CA.
    assert (known.state, known.source) == ("CA", "import")
    assert known.phone == "+14155559999"  # the primary phone stays; the new one is added
    assert set(known.identifiers.values_list("value", flat=True)) == {
        "kwame0@example.org",
        "+14155559999",
        "+16175550123",
    }
    assert AuditEvent.objects.get(action="contact.imported").summary["updated"] == 1


def test_a_row_matching_a_differently_named_contact_is_refused(client):
    customer = CustomerFactory()
    known = ContactFactory(
        customer=customer, email="k@example.org", first_name="Kwame", last_name="Eriksen"
    )
    officer = _officer(client)
    content = "first_name,last_name,email\r\nOwen,Tanaka,K@example.org\r\n"
    response = _upload(officer, content.encode(), customer)
    (row,) = response.context["result"].invalid_rows
    assert row.location == "line 2"
    assert (
        f"Its e-mail address makes it the same person as existing contact #{known.pk}, "
        "whose name is different"
    ) in " ".join(row.error.messages)
    assert Contact.objects.get().first_name == "Kwame"


def test_import_needs_the_customer_and_import_permission(client):
    officer = _officer(client)
    response = _upload(officer, SAMPLE.read_bytes(), None)
    assert response.status_code == 200
    assert "customer" in response.context["form"].errors
    support = UserFactory(role="Support agent")
    client.force_login(support)
    assert _upload(client, SAMPLE.read_bytes(), CustomerFactory()).status_code == 403
    assert Contact.objects.count() == 0


def test_oversized_upload_is_a_clear_form_error(client, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1024
    officer = _officer(client)
    response = _upload(officer, SAMPLE.read_bytes(), CustomerFactory())
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["import_file"])
    assert "accepts at most" in errors
    assert "result" not in response.context


# --- the fast resource on its own -----------------------------------------------------------------


def _dataset(rows: list[list[str]]) -> tablib.Dataset:
    return tablib.Dataset(*rows, headers=["first_name", "last_name", "email", "phone", "country", "state", "source", "notes"])  # fmt: skip


def _people(count: int, start: int = 0) -> list[list[str]]:
    return [
        [f"F{i}", f"L{i}", f"p{i}@Example.ORG", f"(415) 555-{i % 10000:04d}", "US", "CA", "web", ""]
        for i in range(start, start + count)
    ]


def test_standalone_resource_refuses_everything_when_one_row_is_bad():
    customer = CustomerFactory()
    rows = _people(30)
    rows[17][3] = "555"  # one bad phone
    result = ContactResource(customer=customer).import_data(
        _dataset(rows), dry_run=False, raise_errors=False, use_transactions=True
    )
    assert [row.number for row in result.invalid_rows] == [18]
    assert result.problems == ["row 18: phone: Not a valid phone number for its country (check the digits and the country code)."]  # fmt: skip
    assert Contact.objects.count() == 0 and ContactIdentifier.objects.count() == 0


def test_standalone_resource_makes_no_per_row_queries():
    customer = CustomerFactory()

    def queries_for(rows):
        with CaptureQueriesContext(connection) as captured:
            result = ContactResource(customer=customer).import_data(
                _dataset(rows), dry_run=False, use_transactions=True
            )
        assert not result.has_errors() and not result.has_validation_errors()
        return len(captured.captured_queries)

    small = queries_for(_people(10))
    large = queries_for(_people(1500, start=100))
    if connection.features.max_query_params is None:  # PostgreSQL: no cap on parameters
        assert large <= small + 2  # the same handful of batched queries, whatever the size
    else:  # SQLite caps parameters per statement (999): bulk writes come in more slices
        assert large < 1500 / 10
    assert Contact.objects.count() == 1510
    assert ContactIdentifier.objects.count() == 3020
    assert Contact.objects.get(last_name="L5").email == "p5@example.org"


def test_dry_run_saves_nothing_but_reports_counts():
    customer = CustomerFactory()
    result = ContactResource(customer=customer).import_data(_dataset(_people(5)), dry_run=True)
    assert result.totals["new"] == 5
    assert Contact.objects.count() == 0
    assert not AuditEvent.objects.exists()


def test_line_numbers_count_every_physical_line_of_quoted_cells():
    text = (
        "\ufefffirst_name,last_name,email,phone,country,state,source,notes\r\n"
        'A,B,a@example.org,,US,CA,web,"one\r\ntwo\r\nthree"\r\n'
        "\r\n"
        "C,D,c@example.org,12,US,CA,web,\r\n"
    )
    dataset = LineNumberedCSV(encoding="utf-8-sig").create_dataset(text)
    assert dataset.source_lines == [2, 6]
    result = ContactResource(customer=CustomerFactory()).import_data(dataset, dry_run=True)
    assert [row.location for row in result.invalid_rows] == ["line 6"]


# --- customers and interactions --------------------------------------------------------------------


def test_customer_import_by_slug_and_refusal_with_line(client):
    officer = _officer(client)
    CustomerFactory(slug="acme", name="Old name")
    good = (
        "name,slug,status,contract_ended_on,last_activity_at,privacy_contact_email,default_phone_region\r\n"
        "Acme Calls,acme,active,,,privacy@acme.example,us\r\n"
        "Beta Texts,beta,active,,,privacy@beta.example,GB\r\n"
    )
    _confirm(officer, _upload(officer, good.encode(), None, model="customer"), model="customer")
    assert Customer.objects.get(slug="acme").name == "Acme Calls"
    assert Customer.objects.get(slug="beta").default_phone_region == "GB"
    assert AuditEvent.objects.get(action="customer.imported").summary["new"] == 1

    bad = good.replace("Beta Texts,beta,active,,", "Gamma,gamma,terminated,,")
    response = _upload(officer, bad.encode(), None, model="customer")
    (row,) = response.context["result"].invalid_rows
    assert row.location == "line 3"
    assert not Customer.objects.filter(slug="gamma").exists()


def test_interaction_import_normalises_numbers_and_refuses_unknown_contacts():
    contact = ContactFactory()
    header = ["contact", "channel", "direction", "occurred_at", "from_number", "to_number", "duration_seconds", "body", "recording_ref", "ip_address", "user_agent"]  # fmt: skip
    good = [str(contact.pk), "sms", "inbound", "2026-01-05 10:00:00", "(415) 555-0123", "+1 415 555 0100", "", "Hi", "", "", ""]  # fmt: skip
    unknown = ["999999", "call", "outbound", "2026-01-05 11:00:00", "", "", "60", "", "", "", ""]

    refused = InteractionResource().import_data(tablib.Dataset(good, unknown, headers=header))
    assert [row.number for row in refused.invalid_rows] == [2]
    assert "No contact with this id." in refused.problems[0]
    assert Interaction.objects.count() == 0

    InteractionResource().import_data(tablib.Dataset(good, headers=header))
    interaction = Interaction.objects.get()
    assert (interaction.from_number, interaction.to_number) == ("+14155550123", "+14155550100")
    assert interaction.customer_id == contact.customer_id


def test_interaction_import_moves_last_interaction_forward_never_back():
    """Retention counts from the last interaction: a prospect texted last week is not
    three years silent, and an old row imported later changes nothing."""
    import datetime as dt

    from django.utils import timezone

    old_seen = timezone.now() - dt.timedelta(days=3 * 365)
    prospect = ContactFactory(customer=None, kind="prospect", last_interaction_at=old_seen)
    header = ["contact", "channel", "direction", "occurred_at", "from_number", "to_number", "duration_seconds", "body", "recording_ref", "ip_address", "user_agent"]  # fmt: skip
    recent = timezone.now() - dt.timedelta(days=7)
    row = [str(prospect.pk), "sms", "inbound", recent.strftime("%Y-%m-%d %H:%M:%S"), "", "", "", "Hi", "", "", ""]  # fmt: skip
    InteractionResource().import_data(tablib.Dataset(row, headers=header))
    prospect.refresh_from_db()
    assert abs(prospect.last_interaction_at - recent) < dt.timedelta(seconds=1)

    older = [
        str(prospect.pk),
        "sms",
        "inbound",
        "2020-01-01 10:00:00",
        "",
        "",
        "",
        "Hi",
        "",
        "",
        "",
    ]
    InteractionResource().import_data(tablib.Dataset(older, headers=header))
    prospect.refresh_from_db()
    assert abs(prospect.last_interaction_at - recent) < dt.timedelta(seconds=1)


# --- exports -------------------------------------------------------------------------------------------


def test_contact_export_is_a_file_and_a_bulk_read_audit_event(client):
    customer = CustomerFactory(slug="exp")
    ContactFactory.create_batch(3, customer=customer)
    officer = _officer(client)

    response = officer.post(
        reverse("admin:privacy_contact_export"),
        {
            "format": "0",
            "resource": "0",
            **{f"contactexportresource_{f}": "on" for f in ("id", "customer", "email", "phone")},
        },
    )

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 3
    assert {row["customer"] for row in rows} == {"exp"}
    event = AuditEvent.objects.get(action="contact.bulk_read")
    assert event.actor_id == officer.user.pk
    assert event.summary == {"rows": 3, "via": "admin_export"}


def test_contact_export_has_every_column_the_model_declares(client):
    """The export's columns come from the contact's own lists: the address (once missing
    from a hand-written list) is in the file, and a column added to the model without
    a place in those lists fails here rather than silently staying out of exports."""
    from privacy.resources import CONTACT_IMPORT_COLUMNS, ContactExportResource

    customer = CustomerFactory(slug="exp")
    ContactFactory(
        customer=customer,
        address_line1="9 Juniper Row",
        city="Springfield",
        postal_code="12345",
    )
    officer = _officer(client)
    columns = [field.column_name for field in ContactExportResource().get_export_fields()]
    assert set(columns) == {field.name for field in Contact._meta.concrete_fields}
    assert set(CONTACT_IMPORT_COLUMNS) <= set(columns)  # an export can be imported again

    response = officer.post(
        reverse("admin:privacy_contact_export"),
        {
            "format": "0",
            "resource": "0",
            **{f"contactexportresource_{name}": "on" for name in columns},
        },
    )

    [row] = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert (row["address_line1"], row["city"], row["postal_code"]) == (
        "9 Juniper Row",
        "Springfield",
        "12345",
    )


def test_admin_export_neutralises_formula_cells(client):
    """CSV injection: a contact's name that a spreadsheet would run comes out as text."""
    customer = CustomerFactory(slug="exp")
    ContactFactory(customer=customer, first_name='=HYPERLINK("https://evil.example","x")')
    officer = _officer(client)

    response = officer.post(
        reverse("admin:privacy_contact_export"),
        {"format": "0", "resource": "0", "contactexportresource_first_name": "on"},
    )

    [row] = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert row["first_name"] == '\'=HYPERLINK("https://evil.example","x")'


def test_export_needs_the_export_permission(client):
    client.force_login(UserFactory(role="Auditor"))
    assert client.get(reverse("admin:privacy_contact_export")).status_code == 403
    assert client.get(reverse("admin:privacy_interaction_export")).status_code == 403
    assert not AuditEvent.objects.exists()
