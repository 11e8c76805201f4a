"""Staff access to the admin: two-factor authentication (django-otp), login lockout
(django-axes) written to the audit trail, and the idle timeout."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.middleware import LAST_SEEN_KEY
from privacy.models import AuditEvent
from privacy.services import staff_access
from privacy.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
LOGIN = "/admin/login/?next=/admin/"
INDEX = "/admin/"


def _code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=steps_ahead):06d}"


def _enrolled(user) -> tuple[TOTPDevice, list[str]]:
    device = staff_access.staff_otp_enrolment_device(actor=user)
    codes = staff_access.staff_otp_enrol_confirm(actor=user, device=device, token=_code(device))
    device.refresh_from_db()
    return device, codes


def _login(client, username: str, token: str | None = None, password: str = PASSWORD):
    data = {"username": username, "password": password, "next": INDEX}
    if token is not None:
        data["otp_token"] = token
    return client.post(LOGIN, data)


# --- two factors, required in production -------------------------------------------------


@pytest.fixture
def otp_required(settings):
    settings.STAFF_OTP_REQUIRED = True
    return settings


def test_with_2fa_required_a_password_alone_does_not_get_in(client, otp_required):
    officer = UserFactory(role="Privacy officer")
    _enrolled(officer)

    response = _login(client, officer.username)

    assert response.status_code == 200
    assert "Enter the code from your authenticator app" in response.content.decode()
    assert client.get(INDEX).status_code == 302


def test_with_2fa_required_a_wrong_code_does_not_get_in(client, otp_required):
    officer = UserFactory(role="Privacy officer")
    _enrolled(officer)
    assert _login(client, officer.username, "000000").status_code == 200
    assert client.get(INDEX).status_code == 302


def test_password_and_the_apps_code_get_in(client, otp_required):
    officer = UserFactory(role="Privacy officer")
    device, _ = _enrolled(officer)

    response = _login(client, officer.username, _code(device, steps_ahead=1))

    assert response.status_code == 302 and response["Location"] == INDEX
    assert client.get(INDEX).status_code == 200


def test_a_recovery_code_gets_in_once(client, otp_required):
    officer = UserFactory(role="Privacy officer")
    _, codes = _enrolled(officer)
    assert len(codes) == 10 and len(set(codes)) == 10

    assert _login(client, officer.username, codes[0]).status_code == 302
    assert client.get(INDEX).status_code == 200
    client.logout()
    assert _login(client, officer.username, codes[0]).status_code == 200  # used up
    assert client.get(INDEX).status_code == 302


def test_a_session_not_verified_by_a_code_is_refused(client, otp_required):
    """A session that logged in by password only (e.g. before 2FA was turned on)."""
    officer = UserFactory(role="Privacy officer")
    _enrolled(officer)
    client.force_login(officer)
    response = client.get(INDEX)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_first_login_goes_to_enrolment_and_ends_verified_with_recovery_codes(client, otp_required):
    officer = UserFactory(role="Privacy officer")

    response = _login(client, officer.username)
    assert response.status_code == 302 and response["Location"] == reverse("admin:otp_enrol")
    # Nothing else is open to this session yet.
    assert client.get(INDEX).status_code == 302
    assert client.get("/admin/privacy/contact/").status_code == 302

    page = client.get(reverse("admin:otp_enrol"))
    assert page.status_code == 200
    content = page.content.decode()
    assert "<svg" in content
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", content).group(1).replace(" ", "")
    assert secret == staff_access.totp_secret_for_display(device).replace(" ", "")

    assert client.post(reverse("admin:otp_enrol"), {"otp_token": "123456"}).status_code == 200
    done = client.post(reverse("admin:otp_enrol"), {"otp_token": _code(device)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
    assert len(codes) == 10
    assert client.get(INDEX).status_code == 200

    device.refresh_from_db()
    assert device.confirmed
    assert StaticDevice.objects.get(user=officer).token_set.count() == 10
    event = AuditEvent.objects.get(action="staff.otp_enrolled")
    assert (event.actor_id, event.object_id, event.summary) == (
        officer.pk,
        str(officer.pk),
        {"recovery_codes": 10},
    )


def test_an_enrolled_but_unverified_session_cannot_add_a_device(client, otp_required):
    """Someone with only the password of an enrolled account can't enrol their own app."""
    officer = UserFactory(role="Privacy officer")
    _enrolled(officer)
    client.force_login(officer)
    response = client.get(reverse("admin:otp_enrol"))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert not TOTPDevice.objects.filter(user=officer, confirmed=False).exists()


def test_the_local_demo_logs_in_with_the_password(client, settings):
    settings.STAFF_OTP_REQUIRED = False
    officer = UserFactory(role="Privacy officer")
    assert _login(client, officer.username).status_code == 302
    assert client.get(INDEX).status_code == 200


# --- lockout ----------------------------------------------------------------------------


