"""Write services of the privacy core. Each public service takes keyword arguments and an
``actor`` (a staff user, or ``None`` for the system), runs in one transaction and writes
its ``AuditEvent`` in that same transaction."""

from .audit import audit_event_record, staff_user
from .contacts import (
    contact_create,
    contact_identifier_add,
    contact_restrict,
    contact_update,
    contact_viewed,
    contacts_bulk_read,
)
from .erasure import ErasureRefused, contact_erase, contacts_erase_batch, erasure_preview
from .export import contact_export
from .holds import legal_hold_lift, legal_hold_place
from .retention import RetentionSweepReport, retention_sweep
from .suppression import suppressions_add, suppressions_lift

__all__ = [
    "ErasureRefused",
    "RetentionSweepReport",
    "audit_event_record",
    "contact_create",
    "contact_erase",
    "contact_export",
    "contact_identifier_add",
    "contact_restrict",
    "contact_update",
    "contact_viewed",
    "contacts_bulk_read",
    "contacts_erase_batch",
    "erasure_preview",
    "legal_hold_lift",
    "legal_hold_place",
    "retention_sweep",
    "staff_user",
    "suppressions_add",
    "suppressions_lift",
]
