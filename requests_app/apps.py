from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Privacy requests"

    def ready(self) -> None:
        # Privacy requests are personal data too: exported with the person's data and
        # de-identified when the person is erased (privacy's registry).
        from privacy.demo import demo_seeder_register
        from requests_app import checks, providers  # noqa: F401 (checks registers itself)
        from requests_app.demo import seed_demo_requests

        providers.register_requests_provider()
        demo_seeder_register("requests_app", seed_demo_requests)
