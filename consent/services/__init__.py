"""Write services of the consent app, one module per topic; every public name is
importable from ``consent.services``.

Public services take keyword arguments and an ``actor``, run in one transaction and
write their ``AuditEvent`` (no personal data in it) in that transaction; outbound SMS
and e-mail are queued with ``transaction.on_commit``.

- ``ledger``: the only writer of the ledger (``ConsentEvent``), which keeps the
  ``ConsentState`` projection and the SMS subscriptions in step in the same
  transaction; the interface for requests_app (``contact_consent_withdraw``,
  ``contact_sale_sharing_opt_out``).
- ``inbound``: inbound texts (the webhook) and their keyword replies; ``sms``: double
  opt-in, the opt-in prompt, staff's opt-out of one subscription, and ``OutboundBlocked``
  / ``outbound_allowed_or_raise`` (the outbound guard as a refusal); ``subscriptions``:
  the one writer of an SMS subscription's status (its allowed-transitions map).
- ``evidence``: recording that staff saw or downloaded a consent evidence pack.
- ``revocation``: revocations by e-mail, phone, letter and the preference centre (the
  one service for a person's "stop texting me", whoever records it), and staff's
  decision on texts that might be revocations (FCC "any reasonable means");
  ``objections``: objection to processing per purpose (GDPR Art. 21).
- ``preferences``: preference centre, GPC, cookie banner, preference-centre links.
- ``notice_changes``: telling people a notice they consented under changed materially.
- ``notices``, ``api_keys``; ``maintenance``: projection rebuild and nightly purge."""

from __future__ import annotations

from consent.models import Purpose
from consent.selectors import DIRECT_MARKETING

from .api_keys import api_key_create, api_key_revoke
from .evidence import EVIDENCE_PACK_FORMATS, consent_evidence_pack_viewed
from .inbound import InboundResult, sms_inbound_handle
from .ledger import (
    SMS_PURPOSES,
    consent_event_record,
    contact_consent_withdraw,
    contact_sale_sharing_opt_out,
)
from .maintenance import DriftReport, consent_records_purge, consent_state_rebuild, sms_proof_hmac
from .notice_changes import (
    NoticeChangeReport,
    material_notice_change_notify,
    material_notice_changes_notify,
    notice_superseded_states,
)
from .notices import notice_draft_save, notice_new_version, notice_publish, notice_text_hash
from .objections import (
    ObjectionResult,
    contact_objection_record,
    objection_purposes,
)
from .preferences import (
    COOKIE_CATEGORIES,
    PREFERENCE_LINK_CHANNELS,
    CookieChoice,
    PreferenceLinkNotSent,
    contact_gpc_signal_record,
    cookie_consent_record,
    preference_choice_set,
    preference_link_deliver,
    preference_link_send,
    preference_link_url,
)
from .replies import sms_reply_text
from .revocation import (
    REVOCATION_METHODS,
    REVOCATION_NOTE_MAX_LENGTH,
    RevocationResult,
    contact_revocation_record,
    revocation_review_resolve,
    sms_programme_set,
)
from .sms import (
    OutboundBlocked,
    SmsPromptNotSent,
    outbound_allowed_or_raise,
    sms_opt_in_prompt_send,
    sms_subscription_request,
)
from .subscriptions import SUBSCRIPTION_TRANSITIONS, sms_subscriptions_transition

__all__ = [
    "COOKIES_ADVERTISING",
    "COOKIES_ANALYTICS",
    "COOKIE_CATEGORIES",
    "DIRECT_MARKETING",
    "EMAIL_MARKETING",
    "EVIDENCE_PACK_FORMATS",
    "PREFERENCE_LINK_CHANNELS",
    "REVOCATION_METHODS",
    "REVOCATION_NOTE_MAX_LENGTH",
    "SALE_SHARING",
    "SMS_INFORMATIONAL",
    "SMS_MARKETING",
    "SMS_PURPOSES",
    "SUBSCRIPTION_TRANSITIONS",
    "CookieChoice",
    "DriftReport",
    "InboundResult",
    "NoticeChangeReport",
    "ObjectionResult",
    "OutboundBlocked",
    "PreferenceLinkNotSent",
    "RevocationResult",
    "SmsPromptNotSent",
    "api_key_create",
    "api_key_revoke",
    "consent_event_record",
    "consent_evidence_pack_viewed",
    "consent_records_purge",
    "consent_state_rebuild",
    "contact_consent_withdraw",
    "contact_gpc_signal_record",
    "contact_objection_record",
    "contact_revocation_record",
    "contact_sale_sharing_opt_out",
    "cookie_consent_record",
    "material_notice_change_notify",
    "material_notice_changes_notify",
    "notice_draft_save",
    "notice_new_version",
    "notice_publish",
    "notice_superseded_states",
    "notice_text_hash",
    "objection_purposes",
    "outbound_allowed_or_raise",
    "preference_choice_set",
    "preference_link_deliver",
    "preference_link_send",
    "preference_link_url",
    "revocation_review_resolve",
    "sms_inbound_handle",
    "sms_opt_in_prompt_send",
    "sms_programme_set",
    "sms_proof_hmac",
    "sms_reply_text",
    "sms_subscription_request",
    "sms_subscriptions_transition",
]

# The purpose codes live on the model (``Purpose.Code``); these names stay for callers.
SMS_MARKETING = Purpose.Code.SMS_MARKETING
SMS_INFORMATIONAL = Purpose.Code.SMS_INFORMATIONAL
EMAIL_MARKETING = Purpose.Code.EMAIL_MARKETING
SALE_SHARING = Purpose.Code.SALE_SHARING
COOKIES_ANALYTICS = Purpose.Code.COOKIES_ANALYTICS
COOKIES_ADVERTISING = Purpose.Code.COOKIES_ADVERTISING
