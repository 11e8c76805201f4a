from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent"

    def ready(self) -> None:
        # Consent data joins privacy's registry: exports and erasure include it.
        from consent import providers

        providers.register_consent_provider()
