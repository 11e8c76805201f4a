"""The request's paper trail (requests_app/timeline.py): each event kind writes its
timeline entry and its audit row together, in the caller's transaction, and the services
write neither row any other way."""

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from privacy.audit_actions import AuditAction
from privacy.models import AuditEvent
from privacy.tests.factories import UserFactory
from requests_app import timeline
from requests_app.models import RequestEvent, Status
from requests_app.tests.factories import PrivacyRequestFactory

pytestmark = pytest.mark.django_db


def test_an_event_writes_its_timeline_entry_and_its_audit_row_together():
    request = PrivacyRequestFactory(status=Status.IN_PROGRESS)
    officer = UserFactory(role="Privacy officer")
    run_at = timezone.now() + dt.timedelta(days=7)

    timeline.erasure_scheduled(request=request, actor=officer, contacts=2, run_at=run_at)

    entry = RequestEvent.objects.get(request=request)
    assert entry.kind == RequestEvent.Kind.FULFILMENT and entry.actor == officer
    assert entry.person_facing and f"{run_at:%Y-%m-%d}" in entry.public_message
    audit = AuditEvent.objects.get(object_type="privacy_request", object_id=str(request.pk))
    assert audit.action == AuditAction.PRIVACY_REQUEST_ERASURE_SCHEDULED
    assert audit.actor == officer
    assert audit.summary == {
        "reference": request.reference,
        "contacts": 2,
        "run_on": run_at.date().isoformat(),
    }


def test_both_rows_go_with_the_callers_transaction():
    request = PrivacyRequestFactory(status=Status.IN_PROGRESS)

    with pytest.raises(RuntimeError), transaction.atomic():
        timeline.agent_proof_opened(request=request, actor=None)
        raise RuntimeError("the service failed after writing its trail")

    assert not RequestEvent.objects.filter(request=request).exists()
    assert not AuditEvent.objects.filter(object_id=str(request.pk)).exists()


def test_services_write_the_trail_only_through_the_timeline():
    """No service of the requests app creates a RequestEvent or an audit row about a
    request itself (the nightly jobs' audit rows are about the job, not a request)."""
    services = Path(__file__).resolve().parents[1] / "services"
    by_hand = []
    for path in services.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            called = ast.unparse(node.func)
            if called == "RequestEvent.objects.create" or (
                called == "audit_event_record" and path.name != "jobs.py"
            ):
                by_hand.append(f"{path.name}:{node.lineno}")
    assert by_hand == []
