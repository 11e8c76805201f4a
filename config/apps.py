"""The admin app, with the back office's own site (two-factor login) as the default."""

from django.contrib.admin.apps import AdminConfig


class PrivacyAdminConfig(AdminConfig):
    default_site = "config.admin.PrivacyAdminSite"

    def ready(self) -> None:
        super().ready()
        # The idle clock starts at login (a receiver in the middleware's module).
        from config import middleware  # noqa: F401
