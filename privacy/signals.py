"""Receivers that turn staff login events into audit rows (thin: the service decides)."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from privacy.services import staff_access


@receiver(user_login_failed, dispatch_uid="privacy_staff_login_failed")
def _login_failed(sender, credentials=None, request=None, **kwargs):
    # django-axes counts the failure first (its app and receiver come earlier).
    staff_access.staff_login_failure_record(
        username=(credentials or {}).get("username"),
        locked_out=bool(getattr(request, "axes_locked_out", False)),
    )


@receiver(user_locked_out, dispatch_uid="privacy_staff_locked_out")
def _locked_out(sender, request=None, username=None, **kwargs):
    staff_access.staff_lockout_record(username=username)


@receiver(user_logged_in, dispatch_uid="privacy_staff_time_zone")
def _staff_time_zone(sender, request=None, user=None, **kwargs):
    # Read once at login, so staff pages never look it up (privacy.middleware).
    if request is not None and hasattr(request, "session") and user is not None and user.is_staff:
        from privacy.middleware import SESSION_KEY, staff_time_zone_name

        request.session[SESSION_KEY] = staff_time_zone_name(user)
