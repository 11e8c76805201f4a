"""ConsentState is the ledger's projection: rebuilding it after any sequence of events
(back-dated ones included) finds no drift; real drift is found and repaired."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent import services
from consent.models import ConsentEvent, ConsentState
from consent.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

BASE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
PURPOSES = ["email_marketing", "sms_marketing", "sms_informational", "sale_sharing"]
SENDERS = ["", "+12125550100", "+12125550199"]

event_strategy = st.tuples(
    st.integers(0, 2),  # which contact
    st.sampled_from(PURPOSES),
    st.sampled_from(["grant", "withdraw"]),
    st.sampled_from(SENDERS),
    st.integers(0, 20),  # minutes after BASE: many ties and back-dated events
)


class _Rollback(Exception):
    pass


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=st.lists(event_strategy, min_size=1, max_size=25))
def test_rebuild_after_random_event_sequences_finds_no_drift(customer, events):
    try:
        with transaction.atomic():
            contacts = [
                ContactFactory(customer=customer, phone=f"+1415555020{i}", email=f"p{i}@ex.org")
                for i in range(3)
            ]
            visitor = uuid.uuid4()
            for index, purpose, action, sender, minutes in events:
                contact = contacts[index]
                identifier = {"email_marketing": contact.email, "sale_sharing": ""}.get(
                    purpose, contact.phone
                )
                services.consent_event_record(
                    actor=None,
                    purpose=purpose,
                    action=action,
                    method="staff",
                    contact=contact,
                    identifier=identifier,
                    sender=sender,
                    occurred_at=BASE + dt.timedelta(minutes=minutes),
                )
                if purpose == "sale_sharing":
                    services.consent_event_record(
                        actor=None,
                        purpose="cookies_analytics",
                        action=action,
                        method="cookie_banner",
                        visitor_id=visitor,
                        occurred_at=BASE + dt.timedelta(minutes=minutes),
                    )
            report = services.consent_state_rebuild(actor=None, apply=False, batch_size=2)
            assert report.drift == 0, report.samples
            assert report.checked == ConsentState.objects.count() > 0
            # The state of every key is its latest event by (occurred_at, id).
            for state in ConsentState.objects.all():
                latest = (
                    ConsentEvent.objects.filter(
                        contact_id=state.contact_id,
                        visitor_id=state.visitor_id,
                        purpose_id=state.purpose_id,
                        identifier=state.identifier,
                        sender=state.sender,
                    )
                    .order_by("-occurred_at", "-id")
                    .first()
                )
                assert state.last_event_id == latest.pk
                assert state.is_granted == (latest.action == "grant")
            raise _Rollback
    except _Rollback:
        pass


def test_rebuild_reports_and_repairs_drift(contact, capsys):
    services.consent_event_record(
        actor=None, purpose="email_marketing", action="grant", method="staff",
        contact=contact, identifier=contact.email,
    )  # fmt: skip
    services.consent_event_record(
        actor=None, purpose="sale_sharing", action="withdraw", method="gpc", contact=contact
    )
    ConsentState.objects.filter(purpose__code="email_marketing").update(is_granted=False)
    ConsentState.objects.filter(purpose__code="sale_sharing").delete()
    ConsentState.objects.create(
        contact=contact,
        purpose_id=ConsentState.objects.get().purpose_id,
        identifier="stale",
        is_granted=True,
        since=BASE,
        method="staff",
        last_event_id=0,
    )

    with pytest.raises(SystemExit):
        call_command("consent_state_rebuild", "--check")
    assert "1 missing, 1 extra, 1 different" in capsys.readouterr().out

    call_command("consent_state_rebuild")
    assert services.consent_state_rebuild(actor=None, apply=False).drift == 0
    assert ConsentState.objects.get(purpose__code="email_marketing").is_granted
