"""Every action the audit trail records, in one enumeration.

Each value is the full name stored in ``AuditEvent.action`` (``<object>.<what happened>``),
written out here so that a name found in the trail can be found in the code by a plain
search; nothing builds an action name from pieces. The labels are what staff read in the
admin. ``privacy.services.audit`` refuses an action that is not listed here.

Upper apps' actions are listed too (names only: the ground floor still imports neither
app). A new action is a new member here, with its label, and a call with that member."""

from __future__ import annotations

from django.db import models


class AuditAction(models.TextChoices):
    # --- contacts (privacy) --------------------------------------------------------------
    CONTACT_CREATED = "contact.created", "Contact created"
    CONTACT_UPDATED = "contact.updated", "Contact details changed"
    CONTACT_IDENTIFIER_ADDED = "contact.identifier_added", "E-mail address or phone number added"
    CONTACT_IDENTIFIERS_ADDED = (
        "contact.identifiers_added",
        "E-mail addresses or phone numbers added to an existing contact",
    )
    CONTACT_RESTRICTED = "contact.restricted", "Processing of a contact restricted"
    CONTACT_SENSITIVE_USE_LIMITED = (
        "contact.sensitive_use_limited",
        "Use of a contact's sensitive personal information limited",
    )
    CONTACT_UNRESTRICTED = "contact.unrestricted", "Restriction of a contact lifted"
    CONTACT_VIEWED = "contact.viewed", "Contact's page viewed by staff"
    CONTACT_EXPORTED = "contact.exported", "Contact's data exported"
    CONTACT_ERASED = "contact.erased", "Contact's personal data erased (certificate recorded)"
    CONTACT_BULK_IMPORTED = "contact.bulk_imported", "Contacts imported in bulk (command)"
    CONTACT_IMPORTED = "contact.imported", "Contacts imported (admin)"
    CUSTOMER_IMPORTED = "customer.imported", "Customers imported (admin)"
    INTERACTION_IMPORTED = "interaction.imported", "Interactions imported (admin)"
    CONTACT_BULK_READ = "contact.bulk_read", "Contacts exported as a file (admin)"
    CUSTOMER_BULK_READ = "customer.bulk_read", "Customers exported as a file (admin)"
    INTERACTION_BULK_READ = "interaction.bulk_read", "Interactions exported as a file (admin)"
    # --- holds and retention (privacy) ----------------------------------------------------
    LEGAL_HOLD_PLACED = "legal_hold.placed", "Legal hold placed"
    LEGAL_HOLD_LIFTED = "legal_hold.lifted", "Legal hold lifted"
    RETENTION_SWEPT = "retention.swept", "Retention sweep ran"
    # --- children's data (privacy) ---------------------------------------------------------
    MINOR_ERASURE_SCHEDULED = (
        "minor_erasure.scheduled",
        "A minor's data scheduled for erasure",
    )
    MINOR_ERASURE_HELD = "minor_erasure.held", "A minor's erasure held by a legal hold"
    MINOR_ERASURE_DEFERRED = "minor_erasure.deferred", "A minor's erasure waiting (open request)"
    MINOR_ERASURE_ERASED = "minor_erasure.erased", "A minor's data erased"
    MINOR_ERASURE_CANCELLED = "minor_erasure.cancelled", "A minor's erasure cancelled"
    MINORS_JOB_RAN = "minors.job_ran", "Minors' data job ran"
    # --- the disclosure log (privacy) -------------------------------------------------------
    DISCLOSURE_RECORDED = "disclosure.recorded", "Disclosure under a legal obligation logged"
    DISCLOSURE_NOTICE_SENT = "disclosure.notice_sent", "Person told of a compelled disclosure"
    DISCLOSURE_NOTICE_NOT_SENT = (
        "disclosure.notice_not_sent",
        "Disclosure notice not sent (no address we may use, or the outbound guard said no)",
    )
    DISCLOSURE_NOTICE_SEND_FAILED = (
        "disclosure.notice_send_failed",
        "Disclosure notice not taken by the mail server (retried, then by the nightly job)",
    )
    DISCLOSURE_NOTICE_RELEASED = (
        "disclosure.notice_released",
        "Disclosure notice released by staff (prohibition ended)",
    )
    DISCLOSURE_NOTICE_PROHIBITION_ENDED = (
        "disclosure.notice_prohibition_ended",
        "Prohibition on telling the person of a disclosure ended",
    )
    DISCLOSURES_NOTICES_SENT = "disclosures.notices_sent", "Disclosure notices job ran"
    OUTBOX_RELAYED = "outbox.relayed", "Queued work sent on to the broker"
    SUPPRESSION_LIFTED = (
        "suppression.lifted",
        "Suppression lifted by the person's own act from the identifier",
    )
    # --- staff accounts (privacy) ---------------------------------------------------------
    STAFF_LOGIN_FAILED = "staff.login_failed", "Failed staff sign-in"
    STAFF_LOCKED_OUT = "staff.locked_out", "Staff account locked after failed sign-ins"
    STAFF_OTP_ENROLLED = "staff.otp_enrolled", "Two-factor device enrolled"
    STAFF_LOGIN_RECORDS_PURGED = (
        "staff.login_records_purged",
        "Old records of staff sign-in attempts deleted (addresses, browsers, names typed)",
    )
    STAFF_USER_CREATED = "staff_user.created", "Staff user created"
    STAFF_USER_CHANGED = (
        "staff_user.changed",
        "Staff user's flags, groups, permissions or details changed",
    )
    STAFF_USER_DEACTIVATED = (
        "staff_user.deactivated",
        "Staff user deactivated (kept: staff who acted are never deleted)",
    )
    # --- consent ---------------------------------------------------------------------------
    CONSENT_GRANTED = "consent.granted", "Consent given"
    CONSENT_WITHDRAWN = "consent.withdrawn", "Consent withdrawn"
    CONSENT_CONTACT_WITHDRAWN = "consent.contact_withdrawn", "All of a contact's consent withdrawn"
    CONSENT_IMPORTED = "consent.imported", "Consent evidence imported"
    CONSENT_NOTICE_SAVED = "consent.notice_saved", "Consent notice draft saved"
    CONSENT_NOTICE_PUBLISHED = "consent.notice_published", "Consent notice published"
    CONSENT_API_KEY_CREATED = "consent.api_key_created", "Consent API key created"
    CONSENT_API_KEY_REVOKED = "consent.api_key_revoked", "Consent API key revoked"
    CONSENT_SMS_INBOUND = "consent.sms_inbound", "Inbound text message handled"
    CONSENT_SMS_OPT_IN_REQUESTED = "consent.sms_opt_in_requested", "SMS opt-in prompt requested"
    CONSENT_SMS_OPT_IN_PROMPT_BLOCKED = (
        "consent.sms_opt_in_prompt_blocked",
        "SMS opt-in prompt not sent (suppressed, do not contact or opted out)",
    )
    CONSENT_SMS_OPT_IN_PROMPT_SEND_FAILED = (
        "consent.sms_opt_in_prompt_send_failed",
        "SMS opt-in prompt not taken by the gateway (retried)",
    )
    CONSENT_COOKIE_CHOICE = "consent.cookie_choice", "Cookie choice recorded"
    CONSENT_STATE_REBUILT = "consent.state_rebuilt", "Consent projection rebuilt from the ledger"
    CONSENT_RECORDS_PURGED = "consent.records_purged", "Old consent records purged"
    CONSENT_PREFERENCE_LINK_SENT = "consent.preference_link_sent", "Preference-centre link sent"
    # No longer written: the agent's opt-out is a revocation (consent.revocation_recorded)
    # since the two services became one. Kept so older rows keep their label.
    CONSENT_STAFF_OPT_OUT = "consent.staff_opt_out", "Opt-out recorded by staff (phone, mail)"
    CONSENT_EVIDENCE_PACK_VIEWED = (
        "consent.evidence_pack_viewed",
        "Consent evidence pack viewed or downloaded",
    )
    CONSENT_OBJECTED = "consent.objected", "Objection to a processing recorded (one purpose)"
    CONSENT_OBJECTION_RECORDED = (
        "consent.objection_recorded",
        "Objection to processing recorded (GDPR Art. 21)",
    )
    CONSENT_REVOCATION_RECORDED = (
        "consent.revocation_recorded",
        "Revocation received by e-mail, phone or the preference centre honoured",
    )
    CONSENT_REVOCATION_REVIEWED = (
        "consent.revocation_reviewed",
        "Staff decided whether a text revoked consent",
    )
    CONSENT_SMS_PROGRAMME_CHANGED = (
        "consent.sms_programme_changed",
        "Customer's SMS programme (revoke-all date) changed",
    )
    CONSENT_NOTICE_CHANGE_NOTIFIED = (
        "consent.notice_change_notified",
        "People told of a material notice change",
    )
    # --- privacy requests ------------------------------------------------------------------
    PRIVACY_REQUEST_RECEIVED = "privacy_request.received", "Privacy request received"
    PRIVACY_REQUEST_ACKNOWLEDGED = (
        "privacy_request.acknowledged",
        "Privacy request acknowledged (the receipt notice was sent)",
    )
    PRIVACY_REQUEST_SUBMISSION_RECEIVED = (
        "privacy_request.submission_received",
        "Privacy request form sent (one or more requests)",
    )
    PRIVACY_REQUEST_DUPLICATE_LINKED = (
        "privacy_request.duplicate_linked",
        "Same request submitted again (linked to the open one)",
    )
    PRIVACY_REQUEST_STATUS_CHANGED = "privacy_request.status_changed", "Request status changed"
    PRIVACY_REQUEST_ASSIGNED = "privacy_request.assigned", "Request assigned"
    PRIVACY_REQUEST_EXTENDED = "privacy_request.extended", "Request deadline extended"
    PRIVACY_REQUEST_FEE_ESTIMATED = "privacy_request.fee_estimated", "Fee estimate sent"
    PRIVACY_REQUEST_FEE_RECORDED = "privacy_request.fee_recorded", "Fee recorded"
    PRIVACY_REQUEST_RELAYED = "privacy_request.relayed", "Request relayed to a customer"
    PRIVACY_REQUEST_RELAY_ANSWERED = (
        "privacy_request.relay_answered",
        "Customer's answer to a relay recorded",
    )
    PRIVACY_REQUEST_PACKAGE_BUILT = "privacy_request.package_built", "Export package built"
    PRIVACY_REQUEST_PACKAGE_REBUILT = (
        "privacy_request.package_rebuilt",
        "Expired export package rebuilt for a completion",
    )
    PRIVACY_REQUEST_PACKAGE_DOWNLOADED = (
        "privacy_request.package_downloaded",
        "Export package downloaded",
    )
    PRIVACY_REQUEST_ERASURE_SCHEDULED = (
        "privacy_request.erasure_scheduled",
        "Erasure scheduled after the grace period",
    )
    PRIVACY_REQUEST_ERASURE_RUN_NOW = (
        "privacy_request.erasure_run_now",
        "Erasure run now by a privacy officer (grace period skipped)",
    )
    PRIVACY_REQUEST_PACKAGE_VIEWED = (
        "privacy_request.package_viewed",
        "Export package checked by staff before it was sent",
    )
    PRIVACY_REQUEST_PACKAGE_STAFF_DOWNLOADED = (
        "privacy_request.package_staff_downloaded",
        "Export package downloaded by staff to check it",
    )
    PRIVACY_REQUEST_ERASURE_CANCELLED = (
        "privacy_request.erasure_cancelled",
        "Scheduled erasure cancelled",
    )
    PRIVACY_REQUEST_ERASURE_BLOCKED = (
        "privacy_request.erasure_blocked",
        "Scheduled erasure blocked by a legal hold",
    )
    PRIVACY_REQUEST_ERASURE_DEFERRED = (
        "privacy_request.erasure_deferred",
        "Scheduled erasure waits for another open request of the person",
    )
    PRIVACY_REQUEST_CORRECTION_APPLIED = (
        "privacy_request.correction_applied",
        "Correction applied to a contact",
    )
    PRIVACY_REQUEST_AGENT_PROOF_OPENED = (
        "privacy_request.agent_proof_opened",
        "Authorised agent's proof opened by staff",
    )
    PRIVACY_REQUEST_APPEAL_RECEIVED = "privacy_request.appeal_received", "Appeal received"
    PRIVACY_REQUEST_BULK_READ = (
        "privacy_request.bulk_read",
        "Request log read in bulk (CCPA §7102 report download)",
    )
    PRIVACY_REQUEST_POST_MORTEM_RECORDED = (
        "privacy_request.post_mortem_recorded",
        "Instructions about data after death recorded",
    )
    PRIVACY_REQUEST_POST_MORTEM_ACKNOWLEDGED = (
        "privacy_request.post_mortem_acknowledged",
        "Instructions about data after death acknowledged",
    )
    PRIVACY_REQUEST_TRANSFER_STARTED = (
        "privacy_request.transfer_started",
        "Transfer to another organisation started (recipient asked to confirm)",
    )
    PRIVACY_REQUEST_TRANSFER_CONFIRMED = (
        "privacy_request.transfer_confirmed",
        "Recipient confirmed its address; download link sent",
    )
    PRIVACY_REQUEST_TRANSFER_DOWNLOADED = (
        "privacy_request.transfer_downloaded",
        "Package downloaded by the recipient",
    )
    PRIVACY_REQUEST_DEIDENTIFIED = (
        "privacy_request.deidentified",
        "Request de-identified (its person was erased)",
    )
    # --- the requests app's nightly jobs --------------------------------------------------
    REQUESTS_JOB_DEADLINE_DIGEST = "requests_job.deadline_digest", "Deadline digest sent"
    REQUESTS_JOB_UNVERIFIED_EXPIRED = (
        "requests_job.unverified_expired",
        "Unverified requests expired",
    )
    REQUESTS_JOB_SCHEDULED_ERASURES = (
        "requests_job.scheduled_erasures",
        "Scheduled erasures ran",
    )
    REQUESTS_JOB_PACKAGES_PURGED = "requests_job.packages_purged", "Expired export packages purged"
    REQUESTS_JOB_REQUEST_LOG_PRUNED = (
        "requests_job.request_log_pruned",
        "Request log pruned",
    )


def audit_action_label(action: str) -> str:
    """The words for ``action`` (the stored name itself if it is no longer listed)."""
    try:
        return AuditAction(action).label
    except ValueError:
        return action
