"""Staff pages show times in the staff member's own time zone.

A staff member's choice (``StaffPreference.time_zone``, set on the admin's "Time zone"
page) or else ``STAFF_TIME_ZONE`` is activated for each of their requests, so Django's
date filters and ``privacy.display.staff_time`` use it. It is read into the session at
login (``privacy.signals``), or on the first request of an older session."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.utils import timezone

SESSION_KEY = "staff_time_zone"


def staff_time_zone_name(user) -> str:
    from privacy.models import StaffPreference

    chosen = StaffPreference.objects.filter(user=user).values_list("time_zone", flat=True).first()
    return chosen or settings.STAFF_TIME_ZONE


class StaffTimeZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            name = request.session.get(SESSION_KEY)
            if name is None:
                name = staff_time_zone_name(user)
                request.session[SESSION_KEY] = name
            try:
                timezone.activate(zoneinfo.ZoneInfo(name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
