"""Services other apps and staff rely on: the requests_app interface, double opt-in,
notices, the append-only ledger, quiet hours, roles, demo data."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from consent import selectors, services, sms
from consent.demo import seed_demo_consent
from consent.models import ConsentEvent, ConsentState, Notice, SmsSubscription
from consent.quiet_hours import quiet_hours_at
from consent.services import ledger
from consent.tests.conftest import NOON_PACIFIC, check
from consent.tests.factories import ContactFactory, SmsSubscriptionFactory
from privacy.models import AuditEvent

pytestmark = pytest.mark.django_db


def _grant(contact, purpose, identifier="", sender=""):
    return services.consent_event_record(
        actor=None, purpose=purpose, action="grant", method="web_form", contact=contact,
        identifier=identifier, sender=sender,
    )  # fmt: skip


def test_contact_consent_withdraw_withdraws_every_grant_and_sms_subscriptions(
    contact, customer, sender
):
    _grant(contact, "email_marketing", contact.email)
    _grant(contact, "sms_marketing", contact.phone, sender.number)
    _grant(contact, "sms_informational", contact.phone)
    services.consent_event_record(
        actor=None, purpose="avatar_lookup", action="withdraw", method="web_form",
        contact=contact, identifier=contact.email,
    )  # fmt: skip
    pending = SmsSubscriptionFactory(
        contact=contact, sender="+12125550199", status=SmsSubscription.Status.PENDING
    )

    withdrawn = services.contact_consent_withdraw(
        actor=None, contact=contact, reference="PR-2026-00017"
    )

    assert withdrawn == 3
    assert not ConsentState.objects.filter(contact=contact, is_granted=True).exists()
    assert ConsentEvent.objects.filter(method="privacy_request").count() == 3
    pending.refresh_from_db()
    assert pending.status == SmsSubscription.Status.OPTED_OUT
    assert not check(customer, sender=sender.number).allowed
    audit = AuditEvent.objects.get(action="consent.contact_withdrawn")
    assert audit.summary["withdrawn"] == 3 and audit.object_id == str(contact.pk)
    assert contact.email not in json.dumps(audit.summary)
    # Nothing left to withdraw.
    assert services.contact_consent_withdraw(actor=None, contact=contact) == 0


def test_withdraw_only_named_purposes(contact):
    _grant(contact, "email_marketing", contact.email)
    _grant(contact, "sms_informational", contact.phone)
    assert (
        services.contact_consent_withdraw(
            actor=None, contact=contact, purpose_codes=["email_marketing"]
        )
        == 1
    )
    assert ConsentState.objects.get(purpose__code="sms_informational").is_granted


def test_sale_sharing_opt_out_is_recorded_once(contact):
    assert services.contact_sale_sharing_opt_out(actor=None, contact=contact, reference="PR-1")
    assert not services.contact_sale_sharing_opt_out(actor=None, contact=contact)
    state = ConsentState.objects.get(contact=contact, purpose__code="sale_sharing")
    assert not state.is_granted and state.method == "privacy_request"
    assert ConsentEvent.objects.filter(purpose__code="sale_sharing").count() == 1


def test_api_sign_up_sends_the_prompt_after_commit_and_yes_confirms_with_its_notice(
    contact, customer, sender, text, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        subscription = services.sms_subscription_request(
            actor=None, contact=contact, phone=contact.phone
        )
        assert sms.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    callbacks[0]()  # a retried task sends nothing more
    assert len(sms.outbox) == 1
    prompt = sms.outbox[0]
    notice = Notice.objects.get(purpose__code="sms_marketing", version=1)
    assert prompt.to == contact.phone and prompt.sender == sender.number
    assert prompt.body == f"Acme: {notice.text}"
    assert not check(customer, sender=sender.number).allowed

    response = text("YES")

    assert "subscribed to marketing texts" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == SmsSubscription.Status.OPTED_IN
    event = ConsentEvent.objects.get(contact=contact, action="grant")
    assert event.method == "double_opt_in" and event.notice == notice
    assert check(customer, sender=sender.number).allowed


def test_published_notice_is_frozen_and_a_change_is_a_new_version(customer):
    notice = Notice.objects.get(purpose__code="email_marketing", version=1)
    with pytest.raises(ValidationError):
        notice.text = "Changed words"
        services.notice_draft_save(actor=None, notice=notice)
    draft = services.notice_new_version(actor=None, notice=Notice.objects.get(pk=notice.pk))
    assert draft.version == 2 and not draft.is_published
    draft.text = "New words"
    services.notice_draft_save(actor=None, notice=draft)
    assert services.notice_publish(actor=None, notice=draft)
    draft.refresh_from_db()
    assert draft.text_sha256 == services.notice_text_hash("New words")
    assert selectors.notice_published(purpose_code="email_marketing").version == 2


@pytest.mark.postgres
def test_database_refuses_to_change_the_ledger_or_a_published_notice(contact):
    if connection.vendor != "postgresql":
        pytest.skip("triggers are PostgreSQL only")
    event = _grant(contact, "email_marketing", contact.email)
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentEvent.objects.filter(pk=event.pk).update(action="withdraw")
    with pytest.raises(DatabaseError), transaction.atomic():
        Notice.objects.filter(published_at__isnull=False).update(text="edited")


@pytest.mark.parametrize(
    ("number", "utc_hour", "quiet"),
    [
        ("+13055551234", 0, False),  # Miami 19:00 (EST): open in Florida until 20:00
        ("+13055551234", 1, True),  # Miami 20:00: quiet in Florida
        ("+12125550123", 1, False),  # New York 20:00: federal window runs to 21:00
        ("+12125550123", 2, True),  # New York 21:00
        ("+14155550111", 15, True),  # San Francisco 07:30 (PST is UTC-8)
        ("+14155550111", 16, False),  # San Francisco 08:30
    ],
)
def test_quiet_hours_by_the_numbers_local_time_and_state(number, utc_hour, quiet):
    # 2026-01-14 is a Wednesday, in winter time.
    now = dt.datetime(2026, 1, 14, utc_hour, 30, tzinfo=dt.UTC)
    assert quiet_hours_at(e164=number, now=now).is_quiet is quiet


def test_texas_sunday_window_starts_at_noon():
    sunday_11 = dt.datetime(2026, 1, 18, 17, 0, tzinfo=dt.UTC)  # 11:00 Central
    answer = quiet_hours_at(e164="+12145550199", now=sunday_11)
    assert answer.is_quiet and answer.retry_at == dt.datetime(2026, 1, 18, 18, 0, tzinfo=dt.UTC)


def test_roles_have_their_consent_permissions():
    def codenames(role):
        return set(
            Group.objects.get(name=role)
            .permissions.filter(content_type__app_label="consent")
            .values_list("codename", flat=True)
        )

    officer, agent, auditor = (
        codenames("Privacy officer"),
        codenames("Support agent"),
        codenames("Auditor"),
    )
    assert {"publish_notice", "add_apikey", "import_consentevent"} <= officer
    assert {"opt_out_smssubscription", "withdraw_consent", "view_consentevent"} <= agent
    assert not {c for c in agent if c.startswith(("add_", "change_", "delete_"))}
    assert auditor and all(c.startswith("view_") for c in auditor)


def test_demo_seed_builds_a_history_without_drift(customer):
    contacts = [
        ContactFactory(customer=customer, phone=f"+1415555030{i}", email=f"d{i}@ex.org")
        for i in range(10)
    ]
    counts = seed_demo_consent(contacts=contacts, rng=random.Random(7))
    assert counts["grants"] > 0
    assert ConsentEvent.objects.exists()
    assert services.consent_state_rebuild(actor=None, apply=False).drift == 0


def test_staff_opt_out_of_a_subscription(contact, customer, sender):
    _grant(contact, "sms_marketing", contact.phone, sender.number)
    subscription = SmsSubscription.objects.get()
    assert services.sms_subscription_opt_out(actor=None, subscription=subscription)
    assert not check(customer, sender=sender.number, now=NOON_PACIFIC).allowed
    assert not services.sms_subscription_opt_out(actor=None, subscription=subscription)


def test_quiet_hours_locale_is_looked_up_once_per_exchange():
    """Numbers of one NANP exchange share their time zone and state, so the second
    number of an exchange costs no look-up — and gets the same answer it would alone."""
    from consent import quiet_hours

    quiet_hours._locale_of.cache_clear()
    first = quiet_hours.phone_locale("+13055550111")
    second = quiet_hours.phone_locale("+13055550199")
    assert first == second == quiet_hours._locale_of.__wrapped__("+13055550199")
    assert first.state == "FL" and "America/New_York" in first.zones
    assert quiet_hours._locale_of.cache_info().misses == 1
    # Outside the North American plan every number is looked up on its own.
    assert quiet_hours.phone_locale("+442079460958").zones == ("Europe/London",)


def test_unticking_one_address_on_the_preference_centre_leaves_the_others(customer):
    """The ledger must record only the decision the person made: withdrawing e-mail
    marketing for one address keeps it for their other address."""
    from privacy.services import contact_create

    person, _ = contact_create(
        actor=None, customer=customer, emails=["ann.one@example.org", "ann.two@example.org"]
    )
    for address in ("ann.one@example.org", "ann.two@example.org"):
        services.consent_event_record(
            actor=None, purpose="email_marketing", action="grant", method="web_form",
            contact=person, identifier=address,
            notice=selectors.notice_published(purpose_code="email_marketing"),
        )  # fmt: skip

    outcome = services.preference_choice_set(
        contact=person, purpose_code="email_marketing", identifier="ann.one@example.org",
        grant=False,
    )  # fmt: skip

    assert outcome == "withdrawn"
    granted = dict(
        ConsentState.objects.filter(contact=person).values_list("identifier", "is_granted")
    )
    assert granted == {"ann.one@example.org": False, "ann.two@example.org": True}


# --- the ledger's projection: one upsert per write -------------------------------------

T0 = dt.datetime(2026, 2, 1, 12, 0, tzinfo=dt.UTC)


def _record(contact, purpose, action, at, identifier=None, sender=""):
    return services.consent_event_record(
        actor=None, purpose=purpose, action=action, method="web_form", contact=contact,
        identifier=contact.email if identifier is None else identifier, sender=sender,
        occurred_at=at,
    )  # fmt: skip


def test_a_back_dated_event_leaves_a_later_state_and_a_tie_goes_to_the_later_event(contact):
    grant = _record(contact, "email_marketing", "grant", T0)

    older = _record(contact, "email_marketing", "withdraw", T0 - dt.timedelta(hours=1))
    state = ConsentState.objects.get(contact=contact)
    assert (state.is_granted, state.last_event_id) == (True, grant.pk)

    tie = _record(contact, "email_marketing", "withdraw", T0)
    state.refresh_from_db()
    assert (state.is_granted, state.last_event_id, state.since) == (False, tie.pk, T0)
    assert ConsentEvent.objects.filter(pk__in=[grant.pk, older.pk, tie.pk]).count() == 3
    assert services.consent_state_rebuild(actor=None, apply=False).drift == 0


def test_one_decision_for_two_purposes_is_written_together_each_state_naming_its_event(
    contact, sender
):
    events = ledger._events_save(
        [
            ledger._event_build(
                actor=None, purpose=ledger._purpose(code), action="withdraw",
                method="sms_keyword", contact=contact, identifier=contact.phone,
                sender=sender.number, occurred_at=T0, reference="SM1",
            )
            for code in services.SMS_PURPOSES
        ]
    )  # fmt: skip

    assert len({e.pk for e in events}) == 2
    for event in events:
        state = ConsentState.objects.get(contact=contact, purpose=event.purpose)
        assert state.last_event_id == event.pk and not state.is_granted
        assert ConsentEvent.objects.get(pk=event.pk).purpose_id == event.purpose_id
    assert sorted(
        SmsSubscription.objects.filter(sender=sender.number).values_list("program", "status")
    ) == [("informational", "opted_out"), ("marketing", "opted_out")]
    assert services.consent_state_rebuild(actor=None, apply=False).drift == 0


def test_events_written_together_must_be_one_decision(contact, sender):
    def build(code, action):
        return ledger._event_build(
            actor=None, purpose=ledger._purpose(code), action=action, method="sms_keyword",
            contact=contact, identifier=contact.phone, sender=sender.number,
        )  # fmt: skip

    for events in (
        [build("sms_marketing", "withdraw"), build("sms_informational", "grant")],
        [build("sms_marketing", "withdraw"), build("sms_marketing", "withdraw")],
    ):
        with pytest.raises(ValueError):
            ledger._events_save(events)
    assert not ConsentEvent.objects.exists()


def test_a_subscription_keeps_the_time_of_its_other_status(contact, sender):
    phone, at = contact.phone, [T0 + dt.timedelta(days=n) for n in range(3)]
    _record(contact, "sms_marketing", "grant", at[0], phone, sender.number)
    _record(contact, "sms_marketing", "withdraw", at[1], phone, sender.number)
    subscription = SmsSubscription.objects.get()
    assert (subscription.status, subscription.opted_in_at, subscription.opted_out_at) == (
        "opted_out", at[0], at[1]
    )  # fmt: skip

    _record(contact, "sms_marketing", "grant", at[2], phone, sender.number)
    subscription.refresh_from_db()
    assert (subscription.status, subscription.opted_in_at, subscription.opted_out_at) == (
        "opted_in", at[2], at[1]
    )  # fmt: skip
    assert subscription.contact == contact


def test_a_withdrawal_for_every_sender_opts_out_that_program_at_each_sender(contact, sender):
    other = "+12125550199"
    for number in (sender.number, other):
        _record(contact, "sms_marketing", "grant", T0, contact.phone, number)
    _record(contact, "sms_informational", "grant", T0, contact.phone, sender.number)

    _record(contact, "sms_marketing", "withdraw", T0 + dt.timedelta(hours=1), contact.phone)

    assert sorted(SmsSubscription.objects.values_list("sender", "program", "status")) == [
        (sender.number, "informational", "opted_in"),
        (sender.number, "marketing", "opted_out"),
        (other, "marketing", "opted_out"),
    ]
