"""Read queries of the consent app, one module per topic; every public name is
importable from ``consent.selectors``.

- ``check``: the hot path, ``consent_check`` (one SQL round trip; anything doubtful
  answers "no"); ``statements``: how it and the webhook's contact lookup run as
  prepared statements on PostgreSQL (planning cost several times the execution; see
  bench/consent_results.md).
- ``caches``: purposes, API keys and the sender numbers found (not unknown ones) are
  cached per worker for ``CONSENT_API_CACHE_SECONDS``; normalised senders
  (``identifiers``) for the life of the worker.
- ``outbound``: ``outbound_block_reason``, the guard every outbound path (prompts,
  links, notices, verification codes) consults before sending.
- ``evidence``: the consent evidence pack of a number or address (every ledger event
  with the notice shown, texts received, suppression, quiet hours) for auditors.
- ``revocation``: the FCC's revocation rules (revoke-all date, the one confirmation,
  the staff queue of possible revocations); ``minors``: who is a minor.
- ``identifiers``, ``purposes``, ``api_keys``, ``senders``, ``contacts``,
  ``preferences``: the other reads, by what they read."""

from __future__ import annotations

from .api_keys import ApiPrincipal, api_key_authenticate, api_key_hash
from .caches import caches_clear
from .check import ConsentDecision, consent_check
from .contacts import (
    InboundContact,
    contact_consent_history,
    contact_consent_states,
    contact_for_identifier,
    contact_for_inbound_text,
    contact_is_granted,
)
from .evidence import (
    EvidencePack,
    consent_evidence_pack,
    evidence_identifier_normalize,
    evidence_pack_as_dict,
)
from .identifiers import identifier_kind, identifier_normalize, sender_normalize
from .minors import contact_is_minor, is_minor_on, minor_age_limit
from .outbound import OUTBOUND_CHANNELS, OutboundBlock, outbound_block_reason
from .preferences import (
    PREFERENCE_SALT,
    PreferenceLinkExpired,
    cookie_records_expired,
    preference_token_contact,
    preference_token_make,
    visitor_cookie_choice,
)
from .purposes import (
    DIRECT_MARKETING,
    PurposeInfo,
    notice_published,
    objection_choices,
    purpose_get,
    purpose_info,
)
from .revocation import (
    revocation_recently_confirmed,
    revocation_reviews_open,
    revoke_all_from,
    revoke_all_in_effect,
)
from .senders import sender_for_number, sender_of_customer

__all__ = [
    "DIRECT_MARKETING",
    "OUTBOUND_CHANNELS",
    "PREFERENCE_SALT",
    "ApiPrincipal",
    "ConsentDecision",
    "EvidencePack",
    "InboundContact",
    "OutboundBlock",
    "PreferenceLinkExpired",
    "PurposeInfo",
    "api_key_authenticate",
    "api_key_hash",
    "caches_clear",
    "consent_check",
    "consent_evidence_pack",
    "contact_consent_history",
    "contact_consent_states",
    "contact_for_identifier",
    "contact_for_inbound_text",
    "contact_is_granted",
    "contact_is_minor",
    "cookie_records_expired",
    "evidence_identifier_normalize",
    "evidence_pack_as_dict",
    "identifier_kind",
    "identifier_normalize",
    "is_minor_on",
    "minor_age_limit",
    "notice_published",
    "objection_choices",
    "outbound_block_reason",
    "preference_token_contact",
    "preference_token_make",
    "purpose_get",
    "purpose_info",
    "revocation_recently_confirmed",
    "revocation_reviews_open",
    "revoke_all_from",
    "revoke_all_in_effect",
    "sender_for_number",
    "sender_normalize",
    "sender_of_customer",
    "visitor_cookie_choice",
]
