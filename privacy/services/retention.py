"""The retention sweep: erase what the retention rules say must go, in bounded batches
(each its own transaction) walking contacts by primary key, so memory stays flat
whatever the table's size. Held contacts are left alone and counted; so are contacts a
provider defers (e.g. a person with an open privacy request: "deferred: open request"),
which are simply selected again on the next run, so they go the night after the reason
is gone."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from privacy import registry
from privacy.audit_actions import AuditAction
from privacy.models import Contact, ErasureCertificate
from privacy.selectors import SWEPT_RULES, contacts_due_for_retention, contacts_held_from_retention
from privacy.services.audit import audit_event_record
from privacy.services.erasure import contacts_erase_batch

logger = logging.getLogger(__name__)


@dataclass
class RuleReport:
    due: int = 0
    erased: int = 0
    held: int = 0
    refused: int = 0
    #: Left for a later night; ``deferred_by`` counts them by kind of reason.
    deferred: int = 0
    deferred_by: dict[str, int] = field(default_factory=dict)
    failed: int = 0

    def as_summary(self) -> dict:
        return {**vars(self), "deferred_by": dict(self.deferred_by)}

    def deferred_text(self) -> str:
        """e.g. "2 deferred: open request" (empty when nothing was deferred)."""
        return "; ".join(f"{n} deferred: {kind}" for kind, n in sorted(self.deferred_by.items()))


@dataclass
class RetentionSweepReport:
    dry_run: bool
    rules: dict[str, RuleReport] = field(default_factory=dict)

    @property
    def erased(self) -> int:
        return sum(r.erased for r in self.rules.values())

    @property
    def deferred(self) -> int:
        return sum(r.deferred for r in self.rules.values())

    def deferred_text(self) -> str:
        """All rules together, e.g. "3 deferred: open request"."""
        total = RuleReport()
        for report in self.rules.values():
            for kind, count in report.deferred_by.items():
                total.deferred_by[kind] = total.deferred_by.get(kind, 0) + count
        return total.deferred_text()

    def as_summary(self) -> dict:
        return {str(code): report.as_summary() for code, report in self.rules.items()}


def _erase_batch(
    *, actor, ids: list[int], rule_code: str, now: dt.datetime, report: RuleReport
) -> None:
    try:
        result = contacts_erase_batch(
            actor=actor,
            contact_ids=ids,
            trigger=ErasureCertificate.Trigger.RETENTION,
            reference=rule_code,
            now=now,
        )
    except Exception as exc:
        # One bad subject must not stop the sweep: retry the batch one by one so only
        # the failing subject is skipped (and logged by id). Only the exception's type
        # is logged: database errors quote the offending values.
        if len(ids) == 1:
            logger.error(
                "Retention erasure failed for contact id=%s rule=%s: %s",
                ids[0],
                rule_code,
                type(exc).__name__,
            )
            report.failed += 1
            return
        for contact_id in ids:
            _erase_batch(actor=actor, ids=[contact_id], rule_code=rule_code, now=now, report=report)
        return
    report.erased += len(result.certificates)
    report.refused += len(result.refused)
    report.deferred += len(result.deferred)
    for kind, count in result.deferred_kinds.items():
        report.deferred_by[kind] = report.deferred_by.get(kind, 0) + count


def _count_deferred(*, ids: list[int], rule_code: str, report: RuleReport) -> None:
    """Dry run: how many of these a provider would defer (nothing is locked or changed)."""
    contacts = list(Contact.objects.filter(pk__any=ids).only("pk", "customer_id"))
    deferrals = registry.deferrals(
        contacts, trigger=ErasureCertificate.Trigger.RETENTION, reference=rule_code
    )
    report.deferred += len(deferrals)
    for deferral in deferrals.values():
        report.deferred_by[deferral.kind] = report.deferred_by.get(deferral.kind, 0) + 1


def retention_sweep(
    *,
    actor: AbstractBaseUser | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
    batch_size: int | None = None,
    rule_codes: tuple[str, ...] = SWEPT_RULES,
) -> RetentionSweepReport:
    """Apply every active retention rule. Safe to run twice: erased contacts are not
    selected again. With ``dry_run`` nothing changes and only counts are reported."""
    today = today or timezone.localdate()
    batch_size = batch_size or settings.PRIVACY_SWEEP_BATCH_SIZE
    now = timezone.now()
    report = RetentionSweepReport(dry_run=dry_run)
    for code in rule_codes:
        rule_report = report.rules.setdefault(code, RuleReport())
        rule_report.held = contacts_held_from_retention(code, today=today)
        for ids in contacts_due_for_retention(code, today=today, batch_size=batch_size):
            rule_report.due += len(ids)
            if dry_run:
                _count_deferred(ids=ids, rule_code=code, report=rule_report)
            else:
                _erase_batch(actor=actor, ids=ids, rule_code=code, now=now, report=rule_report)
    if not dry_run:
        with transaction.atomic():
            audit_event_record(
                actor=actor,
                action=AuditAction.RETENTION_SWEPT,
                object_type="retention_rule",
                summary={"today": today.isoformat(), "rules": report.as_summary()},
            )
    logger.info(
        "Retention sweep dry_run=%s erased=%s deferred=%s (%s) rules=%s",
        dry_run,
        report.erased,
        report.deferred,
        report.deferred_text() or "none",
        report.as_summary(),
    )
    return report
