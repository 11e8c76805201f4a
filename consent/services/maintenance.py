"""Maintenance of the consent data: rebuilding the ``ConsentState`` projection from the
ledger (reporting and repairing drift) and the nightly purge of cookie records, anonymous
visitors' consents and SMS proof past its retention. Both work in bounded batches, each
its own transaction."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import zip_longest

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from consent.models import (
    ConsentEvent,
    ConsentState,
    CookieConsent,
    InboundMessage,
    SmsSubscription,
    VisitorLink,
)
from consent.providers import inbound_messages_deidentify
from consent.selectors import cookie_records_expired
from consent.services.ledger import DECISIONS
from privacy.audit_actions import AuditAction
from privacy.hashing import identifier_hmac
from privacy.models import RetentionRule
from privacy.selectors import (
    customers_held,
    customers_past_contract_end,
    ids_in_batches,
    retention_cutoff,
)
from privacy.services import audit_event_record


@dataclass
class DriftReport:
    checked: int = 0
    missing: int = 0
    extra: int = 0
    different: int = 0
    fixed: bool = False
    samples: list[str] = field(default_factory=list)

    @property
    def drift(self) -> int:
        return self.missing + self.extra + self.different

    def as_summary(self) -> dict:
        return {
            "checked": self.checked,
            "missing": self.missing,
            "extra": self.extra,
            "different": self.different,
            "fixed": self.fixed,
        }


_COMPARED = (
    "customer_id",
    "is_granted",
    "objected",
    "parental_consent",
    "since",
    "method",
    "notice_id",
    "last_event_id",
)
_EVENT_FIELDS = (
    "pk",
    "customer_id",
    "contact_id",
    "visitor_id",
    "purpose_id",
    "identifier",
    "sender",
    "action",
    "occurred_at",
    "method",
    "notice_id",
    "parental_consent_method",
)


def _expected_states(events) -> dict[tuple, dict]:
    expected: dict[tuple, dict] = {}
    for row in events:
        (pk, customer_id, contact_id, visitor_id, purpose_id, identifier, sender, action,
         occurred_at, method, notice_id, parental_consent_method) = row  # fmt: skip
        key = (contact_id, visitor_id, purpose_id, identifier if contact_id else "",
               sender if contact_id else "")  # fmt: skip
        current = expected.get(key)
        if current is None or (occurred_at, pk) > (current["since"], current["last_event_id"]):
            expected[key] = {
                "customer_id": customer_id,
                "is_granted": action == ConsentEvent.Action.GRANT,
                "objected": action == ConsentEvent.Action.OBJECT,
                "parental_consent": bool(parental_consent_method),
                "since": occurred_at,
                "method": method,
                "notice_id": notice_id,
                "last_event_id": pk,
            }
    return expected


def _compare_and_fix(expected: dict[tuple, dict], states, report: DriftReport, apply: bool):
    seen = set()
    for state in states:
        key = (state.contact_id, state.visitor_id, state.purpose_id,
               state.identifier if state.contact_id else "",
               state.sender if state.contact_id else "")  # fmt: skip
        report.checked += 1
        want = expected.get(key)
        if want is None:
            report.extra += 1
            report.samples.append(f"extra state #{state.pk}")
            if apply:
                ConsentState.objects.filter(pk=state.pk).delete()
            continue
        seen.add(key)
        if any(getattr(state, name) != want[name] for name in _COMPARED):
            report.different += 1
            report.samples.append(f"state #{state.pk} differs from event #{want['last_event_id']}")
            if apply:
                ConsentState.objects.filter(pk=state.pk).update(**want)
    for key, want in expected.items():
        if key in seen:
            continue
        report.missing += 1
        report.samples.append(f"missing state for event #{want['last_event_id']}")
        if apply:
            contact_id, visitor_id, purpose_id, identifier, sender = key
            ConsentState.objects.create(
                contact_id=contact_id,
                visitor_id=visitor_id,
                purpose_id=purpose_id,
                identifier=identifier,
                sender=sender,
                **want,
            )


def consent_state_rebuild(
    *, actor: AbstractBaseUser | None, apply: bool = True, batch_size: int = 500
) -> DriftReport:
    """Recompute ConsentState from the ledger (de-identified proof excluded) subject by
    subject, in batches; report every difference and, with ``apply``, repair it."""
    report = DriftReport(fixed=apply)
    # Consent decisions only: a lifted suppression changes no state.
    live = ConsentEvent.objects.filter(deidentified_at__isnull=True, action__in=DECISIONS)
    # Contacts, walking ids of both tables in order.
    last = 0
    while True:
        ids = sorted(
            set(
                live.filter(contact_id__gt=last)
                .order_by("contact_id")
                .values_list("contact_id", flat=True)
                .distinct()[:batch_size]
            )
            | set(
                ConsentState.objects.filter(contact_id__gt=last)
                .order_by("contact_id")
                .values_list("contact_id", flat=True)
                .distinct()[:batch_size]
            )
        )[:batch_size]
        if not ids:
            break
        with transaction.atomic():
            expected = _expected_states(live.filter(contact_id__in=ids).values_list(*_EVENT_FIELDS))
            states = ConsentState.objects.select_for_update().filter(contact_id__in=ids)
            _compare_and_fix(expected, states, report, apply)
        last = ids[-1]
    # Anonymous visitors.
    last_visitor = None
    while True:
        event_visitors = live.filter(visitor_id__isnull=False)
        state_visitors = ConsentState.objects.filter(visitor_id__isnull=False)
        if last_visitor is not None:
            event_visitors = event_visitors.filter(visitor_id__gt=last_visitor)
            state_visitors = state_visitors.filter(visitor_id__gt=last_visitor)
        visitors = sorted(
            set(
                event_visitors.order_by("visitor_id")
                .values_list("visitor_id", flat=True)
                .distinct()[:batch_size]
            )
            | set(
                state_visitors.order_by("visitor_id")
                .values_list("visitor_id", flat=True)
                .distinct()[:batch_size]
            )
        )[:batch_size]
        if not visitors:
            break
        with transaction.atomic():
            expected = _expected_states(
                live.filter(visitor_id__in=visitors).values_list(*_EVENT_FIELDS)
            )
            states = ConsentState.objects.select_for_update().filter(visitor_id__in=visitors)
            _compare_and_fix(expected, states, report, apply)
        last_visitor = visitors[-1]
    del report.samples[50:]
    if apply and report.drift:
        audit_event_record(
            actor=actor,
            action=AuditAction.CONSENT_STATE_REBUILT,
            object_type="consent_state",
            summary=report.as_summary(),
        )
    return report


# --- nightly purge --------------------------------------------------------------------


def consent_records_purge(
    *,
    actor: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
    batch_size: int | None = None,
) -> dict[str, int]:
    """Delete cookie-banner records, anonymous visitors' consents and visitor-cookie
    links to contacts older than the cookie retention period, de-identified SMS proof
    whose 4 years since last use are over, and texts that matched no contact once their
    rule is due (``_unmatched_texts_expire``). Bounded batches, each its own
    transaction; safe to run twice."""
    now = now or timezone.now()
    batch_size = batch_size or settings.CONSENT_PURGE_BATCH_SIZE
    counts: dict[str, int] = defaultdict(int)
    for ids in cookie_records_expired(now=now, batch_size=batch_size):
        with transaction.atomic():
            counts["cookie_records"] += CookieConsent.objects.filter(pk__in=ids).delete()[0]

    cookie_cutoff = now - dt.timedelta(days=settings.CONSENT_COOKIE_RETENTION_DAYS)
    # Visitor cookies tied to contacts (Global Privacy Control) live as long as the
    # cookie records.
    for ids in ids_in_batches(
        VisitorLink.objects.filter(linked_at__lt=cookie_cutoff), batch_size=batch_size
    ):
        with transaction.atomic():
            counts["visitor_links"] += VisitorLink.objects.filter(pk__in=ids).delete()[0]

    # A visitor's state is the latest of its events, so an old state means every event
    # of that visitor and purpose is old too: deleting both keeps the projection exact.
    # A batch of each per transaction, states first (their last events are protected).
    for state_ids, event_ids in zip_longest(
        ids_in_batches(
            ConsentState.objects.filter(visitor_id__isnull=False, since__lt=cookie_cutoff),
            batch_size=batch_size,
        ),
        ids_in_batches(
            ConsentEvent.objects.filter(visitor_id__isnull=False, occurred_at__lt=cookie_cutoff),
            batch_size=batch_size,
        ),
        fillvalue=[],
    ):
        with transaction.atomic():
            counts["visitor_states"] += ConsentState.objects.filter(pk__in=state_ids).delete()[0]
            counts["visitor_events"] += ConsentEvent.objects.filter(pk__in=event_ids).delete()[0]

    proof_cutoff = now - dt.timedelta(days=settings.CONSENT_SMS_PROOF_RETENTION_DAYS)
    last = 0
    while True:
        rows = list(
            ConsentEvent.objects.filter(deidentified_at__isnull=False, contact_id__gt=last)
            .values("contact_id")
            .annotate(last_use=Max("occurred_at"))
            .order_by("contact_id")[:batch_size]
        )
        if not rows:
            break
        expired = [r["contact_id"] for r in rows if r["last_use"] < proof_cutoff]
        if expired:
            with transaction.atomic():
                counts["sms_proof_events"] += ConsentEvent.objects.filter(
                    contact_id__in=expired, deidentified_at__isnull=False
                ).delete()[0]
                counts["sms_proof_subscriptions"] += SmsSubscription.objects.filter(
                    contact_id__in=expired, deidentified_at__isnull=False
                ).delete()[0]
                counts["sms_proof_inbound"] += InboundMessage.objects.filter(
                    contact_id__in=expired, deidentified_at__isnull=False
                ).delete()[0]
        last = rows[-1]["contact_id"]
    _unmatched_texts_expire(
        now=now, batch_size=batch_size, counts=counts, proof_cutoff=proof_cutoff
    )
    result = dict(counts)
    if any(result.values()):
        audit_event_record(
            actor=actor,
            action=AuditAction.CONSENT_RECORDS_PURGED,
            object_type="consent",
            summary=result,
        )
    return result


def sms_proof_hmac(value: str) -> str:
    return identifier_hmac(channel="phone", value=value)


def _unmatched_texts_expire(
    *, now: dt.datetime, batch_size: int, counts: dict[str, int], proof_cutoff: dt.datetime
) -> None:
    """Texts from numbers that matched no contact follow the retention rule of the data
    they belong to, as a contact would: a customer's go with its contacts when the
    contract-end rule is due (not while a legal hold covers the customer); those sent to
    our own requests number (no customer) after the prospect rule's period since they
    were received. A plain text is deleted; a keyword text (STOP, START, …) is SMS proof
    and is de-identified instead, then deleted when the proof's period since it was
    received is over (as ``consent_records_purge`` does for contacts' proof)."""
    today = timezone.localdate(now)
    customers = sorted(set(customers_past_contract_end(today=today)) - customers_held(today=today))
    due = Q(customer_id__in=customers)
    cutoff = retention_cutoff(RetentionRule.Code.PROSPECT_LAST_CONTACT, today=today)
    if cutoff is not None:
        due |= Q(customer__isnull=True, received_at__lt=cutoff)
    unmatched = InboundMessage.objects.filter(contact__isnull=True)
    for ids in ids_in_batches(
        unmatched.filter(due, deidentified_at__isnull=True), batch_size=batch_size
    ):
        with transaction.atomic():
            batch = InboundMessage.objects.filter(pk__in=ids)
            counts["unmatched_texts"] += batch.filter(keyword="").delete()[0]
            counts["unmatched_keyword_texts_deidentified"] += inbound_messages_deidentify(
                batch.exclude(keyword=""), now=now
            )
    for ids in ids_in_batches(
        unmatched.filter(deidentified_at__isnull=False, received_at__lt=proof_cutoff),
        batch_size=batch_size,
    ):
        with transaction.atomic():
            counts["sms_proof_inbound_unmatched"] += InboundMessage.objects.filter(
                pk__in=ids
            ).delete()[0]
