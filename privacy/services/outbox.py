"""Work queued for Celery survives a broker outage: a transactional outbox.

``task_enqueue`` writes an ``OutboxTask`` row in the caller's transaction, so the work is
recorded exactly when the change it follows is. After the commit the task is published
by name and the row marked sent. When the broker is down the publish fails fast (a
bounded retry policy and connection timeouts: ``CELERY_TASK_PUBLISH_RETRY_POLICY`` and
``CELERY_BROKER_CONNECTION_TIMEOUT`` in the settings), the failure is logged by row id and exception type, and
the visitor gets the normal page: nothing is raised after the commit. The relay
(``outbox_relay``: a Celery beat entry every minute, and ``manage.py outbox_relay``)
publishes rows left unsent once the broker is back, a bounded batch at a time.

A task may therefore be published twice (the relay and a slow after-commit publish, or
a crash between publishing and marking the row): every queued task is idempotent.

Rows hold the task's name and ids only; the relay deletes sent rows after
``PRIVACY_OUTBOX_KEEP_SENT_DAYS``.

A public page whose work must not show in its response time (how many notices a sending
of the request form queued says whether the person already had an open request) holds
its publishing until the response has gone out: ``publish_after_response`` (a view
decorator) — the rows are committed with the work as always, and published when the
server closes the response (or by the relay, should the process die first)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from privacy.audit_actions import AuditAction
from privacy.models import OutboxTask
from privacy.selectors import ids_in_batches
from privacy.services.audit import _looks_personal, audit_event_record

logger = logging.getLogger(__name__)

#: The retry policy of a task that sends one message to a person (``shared_task(**
#: SEND_RETRY, autoretry_for=(TheirNotSentError,))``): late acknowledgement, backoff
#: from a minute doubling up to an hour, six retries. One policy for every such task.
SEND_RETRY = {
    "acks_late": True,
    "ignore_result": True,
    "retry_backoff": 60,
    "retry_backoff_max": 3600,
    "max_retries": 6,
}

#: Errors that mean "the broker is unreachable" rather than "the task itself failed".
BROKER_ERRORS = (KombuOperationalError, ConnectionError, TimeoutError, OSError)


class OutboxArgumentError(ValueError):
    """A task argument that is not an id (a queued task must carry no personal data)."""


def _check_args(args: Sequence) -> list:
    checked = []
    for index, value in enumerate(args):
        is_id = value is None or isinstance(value, int)  # bool is an int too
        if is_id or (isinstance(value, str) and not _looks_personal(value)):
            checked.append(value)
        else:
            raise OutboxArgumentError(
                f"Argument {index} of a queued task is not an id; queue ids only."
            )
    return checked


def _celery_app():
    from celery import current_app

    return current_app


def task_enqueue(*, task: str, args: Sequence = ()) -> OutboxTask:
    """Record ``task(*args)`` in the current transaction and publish it after the commit.
    Call it inside the transaction of the change the work follows (outside one, the row
    is committed at once and published straight away)."""
    row = OutboxTask.objects.create(task=task, args=_check_args(args))
    app = _celery_app()
    # Inline tasks (tests, debugging) propagate their own errors like .delay() did; in
    # production nothing may escape after the commit (the visitor would see a 500).
    robust = not (app.conf.task_always_eager and app.conf.task_eager_propagates)
    held = _held_for_response.get()
    publish = held.add if held is not None else outbox_task_publish
    transaction.on_commit(partial(publish, task_id=row.pk), robust=robust)
    return row


@dataclass
class _HeldTasks:
    """Tasks a view's work queued, published when its response is closed (``close``);
    one committed after that (a caller that commits later) is published at once."""

    task_ids: list[int] = field(default_factory=list)
    closed: bool = False

    def add(self, *, task_id: int) -> None:
        if self.closed:
            outbox_task_publish(task_id=task_id)
        else:
            self.task_ids.append(task_id)

    def close(self) -> None:
        self.closed = True
        task_ids, self.task_ids = self.task_ids, []
        for task_id in task_ids:
            try:
                outbox_task_publish(task_id=task_id)
            except Exception as exc:  # an inline task's own error: the others still go
                logger.error("Outbox task id=%s failed: %s", task_id, type(exc).__name__)


_held_for_response: ContextVar[_HeldTasks | None] = ContextVar("outbox_held", default=None)


def publish_after_response(view: Callable) -> Callable:
    """View decorator: tasks the view queues are published once the response has been
    sent (when the server closes it), not at the commit, so the response time does not
    depend on how many were queued. The rows are in the view's transaction as always; a
    process that dies before closing leaves them to the relay."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        held = _HeldTasks()
        token = _held_for_response.set(held)
        try:
            response = view(request, *args, **kwargs)
        except BaseException:
            held.close()  # committed work still gets its tasks
            raise
        finally:
            _held_for_response.reset(token)
        # Django's own hook for work at close (FileResponse closes its file there): the
        # WSGI server calls it after the body was written to the client.
        response._resource_closers.append(held.close)
        return response

    return wrapper


def _registered_task(app, name: str):
    if name not in app.tasks:
        app.loader.import_default_modules()  # the apps' tasks modules (autodiscovery)
    return app.tasks[name]


