from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Privacy requests"

    def ready(self) -> None:
        # Privacy requests are personal data too: exported with the person's data and
        # de-identified when the person is erased (privacy's registry).
        from requests_app import providers

        providers.register_requests_provider()
