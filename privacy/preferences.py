"""A staff member's own preferences page (the time zone of staff pages)."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from privacy.middleware import SESSION_KEY, staff_time_zone_name
from privacy.models import StaffPreference


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(label="Show times in")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [
            (name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())
        ]


@transaction.atomic
def staff_time_zone_set(*, user, time_zone: str) -> StaffPreference:
    """Record the staff member's time zone (not personal data of a subject; not audited)."""
    zoneinfo.ZoneInfo(time_zone)  # refuses an unknown name
    preference, _ = StaffPreference.objects.update_or_create(
        user=user, defaults={"time_zone": time_zone}
    )
    return preference


def time_zone_view(request):
    if not request.user.is_staff:
        raise PermissionDenied
    form = TimeZoneForm(
        request.POST or None, initial={"time_zone": staff_time_zone_name(request.user)}
    )
    if request.method == "POST" and form.is_valid():
        staff_time_zone_set(user=request.user, time_zone=form.cleaned_data["time_zone"])
        request.session[SESSION_KEY] = form.cleaned_data["time_zone"]
        messages.success(request, f"Times are now shown in {form.cleaned_data['time_zone']}.")
        return redirect("admin:index")
    context = {
        **admin.site.each_context(request),
        "title": "Time zone of staff pages",
        "form": form,
    }
    return TemplateResponse(request, "admin/time_zone.html", context)
