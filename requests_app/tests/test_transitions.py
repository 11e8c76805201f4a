"""The transition services of the requests app's state fields: each field's allowed-
transitions map, guarded updates, and for the request's status its timeline and audit rows."""

import itertools

import pytest
from django.utils import timezone

from privacy.models import AuditEvent
from privacy.tests.factories import ContactFactory
from requests_app import services
from requests_app.models import (
    ExportPackage,
    PrivacyRequest,
    RequestEvent,
    ScheduledErasure,
    Status,
)
from requests_app.services import (
    ALLOWED_TRANSITIONS,
    InvalidTransition,
    privacy_request_transition,
    transitions,
)
from requests_app.tests.factories import PrivacyRequestFactory

pytestmark = pytest.mark.django_db

ALL_MOVES = list(itertools.product(Status.values, Status.values))
DISALLOWED = [(a, b) for a, b in ALL_MOVES if b not in ALLOWED_TRANSITIONS[a]]
ALLOWED = [(a, b) for a, b in ALL_MOVES if b in ALLOWED_TRANSITIONS[a]]


def test_map_covers_every_status_and_closed_ones_are_final():
    assert set(ALLOWED_TRANSITIONS) == set(Status.values)
    for closed in (Status.COMPLETED, Status.DENIED, Status.WITHDRAWN, Status.EXPIRED):
        assert ALLOWED_TRANSITIONS[closed] == frozenset()


@pytest.mark.parametrize(("from_status", "to_status"), DISALLOWED)
def test_every_disallowed_move_raises_and_changes_nothing(from_status, to_status):
    request = PrivacyRequestFactory(status=from_status)
    with pytest.raises(InvalidTransition):
        privacy_request_transition(actor=None, request=request, to_status=to_status)
    assert PrivacyRequest.objects.get(pk=request.pk).status == from_status
    assert not RequestEvent.objects.filter(request=request).exists()


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_every_allowed_move_writes_a_timeline_entry_and_an_audit_row(from_status, to_status):
    request = PrivacyRequestFactory(status=from_status)
    privacy_request_transition(actor=None, request=request, to_status=to_status)
    assert PrivacyRequest.objects.get(pk=request.pk).status == to_status
    event = RequestEvent.objects.get(request=request)
    assert (event.from_status, event.to_status) == (from_status, to_status)
    audit = AuditEvent.objects.get(
        action="privacy_request.status_changed", object_id=str(request.pk)
    )
    assert audit.summary["from"] == from_status and audit.summary["to"] == to_status
    # No personal data in the audit row.
    assert request.email not in str(audit.summary)
    assert request.full_name not in str(audit.summary)


def test_stale_copy_loses_the_race():
    request = PrivacyRequestFactory(status=Status.AWAITING_VERIFICATION)
    stale = PrivacyRequest.objects.get(pk=request.pk)
    privacy_request_transition(actor=None, request=request, to_status=Status.WITHDRAWN)
    with pytest.raises(InvalidTransition, match="changed while"):
        # The stale copy still says "awaiting verification": the guarded update finds no row.
        privacy_request_transition(actor=None, request=stale, to_status=Status.EXPIRED)
    assert PrivacyRequest.objects.get(pk=request.pk).status == Status.WITHDRAWN


def test_closing_sets_closed_at():
    request = PrivacyRequestFactory(status=Status.IN_PROGRESS)
    privacy_request_transition(actor=None, request=request, to_status=Status.COMPLETED)
    assert request.closed_at is not None


# --- scheduled erasures and export packages: the same helper, their own maps ---------------


@pytest.mark.parametrize(
    ("state_field", "states"),
    [
        (transitions.ERASURE_STATE, ScheduledErasure.State),
        (transitions.PACKAGE_STATE, ExportPackage.State),
    ],
)
def test_each_state_field_has_a_map_of_all_its_states_and_final_ends(state_field, states):
    assert set(state_field.allowed) == set(states.values)
    finals = {s for s, targets in state_field.allowed.items() if not targets}
    # A purged package is built again when its request is still to be answered
    # (services.packages.export_packages_recover), so a package has no final state.
    assert finals == ({"done"} if states is ScheduledErasure.State else set())
    if states is ExportPackage.State:
        assert state_field.allowed["purged"] == {"building"}


def _erasure(state):
    request = PrivacyRequestFactory(status=Status.IN_PROGRESS, request_type="deletion")
    return ScheduledErasure.objects.create(
        request=request, contact=ContactFactory(), state=state, scheduled_for=timezone.now()
    )


@pytest.mark.parametrize(
    ("from_state", "to_state"),
    [("done", "scheduled"), ("done", "cancelled"), ("cancelled", "done"), ("blocked", "done")],
)
def test_a_scheduled_erasure_refuses_a_move_outside_its_map(from_state, to_state):
    erasure = _erasure(from_state)
    with pytest.raises(InvalidTransition, match="cannot move from"):
        transitions.scheduled_erasures_transition(
            ScheduledErasure.objects.filter(pk=erasure.pk), from_state=from_state, to_state=to_state
        )
    erasure.refresh_from_db()
    assert erasure.state == from_state


def test_a_done_erasure_is_not_cancelled_by_a_late_denial():
    erasure = _erasure("done")
    services.privacy_request_deny(actor=None, request=erasure.request, reason="unverified")
    erasure.refresh_from_db()
    assert erasure.state == "done"


def test_an_export_package_refuses_a_move_outside_its_map_and_purges_once():
    request = PrivacyRequestFactory(status=Status.IN_PROGRESS)
    package = ExportPackage.objects.create(
        request=request, contact=ContactFactory(), token_hash="h" * 64, token_salt="s"
    )
    rows = ExportPackage.objects.filter(pk=package.pk)
    with pytest.raises(InvalidTransition, match="“Building” to “Purged"):
        transitions.export_packages_transition(rows, from_state="building", to_state="purged")
    assert transitions.export_packages_transition(rows, from_state="building", to_state="ready")
    assert transitions.export_packages_transition(rows, from_state="ready", to_state="purged")
    assert not transitions.export_packages_transition(rows, from_state="ready", to_state="purged")
