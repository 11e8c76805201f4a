"""Write services of the privacy core. Each public service takes keyword arguments and an
``actor`` (a staff user, or ``None`` for the system), runs in one transaction and writes
its ``AuditEvent`` in that same transaction."""

from .audit import audit_event_build, audit_event_record, staff_user
from .contacts import (
    contact_create,
    contact_identifier_add,
    contact_restrict,
    contact_sensitive_use_limit,
    contact_update,
    contact_viewed,
    contacts_bulk_read,
)
from .disclosures import (
    DisclosureNoticeNotSent,
    disclosure_notice_deliver,
    disclosure_notice_release,
    disclosure_notices_send,
    disclosure_record,
)
from .erasure import (
    ErasureDeferred,
    ErasureRefused,
    contact_erase,
    contacts_erase_batch,
    erasure_preview,
)
from .export import contact_export
from .holds import legal_hold_lift, legal_hold_place
from .minors import (
    contact_minor_flag,
    minor_erasure_cancel,
    minor_erasure_schedule,
    minor_erasure_schedule_if_minor,
    minors_data_erase,
)
from .opt_out_signals import opt_out_signal_record
from .outbox import outbox_relay, publish_after_response, task_enqueue
from .retention import RetentionSweepReport, retention_sweep
from .staff import staff_user_deactivate, staff_user_save
from .staff_access import staff_login_records_purge
from .suppression import suppressions_add, suppressions_lift

__all__ = [
    "DisclosureNoticeNotSent",
    "ErasureDeferred",
    "ErasureRefused",
    "RetentionSweepReport",
    "audit_event_build",
    "audit_event_record",
    "contact_create",
    "contact_erase",
    "contact_export",
    "contact_identifier_add",
    "contact_minor_flag",
    "contact_restrict",
    "contact_sensitive_use_limit",
    "contact_update",
    "contact_viewed",
    "contacts_bulk_read",
    "contacts_erase_batch",
    "disclosure_notice_deliver",
    "disclosure_notice_release",
    "disclosure_notices_send",
    "disclosure_record",
    "erasure_preview",
    "legal_hold_lift",
    "legal_hold_place",
    "minor_erasure_cancel",
    "minor_erasure_schedule",
    "minor_erasure_schedule_if_minor",
    "minors_data_erase",
    "opt_out_signal_record",
    "outbox_relay",
    "publish_after_response",
    "retention_sweep",
    "staff_login_records_purge",
    "staff_user",
    "staff_user_deactivate",
    "staff_user_save",
    "suppressions_add",
    "suppressions_lift",
    "task_enqueue",
]
