"""Broker outage end to end: the public opt-out of sale is submitted while the broker is
down (a closed port), then the real Redis comes back with a started worker, the relay
command publishes what waited, and the worker does the work exactly once."""

from __future__ import annotations

import io
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from config.celery import app as celery_app
from consent.models import ConsentEvent
from privacy.models import OutboxTask
from privacy.services import contact_create
from requests_app.models import PrivacyRequest, Status


# The worker runs in a thread of this process and writes the rows the test reads: the
# suite's in-memory SQLite (one shared cache, table locks) can't serve both at once, so
# this runs on PostgreSQL; requests_app/tests/test_broker_outage.py covers SQLite.
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_work_queued_while_redis_was_down_runs_once_when_it_is_back(client, celery_conf):
    contact, _ = contact_create(
        actor=None, customer=None, emails=["rita.redis@example.org"], first_name="Rita"
    )
    celery_conf(broker_url="redis://127.0.0.1:1/0", task_always_eager=False)

    response = client.post(
        reverse("requests_app:request_form"),
        {
            "request_type": "opt_out_sale",
            "country": "US",
            "state": "CA",
            "full_name": "Rita Redis",
            "email": "rita.redis@example.org",
            "website": "",
        },
    )

    assert response.status_code == 302
    request = PrivacyRequest.objects.get()
    # The processing and the sending of the submission's notices (the receipt), waiting.
    rows = OutboxTask.objects.order_by("pk")
    assert [(r.task, r.sent_at, r.attempts) for r in rows] == [
        ("requests_app.tasks.process_request", None, 1),
        ("requests_app.tasks.submission_notices_deliver", None, 1),
    ]
    assert request.acknowledged_at is None

    # A queue of this run's own, so concurrent test runs on one Redis never share tasks.
    queue = f"test-{uuid.uuid4().hex}"
    celery_conf(broker_url=settings.REDIS_URL, task_default_queue=queue)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        out = io.StringIO()
        call_command("outbox_relay", "--older-than", "0", stdout=out)
        assert "2 sent, 0 failed, 0 still pending" in out.getvalue(), out.getvalue()
        # Bounded, and generous: the machine may be busy with other test runs.
        deadline = time.monotonic() + 90
        while (
            PrivacyRequest.objects.get(pk=request.pk).status != Status.COMPLETED
            or PrivacyRequest.objects.get(pk=request.pk).acknowledged_at is None
        ):
            assert time.monotonic() < deadline, "the worker never ran the queued work"
            time.sleep(0.1)
        call_command("outbox_relay", "--older-than", "0", stdout=io.StringIO())
        time.sleep(0.5)  # give a (wrong) second delivery the chance to show

    assert ConsentEvent.objects.filter(contact=contact, action="withdraw").count() == 1
    assert not OutboxTask.objects.filter(sent_at__isnull=True).exists()