def _mark_sent(task_id: int) -> None:
    OutboxTask.objects.filter(pk=task_id, sent_at__isnull=True).update(sent_at=timezone.now())


def _record_failure(task_id: int, exc: BaseException) -> None:
    # Its own short transaction: the row must show the attempt even if the caller rolls
    # back. Never the exception's text: broker and database errors may quote values.
    try:
        with transaction.atomic():
            OutboxTask.objects.filter(pk=task_id, sent_at__isnull=True).update(
                attempts=F("attempts") + 1,
                last_attempt_at=timezone.now(),
                last_error=type(exc).__name__[:100],
            )
    except Exception as db_exc:  # the database may be the thing that is down
        logger.error(
            "Outbox task id=%s: could not record the failed attempt (%s)",
            task_id,
            type(db_exc).__name__,
        )


def outbox_task_publish(*, task_id: int) -> bool:
    """Publish one outbox row's task and mark it sent. Returns False (and records the
    attempt) when the broker cannot be reached; never raises for that."""
    row = OutboxTask.objects.filter(pk=task_id, sent_at__isnull=True).first()
    if row is None:
        return True  # sent meanwhile (by the relay)
    app = _celery_app()
    eager = app.conf.task_always_eager
    try:
        if eager:
            _registered_task(app, row.task).apply_async(args=row.args)
        else:
            # The settings' bounded policy (one quick retry): a visitor's request must
            # not hang on a dead broker. The relay publishes again later.
            app.send_task(
                row.task,
                args=row.args,
                retry=True,
                retry_policy=app.conf.task_publish_retry_policy,
            )
    except BROKER_ERRORS as exc:
        _record_failure(row.pk, exc)
        logger.warning(
            "Outbox task id=%s (%s) not published, broker unreachable: %s; the relay will retry",
            row.pk,
            row.task,
            type(exc).__name__,
        )
        return False
    except Exception as exc:
        if eager:
            # The task ran inline and failed: it was delivered, like a worker's failure.
            _mark_sent(row.pk)
            if app.conf.task_eager_propagates:
                raise
            logger.error("Outbox task id=%s (%s) failed: %s", row.pk, row.task, type(exc).__name__)
            return True
        _record_failure(row.pk, exc)
        logger.error(
            "Outbox task id=%s (%s) not published: %s; the relay will retry",
            row.pk,
            row.task,
            type(exc).__name__,
        )
        return False
    _mark_sent(row.pk)
    return True


@dataclass
class OutboxRelayReport:
    sent: int = 0
    failed: int = 0
    pending: int = 0  # still unsent after this run (the broker is still down)
    purged: int = 0

    def as_summary(self) -> dict:
        return vars(self).copy()


def outbox_relay(
    *,
    now: dt.datetime | None = None,
    batch_size: int | None = None,
    older_than_seconds: int | None = None,
) -> OutboxRelayReport:
    """Publish rows left unsent, oldest first, a bounded batch at a time; stop at the
    first broker failure (it is down: the next run tries again). Then delete sent rows
    older than ``PRIVACY_OUTBOX_KEEP_SENT_DAYS``. Safe to run concurrently: each batch
    locks its rows (``skip_locked``), and tasks are idempotent anyway."""
    now = now or timezone.now()
    batch_size = batch_size or settings.PRIVACY_OUTBOX_RELAY_BATCH_SIZE
    older_than = dt.timedelta(
        seconds=settings.PRIVACY_OUTBOX_RELAY_AFTER_SECONDS
        if older_than_seconds is None
        else older_than_seconds
    )
    report = OutboxRelayReport()
    # Rows younger than that are still being published by the request that wrote them.
    unsent = OutboxTask.objects.filter(sent_at__isnull=True, created_at__lte=now - older_than)
    broker_down = False
    last_id = 0
    while not broker_down:
        with transaction.atomic():
            rows = list(
                unsent.filter(pk__gt=last_id)
                .select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not rows:
                break
            last_id = rows[-1]
            for task_id in rows:
                if outbox_task_publish(task_id=task_id):
                    report.sent += 1
                else:
                    report.failed += 1
                    broker_down = True
                    break
    report.pending = unsent.count()
    keep = dt.timedelta(days=settings.PRIVACY_OUTBOX_KEEP_SENT_DAYS)
    old_sent = OutboxTask.objects.filter(sent_at__isnull=False, sent_at__lt=now - keep)
    for ids in ids_in_batches(old_sent, batch_size=batch_size):
        with transaction.atomic():
            report.purged += OutboxTask.objects.filter(pk__any=ids).delete()[0]
    if report.sent or report.failed:
        with transaction.atomic():
            audit_event_record(
                actor=None,
                action=AuditAction.OUTBOX_RELAYED,
                object_type="outbox",
                summary=report.as_summary(),
            )
    if report.sent or report.failed or report.pending:
        logger.info("Outbox relay %s", report.as_summary())
    return report


__all__ = [
    "BROKER_ERRORS",
    "OutboxArgumentError",
    "OutboxRelayReport",
    "outbox_relay",
    "outbox_task_publish",
    "task_enqueue",
]
