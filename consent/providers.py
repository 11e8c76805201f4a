"""The consent app's personal-data provider for privacy's registry.

Collect: the ledger with the exact notice texts, the current states, SMS subscriptions
and inbound texts. Erase: everything, except SMS consent proof (TCPA: at least 4 years
after its last use), which is kept de-identified — the number replaced by its keyed
hash, evidence such as IP and user agent emptied. Every identifier that carried an
opt-out is reported so the erasure puts it on the suppression list.

Inbound texts that matched no contact are the person's too when they came from one of
the person's numbers: at the same customer, or at any customer for one of our own
contacts (controller mode, whose suppression is global as well). The erasure finds them
by number, scrubs them like the person's own texts and counts them in the certificate
(``inbound_texts_matched_by_number``, a part of the other counts)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence

from django.conf import settings
from django.db.models import Count, F, Max, OuterRef, Q, Subquery

from consent.models import (
    Channel,
    ConsentEvent,
    ConsentState,
    InboundMessage,
    NoticeChangeNotification,
    RevocationReview,
    SmsSubscription,
    VisitorLink,
)
from privacy import registry
from privacy.hashing import identifier_hmac
from privacy.models import Contact, ContactIdentifier
from privacy.personal_data import erased_values

LEDGER_FIELDS = [
    "id", "occurred_at", "recorded_at", "purpose", "action", "method", "identifier", "sender",
    "notice_version", "notice_text", "notice_sha256", "ip_address", "user_agent", "page_url",
    "source", "reference", "parental_consent_method", "parental_consent_reference",
]  # fmt: skip
STATE_FIELDS = ["purpose", "identifier", "sender", "is_granted", "objected", "since", "method"]
SUBSCRIPTION_FIELDS = [
    "phone", "sender", "program", "status", "requested_at", "opted_in_at", "opted_out_at",
]  # fmt: skip
INBOUND_FIELDS = ["received_at", "sender", "from_number", "body", "keyword", "outcome", "reply"]

SMS_PROOF_REASON = (
    "SMS consent proof (when, how, notice shown, sender; number kept only as a keyed hash) "
    "kept at least 4 years after its last use: TCPA limitation period, 28 U.S.C. §1658."
)


def _sms_q() -> Q:
    return Q(purpose__channel=Channel.SMS)


class ConsentProvider:
    key = "consent"
    label = "Consent and SMS subscriptions"
    order = 500
    table_labels = {
        "consent_events": "consent and withdrawal records",
        "consent_states": "current consent choices",
        "inbound_texts": "text messages received from the person",
        "sms_subscriptions": "SMS subscriptions",
    }
    kept_labels = {
        "consent_event (sms)": "SMS consent records, de-identified",
        "sms_subscription": "SMS subscriptions, de-identified",
        "inbound_message (keyword)": "keyword texts (STOP, START...), de-identified",
    }

    def collect(self, contact: Contact) -> Iterator[registry.ExportTable]:
        events = (
            ConsentEvent.objects.filter(contact=contact)
            .order_by("occurred_at", "id")
            .annotate(
                purpose_code=F("purpose__code"),
                notice_version=F("notice__version"),
                notice_text=F("notice__text"),
                notice_sha256=F("notice__text_sha256"),
            )
            .values(
                "id",
                "occurred_at",
                "recorded_at",
                "purpose_code",
                "action",
                "method",
                "identifier",
                "sender",
                "notice_version",
                "notice_text",
                "notice_sha256",
                "ip_address",
                "user_agent",
                "page_url",
                "source",
                "reference",
                "parental_consent_method",
                "parental_consent_reference",
            )
        )
        yield registry.ExportTable(
            name="consent_ledger",
            fields=LEDGER_FIELDS,
            rows=({**row, "purpose": row.pop("purpose_code")} for row in events.iterator()),
            description="Every consent given or withdrawn, with the exact words shown.",
        )
        states = (
            ConsentState.objects.filter(contact=contact)
            .annotate(purpose_code=F("purpose__code"))
            .values(
                "purpose_code", "identifier", "sender", "is_granted", "objected", "since", "method"
            )
            .order_by("purpose_code")
        )
        yield registry.ExportTable(
            name="consent_current",
            fields=STATE_FIELDS,
            rows=({**row, "purpose": row.pop("purpose_code")} for row in states),
        )
        yield registry.ExportTable(
            name="sms_subscriptions",
            fields=SUBSCRIPTION_FIELDS,
            rows=SmsSubscription.objects.filter(contact=contact)
            .order_by("id")
            .values(*SUBSCRIPTION_FIELDS),
        )
        yield registry.ExportTable(
            name="inbound_texts",
            fields=INBOUND_FIELDS,
            rows=InboundMessage.objects.filter(contact=contact)
            .order_by("received_at", "id")
            .values(*INBOUND_FIELDS),
        )

    # --- erasure --------------------------------------------------------------------

    def _proof_contacts(self, ids: Sequence[int], now: dt.datetime) -> set[int]:
        """Contacts whose SMS consent proof is still within 4 years of its last use."""
        cutoff = now - dt.timedelta(days=settings.CONSENT_SMS_PROOF_RETENTION_DAYS)
        last_use = dict(
            ConsentEvent.objects.filter(_sms_q(), contact_id__any=ids)
            .values("contact_id")
            .annotate(last=Max("occurred_at"))
            .values_list("contact_id", "last")
        )
        return {cid for cid, last in last_use.items() if last >= cutoff}

    def _outcomes(
        self, ids: Sequence[int], now: dt.datetime, keep: set[int] | None = None
    ) -> dict[int, registry.ErasureOutcome]:
        if keep is None:
            keep = self._proof_contacts(ids, now)
        outcomes = {pk: registry.ErasureOutcome(erased={}) for pk in ids}

        def counts(qs, kind_q: Q | None = None):
            if kind_q is not None:
                qs = qs.filter(kind_q)
            return dict(
                qs.filter(contact_id__any=ids)
                .values("contact_id")
                .annotate(n=Count("id"))
                .values_list("contact_id", "n")
            )

        sms_events = counts(ConsentEvent.objects.filter(deidentified_at__isnull=True), _sms_q())
        other_events = counts(ConsentEvent.objects.exclude(_sms_q()))
        states = counts(ConsentState.objects.all())
        subs = counts(SmsSubscription.objects.filter(deidentified_at__isnull=True))
        inbound_kw = counts(
            InboundMessage.objects.filter(deidentified_at__isnull=True).exclude(keyword="")
        )
        inbound_other = counts(InboundMessage.objects.filter(keyword=""))
        reviews = counts(RevocationReview.objects.all())
        links = counts(VisitorLink.objects.all())
        notified = counts(NoticeChangeNotification.objects.all())
        for pk in ids:
            outcome = outcomes[pk]
            outcome.erased["revocation_reviews"] = reviews.get(pk, 0)
            outcome.erased["visitor_links"] = links.get(pk, 0)
            outcome.erased["notice_change_notifications"] = notified.get(pk, 0)
            outcome.erased["consent_events"] = other_events.get(pk, 0)
            outcome.erased["consent_states"] = states.get(pk, 0)
            outcome.erased["inbound_texts"] = inbound_other.get(pk, 0)
            proof = {
                "consent_event (sms)": sms_events.get(pk, 0),
                "sms_subscription": subs.get(pk, 0),
                "inbound_message (keyword)": inbound_kw.get(pk, 0),
            }
            if pk in keep:
                outcome.kept.extend(
                    registry.KeptRecords(table=t, count=n, reason=SMS_PROOF_REASON)
                    for t, n in proof.items()
                    if n
                )
            else:
                outcome.erased["consent_events"] += proof["consent_event (sms)"]
                outcome.erased["sms_subscriptions"] = proof["sms_subscription"]
                outcome.erased["inbound_texts"] += proof["inbound_message (keyword)"]
        return outcomes

    def preview(self, contacts: Sequence[Contact]) -> dict[int, registry.ErasureOutcome]:
        from django.utils import timezone

        ids = [c.pk for c in contacts]
        now = timezone.now()
        keep = self._proof_contacts(ids, now)
        outcomes = self._outcomes(ids, now, keep)
        self._unmatched_outcomes(outcomes, self._unmatched_inbound(ids), keep)
        return outcomes

    def _unmatched_inbound(self, ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
        """{contact id: [(inbound message id, keyword)]}: texts that matched no contact,
        from one of the contacts' numbers — at the contact's customer, or, for our own
        contacts (controller mode), at any customer; texts to our own requests number
        for any contact holding the number. One query over the unmatched texts
        (a partial index of ``from_number``)."""
        owners: dict[tuple[int | None, str], int] = {}
        for contact_id, customer_id, number in ContactIdentifier.objects.filter(
            contact_id__any=ids, kind="phone"
        ).values_list("contact_id", "customer_id", "match_key"):
            owners[(customer_id, number)] = contact_id
        if not owners:
            return {}
        found: dict[int, list[tuple[int, str]]] = defaultdict(list)
        texts = InboundMessage.objects.filter(
            contact__isnull=True,
            from_number__isnull=False,
            from_number__any=sorted({number for _, number in owners}),
        ).values_list("pk", "customer_id", "from_number", "keyword")
        by_number = {number: contact_id for (_, number), contact_id in owners.items()}
        for pk, customer_id, number, keyword in texts:
            # The customer's own contact first; else ours, whose suppression is global. A
            # text to our own requests number (no customer) is ours: whoever of the
            # contacts holds the number takes it (consent.services.own_number).
            owner = owners.get((customer_id, number)) or owners.get((None, number))
            if owner is None and customer_id is None:
                owner = by_number.get(number)
            if owner is not None:
                found[owner].append((pk, keyword))
        return found

    def _unmatched_outcomes(
        self,
        outcomes: dict[int, registry.ErasureOutcome],
        unmatched: dict[int, list[tuple[int, str]]],
        keep: set[int],
    ) -> None:
        """Add the texts found by number (not yet linked) to the outcomes, in their own
        rows so no text is counted twice: deleted, or kept de-identified as SMS proof
        (keyword texts of a contact whose proof is kept), as the contact's own texts."""
        for pk, texts in unmatched.items():
            kept = sum(1 for _, keyword in texts if keyword) if pk in keep else 0
            outcomes[pk].erased["inbound_texts_matched_by_number"] = len(texts) - kept
            if kept:
                outcomes[pk].kept.append(
                    registry.KeptRecords(
                        table="inbound_message (keyword, matched by number)",
                        count=kept,
                        reason=SMS_PROOF_REASON,
                    )
                )

    def _link_subscriptions_by_number(self, ids: Sequence[int]) -> None:
        """Attach subscriptions made before their number was known as a contact (matched
        by number within the same customer), so their opt-outs are reported for the
        suppression list. One set-based UPDATE for the whole batch."""
        phones = ContactIdentifier.objects.filter(
            contact_id__any=ids, kind="phone", customer__isnull=False
        )
        numbers = list(phones.values_list("match_key", flat=True))
        if not numbers:
            return
        customers = set(phones.values_list("customer_id", flat=True))
        owner = phones.filter(
            customer_id=OuterRef("customer_id"), match_key=OuterRef("phone")
        ).values("contact_id")[:1]
        SmsSubscription.objects.filter(
            contact__isnull=True, customer_id__any=customers, phone__any=numbers
        ).update(contact_id=Subquery(owner))

    def opted_out_identifiers(
        self, contacts: Sequence[Contact]
    ) -> dict[int, set[registry.OptedOutIdentifier]]:
        ids = [c.pk for c in contacts]
        self._link_subscriptions_by_number(ids)
        result: dict[int, set[registry.OptedOutIdentifier]] = defaultdict(set)
        withdrawn = (
            ConsentState.objects.filter(contact_id__any=ids, is_granted=False)
            .exclude(identifier="")
            .values_list("contact_id", "purpose__channel", "identifier")
        )
        for contact_id, channel, identifier in withdrawn:
            kind = "email" if channel == Channel.EMAIL else "phone"
            result[contact_id].add(registry.OptedOutIdentifier(channel=kind, value=identifier))
        opted_out = SmsSubscription.objects.filter(
            contact_id__any=ids, status=SmsSubscription.Status.OPTED_OUT, phone__isnull=False
        ).values_list("contact_id", "phone")
        for contact_id, phone in opted_out:
            result[contact_id].add(registry.OptedOutIdentifier(channel="phone", value=phone))
        return result

    def erase(
        self, contacts: Sequence[Contact], *, now: dt.datetime
    ) -> dict[int, registry.ErasureOutcome]:
        ids = [c.pk for c in contacts]
        # The engine calls opted_out_identifiers() first in the same transaction, and
        # that has linked early subscriptions already (registry.PersonalDataProvider).
        # Texts from the contacts' numbers that matched no contact become theirs here,
        # so they are scrubbed exactly like their own (kept as SMS proof or deleted).
        keep_set = self._proof_contacts(ids, now)
        outcomes = self._outcomes(ids, now, keep_set)  # of the contacts' own rows
        unmatched = self._unmatched_inbound(ids)
        self._unmatched_outcomes(outcomes, unmatched, keep_set)
        for owner, texts in unmatched.items():
            InboundMessage.objects.filter(pk__any=[pk for pk, _ in texts]).update(contact_id=owner)
        keep = sorted(keep_set)
        drop = [pk for pk in ids if pk not in keep_set]

        ConsentState.objects.filter(contact_id__any=ids).delete()
        RevocationReview.objects.filter(
            Q(contact_id__any=ids) | Q(message__contact_id__any=ids)
        ).delete()
        VisitorLink.objects.filter(contact_id__any=ids).delete()
        NoticeChangeNotification.objects.filter(contact_id__any=ids).delete()
        ConsentEvent.objects.filter(contact_id__any=ids).exclude(_sms_q()).delete()
        InboundMessage.objects.filter(contact_id__any=ids, keyword="").delete()
        ConsentEvent.objects.filter(contact_id__any=drop).delete()
        SmsSubscription.objects.filter(contact_id__any=drop).delete()
        InboundMessage.objects.filter(contact_id__any=drop).delete()

        for event in ConsentEvent.objects.filter(
            contact_id__any=keep, deidentified_at__isnull=True
        ).only("pk", "identifier"):
            ConsentEvent.objects.filter(pk=event.pk).update(
                **erased_values(ConsentEvent),
                identifier_hmac=identifier_hmac(channel="phone", value=event.identifier)
                if event.identifier
                else "",
                deidentified_at=now,
            )
        for sub in SmsSubscription.objects.filter(
            contact_id__any=keep, deidentified_at__isnull=True
        ).only("pk", "phone"):
            SmsSubscription.objects.filter(pk=sub.pk).update(
                **erased_values(SmsSubscription),
                phone_hmac=identifier_hmac(channel="phone", value=sub.phone) if sub.phone else "",
                deidentified_at=now,
            )
        inbound_messages_deidentify(
            InboundMessage.objects.filter(contact_id__any=keep, deidentified_at__isnull=True),
            now=now,
        )
        return outcomes


def inbound_messages_deidentify(messages, *, now: dt.datetime) -> int:
    """De-identify texts kept as SMS proof: the personal fields erased, the number kept
    only as its HMAC (what a later STOP from it is matched with). Returns how many."""
    done = 0
    for message in messages.filter(deidentified_at__isnull=True).only("pk", "from_number"):
        done += InboundMessage.objects.filter(pk=message.pk).update(
            **erased_values(InboundMessage),
            from_hmac=identifier_hmac(channel="phone", value=message.from_number)
            if message.from_number
            else "",
            deidentified_at=now,
        )
    return done


def register_consent_provider() -> None:
    registry.register(ConsentProvider())