def test_repeated_failures_lock_the_account_and_are_audited_without_personal_data(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    officer = UserFactory(username="officer.jane", role="Privacy officer")

    codes = [_login(client, officer.username, password="wrong").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    # Locked: even the right password is refused during the cool-off.
    assert _login(client, officer.username).status_code == 429
    assert client.get(INDEX).status_code == 302

    failed = AuditEvent.objects.filter(action="staff.login_failed").order_by("id")
    assert [(e.object_id, e.summary) for e in failed] == [
        (str(officer.pk), {"failures": 1, "limit": 3}),
        (str(officer.pk), {"failures": 2, "limit": 3}),
    ]
    [locked] = AuditEvent.objects.filter(action="staff.locked_out")
    assert locked.object_id == str(officer.pk)
    assert locked.summary == {"limit": 3, "cooloff_minutes": 15}
    trail = str(list(AuditEvent.objects.values_list("summary", flat=True)))
    assert "officer.jane" not in trail and "127.0.0.1" not in trail


def test_failures_for_names_that_are_no_account_leave_no_audit_rows(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for n in range(4):
        _login(client, f"nobody{n}", password="wrong")
    assert not AuditEvent.objects.filter(action__startswith="staff.").exists()


def test_a_successful_login_resets_the_failure_count(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    officer = UserFactory(role="Privacy officer")
    _login(client, officer.username, password="wrong")
    _login(client, officer.username, password="wrong")
    assert _login(client, officer.username).status_code == 302
    client.logout()
    assert _login(client, officer.username, password="wrong").status_code == 200
    assert _login(client, officer.username).status_code == 302


# --- idle timeout -------------------------------------------------------------------------


def test_an_idle_staff_session_is_logged_out(client, settings):
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 600
    client.force_login(UserFactory(role="Privacy officer"))
    assert client.get(INDEX).status_code == 200

    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 601
    session.save()

    response = client.get(INDEX)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert "_auth_user_id" not in client.session


def test_an_active_staff_session_stays(client, settings):
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 600
    client.force_login(UserFactory(role="Privacy officer"))
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 599
    session.save()
    assert client.get(INDEX).status_code == 200
    assert client.session[LAST_SEEN_KEY] >= int(time.time()) - 5  # the clock restarted


# --- axes' records of sign-in attempts: kept 90 days, not forever --------------------------


def _axes_row(model, *, days_ago: float, **fields):
    """An axes row dated ``days_ago`` (its attempt_time is set on insert)."""
    import datetime as dt

    from django.utils import timezone

    defaults = {
        "user_agent": "Mozilla/5.0 (Jane's laptop)",
        "ip_address": "203.0.113.7",
        "username": "officer.jane",
        "http_accept": "text/html",
        "path_info": "/admin/login/",
    }
    if model.__name__ == "AccessAttempt":
        defaults.update(get_data="", post_data="", failures_since_start=1)
    row = model.objects.create(**{**defaults, **fields})
    model.objects.filter(pk=row.pk).update(
        attempt_time=timezone.now() - dt.timedelta(days=days_ago)
    )
    return row


def test_old_sign_in_records_are_deleted_nightly_with_one_audit_row(settings):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    settings.STAFF_LOGIN_RECORDS_RETENTION_DAYS = 90
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        _axes_row(model, days_ago=91, username="old")
        _axes_row(model, days_ago=89, username="recent")

    counts = staff_access.staff_login_records_purge()

    assert counts == {"access_attempts": 1, "access_logs": 1, "access_failure_logs": 1}
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        assert list(model.objects.values_list("username", flat=True)) == ["recent"]
    [audit] = AuditEvent.objects.filter(action="staff.login_records_purged")
    assert audit.summary == {**counts, "retention_days": 90}
    assert "203.0.113.7" not in str(audit.summary) and "old" not in str(audit.summary)
    # Safe to run twice: nothing more to delete.
    assert set(staff_access.staff_login_records_purge().values()) == {0}


def test_the_purge_keeps_a_lockout_in_force(client, settings):
    from axes.models import AccessAttempt

    settings.AXES_FAILURE_LIMIT = 2
    settings.STAFF_LOGIN_RECORDS_RETENTION_DAYS = 0  # everything is "old"
    officer = UserFactory(username="officer.jane", role="Privacy officer")
    assert [_login(client, officer.username, password="wrong").status_code for _ in "ab"] == [
        200,
        429,
    ]

    staff_access.staff_login_records_purge()

    # Within the cool-off: the attempt stays and the account stays locked.
    assert AccessAttempt.objects.filter(username=officer.username).exists()
    assert _login(client, officer.username).status_code == 429

    # The cool-off as axes also reads it, in hours: the same answer.
    settings.AXES_COOLOFF_TIME = 1
    staff_access.staff_login_records_purge()
    assert _login(client, officer.username).status_code == 429


def test_without_a_cool_off_only_a_reset_unlocks_so_locking_records_stay(settings):
    from axes.models import AccessAttempt

    settings.AXES_COOLOFF_TIME = None
    settings.AXES_FAILURE_LIMIT = 3
    _axes_row(AccessAttempt, days_ago=400, username="locked", failures_since_start=3)
    _axes_row(AccessAttempt, days_ago=400, username="not_locked", failures_since_start=2)

    staff_access.staff_login_records_purge()

    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["locked"]


def test_the_purge_is_a_command_too(settings):
    import io

    from axes.models import AccessFailureLog
    from django.core.management import call_command

    _axes_row(AccessFailureLog, days_ago=365)
    out = io.StringIO()
    call_command("staff_login_records_purge", stdout=out)
    assert "'access_failure_logs': 1" in out.getvalue()
    assert not AccessFailureLog.objects.exists()


@pytest.mark.parametrize(("cooloff", "minutes"), [(1, 60), (None, None)])
def test_every_cool_off_axes_accepts_locks_and_is_audited_once(client, settings, cooloff, minutes):
    """axes takes the cool-off as a timedelta, hours as a number, or None (locked until a
    reset). The lockout audit used to subtract the raw setting from a time: a number or
    None made every locked-out login a server error."""
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = cooloff
    officer = UserFactory(username="officer.jane", role="Privacy officer")

    codes = [_login(client, officer.username, password="wrong").status_code for _ in range(4)]

    assert codes == [200, 429, 429, 429]
    assert _login(client, officer.username).status_code == 429
    [locked] = AuditEvent.objects.filter(action="staff.locked_out")
    assert locked.summary == {"limit": 2, "cooloff_minutes": minutes}
