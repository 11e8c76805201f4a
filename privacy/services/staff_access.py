"""Staff access: two-factor enrolment (django-otp), the audit trail of failed logins and
lockouts (django-axes), and the nightly purge of axes' own records of sign-in attempts
(``staff_login_records_purge``). Summaries name the staff account by its id and carry
counts: never the username typed, the password or the address it came from."""

from __future__ import annotations

import datetime as dt
from base64 import b32encode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacy.audit_actions import AuditAction
from privacy.models import AuditEvent
from privacy.selectors import ids_in_batches
from privacy.services.audit import audit_event_record

APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def staff_otp_enrolment_device(*, actor: AbstractBaseUser) -> TOTPDevice:
    """The not-yet-confirmed authenticator of ``actor`` (created on first call), whose
    secret the enrolment page shows as a QR code."""
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=actor, name=APP_DEVICE_NAME, confirmed=False)


def totp_secret_for_display(device: TOTPDevice) -> str:
    """The secret in the base32 form authenticator apps accept when typed in."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _recovery_code() -> str:
    # All-digit codes would be taken for app codes at login (the shape picks the device).
    while (code := StaticToken.random_token()).isdigit():
        continue
    return code


@transaction.atomic
def staff_otp_enrol_confirm(
    *, actor: AbstractBaseUser, device: TOTPDevice, token: str
) -> list[str]:
    """Confirm ``device`` with a code it produced; it replaces any earlier authenticator
    of the account, and a fresh set of recovery codes replaces the old one. Returns the
    recovery codes (shown once, stored only in django-otp's table)."""
    if device.user_id != actor.pk or device.confirmed:
        raise ValidationError("Start the set-up again.")
    if not device.verify_token(token.strip()):
        raise ValidationError(
            "That code is not valid: check the clock of your phone and try again."
        )
    TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=actor).delete()
    recovery = StaticDevice.objects.create(user=actor, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [_recovery_code() for _ in range(settings.STAFF_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    audit_event_record(
        actor=actor,
        action=AuditAction.STAFF_OTP_ENROLLED,
        object_type="user",
        object_id=actor.pk,
        summary={"recovery_codes": len(codes)},
    )
    return codes


def staff_otp_session_verify(*, request: HttpRequest, device: TOTPDevice) -> None:
    """Mark the session as verified by ``device`` (just confirmed with a fresh code)."""
    otp_login(request, device)


def _account_id(username: str | None) -> int | None:
    if not username:
        return None
    User = get_user_model()
    return (
        User.objects.filter(**{User.USERNAME_FIELD: username}).values_list("pk", flat=True).first()
    )


@transaction.atomic
def staff_login_failure_record(*, username: str | None, locked_out: bool) -> None:
    """A failed staff login. Only failures against a real account are kept (so guessing
    names cannot fill the append-only trail); once the account is locked out, further
    failures are not recorded one by one — the lockout itself is."""
    account_id = _account_id(username)
    if account_id is None or locked_out:
        return
    from axes.models import AccessAttempt

    failures = (
        AccessAttempt.objects.filter(username=username)
        .values_list("failures_since_start", flat=True)
        .first()
    )
    audit_event_record(
        actor=None,
        action=AuditAction.STAFF_LOGIN_FAILED,
        object_type="user",
        object_id=account_id,
        summary={"failures": failures or 1, "limit": settings.AXES_FAILURE_LIMIT},
    )


@transaction.atomic
def staff_lockout_record(*, username: str | None) -> None:
    """An account locked out after repeated failures (django-axes). Made-up names are
    locked out too, but leave no row (unbounded names must not grow the trail).

    The cool-off is read as axes reads it (``axes.helpers.get_cool_off``: a timedelta,
    hours as a number, or None for a lockout only a reset lifts), so any setting axes
    accepts locks the account and leaves one row instead of failing the login page."""
    from axes.helpers import get_cool_off

    account_id = _account_id(username)
    if account_id is None:
        return
    cooloff = get_cool_off()
    # axes signals again for every attempt during the lockout: one row per lockout. With
    # no cool-off a lockout lasts until a reset, so one row until the account next gets in.
    if cooloff is not None:
        lockout_started = timezone.now() - cooloff
    else:
        User = get_user_model()
        lockout_started = User.objects.filter(pk=account_id).values_list(
            "last_login", flat=True
        ).first() or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    if AuditEvent.objects.filter(
        action=AuditAction.STAFF_LOCKED_OUT,
        object_type="user",
        object_id=str(account_id),
        occurred_at__gte=lockout_started,
    ).exists():
        return
    audit_event_record(
        actor=None,
        action=AuditAction.STAFF_LOCKED_OUT,
        object_type="user",
        object_id=account_id,
        summary={
            "limit": settings.AXES_FAILURE_LIMIT,
            "cooloff_minutes": (
                int(cooloff.total_seconds() // 60) if cooloff is not None else None
            ),
        },
    )


#: Rows of each axes table deleted per transaction by the nightly purge.
STAFF_LOGIN_RECORDS_BATCH_SIZE = 1000


def staff_login_records_purge(
    *, now: dt.datetime | None = None, batch_size: int = STAFF_LOGIN_RECORDS_BATCH_SIZE
) -> dict[str, int]:
    """Nightly: delete django-axes' records of sign-in attempts (address, browser, name
    typed) older than ``STAFF_LOGIN_RECORDS_RETENTION_DAYS``. The audit trail keeps each
    failure and lockout of a real account (its id and counts) for good; these rows are
    only for looking into an attack, and are personal data with no other use.

    A failure record still locking an account is kept, however old its retention says
    it is: one newer than the cool-off (``AXES_COOLOFF_TIME``), or — with no cool-off,
    where only a reset unlocks — one at the failure limit. Bounded batches, each its
    own transaction, walking by key; safe to run twice. One audit row with the counts."""
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.STAFF_LOGIN_RECORDS_RETENTION_DAYS)
    # As axes reads the setting (a timedelta, hours as a number, or None: no cool-off).
    cooloff = get_cool_off()
    attempts = AccessAttempt.objects.filter(attempt_time__lt=cutoff)
    if cooloff is None:
        attempts = attempts.filter(failures_since_start__lt=settings.AXES_FAILURE_LIMIT)
    else:
        attempts = attempts.filter(attempt_time__lt=now - cooloff)
    counts = {"access_attempts": 0, "access_logs": 0, "access_failure_logs": 0}
    for key, queryset in (
        ("access_attempts", attempts),
        ("access_logs", AccessLog.objects.filter(attempt_time__lt=cutoff)),
        ("access_failure_logs", AccessFailureLog.objects.filter(attempt_time__lt=cutoff)),
    ):
        for ids in ids_in_batches(queryset, batch_size=batch_size):
            with transaction.atomic():
                # Filtered again: a failure since the batch was read moved the row's time.
                counts[key] += (
                    queryset.filter(pk__in=ids).delete()[1].get(queryset.model._meta.label, 0)
                )
    audit_event_record(
        actor=None,
        action=AuditAction.STAFF_LOGIN_RECORDS_PURGED,
        object_type="job",
        summary={**counts, "retention_days": settings.STAFF_LOGIN_RECORDS_RETENTION_DAYS},
    )
    return counts
