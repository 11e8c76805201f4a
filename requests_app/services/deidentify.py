"""De-identifying privacy requests when the person they are about is erased.

A request is part of the CCPA request log (11 CCR §7101: date, type, channel, response
date, outcome and the basis of a denial, kept 24 months), so erasing the person does not
delete it: the identity is emptied (name, e-mail, phone, free text, agent details and the
agent's uploaded proof, verification challenges, an appeal's statement) and the log
fields stay until ``request_log_prune`` deletes the row.

A request that is still open keeps its identity until it closes, because the person
must still get its answer: the deletion request whose erasure is running completes,
its completion notice is rendered and queued with the address, and only then is the
request de-identified, in the same transaction (``privacy_request_deidentify_if_erased``
called by the closing services)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from privacy.models import ContactIdentifier
from privacy.personal_data import erased_values
from requests_app import timeline
from requests_app.models import (
    OPEN_Q,
    OPEN_STATUSES,
    Appeal,
    ExportPackage,
    NoticeDelivery,
    PackageTransfer,
    PostMortemInstructions,
    PrivacyRequest,
    RequestMatch,
    Status,
    VerificationChallenge,
)
from requests_app.services.transitions import (
    export_packages_transition,
    privacy_request_transition,
)

LOG_KEPT_REASON = (
    "Request log kept for 24 months (CCPA, 11 CCR §7101): date, type, channel, response "
    "date, outcome and denial reason; name, contact details, free text, agent details and "
    "uploaded proof removed."
)
#: An unconfirmed request found by the person's identifiers only: closed by the erasure.
UNCONFIRMED_STATUSES = (Status.AWAITING_VERIFICATION,)
UNCONFIRMED_CLOSED_NOTE = (
    "Closed unconfirmed: a person holding this request's e-mail address or phone number "
    "was erased. It was never confirmed, so it could not be answered; it is kept "
    "de-identified as the request log."
)
UNCONFIRMED_CLOSED_MESSAGE = (
    "Your request was closed: it was not confirmed, and the data it could be about has been erased."
)
UNCONFIRMED_KEPT_REASON = (
    "Never confirmed, so it could not be answered: closed by this erasure, then "
    "de-identified like the request log and kept with it for 24 months (CCPA, 11 CCR "
    "§7101); name, contact details, free text, agent details and uploaded proof removed."
)
OPEN_KEPT_REASON = (
    "Open privacy request: the contact details are kept until it is answered, so the person "
    "gets the answer; it is de-identified right after the closing notice is queued."
)


#: The answer a closing service queues just before it de-identifies the request it
#: closed (``privacy_request_deidentify_if_erased``): the person asked, so it still goes
#: out; its address is cleared when it is sent or given up.
CLOSING_ANSWERS = frozenset(
    {"completion", "denial", "opt_out_confirmation", "shine_the_light_answer"}
)


@dataclass
class RequestsInScope:
    """Requests about a batch of contacts, split by what erasure does to them now."""

    #: contact id -> closed requests to de-identify now.
    closed: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    #: contact id -> unconfirmed requests found by identifier only: closed, then
    #: de-identified now.
    unconfirmed: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    #: contact id -> open requests that keep their identity until they close.
    open: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    #: contact id -> ready export packages whose file is deleted.
    packages: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    #: request id -> its reference (the certificate names the requests it kept).
    references: dict[int, str] = field(default_factory=dict)

    def references_of(self, request_ids: Iterable[int]) -> list[str]:
        return sorted(self.references[pk] for pk in request_ids)


def privacy_requests_of_contacts(
    contact_ids: Sequence[int], *, lock: bool = False
) -> RequestsInScope:
    """The requests erasing ``contact_ids`` touches: those matched to them, appeals of
    those, and closed or unconfirmed requests made with one of their e-mail addresses or
    numbers (normalised: ``email_key`` / E.164 against ``ContactIdentifier.match_key``;
    an unverified or expired request never got matched, but holds the same identifiers).
    Read before privacy's contact provider deletes the identifiers. ``lock`` locks the
    requests (the erasure), so none is confirmed while it is being closed."""
    scope = RequestsInScope()
    if not contact_ids:
        return scope
    owner: dict[int, set[int]] = defaultdict(set)  # request id -> contact ids
    for request_id, contact_id in RequestMatch.objects.filter(
        contact_id__any=contact_ids
    ).values_list("request_id", "contact_id"):
        owner[request_id].add(contact_id)

    keys: dict[tuple[str, str], set[int]] = defaultdict(set)
    for contact_id, kind, key in ContactIdentifier.objects.filter(
        contact_id__any=contact_ids
    ).values_list("contact_id", "kind", "match_key"):
        keys[(kind, key)].add(contact_id)
    emails = [key for kind, key in keys if kind == ContactIdentifier.Kind.EMAIL]
    phones = [key for kind, key in keys if kind == ContactIdentifier.Kind.PHONE]
    # Appeals carry the original's identity and the person's own statement.
    for request_id, parent_id in PrivacyRequest.objects.filter(
        parent_id__any=list(owner)
    ).values_list("pk", "parent_id"):
        owner[request_id] |= owner[parent_id]
    matched = set(owner)

    if emails or phones:
        by_identifier = (
            PrivacyRequest.objects.filter(Q(email_key__any=emails) | Q(phone__any=phones))
            .exclude(status__in=_STILL_OPEN)
            .filter(deidentified_at__isnull=True)
            .values_list("pk", "email_key", "phone")
        )
        for request_id, email_key, phone in by_identifier:
            owner[request_id] |= keys.get((ContactIdentifier.Kind.EMAIL, email_key), set())
            owner[request_id] |= keys.get((ContactIdentifier.Kind.PHONE, phone), set())

    rows = PrivacyRequest.objects.filter(pk__any=list(owner), deidentified_at__isnull=True)
    if lock:
        rows = rows.select_for_update().order_by("pk")
    for request_id, status, reference in rows.values_list("pk", "status", "reference"):
        if status not in OPEN_STATUSES:
            target = scope.closed
        elif status in UNCONFIRMED_STATUSES and request_id not in matched:
            target = scope.unconfirmed
        else:
            target = scope.open
        scope.references[request_id] = reference
        for contact_id in owner[request_id]:
            target[contact_id].add(request_id)

    for package_id, contact_id in (
        ExportPackage.objects.filter(contact_id__any=contact_ids, state=ExportPackage.State.READY)
        .exclude(file="")
        .values_list("pk", "contact_id")
    ):
        scope.packages[contact_id].add(package_id)
    return scope


#: Open statuses a request found by identifier alone is left in (it defers the erasure).
_STILL_OPEN = [s.value for s in OPEN_STATUSES if s not in UNCONFIRMED_STATUSES]


def privacy_requests_close_unconfirmed(*, request_ids: Iterable[int]) -> int:
    """Close (as expired) the given requests still awaiting verification, with a staff
    note; no notice is sent (the address is the erased person's). Call inside the
    erasure's transaction with the rows locked; returns how many were closed."""
    closed = 0
    for request in PrivacyRequest.objects.filter(
        pk__any=list(request_ids), status__in=[s.value for s in UNCONFIRMED_STATUSES]
    ).order_by("pk"):
        privacy_request_transition(
            actor=None,
            request=request,
            to_status=Status.EXPIRED,
            note=UNCONFIRMED_CLOSED_NOTE,
            public_message=UNCONFIRMED_CLOSED_MESSAGE,
            summary={"reason": "person erased"},
        )
        closed += 1
    return closed


def notice_deliveries_give_up(
    *, request_ids: Iterable[int], now: dt.datetime, keep_answers: bool = False
) -> int:
    """Give up the notices of the given requests not sent yet: address and variables
    cleared, code/channel/dates kept as the log, "not sent" on the timeline (no
    identifier). ``keep_answers`` spares the closing answer (``CLOSING_ANSWERS``).
    Returns how many were given up."""
    pending = NoticeDelivery.objects.select_for_update().filter(
        request_id__any=list(request_ids), sent_at__isnull=True, given_up_at__isnull=True
    )
    if keep_answers:
        pending = pending.exclude(code__in=CLOSING_ANSWERS)
    rows = list(pending.select_related("request").order_by("pk"))
    for delivery in rows:
        timeline.notice_not_sent(
            request=delivery.request, actor=None, code=delivery.code, reason="deidentified"
        )
    return NoticeDelivery.objects.filter(pk__any=[d.pk for d in rows]).update(
        recipient="", context={}, given_up_at=now, last_error="deidentified"
    )


def privacy_requests_deidentify(
    *, request_ids: Iterable[int], now: dt.datetime, keep_answers: bool = False
) -> int:
    """Empty the identity of the given requests (idempotent); returns how many changed.
    Their notices still waiting are given up (``notice_deliveries_give_up``; with
    ``keep_answers``, all but the closing answer). Files are deleted from private
    storage after the transaction commits."""
    ids = list(
        PrivacyRequest.objects.filter(
            pk__any=list(request_ids), deidentified_at__isnull=True
        ).values_list("pk", flat=True)
    )
    if not ids:
        return 0
    rows = PrivacyRequest.objects.filter(pk__any=ids)
    proofs = [
        name
        for name in rows.exclude(agent_proof__isnull=True).values_list("agent_proof", flat=True)
        if name
    ]
    notice_deliveries_give_up(request_ids=ids, now=now, keep_answers=keep_answers)
    VerificationChallenge.objects.filter(request_id__any=ids).delete()
    # The statement belongs to the appeal request: it goes when that request does.
    Appeal.objects.filter(appeal_request_id__any=ids).update(**erased_values(Appeal))
    # Instructions after death name a person to contact; transfers name a recipient.
    PostMortemInstructions.objects.filter(request_id__any=ids).update(
        **erased_values(PostMortemInstructions)
    )
    PackageTransfer.objects.filter(request_id__any=ids).update(**erased_values(PackageTransfer))
    changed = rows.update(deidentified_at=now, **erased_values(PrivacyRequest))
    if proofs:
        storage = PrivacyRequest._meta.get_field("agent_proof").storage
        transaction.on_commit(lambda: [storage.delete(name) for name in proofs])
    return changed


def export_packages_delete(*, package_ids: Iterable[int], now: dt.datetime) -> int:
    """Delete the files of the given ready packages; the row stays, state "purged", as
    the record. Used by erasure and by the nightly purge of expired packages. Call inside
    a transaction: the rows are locked, and files go after the commit."""
    packages = list(
        ExportPackage.objects.select_for_update()
        .filter(pk__any=list(package_ids), state=ExportPackage.State.READY)
        .only("pk", "file")
    )
    if not packages:
        return 0
    names = [p.file.name for p in packages if p.file]
    export_packages_transition(
        ExportPackage.objects.filter(pk__any=[p.pk for p in packages]),
        from_state=ExportPackage.State.READY,
        to_state=ExportPackage.State.PURGED,
        file="",
        purged_at=now,
    )
    if names:
        storage = ExportPackage._meta.get_field("file").storage
        transaction.on_commit(lambda: [storage.delete(name) for name in names])
    return len(packages)


def privacy_request_deidentify_if_erased(
    *, request: PrivacyRequest, now: dt.datetime | None = None
) -> bool:
    """Called by the services that close a request, after its closing notice was
    rendered and queued: if a contact it was matched to has been erased meanwhile, the
    request is de-identified now. Returns True if it was."""
    if request.deidentified_at is not None:
        return False
    # An appeal is matched through the request it appeals.
    about = (
        Q(request_id=request.pk) | Q(request_id=request.parent_id)
        if request.parent_id
        else Q(request_id=request.pk)
    )
    erased = RequestMatch.objects.filter(about, contact__erased_at__isnull=False)
    if not erased.exists():
        return False
    # The answer just queued still goes to the person; any other waiting notice does not.
    privacy_requests_deidentify(
        request_ids=[request.pk], now=now or timezone.now(), keep_answers=True
    )
    request.refresh_from_db()
    timeline.deidentified(request=request)
    return True


def open_requests_of_contacts(
    contact_ids: Sequence[int], *, exclude_reference: str = ""
) -> dict[int, list[str]]:
    """{contact id: references of its open requests, oldest first}: requests matched to
    the contact, appeals of those, and requests not (yet) matched that carry one of the
    contact's e-mail addresses or numbers (normalised, as ``ContactIdentifier.match_key``)
    and were confirmed — e.g. verified before the contact existed. One found that way
    that still awaits verification does not defer (the erasure closes it, see the
    module's docstring). ``exclude_reference`` leaves one request out (the deletion
    request on whose behalf an erasure runs)."""
    if not contact_ids:
        return {}
    owners: dict[int, set[int]] = defaultdict(set)  # request id -> contact ids
    for request_id, contact_id in RequestMatch.objects.filter(
        contact_id__any=list(contact_ids)
    ).values_list("request_id", "contact_id"):
        owners[request_id].add(contact_id)

    keys: dict[tuple[str, str], set[int]] = defaultdict(set)
    for contact_id, kind, key in ContactIdentifier.objects.filter(
        contact_id__any=list(contact_ids)
    ).values_list("contact_id", "kind", "match_key"):
        keys[(kind, key)].add(contact_id)
    emails = [key for kind, key in keys if kind == ContactIdentifier.Kind.EMAIL]
    phones = [key for kind, key in keys if kind == ContactIdentifier.Kind.PHONE]

    conditions = []
    if owners:
        conditions += [Q(pk__any=list(owners)), Q(parent_id__any=list(owners))]
    if emails:
        conditions.append(Q(email_key__any=emails))
    if phones:
        conditions.append(Q(phone__any=phones))
    if not conditions:
        return {}
    about = conditions[0]
    for condition in conditions[1:]:
        about |= condition
    found: dict[int, list[str]] = defaultdict(list)
    rows = (
        PrivacyRequest.objects.filter(OPEN_Q)
        .filter(about)
        .exclude(reference=exclude_reference)
        .order_by("received_at", "pk")
        .values_list("pk", "parent_id", "reference", "status", "email_key", "phone")
    )
    for request_id, parent_id, reference, status, email_key, phone in rows:
        contacts = set(owners.get(request_id, ()))
        contacts |= owners.get(parent_id, set()) if parent_id else set()
        if not contacts and status in UNCONFIRMED_STATUSES:
            # Found by identifier only and never confirmed: the erasure closes it.
            continue
        contacts |= keys.get((ContactIdentifier.Kind.EMAIL, email_key), set())
        contacts |= keys.get((ContactIdentifier.Kind.PHONE, phone), set())
        for contact_id in contacts:
            found[contact_id].append(reference)
    return dict(found)
