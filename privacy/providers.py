"""privacy's own personal-data providers: contacts (profile and identifiers) and
their interactions. Other apps register theirs the same way from their AppConfig."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence

from django.db.models import Count, Q
from django.utils import timezone

from privacy import registry
from privacy.models import Contact, ContactIdentifier, DataTransfer, Disclosure, Interaction
from privacy.personal_data import erased_values

# The person's profile: every column of the contact but the customer (exported by name)
# and the erasure stamp, in the model's order, so a column added to Contact is exported.
CONTACT_FIELDS = [
    f.name for f in Contact._meta.concrete_fields if f.name not in ("customer", "erased_at")
]
IDENTIFIER_FIELDS = ["kind", "value", "extension", "is_primary", "created_at"]
INTERACTION_FIELDS = [
    "id", "channel", "direction", "occurred_at", "from_number", "to_number", "duration_seconds",
    "body", "recording_ref", "ip_address", "user_agent",
]  # fmt: skip

CALL_RECORDS_KEPT_REASON = (
    "Call activity records (time, direction, duration; no numbers, content or recording) "
    "kept de-identified for customer billing and tax records."
)
TOMBSTONE_REASON = (
    "The contact row is kept with every personal field emptied, so the erasure certificate "
    "and any legal or request records that point to it stay valid."
)


class ContactProvider:
    key = "privacy.contact"
    label = "Profile and identifiers"
    order = 1000
    table_labels = {
        "identifiers": "e-mail addresses and phone numbers",
        "profile_fields": "profile emptied (name, address, date of birth, source, notes)",
    }
    kept_labels = {"contact": "the emptied contact record (no personal data left)"}

    def collect(self, contact: Contact) -> Iterator[registry.ExportTable]:
        profile = {name: getattr(contact, name) for name in CONTACT_FIELDS}
        profile["customer"] = contact.customer.name if contact.customer_id else None
        yield registry.ExportTable(
            name="profile", fields=[*CONTACT_FIELDS, "customer"], rows=[profile]
        )
        yield registry.ExportTable(
            name="identifiers",
            fields=IDENTIFIER_FIELDS,
            rows=contact.identifiers.order_by("kind", "id").values(*IDENTIFIER_FIELDS).iterator(),
        )

    def _identifier_counts(self, contact_ids: Sequence[int]) -> dict[int, int]:
        return dict(
            ContactIdentifier.objects.filter(contact_id__any=contact_ids)
            .values("contact_id")
            .annotate(n=Count("id"))
            .values_list("contact_id", "n")
        )

    def _outcomes(self, contacts: Sequence[Contact]) -> dict[int, registry.ErasureOutcome]:
        identifiers = self._identifier_counts([c.pk for c in contacts])
        return {
            c.pk: registry.ErasureOutcome(
                erased={"identifiers": identifiers.get(c.pk, 0), "profile_fields": 1},
                kept=[registry.KeptRecords(table="contact", count=1, reason=TOMBSTONE_REASON)],
            )
            for c in contacts
        }

    def preview(self, contacts: Sequence[Contact]) -> dict[int, registry.ErasureOutcome]:
        return self._outcomes(contacts)

    def opted_out_identifiers(
        self, contacts: Sequence[Contact]
    ) -> dict[int, set[registry.OptedOutIdentifier]]:
        do_not_contact = [c.pk for c in contacts if c.do_not_contact]
        result: dict[int, set[registry.OptedOutIdentifier]] = defaultdict(set)
        for contact_id, kind, value in ContactIdentifier.objects.filter(
            contact_id__any=do_not_contact
        ).values_list("contact_id", "kind", "value"):
            result[contact_id].add(registry.OptedOutIdentifier(channel=kind, value=value))
        return result

    def erase(
        self, contacts: Sequence[Contact], *, now: dt.datetime
    ) -> dict[int, registry.ErasureOutcome]:
        ids = [c.pk for c in contacts]
        outcomes = self._outcomes(contacts)
        ContactIdentifier.objects.filter(contact_id__any=ids).delete()
        Contact.objects.filter(pk__any=ids).update(erased_at=now, **erased_values(Contact))
        return outcomes


class InteractionProvider:
    key = "privacy.interaction"
    label = "Communications"
    order = 100
    table_labels = {"interactions": "text messages, chats, e-mails and web-form submissions"}
    kept_labels = {"interaction (call)": "call records, de-identified"}

    def collect(self, contact: Contact) -> Iterator[registry.ExportTable]:
        yield registry.ExportTable(
            name="interactions",
            fields=INTERACTION_FIELDS,
            rows=Interaction.objects.filter(contact=contact)
            .order_by("-occurred_at", "-id")
            .values(*INTERACTION_FIELDS)
            .iterator(chunk_size=2000),
        )

    def _counts(self, contact_ids: Sequence[int]) -> dict[int, registry.ErasureOutcome]:
        outcomes: dict[int, registry.ErasureOutcome] = {
            pk: registry.ErasureOutcome(erased={"interactions": 0}) for pk in contact_ids
        }
        rows = (
            Interaction.objects.filter(contact_id__any=contact_ids, deidentified_at__isnull=True)
            .values("contact_id", "channel")
            .annotate(n=Count("id"))
            .values_list("contact_id", "channel", "n")
        )
        for contact_id, channel, n in rows:
            outcome = outcomes[contact_id]
            if channel == Interaction.Channel.CALL:
                outcome.kept.append(
                    registry.KeptRecords(
                        table="interaction (call)", count=n, reason=CALL_RECORDS_KEPT_REASON
                    )
                )
            else:
                outcome.erased["interactions"] += n
        return outcomes

    def preview(self, contacts: Sequence[Contact]) -> dict[int, registry.ErasureOutcome]:
        return self._counts([c.pk for c in contacts])

    def opted_out_identifiers(
        self, contacts: Sequence[Contact]
    ) -> dict[int, set[registry.OptedOutIdentifier]]:
        return {}

    def erase(
        self, contacts: Sequence[Contact], *, now: dt.datetime
    ) -> dict[int, registry.ErasureOutcome]:
        ids = [c.pk for c in contacts]
        outcomes = self._counts(ids)
        mine = Interaction.objects.filter(contact_id__any=ids)
        mine.exclude(channel=Interaction.Channel.CALL).delete()
        mine.filter(channel=Interaction.Channel.CALL, deidentified_at__isnull=True).update(
            deidentified_at=now, **erased_values(Interaction)
        )
        return outcomes


DISCLOSURE_FIELDS = [
    "disclosed_on", "recipient", "recipient_kind", "legal_basis", "categories", "compelled",
    "notified_at",
]  # fmt: skip
TRANSFER_FIELDS = [
    "category", "recipient", "country", "safeguard", "safeguard_detail", "copy_available_at",
    "since", "until",
]  # fmt: skip
DISCLOSURES_KEPT_REASON = (
    "Disclosure log kept as proof that a disclosure the law required was made lawfully; it "
    "names the recipient, date, legal basis and categories, and no personal data."
)


def disclosures_shown(contact: Contact, *, on: dt.date | None = None):
    """The contact's disclosures an access answer lists: all but those the law still
    forbids telling the person about (telling them through an export would break it)."""
    on = on or timezone.localdate()
    still_forbidden = Q(notice=Disclosure.Notice.FORBIDDEN) & (
        Q(notice_forbidden_until__isnull=True) | Q(notice_forbidden_until__gte=on)
    )
    return Disclosure.objects.filter(contact=contact).exclude(still_forbidden)


def transfers_in_force(*, on: dt.date | None = None):
    """Transfers outside the EEA in force on ``on``, with their safeguards."""
    on = on or timezone.localdate()
    return (
        DataTransfer.objects.filter(Q(since__isnull=True) | Q(since__lte=on))
        .filter(Q(until__isnull=True) | Q(until__gte=on))
        .select_related("category")
    )


class ProcessingRecordsProvider:
    """What an access answer must say beyond the data itself: to whom the person's data
    was disclosed under a legal obligation (GDPR Art. 15(1)(c); the disclosure log) and
    the safeguards of transfers outside the EEA (Art. 15(2)). The log is kept on erasure
    (it holds no personal data); transfers are about categories, not the person."""

    key = "privacy.processing"
    label = "Disclosures and transfers"
    order = 900

    def collect(self, contact: Contact) -> Iterator[registry.ExportTable]:
        disclosures = disclosures_shown(contact).prefetch_related("categories")
        yield registry.ExportTable(
            name="disclosures",
            fields=DISCLOSURE_FIELDS,
            rows=(
                {
                    "disclosed_on": d.disclosed_on,
                    "recipient": d.recipient,
                    "recipient_kind": d.get_recipient_kind_display(),
                    "legal_basis": d.legal_basis,
                    "categories": ", ".join(sorted(c.name for c in d.categories.all())),
                    "compelled": d.compelled,
                    "notified_at": d.notified_at,
                }
                for d in disclosures.order_by("disclosed_on", "pk")
            ),
            description="Disclosures of your data that the law required, and to whom.",
        )
        yield registry.ExportTable(
            name="transfers_outside_eea",
            fields=TRANSFER_FIELDS,
            rows=(
                {
                    "category": t.category.name,
                    "recipient": t.recipient,
                    "country": t.country,
                    "safeguard": t.get_safeguard_display(),
                    "safeguard_detail": t.safeguard_detail,
                    "copy_available_at": t.copy_available_at,
                    "since": t.since,
                    "until": t.until,
                }
                for t in transfers_in_force().order_by("category__name", "country", "pk")
            ),
            description="Where your data goes outside the EEA and the safeguard for each.",
        )

    def _outcomes(self, contacts: Sequence[Contact]) -> dict[int, registry.ErasureOutcome]:
        counts = dict(
            Disclosure.objects.filter(contact_id__any=[c.pk for c in contacts])
            .values("contact_id")
            .annotate(n=Count("id"))
            .values_list("contact_id", "n")
        )
        return {
            c.pk: registry.ErasureOutcome(
                erased={},
                kept=[
                    registry.KeptRecords(
                        table="disclosure log", count=counts[c.pk], reason=DISCLOSURES_KEPT_REASON
                    )
                ]
                if counts.get(c.pk)
                else [],
            )
            for c in contacts
        }

    def preview(self, contacts: Sequence[Contact]) -> dict[int, registry.ErasureOutcome]:
        return self._outcomes(contacts)

    def opted_out_identifiers(
        self, contacts: Sequence[Contact]
    ) -> dict[int, set[registry.OptedOutIdentifier]]:
        return {}

    def erase(
        self, contacts: Sequence[Contact], *, now: dt.datetime
    ) -> dict[int, registry.ErasureOutcome]:
        return self._outcomes(contacts)


def register_privacy_providers() -> None:
    registry.register(ContactProvider())
    registry.register(InteractionProvider())
    registry.register(ProcessingRecordsProvider())
