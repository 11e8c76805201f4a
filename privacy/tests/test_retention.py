"""The retention rules and the sweep that applies them (privacy policy: identity data
2 years after the contract ends, 5 years unused ends a contract, prospects 2 years
after last contact, cookie data 12 months, unused accounts de-identified)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from privacy.models import (
    AuditEvent,
    Contact,
    ErasureCertificate,
    Interaction,
    RetentionRule,
    Suppression,
)
from privacy.services import legal_hold_lift, legal_hold_place, retention_sweep
from privacy.tests.factories import ContactFactory, CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db

CONTRACT_END = RetentionRule.Code.CUSTOMER_CONTRACT_END
PROSPECT = RetentionRule.Code.PROSPECT_LAST_CONTACT
COOKIE = RetentionRule.Code.COOKIE_DATA
UNUSED = RetentionRule.Code.UNUSED_ACCOUNT


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def erased_ids() -> set[int]:
    return set(Contact.objects.filter(erased_at__isnull=False).values_list("pk", flat=True))


def controller_contact(kind: str, *, last_seen_days_ago: int | None, created_days_ago: int = 0):
    return ContactFactory(
        customer=None,
        kind=kind,
        last_interaction_at=days_ago(last_seen_days_ago)
        if last_seen_days_ago is not None
        else None,
        created_at=days_ago(created_days_ago),
    )


# --- each rule ---------------------------------------------------------------------------


def test_contacts_of_a_terminated_customer_go_two_years_after_the_contract_ended():
    long_gone = CustomerFactory(terminated_days_ago=731)
    recently_gone = CustomerFactory(terminated_days_ago=700)
    active = CustomerFactory()
    due = ContactFactory.create_batch(2, customer=long_gone)
    InteractionFactory(contact=due[0], body="old message")
    kept = [ContactFactory(customer=recently_gone), ContactFactory(customer=active)]

    report = retention_sweep(actor=None)

    assert erased_ids() == {c.pk for c in due}
    assert report.rules[CONTRACT_END].erased == 2
    assert not Interaction.objects.filter(contact=due[0]).exists()
    for contact in kept:
        contact.refresh_from_db()
        assert contact.first_name and contact.erased_at is None


def test_a_contract_counts_as_ended_after_five_years_unused():
    # 5 years unused ends the contract; its contacts go 2 years after that.
    unused_seven_years = CustomerFactory(last_activity_at=days_ago(7 * 365 + 5))
    unused_six_years = CustomerFactory(last_activity_at=days_ago(6 * 365))
    due = ContactFactory(customer=unused_seven_years)
    kept = ContactFactory(customer=unused_six_years)

    report = retention_sweep(actor=None)

    assert erased_ids() == {due.pk}
    assert report.rules[CONTRACT_END].erased == 1
    kept.refresh_from_db()
    assert kept.erased_at is None


def test_prospects_go_two_years_after_last_contact():
    stale = controller_contact("prospect", last_seen_days_ago=731, created_days_ago=900)
    never_contacted = controller_contact("prospect", last_seen_days_ago=None, created_days_ago=800)
    recent = controller_contact("prospect", last_seen_days_ago=700, created_days_ago=900)
    new = controller_contact("prospect", last_seen_days_ago=None, created_days_ago=10)

    report = retention_sweep(actor=None)

    assert erased_ids() == {stale.pk, never_contacted.pk}
    assert report.rules[PROSPECT].erased == 2
    assert recent.pk not in erased_ids() and new.pk not in erased_ids()


def test_site_visitor_cookie_data_goes_after_twelve_months():
    old = controller_contact("site_visitor", last_seen_days_ago=370, created_days_ago=400)
    recent = controller_contact("site_visitor", last_seen_days_ago=330, created_days_ago=400)

    report = retention_sweep(actor=None)

    assert erased_ids() == {old.pk}
    assert report.rules[COOKIE].erased == 1
    assert recent.pk not in erased_ids()


def test_unused_accounts_are_de_identified():
    unused = controller_contact(
        "account_holder", last_seen_days_ago=8 * 365, created_days_ago=9 * 365
    )
    in_use = controller_contact(
        "account_holder", last_seen_days_ago=6 * 365, created_days_ago=9 * 365
    )

    report = retention_sweep(actor=None)

    assert erased_ids() == {unused.pk}
    assert report.rules[UNUSED].erased == 1
    unused.refresh_from_db()
    assert (unused.first_name, unused.email, unused.phone) == (None, None, None)
    assert in_use.pk not in erased_ids()


def test_rules_do_not_reach_across_kinds_or_modes():
    # An end user of an active customer is not a prospect; a prospect is not a cookie.
    end_user = ContactFactory(last_interaction_at=days_ago(3000), created_at=days_ago(3000))
    prospect = controller_contact("prospect", last_seen_days_ago=400, created_days_ago=400)

    retention_sweep(actor=None)

    assert erased_ids() == set()
    assert {end_user.pk, prospect.pk}.isdisjoint(erased_ids())


def test_per_customer_override_shortens_or_lengthens_the_period():
    shortened = CustomerFactory(terminated_days_ago=60)
    lengthened = CustomerFactory(terminated_days_ago=800)
    default = CustomerFactory(terminated_days_ago=60)
    RetentionRule.objects.create(code=CONTRACT_END, customer=shortened, period_days=30)
    RetentionRule.objects.create(code=CONTRACT_END, customer=lengthened, period_days=3650)
    due = ContactFactory(customer=shortened)
    kept = [ContactFactory(customer=lengthened), ContactFactory(customer=default)]

    retention_sweep(actor=None)

    assert erased_ids() == {due.pk}
    assert {c.pk for c in kept}.isdisjoint(erased_ids())


def test_a_customer_never_seen_active_counts_as_unused_since_it_was_created():
    never_used = CustomerFactory(last_activity_at=None, created_at=days_ago(7 * 365 + 5))
    new = CustomerFactory(last_activity_at=None, created_at=days_ago(30))
    due = ContactFactory(customer=never_used)
    kept = ContactFactory(customer=new)

    retention_sweep(actor=None)

    assert erased_ids() == {due.pk}
    assert kept.pk not in erased_ids()


def test_per_customer_inactivity_override():
    customer = CustomerFactory(last_activity_at=days_ago(3 * 365))
    RetentionRule.objects.create(
        code=RetentionRule.Code.CONTRACT_INACTIVITY, customer=customer, period_days=365
    )
    contact = ContactFactory(customer=customer)  # ended 2 years ago by the override

    retention_sweep(actor=None)

    assert erased_ids() == {contact.pk}


def test_a_disabled_rule_erases_nothing():
    old_visitor = controller_contact("site_visitor", last_seen_days_ago=500, created_days_ago=500)
    RetentionRule.objects.filter(code=COOKIE, customer=None).update(is_active=False)

    report = retention_sweep(actor=None)

    assert old_visitor.pk not in erased_ids()
    assert report.rules[COOKIE].erased == 0


def test_a_customer_override_set_to_marker_only_keeps_that_customers_contacts():
    kept_customer = CustomerFactory(terminated_days_ago=800)
    RetentionRule.objects.create(
        code=CONTRACT_END,
        customer=kept_customer,
        period_days=730,
        action=RetentionRule.Action.NONE,
    )
    other = CustomerFactory(terminated_days_ago=800)
    kept = ContactFactory(customer=kept_customer)
    due = ContactFactory(customer=other)

    retention_sweep(actor=None)

    assert erased_ids() == {due.pk}
    assert kept.pk not in erased_ids()


# --- holds -------------------------------------------------------------------------------


def test_contact_and_customer_holds_block_retention_and_are_reported_as_held():
    gone = CustomerFactory(terminated_days_ago=900)
    held_contact = ContactFactory(customer=gone)
    free = ContactFactory(customer=gone)
    held_customer = CustomerFactory(terminated_days_ago=900)
    held_by_customer = ContactFactory.create_batch(2, customer=held_customer)
    held_prospect = controller_contact("prospect", last_seen_days_ago=800, created_days_ago=800)
    legal_hold_place(actor=None, contact=held_contact, reason="Matter 41 subpoena")
    customer_hold = legal_hold_place(actor=None, customer=held_customer, reason="Tax audit 2025")
    legal_hold_place(actor=None, contact=held_prospect, reason="Matter 42")

    report = retention_sweep(actor=None)

    assert erased_ids() == {free.pk}
    assert report.rules[CONTRACT_END].erased == 1
    assert report.rules[CONTRACT_END].held == 3
    assert report.rules[PROSPECT].held == 1
    assert report.rules[PROSPECT].erased == 0
    for contact in (held_contact, *held_by_customer, held_prospect):
        contact.refresh_from_db()
        assert contact.erased_at is None and contact.first_name

    # Lifting the customer's hold lets the next sweep erase its contacts.
    legal_hold_lift(actor=None, hold=customer_hold)
    report = retention_sweep(actor=None)
    assert erased_ids() == {free.pk, *(c.pk for c in held_by_customer)}
    assert report.rules[CONTRACT_END].held == 1


def test_an_expired_hold_no_longer_blocks():
    gone = CustomerFactory(terminated_days_ago=900)
    contact = ContactFactory(customer=gone)
    hold = legal_hold_place(
        actor=None, contact=contact, reason="Matter 9", ends_on=timezone.localdate()
    )
    assert retention_sweep(actor=None).rules[CONTRACT_END].held == 1
    hold.__class__.objects.filter(pk=hold.pk).update(
        ends_on=timezone.localdate() - dt.timedelta(days=1)
    )

    retention_sweep(actor=None)

    assert erased_ids() == {contact.pk}


# --- how the sweep runs --------------------------------------------------------------------


def _five_due():
    gone = CustomerFactory(terminated_days_ago=800)
    contacts = ContactFactory.create_batch(5, customer=gone, do_not_contact=True)
    for contact in contacts:
        InteractionFactory(contact=contact)
    return contacts


def test_dry_run_changes_nothing_and_reports_what_would_go():
    contacts = _five_due()
    audit_before = AuditEvent.objects.count()

    report = retention_sweep(actor=None, dry_run=True)

    assert report.dry_run is True
    assert report.rules[CONTRACT_END].due == 5
    assert report.rules[CONTRACT_END].erased == 0
    assert erased_ids() == set()
    assert not ErasureCertificate.objects.exists()
    assert not Suppression.objects.exists()
    assert Interaction.objects.filter(contact__in=contacts).count() == 5
    assert AuditEvent.objects.count() == audit_before


def test_running_twice_erases_nothing_the_second_time():
    contacts = _five_due()
    first = retention_sweep(actor=None)
    certificates = ErasureCertificate.objects.count()
    suppressions = Suppression.objects.count()

    second = retention_sweep(actor=None)

    assert first.erased == 5
    assert second.erased == 0
    assert second.rules[CONTRACT_END].due == 0
    assert ErasureCertificate.objects.count() == certificates == 5
    assert Suppression.objects.count() == suppressions == 10
    assert erased_ids() == {c.pk for c in contacts}


def test_small_batches_process_every_due_contact():
    contacts = _five_due()

    report = retention_sweep(actor=None, batch_size=2)

    assert report.rules[CONTRACT_END].due == 5
    assert report.rules[CONTRACT_END].erased == 5
    assert erased_ids() == {c.pk for c in contacts}


def test_retention_certificates_name_the_rule():
    contacts = _five_due()
    prospect = controller_contact("prospect", last_seen_days_ago=800, created_days_ago=800)

    retention_sweep(actor=None)

    certificates = ErasureCertificate.objects.all()
    assert {c.contact_id for c in certificates} == {*(c.pk for c in contacts), prospect.pk}
    assert {c.trigger for c in certificates} == {ErasureCertificate.Trigger.RETENTION}
    by_contact = {c.contact_id: c.reference for c in certificates}
    assert by_contact[prospect.pk] == "prospect_last_contact"
    assert {by_contact[c.pk] for c in contacts} == {"customer_contract_end"}
    assert certificates.get(contact=contacts[0]).counts["privacy.interaction"] == {
        "interactions": 1
    }
    swept = AuditEvent.objects.get(action="retention.swept")
    assert swept.actor_id is None
    assert swept.summary["rules"]["customer_contract_end"]["erased"] == 5
    assert AuditEvent.objects.filter(action="contact.erased").count() == 6


def test_command_dry_run_prints_counts_and_no_personal_data():
    contacts = _five_due()
    held = ContactFactory(customer=contacts[0].customer)
    legal_hold_place(actor=None, contact=held, reason="Matter 12")
    visitor = controller_contact("site_visitor", last_seen_days_ago=400, created_days_ago=400)
    out = io.StringIO()

    call_command("retention_sweep", "--dry-run", stdout=out)

    text = out.getvalue()
    assert "customer_contract_end: would erase 5 contact(s); 1 held back" in text
    assert "cookie_data: would erase 1 contact(s)" in text
    assert "Total: would erase 6 contact(s)." in text
    for contact in (*contacts, held, visitor):
        for value in (contact.first_name, contact.last_name, contact.email, contact.phone):
            assert value not in text
        assert contact.phone[2:] not in text
    assert erased_ids() == set()


def test_command_without_dry_run_erases():
    contacts = _five_due()
    out = io.StringIO()

    call_command("retention_sweep", "--batch-size", "2", stdout=out)

    assert "customer_contract_end: erased 5 contact(s)" in out.getvalue()
    assert erased_ids() == {c.pk for c in contacts}


def test_a_failing_subject_is_skipped_and_logged_without_personal_data(monkeypatch, caplog):
    """A database error quotes the offending value; the sweep logs the contact id and
    the error's type only, and goes on with the other subjects."""
    from django.db import IntegrityError

    from privacy.services import erasure, retention

    customer = CustomerFactory(
        status="terminated", contract_ended_on=timezone.localdate() - dt.timedelta(days=800)
    )
    bad, good = ContactFactory(customer=customer), ContactFactory(customer=customer)
    real = erasure.contacts_erase_batch

    def failing(*, contact_ids, **kwargs):
        if bad.pk in contact_ids:
            raise IntegrityError(f"Key (match_key)=({bad.phone}) already exists.")
        return real(contact_ids=contact_ids, **kwargs)

    monkeypatch.setattr(retention, "contacts_erase_batch", failing)
    report = retention.retention_sweep(actor=None)

    assert report.rules["customer_contract_end"].failed == 1
    assert report.rules["customer_contract_end"].erased == 1
    good.refresh_from_db()
    assert good.erased_at is not None
    assert f"contact id={bad.pk}" in caplog.text and "IntegrityError" in caplog.text
    assert bad.phone not in caplog.text


def test_rules_are_read_once_however_many_customers_there_are():
    """The contract-end rule looks at every customer each night: its cost in queries
    must not grow with their number."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from privacy.selectors import contacts_due_for_retention

    def queries_for_sweep_selection() -> int:
        with CaptureQueriesContext(connection) as captured:
            list(contacts_due_for_retention("customer_contract_end"))
        return len(captured.captured_queries)

    CustomerFactory.create_batch(3)
    few = queries_for_sweep_selection()
    CustomerFactory.create_batch(20)
    assert queries_for_sweep_selection() == few
