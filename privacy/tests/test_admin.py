"""The privacy admin through HTTP: contact search, the contact page and its audit trail,
the erase / export / hold actions, the staff permission matrix and changelist cost."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from privacy.models import AuditEvent, Contact, ContactIdentifier, ErasureCertificate, LegalHold
from privacy.services import legal_hold_place
from privacy.tests.factories import (
    ContactFactory,
    CustomerFactory,
    InteractionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

OFFICER, SUPPORT, AUDITOR = "Privacy officer", "Support agent", "Auditor"
CHANGELIST = "admin:privacy_contact_changelist"


def _client(client, role=None, superuser=False):
    user = UserFactory(role=role, is_superuser=superuser)
    client.force_login(user)
    client.user = user
    return client


def _change_url(contact):
    return reverse("admin:privacy_contact_change", args=[contact.pk])


def _action_names(response):
    if response.context["action_form"] is None:
        return set()
    return {name for name, _ in response.context["action_form"].fields["action"].choices if name}


def _found_ids(response):
    return {obj.pk for obj in response.context["cl"].result_list}


# --- search ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["(415) 555-1098", "415.555.1098", "+1 415 555 1098", "4155551098", "1-415-555-1098"],
)
def test_search_by_phone_in_any_common_format(client, query):
    target = ContactFactory(phone="+14155551098", email="someone@example.org")
    ContactFactory(phone="+14155551099", email="other@example.org")
    response = _client(client, SUPPORT).get(reverse(CHANGELIST), {"q": query})
    assert response.status_code == 200
    assert _found_ids(response) == {target.pk}


def test_search_by_mixed_case_email_and_by_name(client):
    target = ContactFactory(email="foo@example.com", last_name="Okafor", first_name="Ada")
    ContactFactory(email="bar@example.com", last_name="Other")
    staff = _client(client, SUPPORT)
    assert _found_ids(staff.get(reverse(CHANGELIST), {"q": "Foo@EXAMPLE.com"})) == {target.pk}
    assert _found_ids(staff.get(reverse(CHANGELIST), {"q": "okafor"})) == {target.pk}
    assert _found_ids(staff.get(reverse(CHANGELIST), {"q": "Ada Okafor"})) == {target.pk}
    assert _found_ids(staff.get(reverse(CHANGELIST), {"q": "nobody@example.com"})) == set()


def test_secondary_identifier_is_found_too(client):
    target = ContactFactory(phone="+14155551000")
    ContactIdentifier.objects.create(
        contact=target,
        customer=target.customer,
        kind="phone",
        value="+16175552000",
        match_key="+16175552000",
    )
    response = _client(client, SUPPORT).get(reverse(CHANGELIST), {"q": "(617) 555-2000"})
    assert _found_ids(response) == {target.pk}


# --- the contact page -------------------------------------------------------------------------


def test_contact_page_records_the_view_and_shows_bounded_sections(client):
    contact = ContactFactory()
    InteractionFactory.create_batch(55, contact=contact)
    legal_hold_place(actor=None, contact=contact, reason="Matter 12 tax audit")
    officer = _client(client, OFFICER)

    response = officer.get(_change_url(contact))

    assert response.status_code == 200
    viewed = AuditEvent.objects.get(action="contact.viewed")
    assert (viewed.actor_id, viewed.object_type, viewed.object_id) == (
        officer.user.pk,
        "contact",
        str(contact.pk),
    )
    assert len(response.context["interactions"]) == 50  # not 55: the page stays small
    assert response.context["interactions_more"] is True
    body = response.content.decode()
    assert f"?contact__id__exact={contact.pk}" in body
    assert "Matter 12 tax audit" in body
    # The audit trail section lists the contact's events, in words, by name.
    assert "Contact&#x27;s page viewed by staff" in body
    assert "Legal hold placed" in body
    assert "user #" not in body


def test_support_agent_sees_no_audit_or_certificate_sections(client):
    contact = ContactFactory()
    response = _client(client, SUPPORT).get(_change_url(contact))
    assert response.status_code == 200
    assert "audit_events" not in response.context
    assert "certificates" not in response.context
    assert "interactions" in response.context


def test_editing_goes_through_the_service_and_audits_field_names_only(client):
    contact = ContactFactory(first_name="Ada", city="Lagos")
    staff = _client(client, SUPPORT)
    page = staff.get(_change_url(contact))
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"first_name": "Adaeze", "add_phone": "(617) 555-0199", "add_email": ""})
    data = {k: v for k, v in data.items() if v is not False}

    response = staff.post(_change_url(contact), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    contact.refresh_from_db()
    assert contact.first_name == "Adaeze"
    assert contact.identifiers.filter(kind="phone", value="+16175550199").exists()
    updated = AuditEvent.objects.get(action="contact.updated", object_id=str(contact.pk))
    assert updated.summary["fields"] == ["first_name"]
    assert "Adaeze" not in str(updated.summary)
    assert AuditEvent.objects.filter(action="contact.identifier_added").count() == 1


def test_invalid_new_phone_is_a_form_error_and_nothing_changes(client):
    contact = ContactFactory(first_name="Ada")
    staff = _client(client, SUPPORT)
    form = staff.get(_change_url(contact)).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"first_name": "Changed", "add_phone": "12345"})
    data = {k: v for k, v in data.items() if v is not False}

    response = staff.post(_change_url(contact), data)

    assert response.status_code == 200
    assert "Not a valid phone number" in str(response.context["adminform"].form.errors)
    contact.refresh_from_db()
    assert contact.first_name == "Ada"
    assert not AuditEvent.objects.filter(action="contact.updated").exists()


def test_adding_a_contact_normalises_and_deduplicates(client):
    customer = CustomerFactory()
    existing = ContactFactory(customer=customer, email="known@example.org", phone="+14155550111")
    staff = _client(client, SUPPORT)
    url = reverse("admin:privacy_contact_add")
    base = {"customer": customer.pk, "kind": "end_user", "first_name": "New", "last_name": "Person"}

    created = staff.post(url, {**base, "email_address": "New@EXAMPLE.org", "phone_number": "(212) 555-0142"})  # fmt: skip
    assert created.status_code == 302
    new = Contact.objects.exclude(pk=existing.pk).get()
    assert (new.email, new.phone) == ("New@example.org", "+12125550142")
    assert AuditEvent.objects.filter(action="contact.created", object_id=str(new.pk)).exists()

    again = staff.post(url, {**base, "email_address": "KNOWN@example.org", "phone_number": ""})
    assert again.status_code == 302
    assert again["Location"].endswith(_change_url(existing))
    assert Contact.objects.count() == 2

    bad = staff.post(url, {**base, "email_address": "not-an-email"})
    assert bad.status_code == 200
    assert "Not a valid e-mail address" in str(bad.context["adminform"].form.errors)


def test_erased_contact_is_read_only_and_named_as_erased(client):
    from privacy.services import contact_erase

    contact = ContactFactory()
    contact_erase(actor=None, contact=contact)
    officer = _client(client, OFFICER)
    page = officer.get(_change_url(contact))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert f"Erased contact #{contact.pk}" in page.content.decode()
    posted = officer.post(_change_url(contact), {"first_name": "Back"})
    assert posted.status_code == 403
    listing = officer.get(reverse(CHANGELIST))
    assert f"Erased contact #{contact.pk}" in listing.content.decode()


# --- actions ------------------------------------------------------------------------------------


def _action(client, action, contacts, **extra):
    data = {"action": action, "_selected_action": [c.pk for c in contacts], **extra}
    return client.post(reverse(CHANGELIST), data)


def test_erase_confirmation_lists_what_goes_and_what_is_kept_then_erases(client):
    contact = ContactFactory()
    InteractionFactory.create_batch(2, contact=contact, channel="sms")
    InteractionFactory(contact=contact, channel="call", duration_seconds=30)
    officer = _client(client, OFFICER)

    page = _action(officer, "erase_contacts", [contact])

    assert page.status_code == 200
    assert page.templates[0].name == "admin/privacy/contact/erase_confirmation.html"
    (preview,) = page.context["previews"]
    assert ("Communications", "interactions", 2) in preview["erased"]
    assert ("Profile and identifiers", "identifiers", 2) in preview["erased"]
    kept_tables = {kept.table for kept in preview["kept"]}
    assert kept_tables == {"interaction (call)", "contact"}
    body = page.content.decode()
    assert "billing and tax records" in body  # the reason the call record is kept
    Contact.objects.get(pk=contact.pk, erased_at__isnull=True)  # nothing happened yet

    done = _action(officer, "erase_contacts", [contact], apply="yes")

    assert done.status_code == 302
    contact.refresh_from_db()
    assert contact.erased_at is not None and contact.email is None
    certificate = ErasureCertificate.objects.get(contact=contact)
    assert certificate.performed_by_id == officer.user.pk


def test_erasing_a_held_contact_is_refused_with_the_holds_reason(client):
    held, free = ContactFactory(), ContactFactory()
    legal_hold_place(actor=None, contact=held, reason="Matter 7 litigation")
    officer = _client(client, OFFICER)

    page = _action(officer, "erase_contacts", [held, free])
    assert "Matter 7 litigation" in page.content.decode()
    assert page.context["blocked"] == 1

    done = _action(officer, "erase_contacts", [held, free], apply="yes", follow=True)
    response = officer.get(reverse(CHANGELIST))
    texts = [str(m) for m in response.context["messages"]] if response.context else []
    held.refresh_from_db()
    free.refresh_from_db()
    assert held.erased_at is None
    assert free.erased_at is not None
    assert done.status_code == 302
    assert any("Matter 7 litigation" in t and "Refused 1" in t for t in texts)


def test_export_action_returns_a_zip_with_json_and_csv_per_table_and_a_summary(client):
    contact = ContactFactory()
    InteractionFactory.create_batch(3, contact=contact)
    officer = _client(client, OFFICER)

    response = _action(officer, "export_data", [contact])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f"contact-{contact.pk}-data.zip" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    for table in ("privacy.contact/profile", "privacy.contact/identifiers", "privacy.interaction/interactions"):  # fmt: skip
        assert {f"{table}.json", f"{table}.csv"} <= names
    assert "SUMMARY.txt" in names
    assert AuditEvent.objects.filter(action="contact.exported", object_id=str(contact.pk)).exists()


def test_export_action_needs_exactly_one_contact(client):
    officer = _client(client, OFFICER)
    response = _action(officer, "export_data", [ContactFactory(), ContactFactory()])
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="contact.exported").exists()


def test_place_and_lift_hold_actions(client):
    contact = ContactFactory()
    officer = _client(client, OFFICER)

    form = _action(officer, "place_hold", [contact])
    assert form.status_code == 200 and "reason" in form.context["form"].fields
    assert not LegalHold.objects.exists()

    placed = _action(officer, "place_hold", [contact], apply="yes", reason="Matter 9 subpoena")
    assert placed.status_code == 302
    hold = LegalHold.objects.get(contact=contact)
    assert hold.reason == "Matter 9 subpoena" and hold.placed_by_id == officer.user.pk

    _action(officer, "lift_holds", [contact])
    hold.refresh_from_db()
    assert hold.lifted_at is not None


def test_customer_hold_action_blocks_erasure_of_its_contacts(client):
    contact = ContactFactory()
    officer = _client(client, OFFICER)
    officer.post(
        reverse("admin:privacy_customer_changelist"),
        {
            "action": "place_hold",
            "_selected_action": [contact.customer_id],
            "apply": "yes",
            "reason": "Matter 3 regulator inquiry",
        },
    )
    assert LegalHold.objects.get(customer=contact.customer).reason == "Matter 3 regulator inquiry"
    _action(officer, "erase_contacts", [contact], apply="yes")
    contact.refresh_from_db()
    assert contact.erased_at is None


# --- the staff permission matrix ------------------------------------------------------------------


def test_support_agent_finds_views_creates_and_updates_but_no_privacy_actions(client):
    contact = ContactFactory()
    staff = _client(client, SUPPORT)
    listing = staff.get(reverse(CHANGELIST))
    assert listing.status_code == 200
    assert _action_names(listing).isdisjoint(
        {"export_data", "erase_contacts", "place_hold", "lift_holds"}
    )
    assert staff.get(reverse("admin:privacy_contact_add")).status_code == 200
    assert staff.get(_change_url(contact)).context["has_change_permission"] is True
    for name in ("import", "export", "process_import"):
        assert staff.get(reverse(f"admin:privacy_contact_{name}")).status_code in (403, 405)
    assert staff.get(reverse("admin:privacy_contact_import")).status_code == 403
    assert staff.get(reverse("admin:privacy_contact_export")).status_code == 403
    # Forcing the action by POST does nothing either.
    _action(staff, "erase_contacts", [contact], apply="yes")
    contact.refresh_from_db()
    assert contact.erased_at is None
    assert staff.get(reverse("admin:privacy_auditevent_changelist")).status_code == 403


def test_auditor_reads_everything_including_the_audit_trail_but_changes_nothing(client):
    contact = ContactFactory()
    auditor = _client(client, AUDITOR)
    assert auditor.get(reverse("admin:privacy_auditevent_changelist")).status_code == 200
    page = auditor.get(_change_url(contact))
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    assert "audit_events" in page.context
    assert auditor.post(_change_url(contact), {"first_name": "X"}).status_code == 403
    assert auditor.get(reverse("admin:privacy_contact_add")).status_code == 403
    listing = auditor.get(reverse(CHANGELIST))
    assert _action_names(listing) == set()
    assert auditor.get(reverse("admin:privacy_contact_export")).status_code == 403
    for model in ("legalhold", "retentionrule", "datacategory", "customer"):
        assert auditor.get(reverse(f"admin:privacy_{model}_add")).status_code == 403


def test_the_audit_trail_shows_each_action_in_words_and_filters_by_it(client):
    contact = ContactFactory()
    legal_hold_place(actor=None, contact=contact, reason="Matter 5")
    auditor = _client(client, AUDITOR)
    url = reverse("admin:privacy_auditevent_changelist")

    listing = auditor.get(url).content.decode()
    assert "Legal hold placed" in listing and "<code>legal_hold.placed</code>" in listing

    filtered = auditor.get(url, {"action": "legal_hold.placed"})
    assert [e.action for e in filtered.context["cl"].result_list] == ["legal_hold.placed"]
    auditor.get(_change_url(contact))  # the first view is the page's first audit row
    page = auditor.get(_change_url(contact)).content.decode()
    assert 'title="contact.viewed">Contact&#x27;s page viewed by staff<' in page


def test_privacy_officer_can_do_everything(client):
    contact = ContactFactory()
    officer = _client(client, OFFICER)
    listing = officer.get(reverse(CHANGELIST))
    assert {"export_data", "erase_contacts", "place_hold", "lift_holds"} <= _action_names(listing)
    assert officer.get(reverse("admin:privacy_contact_import")).status_code == 200
    assert officer.get(reverse("admin:privacy_contact_export")).status_code == 200
    assert officer.get(reverse("admin:privacy_legalhold_add")).status_code == 200
    assert officer.get(reverse("admin:privacy_retentionrule_add")).status_code == 200
    assert officer.get(_change_url(contact)).context["has_change_permission"] is True


@pytest.mark.parametrize("superuser", [False, True])
def test_nobody_changes_or_deletes_audit_events_certificates_or_suppressions(client, superuser):
    contact = ContactFactory()
    from privacy.services import contact_erase

    contact_erase(actor=None, contact=contact)
    event = AuditEvent.objects.first()
    certificate = ErasureCertificate.objects.get()
    user = _client(client, None if superuser else OFFICER, superuser=superuser)
    for model, obj in (("auditevent", event), ("erasurecertificate", certificate)):
        assert user.get(reverse(f"admin:privacy_{model}_changelist")).status_code == 200
        page = user.get(reverse(f"admin:privacy_{model}_change", args=[obj.pk]))
        assert page.status_code == 200 and page.context["has_change_permission"] is False
        assert user.post(reverse(f"admin:privacy_{model}_change", args=[obj.pk]), {}).status_code == 403  # fmt: skip
        assert user.get(reverse(f"admin:privacy_{model}_delete", args=[obj.pk])).status_code == 403
        assert user.get(reverse(f"admin:privacy_{model}_add")).status_code == 403
    assert user.get(reverse("admin:privacy_suppression_add")).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- changelists at scale ---------------------------------------------------------------------------


def _contacts_in_bulk(count: int, customer) -> None:
    Contact.objects.bulk_create(
        [
            Contact(customer=customer, first_name=f"F{i}", last_name=f"L{i}", email=f"p{i}@example.org")
            for i in range(count)
        ]
    )  # fmt: skip


def _full_counts(queries, table="privacy_contact"):
    """COUNT(*) queries over the table that are not capped by a LIMIT subquery."""
    return [
        q["sql"]
        for q in queries
        if "COUNT(" in q["sql"].upper() and table in q["sql"] and "LIMIT" not in q["sql"].upper()
    ]


@pytest.mark.parametrize("query", [{}, {"kind": "end_user"}, {"q": "(415) 555-1098"}, {"q": "L5"}])
def test_contact_changelist_has_bounded_queries_and_no_full_count(client, django_assert_max_num_queries, query):  # fmt: skip
    customer = CustomerFactory()
    _contacts_in_bulk(300, customer)
    officer = _client(client, OFFICER)
    officer.get(reverse(CHANGELIST))  # warm the session and permission caches

    with CaptureQueriesContext(connection) as captured, django_assert_max_num_queries(12):
        response = officer.get(reverse(CHANGELIST), query)

    assert response.status_code == 200
    assert _full_counts(captured.captured_queries) == []


def test_changelist_query_count_does_not_grow_with_rows(client):
    customer = CustomerFactory()
    officer = _client(client, OFFICER)
    _contacts_in_bulk(5, customer)
    officer.get(reverse(CHANGELIST))
    with CaptureQueriesContext(connection) as few:
        officer.get(reverse(CHANGELIST))
    _contacts_in_bulk(200, CustomerFactory())
    with CaptureQueriesContext(connection) as many:
        officer.get(reverse(CHANGELIST))
    assert (
        len(many.captured_queries) <= len(few.captured_queries) + 1
    )  # one more customer in the filter
    # Customers are joined, not fetched per row.
    per_row = [q for q in many.captured_queries if 'FROM "privacy_customer"' in q["sql"] and "WHERE" in q["sql"]]  # fmt: skip
    assert per_row == []


def test_paginator_caps_the_count_of_a_filtered_list():
    from privacy.admin_kit import EstimatedCountPaginator

    customer = CustomerFactory()
    _contacts_in_bulk(30, customer)
    paginator = EstimatedCountPaginator(Contact.objects.filter(customer=customer), 10)
    paginator.cap = 25
    with CaptureQueriesContext(connection) as captured:
        assert paginator.count == 26
    assert paginator.is_capped
    assert "LIMIT 26" in captured.captured_queries[0]["sql"].upper()
    exact = EstimatedCountPaginator(Contact.objects.filter(customer=customer), 10)
    assert exact.count == 30 and not exact.is_capped


@pytest.mark.postgres
def test_unfiltered_count_on_postgres_uses_the_planner_estimate():
    from privacy.admin_kit import EstimatedCountPaginator

    customer = CustomerFactory()
    _contacts_in_bulk(60, customer)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE privacy_contact")
    paginator = EstimatedCountPaginator(Contact.objects.all(), 10)
    paginator.cap = 20
    with CaptureQueriesContext(connection) as captured:
        count = paginator.count
    assert paginator.is_estimate and count == 60
    assert _full_counts(captured.captured_queries) == []
    assert "reltuples" in captured.captured_queries[0]["sql"]


def test_auditor_browses_the_suppression_list_and_certificates_unsearched(client):
    """Both registers list their rows without a search term (Django asks the search
    hook with an empty term on every page), and a search still narrows them."""
    from privacy.services import contact_erase

    kept, other = ContactFactory(do_not_contact=True), ContactFactory(do_not_contact=True)
    phone = kept.phone
    contact_erase(actor=None, contact=kept)
    contact_erase(actor=None, contact=other)
    auditor = _client(client, role=AUDITOR)

    suppressions = auditor.get(reverse("admin:privacy_suppression_changelist"))
    assert suppressions.context["cl"].result_count == 4  # e-mail and phone of each
    searched = auditor.get(reverse("admin:privacy_suppression_changelist"), {"q": phone})
    assert searched.context["cl"].result_count == 1

    certificates = auditor.get(reverse("admin:privacy_erasurecertificate_changelist"))
    assert {c.contact_id for c in certificates.context["cl"].result_list} == {kept.pk, other.pk}
    one = auditor.get(reverse("admin:privacy_erasurecertificate_changelist"), {"q": f"#{kept.pk}"})
    assert [c.contact_id for c in one.context["cl"].result_list] == [kept.pk]


def test_search_box_posts_and_the_url_carries_ids_not_the_term(client):
    """A phone number, e-mail or name typed in the search box never appears in a URL
    (access logs, browser history); the list shows the same matches."""
    contact = ContactFactory(phone="+14155551098", email="Dana.Search@example.org")
    ContactFactory()
    officer = _client(client, role=OFFICER)
    search_url = reverse("admin:privacy_contact_search")

    page = officer.get(reverse(CHANGELIST))
    assert b'method="post" action="search/"' in page.content

    for term in ("(415) 555-1098", "dana.search@EXAMPLE.org"):
        response = officer.post(search_url, {"q": term})
        assert response.status_code == 302
        assert (
            "555" not in response.url
            and "@" not in response.url
            and "dana" not in response.url.lower()
        )
        assert _found_ids(officer.get(response.url)) == {contact.pk}

    nothing = officer.post(search_url, {"q": "+1 212 555 0000"})
    assert _found_ids(officer.get(nothing.url)) == set()
    assert officer.get(search_url).status_code == 405


def test_suppression_search_posts_and_carries_ids_only(client):
    from privacy.services import contact_erase

    contact = ContactFactory(do_not_contact=True)
    phone = contact.phone
    contact_erase(actor=None, contact=contact)
    auditor = _client(client, role=AUDITOR)
    response = auditor.post(reverse("admin:privacy_suppression_search"), {"q": phone})
    assert response.status_code == 302 and phone[2:] not in response.url
    listed = auditor.get(response.url).context["cl"].result_list
    assert [s.channel for s in listed] == ["phone"]
