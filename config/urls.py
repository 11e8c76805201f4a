"""Top-level URL map."""

from django.contrib import admin
from django.urls import include, path

from config.health import healthz

admin.site.site_header = "Privacy back office"
admin.site.site_title = "Privacy back office"
admin.site.index_title = "Privacy operations"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("consent.urls")),
    path("", include("requests_app.urls")),
]
