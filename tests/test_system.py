"""The running system: /healthz and Celery against the real Redis broker."""

from __future__ import annotations

import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from config.celery import app as celery_app
from consent.models import ConsentEvent
from privacy.demo import demo_seeders
from privacy.models import AuditEvent, Contact
from privacy.tests.factories import ContactFactory, CustomerFactory
from requests_app.models import PrivacyRequest


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "broker": True}


@pytest.mark.django_db
def test_healthz_says_unavailable_when_the_broker_is_down(client, celery_conf):
    # Nothing listens on port 1: the broker check must fail fast and say so.
    celery_conf(broker_url="redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"] == {"database": True, "broker": False}


@pytest.mark.redis
@pytest.mark.django_db
def test_healthz_with_the_real_redis_broker(client, celery_conf):
    celery_conf(broker_url=settings.REDIS_URL)
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["broker"] is True


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_retention_task_runs_through_redis_and_a_real_worker(celery_conf):
    """The nightly task travels through Redis to a started worker and erases what is due."""
    import datetime as dt

    from django.utils import timezone

    customer = CustomerFactory(
        status="terminated", contract_ended_on=timezone.localdate() - dt.timedelta(days=800)
    )
    expired = ContactFactory(customer=customer)
    # A queue of this run's own, so concurrent test runs on one Redis never share tasks.
    queue = f"test-{uuid.uuid4().hex}"
    celery_conf(broker_url=settings.REDIS_URL, task_always_eager=False, task_default_queue=queue)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        celery_app.send_task("privacy.tasks.retention_sweep")
        # The task records its run in the audit trail; wait for it (bounded).
        deadline = time.monotonic() + 30
        while not AuditEvent.objects.filter(action="retention.swept").exists():
            assert time.monotonic() < deadline, "the worker never ran the task"
            time.sleep(0.1)
    assert Contact.objects.get(pk=expired.pk).erased_at is not None
    assert AuditEvent.objects.filter(action="retention.swept").count() == 1


def test_private_storage_never_gives_a_public_url():
    from django.core.files.storage import storages

    with pytest.raises(ValueError, match="no public URL"):
        storages["private"].url("exports/anything.zip")


def test_every_scheduled_job_is_a_registered_task():
    celery_app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "privacy.tasks.retention_sweep" in scheduled
    assert scheduled <= set(celery_app.tasks), scheduled - set(celery_app.tasks)


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_one_account_per_role():
    import io

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    out = io.StringIO()
    call_command("seed_demo", contacts_per_customer=20, stdout=out)
    contacts = Contact.objects.count()
    assert contacts > 80  # four customers' contacts plus our own prospects and visitors
    # The other apps' demo data comes from the seeders they registered themselves.
    assert [label for label, _ in demo_seeders()] == ["consent", "requests_app"]
    assert "consent: {" in out.getvalue() and "requests_app: {" in out.getvalue()
    assert ConsentEvent.objects.exists() and PrivacyRequest.objects.exists()
    # The demo's audit trail is the real one: its staff accounts were made through the
    # staff service, each with its creation row (role included).
    created = {
        (event.object_id, tuple(event.summary["groups"]))
        for event in AuditEvent.objects.filter(action="staff_user.created")
    }
    User = get_user_model()
    assert created == {
        (str(User.objects.get(username=name).pk), (role,) if role else ())
        for name, role in (
            ("officer", "Privacy officer"),
            ("agent", "Support agent"),
            ("auditor", "Auditor"),
            ("admin", None),
        )
    }
    # Timelines open with the receipt, on the day the request was received, and nothing
    # on them is dated before it or after now.
    from django.db.models import F, Q
    from django.utils import timezone

    from requests_app.models import RequestEvent

    events = RequestEvent.objects.filter(request__in=PrivacyRequest.objects.all())
    assert not events.filter(
        Q(occurred_at__lt=F("request__received_at")) | Q(occurred_at__gt=timezone.now())
    ).exists()
    received = events.filter(kind="status", to_status="received")
    assert received.count() == PrivacyRequest.objects.count()
    assert not received.exclude(occurred_at=F("request__received_at")).exists()
    trail = AuditEvent.objects.count()
    call_command("seed_demo", contacts_per_customer=20, stdout=out)
    assert Contact.objects.count() == contacts
    assert AuditEvent.objects.count() == trail  # nothing made again, nothing recorded
    assert "Demo data already present" in out.getvalue()
    for username, role in (
        ("officer", "Privacy officer"),
        ("agent", "Support agent"),
        ("auditor", "Auditor"),
    ):
        assert get_user_model().objects.get(username=username).groups.filter(name=role).exists()
        assert username in out.getvalue()


def test_every_nightly_job_has_one_name_for_beat_task_service_and_command():
    """An operator who reads a beat key finds the task, the service and the command by
    the same name."""
    import importlib

    from django.core.management import get_commands

    commands = get_commands()
    assert settings.CELERY_BEAT_SCHEDULE
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        app_label = entry["task"].split(".", 1)[0]
        assert entry["task"] == f"{app_label}.tasks.{name}", name
        assert callable(getattr(importlib.import_module(f"{app_label}.services"), name)), name
        assert commands.get(name) == app_label, name
