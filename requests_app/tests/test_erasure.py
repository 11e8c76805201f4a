"""Erasure for deletion requests (requests_app/services/erasure.py): blocked by a legal hold
with its reason, scheduled again once the hold is lifted, cancelled before it runs."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from privacy.models import Contact
from privacy.services import legal_hold_lift, legal_hold_place
from privacy.tests.factories import ContactFactory
from requests_app import services
from requests_app.models import ScheduledErasure, Status
from requests_app.tests.helpers import submit_and_verify

pytestmark = pytest.mark.django_db


def test_scheduled_erasure_is_blocked_by_a_hold_with_the_reason(
    django_capture_on_commit_callbacks,
):
    contact = ContactFactory(email="held@example.org", customer=None)
    request = submit_and_verify(
        django_capture_on_commit_callbacks, request_type="deletion", email="held@example.org"
    )
    assert request.status == Status.IN_PROGRESS  # our own contact: no relay
    [erasure] = services.erasure_schedule(actor=None, request=request)
    legal_hold_place(actor=None, contact=contact, reason="Matter 12 litigation")
    later = timezone.now() + dt.timedelta(days=30)
    assert services.scheduled_erasures_run(now=later) == {"blocked": 1}
    erasure.refresh_from_db()
    assert "Matter 12 litigation" in erasure.blocked_reason
    assert Contact.objects.get(pk=contact.pk).erased_at is None
    # And scheduling again is refused with the reason.
    with pytest.raises(ValidationError, match="Matter 12 litigation"):
        services.erasure_schedule(actor=None, request=request)


def test_cancelled_erasure_does_not_run(django_capture_on_commit_callbacks):
    contact = ContactFactory(email="cancel@example.org", customer=None)
    request = submit_and_verify(
        django_capture_on_commit_callbacks, request_type="deletion", email="cancel@example.org"
    )
    [erasure] = services.erasure_schedule(actor=None, request=request)
    assert services.erasure_cancel(actor=None, erasure=erasure)
    assert services.scheduled_erasures_run(now=timezone.now() + dt.timedelta(days=30)) == {}
    assert Contact.objects.get(pk=contact.pk).erased_at is None


def test_a_blocked_erasure_is_scheduled_again_once_the_hold_is_lifted(
    django_capture_on_commit_callbacks,
):
    contact = ContactFactory(email="later@example.org", customer=None)
    request = submit_and_verify(
        django_capture_on_commit_callbacks, request_type="deletion", email="later@example.org"
    )
    [erasure] = services.erasure_schedule(actor=None, request=request)
    hold = legal_hold_place(actor=None, contact=contact, reason="Matter 13")
    later = timezone.now() + dt.timedelta(days=30)
    assert services.scheduled_erasures_run(now=later) == {"blocked": 1}

    legal_hold_lift(actor=None, hold=hold)
    [again] = services.erasure_schedule(actor=None, request=request, now=later)

    assert again.pk == erasure.pk
    assert (again.state, again.blocked_reason) == (ScheduledErasure.State.SCHEDULED, "")
    with django_capture_on_commit_callbacks(execute=True):
        done = services.scheduled_erasures_run(now=later + dt.timedelta(days=30))
    assert done == {"done": 1}
    assert Contact.objects.get(pk=contact.pk).erased_at is not None
