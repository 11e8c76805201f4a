from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        # privacy's own personal data joins the registry like every other app's.
        from privacy import lookups, morning_panels, providers, signals  # noqa: F401 - connects receivers
        from privacy.display import audit_object_type_register

        lookups.register()
        providers.register_privacy_providers()
        # The minors' queue is a panel of the morning page.
        morning_panels.register_morning_panels()
        # What the audit trail's object types are, in words, and where their pages are.
        audit_object_type_register("contact", "Contact", "admin:privacy_contact_change")
        audit_object_type_register("customer", "Customer", "admin:privacy_customer_change")
        audit_object_type_register("interaction", "Interactions")
        audit_object_type_register("retention_rule", "Retention rule")
        audit_object_type_register("job", "Nightly job")
