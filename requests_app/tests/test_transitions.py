"""The one transition service: the allowed-transitions map, guarded updates, events."""

import itertools

import pytest

from privacy.models import AuditEvent
from requests_app.models import PrivacyRequest, RequestEvent, Status
from requests_app.services import ALLOWED_TRANSITIONS, InvalidTransition, privacy_request_transition
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
