"""The ledger (consent/services/ledger.py): the interface requests_app calls (withdraw,
sale/sharing opt-out), the append-only ledger, and its projection (one upsert per write,
back-dated events, one decision for several purposes, the SMS subscriptions kept in step)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import DatabaseError, connection, transaction

from consent import services
from consent.models import ConsentEvent, ConsentState, Notice, SmsSubscription
from consent.services import ledger
from consent.tests.conftest import check
from consent.tests.factories import SmsSubscriptionFactory
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


@pytest.mark.postgres
def test_database_refuses_to_change_the_ledger_or_a_published_notice(contact):
    if connection.vendor != "postgresql":
        pytest.skip("triggers are PostgreSQL only")
    event = _grant(contact, "email_marketing", contact.email)
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentEvent.objects.filter(pk=event.pk).update(action="withdraw")
    with pytest.raises(DatabaseError), transaction.atomic():
        Notice.objects.filter(published_at__isnull=False).update(text="edited")


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
