from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent"

    def ready(self) -> None:
        # Consent data joins privacy's registry: exports and erasure include it.
        from consent import providers
        from consent.demo import seed_demo_consent
        from privacy.demo import demo_seeder_register

        providers.register_consent_provider()
        demo_seeder_register("consent", seed_demo_consent)
