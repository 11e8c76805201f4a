from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent"

    def ready(self) -> None:
        # Consent data joins privacy's registry: exports and erasure include it.
        from consent import providers
        from consent.demo import seed_demo_consent
        from consent.morning import register_consent_panels
        from consent.selectors import outbound_block_reason
        from privacy.contact_actions import ContactPageAction, contact_page_action_register
        from privacy.demo import demo_seeder_register
        from privacy.display import audit_object_type_register
        from privacy.registry import register_outbound_guard

        providers.register_consent_provider()
        # What privacy sends itself passes consent's full outbound guard (issue 8.2).
        register_outbound_guard("consent", outbound_block_reason)
        register_consent_panels()
        for code, label in (
            ("consent", "Consent records"),
            ("consent_event", "Consent event"),
            ("consent_state", "Consent state"),
            ("cookie_consent", "Cookie choice"),
            ("inbound_message", "Inbound text message"),
            ("notice", "Consent notice"),
            ("api_key", "Consent API key"),
        ):
            audit_object_type_register(code, label)
        demo_seeder_register("consent", seed_demo_consent)
        # What staff can do about a contact's consent, offered on privacy's contact page.
        contact_page_action_register(
            ContactPageAction(
                key="consent.opt_out",
                label="Record an opt-out (“stop texting me”)",
                url_name="admin:consent_contactconsent_opt_out",
                permission="consent.withdraw_consent",
                description="Texts or e-mails, one sender or all, with a note.",
                order=10,
            )
        )
        contact_page_action_register(
            ContactPageAction(
                key="consent.evidence_pack",
                label="Consent evidence pack (page, PDF, JSON)",
                url_name="admin:consent_contactconsent_evidence",
                permission="consent.view_evidence_pack",
                order=20,
                for_erased=True,
            )
        )
