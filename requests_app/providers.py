"""requests_app's personal-data provider for privacy's registry (registered from
``RequestsAppConfig.ready``).

- **Collect** (access / portability): the privacy requests matched to the contact, with
  their person-facing timeline. Staff notes are not part of it.
- **Erase**: closed requests about the contact (matched, or carrying one of its
  normalised e-mail addresses or numbers) are de-identified and kept as the CCPA request
  log until the 24-month prune; requests found by those identifiers that were never
  confirmed are closed first, then de-identified the same way; open ones keep the
  identity until they close (see ``requests_app.services.deidentify``); the contact's
  ready export packages are deleted from private storage. The certificate names the
  kept requests by reference.
- **Defer**: a contact with an open privacy request (matched to it, or confirmed and
  carrying one of its e-mail addresses or numbers) is not erased until the request is
  closed — it could not be answered afterwards. The deletion request on whose behalf an
  erasure runs does not defer its own erasure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from privacy import registry
from privacy.models import ErasureCertificate
from requests_app.models import PrivacyRequest, RequestEvent, RequestMatch
from requests_app.services.deidentify import (
    LOG_KEPT_REASON,
    OPEN_KEPT_REASON,
    UNCONFIRMED_KEPT_REASON,
    RequestsInScope,
    export_packages_delete,
    open_requests_of_contacts,
    privacy_requests_close_unconfirmed,
    privacy_requests_deidentify,
    privacy_requests_of_contacts,
)

if TYPE_CHECKING:
    from privacy.models import Contact

REQUEST_FIELDS = [
    "reference", "request_type", "status", "rule_code", "channel", "received_at",
    "verified_at", "due_on", "extended_due_on", "closed_at", "denial_reason",
]  # fmt: skip
TIMELINE_FIELDS = ["reference", "occurred_at", "message"]


class PrivacyRequestProvider:
    key = "requests_app.privacy_request"
    label = "Privacy requests"
    table_labels = {
        "request_identities": "closed privacy requests de-identified (name, contact details, free text)",
        "export_packages": "prepared data packages deleted",
    }
    kept_labels = {
        "privacy request (log)": "privacy request log entries",
        "privacy request (open)": "open privacy requests (until answered)",
        "privacy request (unconfirmed)": "privacy requests never confirmed, closed by the erasure",
    }
    # Before privacy's contact provider (1000), which deletes the identifiers used to
    # find unmatched requests.
    order = 500
    deferral_kind = "open request"

    def collect(self, contact: Contact) -> Iterator[registry.ExportTable]:
        matched = RequestMatch.objects.filter(contact=contact).values("request_id")
        yield registry.ExportTable(
            name="privacy_requests",
            fields=REQUEST_FIELDS,
            rows=PrivacyRequest.objects.filter(pk__in=matched)
            .order_by("received_at", "pk")
            .values(*REQUEST_FIELDS)
            .iterator(),
            description="Your privacy requests and how they were answered.",
        )
        yield registry.ExportTable(
            name="privacy_request_timeline",
            fields=TIMELINE_FIELDS,
            rows=(
                {"reference": reference, "occurred_at": occurred_at, "message": message}
                for reference, occurred_at, message in RequestEvent.objects.filter(
                    request_id__in=matched, person_facing=True
                )
                .order_by("request__received_at", "request_id", "occurred_at", "pk")
                .values_list("request__reference", "occurred_at", "public_message")
                .iterator()
            ),
            description="What we told you about each request, as on its status page.",
        )

    def _outcomes(
        self, contacts: Sequence[Contact], scope: RequestsInScope
    ) -> dict[int, registry.ErasureOutcome]:
        outcomes = {}
        for contact in contacts:
            # Named by reference: the certificate lists which requests stay, and why.
            groups = [
                ("privacy request (log)", scope.closed, LOG_KEPT_REASON),
                ("privacy request (unconfirmed)", scope.unconfirmed, UNCONFIRMED_KEPT_REASON),
                ("privacy request (open)", scope.open, OPEN_KEPT_REASON),
            ]
            kept = [
                registry.KeptRecords(
                    table=table,
                    count=len(ids),
                    reason=reason,
                    references=scope.references_of(ids),
                )
                for table, found, reason in groups
                if (ids := found.get(contact.pk))
            ]
            # Closed and unconfirmed ones lose their identity now; open ones when closed.
            emptied = len(scope.closed.get(contact.pk, ())) + len(
                scope.unconfirmed.get(contact.pk, ())
            )
            outcomes[contact.pk] = registry.ErasureOutcome(
                erased={
                    "request_identities": emptied,
                    "export_packages": len(scope.packages.get(contact.pk, ())),
                },
                kept=kept,
            )
        return outcomes

    def preview(self, contacts: Sequence[Contact]) -> dict[int, registry.ErasureOutcome]:
        return self._outcomes(contacts, privacy_requests_of_contacts([c.pk for c in contacts]))

    def opted_out_identifiers(
        self, contacts: Sequence[Contact]
    ) -> dict[int, set[registry.OptedOutIdentifier]]:
        # Opt-out requests act through consent, whose provider reports the identifiers.
        return {}

    def erase(
        self, contacts: Sequence[Contact], *, now: dt.datetime
    ) -> dict[int, registry.ErasureOutcome]:
        scope = privacy_requests_of_contacts([c.pk for c in contacts], lock=True)
        outcomes = self._outcomes(contacts, scope)
        unconfirmed = {pk for ids in scope.unconfirmed.values() for pk in ids}
        privacy_requests_close_unconfirmed(request_ids=unconfirmed)
        privacy_requests_deidentify(
            request_ids={pk for ids in scope.closed.values() for pk in ids} | unconfirmed,
            now=now,
        )
        export_packages_delete(
            package_ids={pk for ids in scope.packages.values() for pk in ids}, now=now
        )
        return outcomes

    def deferrals(
        self, contacts: Sequence[Contact], *, trigger: str, reference: str
    ) -> dict[int, str]:
        """Contacts with an open privacy request wait until it is closed. An erasure run
        for a request (trigger "request") is not deferred by that request itself."""
        own = reference if trigger == ErasureCertificate.Trigger.REQUEST else ""
        found = open_requests_of_contacts([c.pk for c in contacts], exclude_reference=own)
        return {
            contact_id: (
                f"open privacy request {references[0]}"
                if len(references) == 1
                else f"open privacy requests {', '.join(references[:3])}"
                + (f" and {len(references) - 3} more" if len(references) > 3 else "")
            )
            for contact_id, references in found.items()
        }


def register_requests_provider() -> None:
    registry.register(PrivacyRequestProvider())
