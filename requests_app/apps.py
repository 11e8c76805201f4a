from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Privacy requests"

    def ready(self) -> None:
        # Privacy requests are personal data too: exported with the person's data and
        # de-identified when the person is erased (privacy's registry).
        from privacy.demo import demo_seeder_register
        from privacy.display import audit_object_type_register
        from requests_app import checks, morning, providers  # noqa: F401 (checks registers itself)
        from requests_app.demo import seed_demo_requests

        providers.register_requests_provider()
        # Its queues are panels of the admin's morning page (privacy.morning).
        morning.register_morning_panels()
        audit_object_type_register(
            "privacy_request", "Privacy request", "admin:requests_app_privacyrequest_change"
        )
        demo_seeder_register("requests_app", seed_demo_requests)
