"""Children's data: who is a minor (birth date + the age limit where they live, or the
flag), the queue that erases their data after the grace period unless a legal hold
applies, the staff paths (flag, admin action, contact form, cancel) and both importers'
children's-data columns."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import tablib
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from privacy import minors
from privacy.models import AuditEvent, Contact, ErasureCertificate, MinorErasure
from privacy.resources import ContactResource
from privacy.selectors import contact_minor_status, contacts_known_minor
from privacy.services import (
    contact_minor_flag,
    legal_hold_lift,
    legal_hold_place,
    minor_erasure_cancel,
    minor_erasure_schedule,
    minors_data_erase,
)
from privacy.services.bulk_import import contacts_import_csv
from privacy.tests.factories import ContactFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 30)


def _born(years_ago: int, days: int = 0, on: dt.date = TODAY) -> dt.date:
    """A birth date ``years_ago`` years (and ``days`` more days) before ``on``."""
    return minors.add_years(on, -years_ago) - dt.timedelta(days=days)


def _actions(contact_id: int) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="contact", object_id=str(contact_id))
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- the age limit per jurisdiction ----------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "state", "on", "age", "basis"),
    [
        ("", "", TODAY, 16, "our promise"),  # where someone lives is unknown
        ("ZZ", "", TODAY, 16, "our promise"),  # no row: the default
        ("FR", "", TODAY, 16, "our promise"),  # the law says 15; our promise is higher
        ("US", "TX", TODAY, 16, "our promise"),  # COPPA's 13 < 16
        ("US", "CA", TODAY, 16, "our promise"),  # CCPA's 16 = our promise
        ("US", "MD", TODAY, 18, "law"),  # Maryland protects under-18s
        ("US", "MD", dt.date(2025, 9, 30), 16, "our promise"),  # the day before it took effect
        ("US", "MD", dt.date(2025, 10, 1), 18, "law"),  # the day it took effect
        ("US", "NJ", TODAY, 17, "law"),
    ],
)
def test_age_limit_per_jurisdiction_with_the_setting_as_default(country, state, on, age, basis):
    limit = minors.minor_age_limit(country=country, state=state, on=on)
    assert (limit.age, limit.basis) == (age, basis)


@override_settings(PRIVACY_MINOR_AGE=13)
def test_a_lower_promise_lets_member_state_ages_apply():
    assert minors.minor_age_limit(country="FR", on=TODAY).age == 15
    assert minors.minor_age_limit(country="IT", on=TODAY).age == 14
    assert minors.minor_age_limit(country="BE", on=TODAY).age == 13
    assert minors.minor_age_limit(country="DE", on=TODAY).age == 16
    assert minors.minor_age_limit(country="ZZ", on=TODAY).age == 13


@override_settings(PRIVACY_MINOR_AGE_BY_JURISDICTION="FR=15, us-ca=18")
def test_the_per_jurisdiction_setting_wins_over_table_and_default():
    assert minors.minor_age_limit(country="FR", on=TODAY).age == 15
    assert minors.minor_age_limit(country="US", state="CA", on=TODAY).age == 18
    assert minors.minor_age_limit(country="US", state="CA", on=TODAY).basis == "setting"
    assert minors.minor_age_limit(country="US", state="TX", on=TODAY).age == 16


@pytest.mark.parametrize("raw", ["FR", "FR=0", "FR=x", "France=15", "FR=15,DE"])
def test_a_malformed_age_setting_is_refused_clearly(raw):
    minors.parse_overrides.cache_clear()
    with pytest.raises(ImproperlyConfigured, match="PRIVACY_MINOR_AGE_BY_JURISDICTION"):
        minors.parse_overrides(raw)


def test_every_row_names_its_provision_and_when_it_was_checked():
    for rule in minors.MINOR_AGE_RULES:
        assert rule.citation and rule.law and rule.source_note, rule.jurisdiction
        assert rule.checked_on is not None and 13 <= rule.age <= 18, rule.jurisdiction


# --- who is a minor on a day -------------------------------------------------------------------


def test_known_by_birth_date_per_jurisdiction():
    seventeen = _born(17)
    maryland = ContactFactory(country="US", state="MD", date_of_birth=seventeen)
    california = ContactFactory(country="US", state="CA", date_of_birth=seventeen)
    fifteen_in_france = ContactFactory(country="FR", state=None, date_of_birth=_born(15))
    assert contact_minor_status(maryland, on=TODAY).basis == "birth_date"
    assert contact_minor_status(maryland, on=TODAY).limit.age == 18
    assert not contact_minor_status(california, on=TODAY).is_minor
    assert contact_minor_status(fifteen_in_france, on=TODAY).is_minor


def test_the_day_of_the_birthday_is_the_first_day_of_the_new_age():
    contact = ContactFactory(country="US", state="CA", date_of_birth=_born(16))
    assert not contact_minor_status(contact, on=TODAY).is_minor
    assert contact_minor_status(contact, on=TODAY - dt.timedelta(days=1)).is_minor


def test_known_by_the_flag_whatever_the_birth_date():
    flagged = ContactFactory(is_minor=True, date_of_birth=None)
    adult_flag_false = ContactFactory(is_minor=False, date_of_birth=_born(30))
    child_flag_false = ContactFactory(is_minor=False, date_of_birth=_born(10))
    assert contact_minor_status(flagged, on=TODAY).basis == "flag"
    assert not contact_minor_status(adult_flag_false, on=TODAY).is_minor
    # A flag of False does not outweigh a birth date that says otherwise.
    assert contact_minor_status(child_flag_false, on=TODAY).is_minor


@override_settings(PRIVACY_MINOR_AGE_BY_JURISDICTION="US=18,US-CA=15")
def test_the_database_query_agrees_with_the_selector_for_every_case():
    """The nightly job finds minors with one query; it must find exactly the contacts
    the per-contact selector calls minors (state over country, default for the rest)."""
    minors.parse_overrides.cache_clear()
    places = [("US", "MD"), ("US", "CA"), ("US", "TX"), ("US", None), ("FR", None), ("GB", None), (None, None)]  # fmt: skip
    ages = [(12, 0), (14, 200), (15, 0), (15, 364), (16, 0), (16, -1), (17, 100), (18, 0), (40, 0)]
    contacts = [
        ContactFactory(country=country, state=state, date_of_birth=_born(years, days))
        for country, state in places
        for years, days in ages
    ]
    contacts.append(ContactFactory(is_minor=True, date_of_birth=None))
    contacts.append(ContactFactory(is_minor=None, date_of_birth=None))
    expected = {c.pk for c in contacts if contact_minor_status(c, on=TODAY).is_minor}
    found = set(contacts_known_minor(on=TODAY).values_list("pk", flat=True))
    assert found == expected
    assert 10 < len(expected) < len(contacts) - 10  # both sides of every line are tested


def test_29_february_birthdays_turn_over_on_1_march_in_other_years():
    contact = ContactFactory(country="US", state="CA", date_of_birth=dt.date(2010, 2, 29 - 1))
    leap = ContactFactory(country="US", state="CA", date_of_birth=dt.date(2008, 2, 29))
    assert contact_minor_status(leap, on=dt.date(2024, 2, 28)).is_minor
    assert not contact_minor_status(leap, on=dt.date(2024, 2, 29)).is_minor
    on = dt.date(2025, 2, 28)  # 17 on 1 March 2025 under the age_on rule
    assert contact_minor_status(contact, on=on).is_minor
    assert set(contacts_known_minor(on=dt.date(2024, 2, 28)).values_list("pk", flat=True)) >= {
        leap.pk
    }
    assert leap.pk not in set(contacts_known_minor(on=dt.date(2024, 2, 29)).values_list("pk", flat=True))  # fmt: skip


# --- the queue: scheduled, erased, held, cancelled ------------------------------------------


def test_a_minor_is_scheduled_then_erased_after_the_grace_period_through_the_engine(settings):
    settings.PRIVACY_MINOR_ERASURE_DAYS = 7
    child = ContactFactory(country="US", state="MD", date_of_birth=_born(17))
    adult = ContactFactory(country="US", state="CA", date_of_birth=_born(17))
    now = timezone.now()

    counts = minors_data_erase(now=now)
    assert counts["scheduled"] == 1 and counts["erased"] == 0
    entry = MinorErasure.objects.get()
    assert entry.contact_id == child.pk and entry.state == MinorErasure.State.SCHEDULED
    assert (entry.basis, entry.age_limit, entry.jurisdiction) == ("birth_date", 18, "US-MD")
    assert entry.erase_after == now + dt.timedelta(days=7)

    # Idempotent, and nothing is erased before the grace period ends.
    assert minors_data_erase(now=now + dt.timedelta(days=6))["scheduled"] == 0
    child.refresh_from_db()
    assert child.erased_at is None

    counts = minors_data_erase(now=now + dt.timedelta(days=7, minutes=1))
    assert counts["erased"] == 1
    child.refresh_from_db()
    entry.refresh_from_db()
    assert child.erased_at is not None and child.date_of_birth is None and child.email is None
    assert entry.state == MinorErasure.State.DONE and entry.certificate is not None
    assert entry.certificate.trigger == ErasureCertificate.Trigger.MINOR
    assert Contact.objects.get(pk=adult.pk).erased_at is None
    assert _actions(child.pk) == [
        "minor_erasure.scheduled",
        "contact.erased",
        "minor_erasure.erased",
    ]
    assert AuditEvent.objects.filter(action="minors.job_ran").count() == 2
    # Done is done: the next night neither schedules nor erases again.
    counts = minors_data_erase(now=now + dt.timedelta(days=8))
    assert not any(counts.values())


def test_a_legal_hold_keeps_a_minors_data_until_it_is_lifted(settings):
    child = ContactFactory(is_minor=True)
    hold = legal_hold_place(actor=None, contact=child, reason="Matter 2026-44, litigation hold")
    now = timezone.now()
    entry = minor_erasure_schedule(actor=None, contact=child, now=now)
    assert entry.state == MinorErasure.State.HELD and "Matter 2026-44" in entry.reason

    later = now + dt.timedelta(days=settings.PRIVACY_MINOR_ERASURE_DAYS + 1)
    assert minors_data_erase(now=later)["held"] == 1
    minors_data_erase(now=later + dt.timedelta(days=1))  # another night: still held
    child.refresh_from_db()
    entry.refresh_from_db()
    assert child.erased_at is None and entry.state == MinorErasure.State.HELD
    # The hold and its refusals are audited once, not every night.
    assert _actions(child.pk).count("minor_erasure.held") == 0  # held from the start
    assert "minor_erasure.scheduled" in _actions(child.pk)

    legal_hold_lift(actor=None, hold=hold)
    assert minors_data_erase(now=later + dt.timedelta(days=2))["erased"] == 1
    entry.refresh_from_db()
    assert entry.state == MinorErasure.State.DONE


def test_a_hold_placed_after_scheduling_stops_the_erasure_and_is_audited_once():
    child = ContactFactory(is_minor=True)
    now = timezone.now()
    minor_erasure_schedule(actor=None, contact=child, now=now)
    legal_hold_place(actor=None, contact=child, reason="Matter 2026-45")
    later = now + dt.timedelta(days=30)
    minors_data_erase(now=later)
    minors_data_erase(now=later + dt.timedelta(days=1))
    assert MinorErasure.objects.get().state == MinorErasure.State.HELD
    assert _actions(child.pk).count("minor_erasure.held") == 1


def test_the_flag_schedules_at_once_and_clearing_it_cancels_the_erasure():
    officer = UserFactory(role="Privacy officer")
    child = ContactFactory(is_minor=None, date_of_birth=None)
    entry = contact_minor_flag(actor=officer, contact=child, is_minor=True)
    assert entry.state == MinorErasure.State.SCHEDULED and entry.scheduled_by == officer
    assert entry.basis == "flag"
    assert _actions(child.pk)[-2:] == ["contact.updated", "minor_erasure.scheduled"]

    contact_minor_flag(actor=officer, contact=child, is_minor=False)  # it was a mistake
    counts = minors_data_erase(now=timezone.now() + dt.timedelta(days=30))
    entry.refresh_from_db()
    child.refresh_from_db()
    assert counts["cancelled"] == 1 and entry.state == MinorErasure.State.CANCELLED
    assert child.erased_at is None
    # The nightly job does not queue a cancelled contact again…
    assert minors_data_erase()["scheduled"] == 0
    # …but marking them as a minor again does.
    assert contact_minor_flag(actor=officer, contact=child, is_minor=True).is_open


def test_a_child_who_turns_16_during_the_grace_period_is_still_erased():
    child = ContactFactory(country="US", state="CA", date_of_birth=_born(16, days=-3))
    found = timezone.now()
    minor_erasure_schedule(actor=None, contact=child, now=found)
    assert minors_data_erase(now=found + dt.timedelta(days=8))["erased"] == 1


def test_scheduling_someone_not_known_to_be_a_minor_is_refused_with_the_reason():
    adult = ContactFactory(date_of_birth=_born(30), is_minor=None)
    with pytest.raises(ValidationError, match="not known to be a minor"):
        minor_erasure_schedule(actor=None, contact=adult)


def test_cancelling_needs_a_reason_and_an_open_entry():
    entry = minor_erasure_schedule(actor=None, contact=ContactFactory(is_minor=True))
    with pytest.raises(ValidationError, match="Say why"):
        minor_erasure_cancel(actor=None, erasure=entry, reason=" ")
    minor_erasure_cancel(actor=None, erasure=entry, reason="birth year mistyped, corrected")
    with pytest.raises(ValidationError, match="Only a scheduled"):
        minor_erasure_cancel(actor=None, erasure=entry, reason="again")
    assert "minor_erasure.cancelled" in _actions(entry.contact_id)


# --- the staff queue and the admin paths -------------------------------------------------------


def _login(client, role="Privacy officer"):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def test_the_queue_lists_entries_until_they_are_done(client):
    _login(client)
    waiting = minor_erasure_schedule(actor=None, contact=ContactFactory(is_minor=True))
    done = minor_erasure_schedule(actor=None, contact=ContactFactory(is_minor=True))
    MinorErasure.objects.filter(pk=done.pk).update(state=MinorErasure.State.DONE)
    url = reverse("admin:privacy_minorerasure_changelist")
    response = client.get(url)
    assert response.status_code == 200
    assert [e.pk for e in response.context["cl"].result_list] == [waiting.pk]
    closed = client.get(url, {"queue": "closed"})
    assert [e.pk for e in closed.context["cl"].result_list] == [done.pk]


def test_the_queue_cancel_action_asks_the_reason(client):
    _login(client)
    entry = minor_erasure_schedule(actor=None, contact=ContactFactory(is_minor=True))
    url = reverse("admin:privacy_minorerasure_changelist")
    data = {"action": "cancel", "_selected_action": [entry.pk]}
    page = client.post(url, data)
    assert page.status_code == 200 and "reason" in page.context["form"].fields
    client.post(url, {**data, "apply": "1", "reason": "wrong birth year"})
    entry.refresh_from_db()
    assert entry.state == MinorErasure.State.CANCELLED and entry.reason == "wrong birth year"


def test_staff_mark_a_contact_as_a_minor_from_the_contact_list(client):
    _login(client, "Support agent")
    contact = ContactFactory(is_minor=None)
    url = reverse("admin:privacy_contact_changelist")
    client.post(url, {"action": "mark_minor", "_selected_action": [contact.pk], "apply": "1"})
    contact.refresh_from_db()
    assert contact.is_minor is True
    assert MinorErasure.objects.get(contact=contact).state == MinorErasure.State.SCHEDULED


def test_an_auditor_cannot_mark_minors():
    auditor = UserFactory(role="Auditor")
    assert not auditor.has_perm("privacy.flag_minor_contact")
    assert auditor.has_perm("privacy.view_minorerasure")


# --- the importers' children's-data columns ----------------------------------------------------

HEADER = ["first_name", "last_name", "email", "phone", "country", "state", "date_of_birth", "is_minor"]  # fmt: skip


def _rows(born: dt.date) -> list[list[str]]:
    return [
        ["Kid", "One", "kid1@example.org", "", "US", "MD", born.isoformat(), ""],
        ["Kid", "Two", "kid2@example.org", "", "US", "CA", "", "yes"],
        ["Grown", "Up", "grown@example.org", "", "US", "CA", "1980-01-31", "false"],
        # The same person as "Grown Up" by e-mail, saying they are a minor: never dropped.
        ["Grown", "Up", "GROWN@example.org", "", "US", "CA", "", "true"],
    ]


def _check_imported() -> None:
    by_email = {c.email: c for c in Contact.objects.all()}
    assert by_email["kid1@example.org"].date_of_birth == _born(17, on=timezone.localdate())
    assert by_email["kid2@example.org"].is_minor is True
    assert by_email["grown@example.org"].is_minor is True
    assert by_email["grown@example.org"].date_of_birth == dt.date(1980, 1, 31)
    minors_data_erase()
    assert set(MinorErasure.objects.values_list("contact__email", flat=True)) == {
        "kid1@example.org",
        "kid2@example.org",
        "grown@example.org",
    }


def test_admin_import_reads_birth_date_and_minor_flag():
    customer = CustomerFactory()
    dataset = tablib.Dataset(*_rows(_born(17, on=timezone.localdate())), headers=HEADER)
    result = ContactResource(customer=customer).import_data(
        dataset, dry_run=False, raise_errors=False, use_transactions=True
    )
    assert not result.has_validation_errors(), result.problems
    _check_imported()


def test_admin_import_refuses_a_bad_birth_date_or_flag_without_echoing_it():
    customer = CustomerFactory()
    rows = _rows(_born(17))
    rows[0][6] = "31/12/2010"
    rows[1][7] = "maybe"
    result = ContactResource(customer=customer).import_data(
        tablib.Dataset(*rows, headers=HEADER),
        dry_run=False,
        raise_errors=False,
        use_transactions=True,
    )
    assert result.problems == [
        "row 1: date_of_birth: Date_of_birth must be a date as YYYY-MM-DD.",
        "row 2: is_minor: Is_minor must be true or false.",
    ]
    assert not Contact.objects.exists()


def _write(path, rows) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


@pytest.mark.parametrize("method", [pytest.param("copy", marks=pytest.mark.postgres), "orm"])
def test_bulk_import_reads_birth_date_and_minor_flag(tmp_path, method):
    customer = CustomerFactory()
    path = tmp_path / "people.csv"
    _write(path, _rows(_born(17, on=timezone.localdate())))
    report = contacts_import_csv(actor=None, customer=customer, path=path, method=method, workers=1)
    assert (report.rows, report.contacts_created, report.rows_merged_in_file) == (4, 3, 1)
    _check_imported()


@pytest.mark.parametrize("method", [pytest.param("copy", marks=pytest.mark.postgres), "orm"])
def test_bulk_import_marks_an_existing_contact_a_minor_and_fills_its_birth_date(tmp_path, method):
    customer = CustomerFactory()
    existing = ContactFactory(
        customer=customer,
        email="kid1@example.org",
        first_name="Kid",
        last_name="One",  # the same person: a different name is refused (both importers)
        date_of_birth=None,
    )
    path = tmp_path / "people.csv"
    _write(path, [["Kid", "One", "kid1@example.org", "", "US", "MD", "2011-05-06", "yes"]])
    report = contacts_import_csv(actor=None, customer=customer, path=path, method=method, workers=1)
    assert report.existing_contacts_matched == 1
    existing.refresh_from_db()
    assert existing.is_minor is True and existing.date_of_birth == dt.date(2011, 5, 6)


@pytest.mark.parametrize("method", [pytest.param("copy", marks=pytest.mark.postgres), "orm"])
def test_bulk_import_refuses_bad_children_cells_by_line(tmp_path, method):
    customer = CustomerFactory()
    path = tmp_path / "people.csv"
    rows = _rows(_born(17))
    rows[2][6] = "2999-01-01"
    rows[3][7] = "perhaps"
    _write(path, rows)
    with pytest.raises(ValidationError) as refused:
        contacts_import_csv(actor=None, customer=customer, path=path, method=method, workers=1)
    assert [str(e) for e in refused.value.row_errors] == [
        "line 4: date_of_birth is in the future",
        "line 5: is_minor must be true or false",
    ]
    assert not Contact.objects.exists()


def test_the_morning_page_shows_the_minors_queue_instead_of_its_placeholder(client):
    _login(client)
    entry = minor_erasure_schedule(actor=None, contact=ContactFactory(is_minor=True))
    html = client.get(reverse("admin:index")).content.decode()
    assert "Minors&#x27; data to erase" in html
    assert "appears here once it is built" not in html
    assert f"Contact #{entry.contact_id}" in html
    assert reverse("admin:privacy_minorerasure_changelist") in html
