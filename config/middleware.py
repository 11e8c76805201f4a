"""Project-wide middleware: the staff idle timeout and the Permissions-Policy header."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

LAST_SEEN_KEY = "_pbo_last_seen"
# The session is written at most this often to record activity (not on every request).
_TOUCH_EVERY_SECONDS = 60


@receiver(user_logged_in, dispatch_uid="config_idle_timeout_login")
def _start_idle_clock(sender, request=None, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN_KEY] = int(time.time())


class StaffIdleTimeoutMiddleware:
    """Log a session out once it has been idle longer than STAFF_IDLE_TIMEOUT_SECONDS
    (the next admin page then asks to log in again). Only logged-in sessions are looked
    at, so public pages cost nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and "_auth_user_id" in session:
            now = int(time.time())
            seen = session.get(LAST_SEEN_KEY)
            if seen is not None and now - seen > settings.STAFF_IDLE_TIMEOUT_SECONDS:
                logout(request)
            elif seen is None or now - seen >= _TOUCH_EVERY_SECONDS:
                session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Tell the browser this site uses no camera, microphone, location… (PERMISSIONS_POLICY)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
