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
        # Opt-out preference signals (GPC) recorded by the consent app become processed
        # opt-out requests (requests_app.services.opt_outs).
        from privacy import registry
        from requests_app.services.opt_outs import gpc_signal_handler

        registry.register_opt_out_signal_handler("requests_app.gpc_opt_out", gpc_signal_handler)
        demo_seeder_register("requests_app", seed_demo_requests)

        # A visitor of a verified request's status or appeal page is tied to the contacts
        # it matched: their Global Privacy Control is honoured on every public page.
        from consent.gpc import gpc_contact_resolver_register
        from requests_app.selectors import privacy_request_contacts_for_status_token

        for name in ("requests_app:status", "requests_app:appeal"):
            gpc_contact_resolver_register(name, privacy_request_contacts_for_status_token)
