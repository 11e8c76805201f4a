"""Top-level URL map."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from config.health import healthz
from privacy import morning, preferences

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # First: the consent check and the inbound webhook are the hot paths (messaging
    # systems call them per message); Django tries patterns in order, and none of
    # consent's overlaps another app's.
    path("", include("consent.urls")),
    # The admin's home is the morning page for privacy officers (privacy.morning); the
    # list of every app stays at /admin/apps/.
    path("admin/", admin.site.admin_view(morning.home_view), name="admin_home"),
    path("admin/apps/", admin.site.admin_view(morning.apps_view), name="admin_apps"),
    path(
        "admin/time-zone/",
        admin.site.admin_view(preferences.time_zone_view),
        name="admin_time_zone",
    ),
    # Browsers ask for /favicon.ico on every page, the admin's included.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("", include("privacy.urls")),
    path("", include("requests_app.urls")),
]
