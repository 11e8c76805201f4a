"""The audit trail: append-only, no personal data, one event per service call with its
actor (privacy/services/audit.py)."""

from __future__ import annotations

import io
import json

import pytest
from django.db import DatabaseError, connection, transaction

from privacy.audit_actions import AuditAction, audit_action_label
from privacy.models import AuditEvent
from privacy.services import (
    contact_create,
    contact_erase,
    contact_export,
    contact_restrict,
    contact_update,
    legal_hold_lift,
    legal_hold_place,
    retention_sweep,
)
from privacy.services.audit import (
    PersonalDataInAuditError,
    UnknownAuditActionError,
    audit_event_record,
)
from privacy.tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- append-only ---------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete_of_audit_events():
    event = audit_event_record(
        actor=None, action=AuditAction.CONTACT_VIEWED, object_type="contact", object_id=1
    )

    for attempt in (
        lambda: AuditEvent.objects.filter(pk=event.pk).update(action="contact.erased"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
        lambda: event.delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE privacy_auditevent SET summary = '{}' WHERE id = %s", [event.pk])

    event.refresh_from_db()
    assert event.action == "contact.viewed"
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # committed rows, as on a real installation
def test_postgres_refuses_truncate_of_the_audit_trail_and_manage_py_flush():
    from django.core.management import CommandError, call_command

    audit_event_record(
        actor=None, action=AuditAction.CONTACT_VIEWED, object_type="contact", object_id=1
    )
    with (
        pytest.raises(DatabaseError, match="privacy_auditevent is append-only: TRUNCATE"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE privacy_auditevent")
    # `manage.py flush` truncates every table: refused as a whole, nothing is lost.
    with pytest.raises(CommandError, match="couldn't be flushed") as refused:
        call_command("flush", interactive=False, verbosity=0)
    assert "append-only: TRUNCATE refused" in str(refused.value.__cause__)
    assert AuditEvent.objects.filter(action="contact.viewed").exists()


# --- one enumeration of actions -----------------------------------------------------------


@pytest.mark.parametrize("action", ["contact.erasedd", "privacy_request.", "", "Contact.erased"])
def test_an_action_not_in_the_enumeration_is_refused(action):
    with pytest.raises(UnknownAuditActionError, match="AuditAction"):
        audit_event_record(actor=None, action=action, object_type="contact", object_id=1)
    assert not AuditEvent.objects.exists()


def test_every_action_is_a_full_dotted_name_with_a_label_in_words():
    for action in AuditAction:
        obj, _, what = action.value.partition(".")
        assert obj and what and action.value == action.value.lower(), action
        assert action.name == action.value.upper().replace(".", "_"), action
        assert audit_action_label(action.value) == action.label != action.value
    # A name no longer listed (an old row) still shows, as itself.
    assert audit_action_label("contact.renamed_long_ago") == "contact.renamed_long_ago"


def test_no_action_name_is_built_from_pieces():
    """Every action passed to the audit trail is an ``AuditAction`` member, never an
    f-string or a concatenation: a name read in the trail is found by searching the code."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    built = []
    for app in ("privacy", "consent", "requests_app", "config"):
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts or "tests" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                for keyword in node.keywords:
                    if keyword.arg == "action" and isinstance(
                        keyword.value, ast.JoinedStr | ast.BinOp
                    ):
                        built.append(f"{path.relative_to(root)}:{node.lineno}")
    assert built == []


# --- no personal data -------------------------------------------------------------------


@pytest.mark.parametrize(
    "summary",
    [
        {"note": "jane.doe@example.com"},
        {"note": "call +1 415 555 1098"},
        {"note": "(415) 555-1098"},
        {"nested": {"list": ["ok", "415.555.1098"]}},
        {"jane.doe@example.com": 1},
        {"nested": {"+14155551098": "sent"}},
    ],
)
def test_summaries_that_look_personal_are_refused_without_repeating_the_value(summary):
    with pytest.raises(PersonalDataInAuditError) as info:
        audit_event_record(
            actor=None, action=AuditAction.CONTACT_VIEWED, object_type="contact", summary=summary
        )
    text = str(info.value)
    for fragment in ("jane", "555", "1098"):
        assert fragment not in text
    assert not AuditEvent.objects.exists()


def test_long_free_text_and_objects_are_refused():
    with pytest.raises(PersonalDataInAuditError):
        audit_event_record(
            actor=None,
            action=AuditAction.CONTACT_VIEWED,
            object_type="t",
            summary={"note": "a" * 201},
        )
    with pytest.raises(PersonalDataInAuditError):
        audit_event_record(
            actor=None,
            action=AuditAction.CONTACT_VIEWED,
            object_type="t",
            summary={"who": object()},
        )


def test_counts_codes_dates_and_ids_are_accepted():
    event = audit_event_record(
        actor=None,
        action=AuditAction.CONTACT_VIEWED,
        object_type="contact",
        object_id=12345678,
        summary={
            "count": 10000,
            "on": "2026-03-07",
            "at": "2026-03-07T10:11:12.123456+00:00",
            "tables": {"privacy.interaction/interactions": 3},
            "ok": True,
        },
    )
    assert event.object_id == "12345678"


# --- one event per service, with the actor, and nothing personal ------------------------


def _events_since(last_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=last_id).order_by("pk"))


def _last_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_every_core_service_writes_its_one_audit_event_with_actor_and_no_personal_data():
    officer = UserFactory(role="Privacy officer")
    customer = CustomerFactory()
    personal = [
        "Philippa",
        "Ravenscroft",
        "philippa.r@example.org",
        "+14155551098",
        "4155551098",
        "555-1098",
        "12 Larkspur Lane",
    ]

    def one_event(action: str, run):
        start = _last_id()
        result = run()
        events = _events_since(start)
        assert [e.action for e in events] == [action]
        assert events[0].actor_id == officer.pk
        return result, events[0]

    (contact, _), created = one_event(
        "contact.created",
        lambda: contact_create(
            actor=officer,
            customer=customer,
            emails=["Philippa.R@Example.org"],
            phones=["(415) 555-1098"],
            first_name="Philippa",
            last_name="Ravenscroft",
            address_line1="12 Larkspur Lane",
            do_not_contact=True,
        ),
    )
    assert created.object_id == str(contact.pk)
    assert created.summary == {"customer_id": customer.pk, "kind": "end_user", "identifiers": 2}

    _, updated = one_event(
        "contact.updated",
        lambda: contact_update(
            actor=officer, contact=contact, notes="Lives near the park", city="Dunmore"
        ),
    )
    assert updated.summary["fields"] == ["city", "notes"]

    one_event(
        "contact.restricted",
        lambda: contact_restrict(actor=officer, contact=contact, restricted=True, reason="Art. 18"),
    )
    one_event(
        "contact.unrestricted",
        lambda: contact_restrict(actor=officer, contact=contact, restricted=False),
    )
    _, exported = one_event(
        "contact.exported",
        lambda: contact_export(actor=officer, contact=contact, destination=io.BytesIO()),
    )
    assert exported.summary["tables"]["privacy.contact/profile"] == 1
    hold, placed = one_event(
        "legal_hold.placed",
        lambda: legal_hold_place(actor=officer, contact=contact, reason="Matter 2026-3"),
    )
    assert placed.summary["hold_id"] == hold.pk
    one_event("legal_hold.lifted", lambda: legal_hold_lift(actor=officer, hold=hold))
    customer_hold, _ = one_event(
        "legal_hold.placed",
        lambda: legal_hold_place(actor=officer, customer=customer, reason="Tax audit"),
    )
    one_event("legal_hold.lifted", lambda: legal_hold_lift(actor=officer, hold=customer_hold))
    # Asking for what is already so changes nothing and audits nothing.
    start = _last_id()
    assert contact_update(actor=officer, contact=contact, city="Dunmore") == []
    assert contact_restrict(actor=officer, contact=contact, restricted=False) is False
    assert legal_hold_lift(actor=officer, hold=hold) is False
    assert _events_since(start) == []

    certificate, erased = one_event(
        "contact.erased", lambda: contact_erase(actor=officer, contact=contact)
    )
    assert erased.object_id == str(contact.pk)
    assert erased.summary["certificate_id"] == certificate.pk
    assert erased.summary["suppressed"] == 2
    one_event("retention.swept", lambda: retention_sweep(actor=officer))

    trail = json.dumps(
        list(AuditEvent.objects.values("action", "object_type", "object_id", "summary")),
        default=str,
    ).lower()
    assert AuditEvent.objects.count() >= 11
    for value in personal:
        assert value.lower() not in trail


def test_a_system_action_has_no_actor():
    contact, _ = contact_create(actor=None, customer=None, kind="prospect", first_name="Zed")
    assert AuditEvent.objects.get(object_id=str(contact.pk)).actor_id is None
