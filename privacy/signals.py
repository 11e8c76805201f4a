"""Receivers that turn staff login events into audit rows (thin: the service decides)."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
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
