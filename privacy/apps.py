from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        # privacy's own personal data joins the registry like every other app's.
        from privacy import lookups, providers, signals  # noqa: F401 - connects receivers

        lookups.register()
        providers.register_privacy_providers()
