"""Nightly jobs: each does its work once and nothing on a second run; commands too."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from privacy.tests.factories import UserFactory
from requests_app import services
from requests_app.models import DigestSent, ExportPackage, PrivacyRequest, Status
from requests_app.tests.factories import PrivacyRequestFactory
from tests.silent_smtp import silent_smtp  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def test_deadline_digest_lists_only_due_rows_and_is_sent_once(
    django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    UserFactory(role="Privacy officer", email="officer@staff.example.com")
    today = timezone.localdate()
    overdue = PrivacyRequestFactory(status=Status.IN_PROGRESS)
    due_soon = PrivacyRequestFactory(status=Status.VERIFIED)
    later = PrivacyRequestFactory(status=Status.IN_PROGRESS)
    closed = PrivacyRequestFactory(status=Status.COMPLETED)
    PrivacyRequest.objects.filter(pk=overdue.pk).update(deadline_on=today - dt.timedelta(days=1))
    PrivacyRequest.objects.filter(pk=due_soon.pk).update(deadline_on=today + dt.timedelta(days=2))
    PrivacyRequest.objects.filter(pk=later.pk).update(deadline_on=today + dt.timedelta(days=30))
    PrivacyRequest.objects.filter(pk=closed.pk).update(deadline_on=today - dt.timedelta(days=9))
    ack = PrivacyRequestFactory(status=Status.AWAITING_VERIFICATION, acknowledged_at=None)
    PrivacyRequest.objects.filter(pk=ack.pk).update(acknowledge_by=today)

    with django_capture_on_commit_callbacks(execute=True):
        first = services.deadline_digest_send(today=today)
    assert first == {"overdue": 1, "due_2": 1, "due_7": 0, "ack_owed": 1, "sent": True}
    [digest] = mail.outbox
    assert digest.to == ["officer@staff.example.com"]
    assert overdue.reference in digest.body and due_soon.reference in digest.body
    assert later.reference not in digest.body and closed.reference not in digest.body
    assert "@" not in digest.body.replace("officer@staff.example.com", "")

    with django_capture_on_commit_callbacks(execute=True):
        second = services.deadline_digest_send(today=today)
    assert second["sent"] is False
    assert len(mail.outbox) == 1


def test_unverified_requests_expire_with_a_closing_notice_once(django_capture_on_commit_callbacks):
    stale = PrivacyRequestFactory(status=Status.AWAITING_VERIFICATION)
    fresh = PrivacyRequestFactory(status=Status.AWAITING_VERIFICATION)
    PrivacyRequest.objects.filter(pk=stale.pk).update(
        verification_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.unverified_requests_expire(batch_size=1) == {"expired": 1}
    with django_capture_on_commit_callbacks(execute=True):
        assert services.unverified_requests_expire(batch_size=1) == {"expired": 0}
    assert PrivacyRequest.objects.get(pk=stale.pk).status == Status.EXPIRED
    assert PrivacyRequest.objects.get(pk=fresh.pk).status == Status.AWAITING_VERIFICATION
    assert [m.to for m in mail.outbox] == [[stale.email]]
    assert "closed" in mail.outbox[0].subject


def test_expired_export_packages_are_purged_once(django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile

    from privacy.tests.factories import ContactFactory

    request = PrivacyRequestFactory(status=Status.COMPLETED)
    package = ExportPackage.objects.create(
        request=request,
        contact=ContactFactory(),
        state=ExportPackage.State.READY,
        expires_at=timezone.now() - dt.timedelta(days=1),
        token_hash="x" * 64,
        token_salt="s",
    )
    package.file.save("p.zip", ContentFile(b"PK"), save=True)
    name, storage = package.file.name, package.file.storage
    # An expired ready package whose file is already gone is closed as purged too; one
    # that has not expired yet stays.
    fileless, fresh = (
        ExportPackage.objects.create(
            request=PrivacyRequestFactory(status=Status.COMPLETED),
            contact=package.contact,
            state=ExportPackage.State.READY,
            expires_at=timezone.now() + dt.timedelta(days=days),
            token_hash=("a" if days < 0 else "b") * 64,
            token_salt="s",
        )
        for days in (-2, 3)
    )
    fresh.file.save("q.zip", ContentFile(b"PK"), save=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.export_packages_purge() == {"purged": 2}
    assert services.export_packages_purge() == {"purged": 0}
    package.refresh_from_db()
    assert package.state == ExportPackage.State.PURGED and not package.file
    assert not storage.exists(name)
    fileless.refresh_from_db()
    fresh.refresh_from_db()
    assert fileless.state == ExportPackage.State.PURGED and fileless.purged_at is not None
    assert fresh.state == ExportPackage.State.READY and storage.exists(fresh.file.name)


def test_request_log_is_kept_24_months_then_pruned(django_capture_on_commit_callbacks):
    now = timezone.now()
    old = PrivacyRequestFactory(status=Status.COMPLETED)
    recent = PrivacyRequestFactory(status=Status.DENIED)
    still_open = PrivacyRequestFactory(status=Status.IN_PROGRESS)
    PrivacyRequest.objects.filter(pk=old.pk).update(closed_at=now - dt.timedelta(days=740))
    PrivacyRequest.objects.filter(pk=recent.pk).update(closed_at=now - dt.timedelta(days=700))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.request_log_prune(now=now, batch_size=1)["pruned"] == 1
    assert services.request_log_prune(now=now)["pruned"] == 0
    assert set(PrivacyRequest.objects.values_list("pk", flat=True)) == {recent.pk, still_open.pk}


@pytest.mark.parametrize(
    "command",
    [
        "deadline_digest_send",
        "unverified_requests_expire",
        "scheduled_erasures_run",
        "export_packages_purge",
        "request_log_prune",
    ],
)
def test_every_job_is_a_command_safe_to_run_twice(command, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command(command)
        call_command(command)


def test_every_job_is_scheduled_in_beat(settings):
    from requests_app import tasks

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in (
        "deadline_digest_send",
        "unverified_requests_expire",
        "scheduled_erasures_run",
        "export_packages_purge",
        "request_log_prune",
    ):
        assert f"requests_app.tasks.{name}" in scheduled
        assert getattr(tasks, name).name == f"requests_app.tasks.{name}"


@pytest.mark.usefixtures("silent_smtp")
def test_a_digest_the_mail_server_did_not_take_is_not_marked_sent(settings):
    """Issue 11: the digest is sent in its task, bounded by EMAIL_TIMEOUT; a failure is
    raised for the retry, and the day is not recorded as sent."""
    UserFactory(role="Privacy officer", email="officer@staff.example.com")
    today = timezone.localdate()
    with pytest.raises(OSError):  # smtplib's errors and timeouts are OSErrors
        services.deadline_digest_send(today=today)
    assert not DigestSent.objects.filter(day=today).exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.deadline_digest_send(today=today)["sent"] is True
    assert len(mail.outbox) == 1
