"""The transactional outbox: work queued after a commit survives a broker outage.

The broker is pointed at a closed port (``redis://127.0.0.1:1/0``) with eager mode off,
as when Redis is down in production; "the broker is back" is eager mode (the task runs
in-process) here, and the real Redis with a started worker in ``tests/test_system.py``."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from celery import shared_task
from django.core.management import call_command
from django.core.signals import request_finished
from django.db import close_old_connections, transaction
from django.http import HttpResponse
from django.utils import timezone

from privacy.models import AuditEvent, OutboxTask
from privacy.services import outbox_relay, publish_after_response, task_enqueue
from privacy.services.outbox import OutboxArgumentError, outbox_task_publish

pytestmark = pytest.mark.django_db

CLOSED_PORT = "redis://127.0.0.1:1/0"
TASK = "privacy.tests.test_outbox.record_run"
RUNS: list[int] = []


@shared_task(name=TASK)
def record_run(item_id: int) -> None:
    RUNS.append(item_id)


FAILING = "privacy.tests.test_outbox.fail"


@shared_task(name=FAILING)
def fail(item_id: int) -> None:
    raise ValueError("the task's own bug")


@pytest.fixture(autouse=True)
def _fresh_runs():
    RUNS.clear()
    yield
    RUNS.clear()


@pytest.fixture
def broker_down(celery_conf):
    celery_conf(broker_url=CLOSED_PORT, task_always_eager=False)
    return celery_conf


def test_the_task_runs_after_the_commit_and_the_row_is_marked_sent(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        row = task_enqueue(task=TASK, args=[41])
        assert RUNS == []  # nothing before the commit
    assert RUNS == [41]
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 0


def test_a_rolled_back_transaction_queues_nothing(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        task_enqueue(task=TASK, args=[7])
        raise RuntimeError("the change failed")
    assert RUNS == [] and not OutboxTask.objects.exists()


def test_with_the_broker_down_the_commit_stands_and_the_row_waits(
    broker_down, django_capture_on_commit_callbacks, logged
):
    log = logged("privacy.services.outbox")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        row = task_enqueue(task=TASK, args=[5])
    row.refresh_from_db()
    assert row.sent_at is None
    assert (row.attempts, row.last_error) == (1, "OperationalError")
    assert row.last_attempt_at is not None
    text = " ".join(record.getMessage() for record in log)
    assert f"id={row.pk}" in text and "127.0.0.1" not in text
    assert RUNS == []


def test_the_relay_sends_what_waited_once_the_broker_is_back(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first = task_enqueue(task=TASK, args=[1])
        second = task_enqueue(task=TASK, args=[2])
    later = timezone.now() + dt.timedelta(minutes=1)

    # Still down: the relay stops at the first failure and keeps every row.
    report = outbox_relay(now=later)
    assert (report.sent, report.failed, report.pending) == (0, 1, 2)

    broker_down(task_always_eager=True)  # back
    report = outbox_relay(now=later)
    assert (report.sent, report.failed, report.pending) == (2, 0, 0)
    assert RUNS == [1, 2]
    assert OutboxTask.objects.filter(sent_at__isnull=True).count() == 0
    assert AuditEvent.objects.filter(action="outbox.relayed").latest("id").summary["sent"] == 2

    # Exactly once: the next runs find nothing to send.
    assert outbox_relay(now=later).sent == 0
    assert outbox_task_publish(task_id=first.pk) is True and RUNS == [1, 2]
    assert second.pk > first.pk


def test_the_relay_leaves_young_rows_to_the_request_publishing_them(broker_down):
    row = OutboxTask.objects.create(task=TASK, args=[3])
    broker_down(task_always_eager=True)
    assert outbox_relay(now=row.created_at + dt.timedelta(seconds=2)).sent == 0
    assert outbox_relay(now=row.created_at + dt.timedelta(seconds=60)).sent == 1
    assert RUNS == [3]


def test_the_relay_works_in_bounded_batches_and_deletes_old_sent_rows(settings):
    settings.PRIVACY_OUTBOX_KEEP_SENT_DAYS = 7
    old = timezone.now() - dt.timedelta(days=8)
    OutboxTask.objects.bulk_create(
        [OutboxTask(task=TASK, args=[n], created_at=old, sent_at=old) for n in range(5)]
    )
    OutboxTask.objects.bulk_create(
        [OutboxTask(task=TASK, args=[n], created_at=old) for n in range(5)]
    )

    report = outbox_relay(batch_size=2)

    assert (report.sent, report.purged, report.pending) == (5, 5, 0)
    assert sorted(RUNS) == [0, 1, 2, 3, 4]
    assert OutboxTask.objects.count() == 5


def test_the_command_reports_counts(broker_down):
    OutboxTask.objects.create(
        task=TASK, args=[9], created_at=timezone.now() - dt.timedelta(minutes=5)
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("outbox_relay", stdout=out, stderr=err)
    assert "0 sent, 1 failed, 1 still pending" in out.getvalue()
    assert "unreachable" in err.getvalue()

    broker_down(task_always_eager=True)
    out = io.StringIO()
    call_command("outbox_relay", stdout=out)
    assert "1 sent, 0 failed, 0 still pending" in out.getvalue()
    assert RUNS == [9]


@pytest.mark.parametrize("bad", ["someone@example.org", "+1 415 555 0100", 1.5, {"id": 1}])
def test_queued_work_carries_ids_only(bad):
    with pytest.raises(OutboxArgumentError, match="ids only"):
        task_enqueue(task=TASK, args=[bad])
    assert not OutboxTask.objects.exists()


def test_an_inline_tasks_own_error_still_surfaces_in_tests(django_capture_on_commit_callbacks):
    """Eager mode (tests) propagates a task's failure, as .delay() did: the outbox does
    not hide bugs. The row counts as delivered (a worker's failure would not re-send)."""
    with (
        pytest.raises(ValueError, match="the task's own bug"),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        row = task_enqueue(task=FAILING, args=[1])
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 0


@pytest.fixture
def server_closes_responses():
    """Closing a response as the server does, minus request_finished's handler that would
    end the test's database connection."""
    request_finished.disconnect(close_old_connections)
    yield
    request_finished.connect(close_old_connections)


def _held_view(request, *, fail=False):
    with transaction.atomic():
        task_enqueue(task=TASK, args=[request])
    if fail:
        raise RuntimeError("the view's own error")
    return HttpResponse("done")


def test_a_view_publishing_after_its_response_holds_its_tasks_until_it_is_closed(
    django_capture_on_commit_callbacks, server_closes_responses
):
    view = publish_after_response(_held_view)
    with django_capture_on_commit_callbacks(execute=True):
        response = view(7)
    assert RUNS == [] and OutboxTask.objects.get().sent_at is None  # committed, held

    response.close()
    assert RUNS == [7] and OutboxTask.objects.get().sent_at is not None

    # Work its caller commits after the close is not held back.
    with django_capture_on_commit_callbacks(execute=True):
        view(8).close()
    assert RUNS == [7, 8]


def test_a_failing_view_still_publishes_what_it_committed_and_a_dead_broker_is_the_relays(
    django_capture_on_commit_callbacks, broker_down
):
    view = publish_after_response(_held_view)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        view(9, fail=True)
    # Published at the failure (the broker is down: the row waits for the relay).
    row = OutboxTask.objects.get()
    assert row.sent_at is None and row.attempts == 1
