"""The staff workflow after verification: matching contacts, relaying to customers
(processor mode), fulfilment by request type, extension, denial, withdrawal, completion,
fees and appeals. Every status change goes through ``privacy_request_transition``."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from privacy.models import Contact, ContactIdentifier, DataCategory, ErasureCertificate
from privacy.services import (
    ErasureRefused,
    audit_event_record,
    contact_erase,
    contact_export,
    contact_restrict,
    contact_update,
    erasure_preview,
    staff_user,
)
from requests_app import deadlines
from requests_app.models import (
    OPEN_STATUSES,
    Appeal,
    DenialReason,
    ExportPackage,
    PrivacyRequest,
    Relay,
    RequestEvent,
    RequestMatch,
    RequestType,
    ScheduledErasure,
    Status,
    VerificationMethod,
)
from requests_app.selectors import privacy_request_reference_unused
from requests_app.services.deidentify import privacy_request_deidentify_if_erased
from requests_app.services.notices import notice_send, public_url, status_token
from requests_app.services.transitions import privacy_request_transition, request_event_record
from requests_app.tokens import derive_token, new_salt, token_hash

logger = logging.getLogger(__name__)

PACKAGE_TYPES = frozenset({RequestType.ACCESS, RequestType.KNOW, RequestType.PORTABILITY})
# Types fulfilled completely by a service call, so the request completes by itself.
AUTOMATIC_TYPES = frozenset(
    {
        RequestType.RESTRICTION,
        RequestType.OBJECTION,
        RequestType.OPT_OUT_SALE,
        RequestType.WITHDRAW_CONSENT,
    }
)


def _audit(actor, action: str, request: PrivacyRequest, **summary) -> None:
    audit_event_record(
        actor=actor,
        action=f"privacy_request.{action}",
        object_type="privacy_request",
        object_id=request.pk,
        summary={"reference": request.reference, **summary},
    )


def _lock(request: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.select_for_update().get(pk=request.pk)


# --- Matching and relay ------------------------------------------------------------


def contacts_match(request: PrivacyRequest) -> list[RequestMatch]:
    """Find contacts across all customers by the request's verified identifiers."""
    keys = []
    if request.email_key:
        keys.append(("email", request.email_key))
    if request.phone:
        keys.append(("phone", request.phone))
    condition = Q(pk__in=[])
    for kind, key in keys:
        condition |= Q(kind=kind, match_key=key)
    rows = (
        ContactIdentifier.objects.filter(condition, contact__erased_at__isnull=True)
        .values_list("contact_id", "contact__customer_id", "kind")
        .order_by("contact_id")
    )
    matches: dict[int, RequestMatch] = {}
    for contact_id, customer_id, kind in rows:
        matches.setdefault(
            contact_id,
            RequestMatch(
                request=request, contact_id=contact_id, customer_id=customer_id, matched_on=kind
            ),
        )
    RequestMatch.objects.bulk_create(matches.values(), ignore_conflicts=True)
    return list(request.matches.select_related("contact"))


def contacts_in_scope(request: PrivacyRequest) -> list[Contact]:
    """Contacts we act on: our own (controller mode) and those of customers that told us
    to fulfil the request on their behalf."""
    fulfil_customers = request.relays.filter(answer=Relay.Answer.FULFIL).values("customer_id")
    return list(
        Contact.objects.filter(
            pk__in=request.matches.filter(
                Q(customer__isnull=True) | Q(customer_id__in=fulfil_customers)
            ).values("contact_id")
        ).order_by("pk")
    )


@transaction.atomic
def privacy_request_process(*, actor: AbstractBaseUser | None, request_id: int) -> None:
    """After verification: match, relay the customers' parts, fulfil our own part.
    Does nothing unless the request is verified (safe to run twice)."""
    request = PrivacyRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None or request.status != Status.VERIFIED:
        return
    matches = contacts_match(request)
    request_event_record(
        request=request,
        kind=RequestEvent.Kind.MATCH,
        actor=actor,
        note=f"{len(matches)} contact record(s) matched by the verified identifiers.",
    )
    request = privacy_request_transition(
        actor=actor,
        request=request,
        to_status=Status.IN_PROGRESS,
        summary={"matched": len(matches)},
    )
    by_customer: dict[int, list[int]] = {}
    for match in matches:
        if match.customer_id:
            by_customer.setdefault(match.customer_id, []).append(match.contact_id)
    for customer_id, contact_ids in sorted(by_customer.items()):
        relay = Relay.objects.create(request=request, customer_id=customer_id)
        _relay_notify(request=request, relay=relay, contact_ids=contact_ids, actor=actor)
    if by_customer:
        notice_send(request=request, code="relay_person", actor=actor)
        request = privacy_request_transition(
            actor=actor,
            request=request,
            to_status=Status.RELAYED,
            summary={"relays": len(by_customer)},
        )
    own = [m.contact for m in matches if not m.customer_id]
    _fulfil(request=request, contacts=own, actor=actor)
    _auto_complete(request=request, actor=actor)


def _relay_notify(*, request, relay: Relay, contact_ids: list[int], actor) -> None:
    customer = relay.customer
    if not customer.privacy_contact_email:
        request_event_record(
            request=request,
            kind=RequestEvent.Kind.RELAY,
            actor=actor,
            note=f"Customer #{customer.pk} has no privacy contact e-mail: relay it by hand.",
        )
        return
    notice_send(
        request=request,
        code="relay_customer",
        actor=actor,
        to=[customer.privacy_contact_email],
        extra={"customer_name": customer.name, "contact_ids": [f"#{i}" for i in contact_ids]},
    )
    _audit(actor, "relayed", request, customer_id=customer.pk, contacts=len(contact_ids))


@transaction.atomic
def relay_answer_record(
    *, actor: AbstractBaseUser | None, relay: Relay, answer: str, note: str = ""
) -> Relay:
    """Record the customer's answer; on "fulfil" we act on its contacts. When every relay
    is answered the request returns to "in progress" (or completes by itself)."""
    if answer not in Relay.Answer.values:
        raise ValidationError("Choose the customer's answer.")
    # Lock the request first (the same order as processing) and act only while it is
    # open: a "fulfil" on a withdrawn or denied request must change nobody's data.
    request = _lock(relay.request)
    if not request.is_open:
        raise ValidationError(
            f"Request {request.reference} is closed; its relays cannot be answered."
        )
    updated = Relay.objects.filter(pk=relay.pk, answered_at__isnull=True).update(
        answer=answer,
        answer_note=note[:300],
        answered_at=timezone.now(),
        answered_by=staff_user(actor),
    )
    if not updated:
        raise ValidationError("This relay has already been answered.")
    relay.refresh_from_db()
    request_event_record(
        request=request,
        kind=RequestEvent.Kind.RELAY,
        actor=actor,
        note=f"Customer #{relay.customer_id} answered: {relay.get_answer_display()}.",
    )
    _audit(actor, "relay_answered", request, customer_id=relay.customer_id, answer=answer)
    if answer == Relay.Answer.FULFIL:
        contacts = Contact.objects.filter(
            pk__in=request.matches.filter(customer_id=relay.customer_id).values("contact_id")
        )
        _fulfil(request=request, contacts=list(contacts), actor=actor)
    if (
        request.status == Status.RELAYED
        and not request.relays.filter(answered_at__isnull=True).exists()
    ):
        request = privacy_request_transition(
            actor=actor,
            request=request,
            to_status=Status.IN_PROGRESS,
            public_message="The business whose service you used has answered; we are finishing your request.",
        )
        _auto_complete(request=request, actor=actor)
    return relay


# --- Fulfilment by type -----------------------------------------------------------


def _fulfil(*, request: PrivacyRequest, contacts: Iterable[Contact], actor) -> None:
    contacts = list(contacts)
    kind = request.request_type
    if kind in PACKAGE_TYPES:
        for contact in contacts:
            export_package_create(request=request, contact=contact)
    elif kind == RequestType.RESTRICTION:
        for contact in contacts:
            contact_restrict(
                actor=actor, contact=contact, restricted=True, reason=f"request {request.reference}"
            )
    elif kind in (RequestType.OBJECTION, RequestType.WITHDRAW_CONSENT, RequestType.OPT_OUT_SALE):
        _consent_apply(request=request, contacts=contacts, actor=actor)
    else:
        return  # deletion, correction, limit_sensitive, appeal: staff act.
    if contacts:
        request_event_record(
            request=request,
            kind=RequestEvent.Kind.FULFILMENT,
            actor=actor,
            note=f"{request.get_request_type_display()} applied to {len(contacts)} contact record(s).",
        )


def _consent_apply(*, request: PrivacyRequest, contacts: list[Contact], actor) -> None:
    # Imported here: the consent app is optional for this module's import graph.
    from consent.services import contact_consent_withdraw, contact_sale_sharing_opt_out

    for contact in contacts:
        if request.request_type == RequestType.OPT_OUT_SALE:
            contact_sale_sharing_opt_out(
                actor=actor, contact=contact, method="privacy_request", reference=request.reference
            )
        else:
            contact_consent_withdraw(
                actor=actor,
                contact=contact,
                purpose_codes=None,
                method="privacy_request",
                reference=request.reference,
            )


def _auto_complete(*, request: PrivacyRequest, actor) -> None:
    """Complete requests whose work is done without staff: automatic types once every
    relay is answered; deletions once every scheduled erasure has run."""
    if request.status != Status.IN_PROGRESS:
        return
    if request.relays.filter(answered_at__isnull=True).exists():
        return
    if request.request_type in AUTOMATIC_TYPES:
        privacy_request_complete(actor=actor, request=request)
    elif request.request_type == RequestType.DELETION:
        erasures = request.erasures.exclude(state=ScheduledErasure.State.CANCELLED)
        if erasures.exists() and not erasures.exclude(state=ScheduledErasure.State.DONE).exists():
            privacy_request_complete(actor=actor, request=request)


# --- Export packages -----------------------------------------------------------------


def export_package_create(*, request: PrivacyRequest, contact: Contact) -> ExportPackage:
    package, created = ExportPackage.objects.get_or_create(
        request=request,
        contact=contact,
        defaults={"token_salt": new_salt(), "token_hash": uuid.uuid4().hex},
    )
    if created:
        token = derive_token(purpose="download", ident=f"{package.pk}", salt=package.token_salt)
        ExportPackage.objects.filter(pk=package.pk).update(token_hash=token_hash(token))
        from requests_app.tasks import build_export_package

        package_id = package.pk
        transaction.on_commit(lambda: build_export_package.delay(package_id))
    return package


def download_url(package: ExportPackage) -> str:
    token = derive_token(purpose="download", ident=f"{package.pk}", salt=package.token_salt)
    return public_url(reverse("requests_app:download", args=[token]))


def export_package_build(*, package_id: int) -> ExportPackage | None:
    """Build the zip with privacy's export engine into private storage (idempotent)."""
    package = (
        ExportPackage.objects.select_related("request", "contact").filter(pk=package_id).first()
    )
    if package is None or package.state != ExportPackage.State.BUILDING:
        return package
    if package.contact.erased_at:
        return package
    with tempfile.TemporaryFile() as spool:
        counts = contact_export(
            actor=None, contact=package.contact, destination=spool, via="privacy_request"
        )
        spool.seek(0)
        with transaction.atomic():
            locked = ExportPackage.objects.select_for_update().get(pk=package.pk)
            if locked.state != ExportPackage.State.BUILDING:
                return locked
            locked.file.save(f"{uuid.uuid4().hex}.zip", File(spool), save=False)
            now = timezone.now()
            locked.size_bytes = locked.file.size
            locked.counts = counts
            locked.state = ExportPackage.State.READY
            locked.ready_at = now
            locked.expires_at = now + dt.timedelta(days=settings.REQUESTS_EXPORT_TTL_DAYS)
            locked.save()
            request_event_record(
                request=locked.request,
                kind=RequestEvent.Kind.FULFILMENT,
                note=f"Export package #{locked.pk} built ({sum(counts.values())} records).",
                public_message="Your data package has been prepared.",
            )
            _audit(None, "package_built", locked.request, package_id=locked.pk, tables=len(counts))
    return locked


@transaction.atomic
def export_package_download(*, token: str, now: dt.datetime | None = None) -> ExportPackage | None:
    """The package a download token opens (counted), or None if invalid or expired."""
    now = now or timezone.now()
    package = (
        ExportPackage.objects.select_for_update()
        .filter(token_hash=token_hash(token), state=ExportPackage.State.READY, expires_at__gt=now)
        .select_related("request")
        .first()
    )
    if package is None:
        return None
    package.download_count += 1
    package.last_downloaded_at = now
    package.save(update_fields=["download_count", "last_downloaded_at"])
    request_event_record(
        request=package.request,
        kind=RequestEvent.Kind.DOWNLOAD,
        note=f"Export package #{package.pk} downloaded (download {package.download_count}).",
    )
    _audit(
        None,
        "package_downloaded",
        package.request,
        package_id=package.pk,
        count=package.download_count,
    )
    return package


# --- Deletion ------------------------------------------------------------------------


def erasure_previews(request: PrivacyRequest) -> list[tuple[Contact, object]]:
    """What erasing each contact in scope would remove and keep, and any blocking hold."""
    return [(contact, erasure_preview(contact=contact)) for contact in contacts_in_scope(request)]


@transaction.atomic
def erasure_schedule(
    *, actor: AbstractBaseUser | None, request: PrivacyRequest, now: dt.datetime | None = None
) -> list[ScheduledErasure]:
    """Schedule the erasure of every contact in scope after the grace period. Refused,
    with the hold's reason, while a legal hold applies."""
    now = now or timezone.now()
    request = _lock(request)
    if request.request_type != RequestType.DELETION:
        raise ValidationError("Only deletion requests schedule erasures.")
    if request.status not in (Status.IN_PROGRESS, Status.RELAYED):
        raise ValidationError("Erasure can be scheduled only while the request is in progress.")
    contacts = [c for c in contacts_in_scope(request) if not c.erased_at]
    if not contacts:
        raise ValidationError("No contact in scope to erase (unanswered relays are not in scope).")
    for contact in contacts:
        blocked_by = erasure_preview(contact=contact).blocked_by
        if blocked_by:
            raise ValidationError(f"Contact #{contact.pk} cannot be erased. {blocked_by}.")
    run_at = now + dt.timedelta(days=settings.REQUESTS_ERASURE_GRACE_DAYS)
    scheduled = []
    for contact in contacts:
        erasure, _ = ScheduledErasure.objects.update_or_create(
            request=request,
            contact=contact,
            defaults={
                "state": ScheduledErasure.State.SCHEDULED,
                "scheduled_for": run_at,
                "scheduled_by": staff_user(actor),
                "blocked_reason": "",
            },
        )
        scheduled.append(erasure)
    request_event_record(
        request=request,
        kind=RequestEvent.Kind.FULFILMENT,
        actor=actor,
        note=f"Erasure of {len(contacts)} contact record(s) scheduled for {run_at:%Y-%m-%d}.",
        public_message=f"Your data is scheduled to be erased on {run_at:%Y-%m-%d}.",
    )
    _audit(
        actor,
        "erasure_scheduled",
        request,
        contacts=len(contacts),
        run_on=run_at.date().isoformat(),
    )
    return scheduled


@transaction.atomic
def erasure_cancel(*, actor: AbstractBaseUser | None, erasure: ScheduledErasure) -> bool:
    updated = ScheduledErasure.objects.filter(
        pk=erasure.pk, state=ScheduledErasure.State.SCHEDULED
    ).update(state=ScheduledErasure.State.CANCELLED)
    if updated:
        request_event_record(
            request=erasure.request,
            kind=RequestEvent.Kind.FULFILMENT,
            actor=actor,
            note=f"Scheduled erasure of contact #{erasure.contact_id} cancelled.",
        )
        _audit(actor, "erasure_cancelled", erasure.request, contact_id=erasure.contact_id)
    return bool(updated)


def scheduled_erasure_run(*, erasure_id: int, now: dt.datetime | None = None) -> str:
    """Run one due scheduled erasure in its own transaction; returns its new state."""
    now = now or timezone.now()
    with transaction.atomic():
        erasure = (
            ScheduledErasure.objects.select_for_update()
            .select_related("request", "contact")
            .filter(pk=erasure_id, state=ScheduledErasure.State.SCHEDULED, scheduled_for__lte=now)
            .first()
        )
        if erasure is None:
            return "skipped"
        request = erasure.request
        if request.status not in OPEN_STATUSES:
            erasure.state = ScheduledErasure.State.CANCELLED
            erasure.save(update_fields=["state"])
            return erasure.state
        try:
            with transaction.atomic():
                certificate = contact_erase(
                    actor=None,
                    contact=erasure.contact,
                    trigger=ErasureCertificate.Trigger.REQUEST,
                    reference=request.reference,
                )
        except ErasureRefused as exc:
            erasure.state = ScheduledErasure.State.BLOCKED
            erasure.blocked_reason = exc.messages[0][:300]
            erasure.save(update_fields=["state", "blocked_reason"])
            request_event_record(
                request=request,
                kind=RequestEvent.Kind.FULFILMENT,
                note=f"Erasure of contact #{erasure.contact_id} blocked: {erasure.blocked_reason}",
            )
            _audit(None, "erasure_blocked", request, contact_id=erasure.contact_id)
            return erasure.state
        except ValidationError:
            # Erased meanwhile (e.g. by retention): its certificate is the proof.
            certificate = ErasureCertificate.objects.filter(contact=erasure.contact).first()
        erasure.state = ScheduledErasure.State.DONE
        erasure.certificate = certificate
        erasure.done_at = now
        erasure.save(update_fields=["state", "certificate", "done_at"])
        request_event_record(
            request=request,
            kind=RequestEvent.Kind.FULFILMENT,
            note=f"Contact #{erasure.contact_id} erased (certificate #{certificate.pk if certificate else '—'}).",
        )
        _auto_complete(request=_lock(request), actor=None)
        return erasure.state


# --- Authorised agent's proof ----------------------------------------------------------

AGENT_PROOF_CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}


@transaction.atomic
def privacy_request_agent_proof_open(
    *, actor: AbstractBaseUser | None, request: PrivacyRequest
) -> tuple[File, str, str]:
    """Open the agent's uploaded proof for a staff member: ``(file, download name,
    content type)``. The opening is on the timeline and in the audit trail (reference
    only). Raises ``ValidationError`` when there is no proof on file."""
    request = PrivacyRequest.objects.get(pk=request.pk)
    if not request.agent_proof:
        raise ValidationError("There is no authorised agent's proof on this request.")
    extension = request.agent_proof.name.rsplit(".", 1)[-1].lower()
    content_type = AGENT_PROOF_CONTENT_TYPES.get(extension, "application/octet-stream")
    handle = request.agent_proof.storage.open(request.agent_proof.name, "rb")
    request_event_record(
        request=request,
        kind=RequestEvent.Kind.NOTE,
        actor=actor,
        note="Authorised agent's proof opened by staff.",
    )
    _audit(actor, "agent_proof_opened", request)
    return File(handle), f"{request.reference}-agent-proof.{extension}", content_type


# --- Correction -----------------------------------------------------------------------


@transaction.atomic
def correction_apply(
    *, actor: AbstractBaseUser | None, request: PrivacyRequest, contact: Contact, changes: dict
) -> list[str]:
    """Apply a correction to a matched contact through privacy's contact_update (which
    audits the changed field names)."""
    request = _lock(request)
    if request.request_type != RequestType.CORRECTION:
        raise ValidationError("Only correction requests change contact data here.")
    if request.status not in (Status.IN_PROGRESS, Status.RELAYED):
        raise ValidationError("The request is not in progress.")
    if contact.pk not in {c.pk for c in contacts_in_scope(request)}:
        raise ValidationError("This contact is not in scope of the request.")
    changed = contact_update(
        actor=actor, contact=contact, reason=f"privacy request {request.reference}", **changes
    )
    request_event_record(
        request=request,
        kind=RequestEvent.Kind.FULFILMENT,
        actor=actor,
        note=f"Contact #{contact.pk} corrected: {', '.join(changed) or 'nothing changed'}.",
    )
    _audit(actor, "correction_applied", request, contact_id=contact.pk, fields=sorted(changed))
    return changed


# --- Staff decisions -----------------------------------------------------------------


@transaction.atomic
def privacy_request_assign(
    *, actor: AbstractBaseUser | None, request: PrivacyRequest, assignee
) -> None:
    PrivacyRequest.objects.filter(pk=request.pk).update(assignee=assignee)
    request.assignee = assignee
    request_event_record(
        request=request,
        kind=RequestEvent.Kind.ASSIGNMENT,
        actor=actor,
        note=f"Assigned to staff user #{assignee.pk if assignee else '—'}.",
    )
    _audit(actor, "assigned", request, assignee_id=assignee.pk if assignee else None)


@transaction.atomic
def privacy_request_extend(
    *,
    actor: AbstractBaseUser | None,
    request: PrivacyRequest,
    reason: str,
    today: dt.date | None = None,
) -> PrivacyRequest:
    """Extend once, before the original deadline has passed, with the reason sent to
    the person in the extension notice."""
    today = today or timezone.localdate()
    reason = (reason or "").strip()
    request = _lock(request)
    if not reason:
        raise ValidationError("An extension needs a reason; it is sent to the person.")
    if request.status not in OPEN_STATUSES:
        raise ValidationError("Only open requests can be extended.")
    if request.rule.extension is None:
        raise ValidationError(f"{request.rule.name} allows no extension.")
    if request.extended_due_on:
        raise ValidationError("This request has already been extended; the rule allows it once.")
    if today > request.due_on:
        raise ValidationError(
            f"The original deadline ({request.due_on:%Y-%m-%d}) has passed; the extension "
            "notice had to go out before it."
        )
    new_due = deadlines.extended_due_date(request.rule_code, request.due_on)
    PrivacyRequest.objects.filter(pk=request.pk).update(
        extended_due_on=new_due, deadline_on=new_due, extension_reason=reason
    )
    request.refresh_from_db()
    notice_send(
        request=request,
        code="extension",
        actor=actor,
        extra={"extended_due_on": new_due, "due_on": request.due_on, "reason": reason},
        public_message=f"We need more time; the new deadline is {new_due:%Y-%m-%d}.",
    )
    _audit(
        actor,
        "extended",
        request,
        due_on=request.due_on.isoformat(),
        extended_due_on=new_due.isoformat(),
    )
    return request


@transaction.atomic
def privacy_request_deny(
    *,
    actor: AbstractBaseUser | None,
    request: PrivacyRequest,
    reason: str,
    explanation: str = "",
) -> PrivacyRequest:
    """Deny with a statutory reason; the notice tells the person how to appeal."""
    if reason not in DenialReason.values:
        raise ValidationError("Choose the statutory reason for the denial.")
    request = privacy_request_transition(
        actor=actor,
        request=_lock(request),
        to_status=Status.DENIED,
        denial_reason=reason,
        summary={"reason": reason},
    )
    ScheduledErasure.objects.filter(request=request, state=ScheduledErasure.State.SCHEDULED).update(
        state=ScheduledErasure.State.CANCELLED
    )
    rule = request.rule
    appeal_url = ""
    if rule.appeal_response is not None and request.request_type != RequestType.APPEAL:
        appeal_url = public_url(reverse("requests_app:appeal", args=[status_token(request)]))
    notice_send(
        request=request,
        code="denial",
        actor=actor,
        extra={
            "reason": DenialReason(reason).label,
            "explanation": explanation.strip(),
            "appeal_note": rule.appeal_note,
            "appeal_url": appeal_url,
        },
    )
    privacy_request_deidentify_if_erased(request=request)
    return request


@transaction.atomic
def privacy_request_withdraw(
    *, actor: AbstractBaseUser | None, request: PrivacyRequest, note: str = ""
) -> PrivacyRequest:
    request = privacy_request_transition(
        actor=actor, request=_lock(request), to_status=Status.WITHDRAWN, note=note
    )
    ScheduledErasure.objects.filter(request=request, state=ScheduledErasure.State.SCHEDULED).update(
        state=ScheduledErasure.State.CANCELLED
    )
    privacy_request_deidentify_if_erased(request=request)
    return request


def _completion_blockers(request: PrivacyRequest, contacts: list[Contact]) -> list[str]:
    problems = []
    unanswered = request.relays.filter(answered_at__isnull=True).count()
    if unanswered:
        problems.append(f"{unanswered} customer relay(s) not answered yet.")
    if request.request_type in PACKAGE_TYPES:
        ready = set(
            request.packages.filter(state=ExportPackage.State.READY).values_list(
                "contact_id", flat=True
            )
        )
        missing = [c.pk for c in contacts if c.pk not in ready]
        if missing:
            problems.append(f"Export package not ready for contact(s) {missing}.")
    if request.request_type == RequestType.DELETION:
        done = set(
            request.erasures.filter(state=ScheduledErasure.State.DONE).values_list(
                "contact_id", flat=True
            )
        )
        missing = [c.pk for c in contacts if c.pk not in done]
        if missing:
            problems.append(f"Erasure not done for contact(s) {missing}.")
    return problems


@transaction.atomic
def privacy_request_complete(
    *, actor: AbstractBaseUser | None, request: PrivacyRequest, message: str = ""
) -> PrivacyRequest:
    """Complete once every part is done and answered; sends the completion notice."""
    request = _lock(request)
    problems = _completion_blockers(request, contacts_in_scope(request))
    if problems:
        raise ValidationError(" ".join(problems))
    request = privacy_request_transition(actor=actor, request=request, to_status=Status.COMPLETED)
    packages = list(request.packages.filter(state=ExportPackage.State.READY).order_by("pk"))
    extra = {
        "download_urls": [download_url(p) for p in packages],
        "download_expires_on": min((p.expires_at for p in packages), default=None),
        "categories": list(DataCategory.objects.all())
        if request.request_type == RequestType.KNOW
        else [],
        "erased": request.erasures.filter(state=ScheduledErasure.State.DONE).exists(),
        "no_data": not request.matches.exists(),
        "message": message.strip(),
    }
    notice_send(request=request, code="completion", actor=actor, extra=extra)
    # The notice is rendered and queued with the address by now; a deletion request
    # whose subject was erased gives up the identity it kept for this notice.
    privacy_request_deidentify_if_erased(request=request)
    return request


@transaction.atomic
def privacy_request_fee_estimate(
    *, actor: AbstractBaseUser | None, request: PrivacyRequest, amount: Decimal
) -> PrivacyRequest:
    """Send a fee estimate first (only where the rule allows a fee)."""
    request = _lock(request)
    if not request.rule.fee_allowed:
        raise ValidationError(f"{request.rule.name} allows no fee.")
    if amount is None or amount <= 0:
        raise ValidationError("Give the estimated fee.")
    PrivacyRequest.objects.filter(pk=request.pk).update(
        fee_estimate=amount, fee_estimate_sent_at=timezone.now()
    )
    request.refresh_from_db()
    notice_send(request=request, code="fee_estimate", actor=actor, extra={"fee_estimate": amount})
    _audit(actor, "fee_estimated", request, amount=str(amount))
    return request


@transaction.atomic
def privacy_request_fee_record(
    *, actor: AbstractBaseUser | None, request: PrivacyRequest, amount: Decimal
) -> PrivacyRequest:
    request = _lock(request)
    if request.fee_estimate_sent_at is None:
        raise ValidationError("Send the fee estimate before recording a fee.")
    PrivacyRequest.objects.filter(pk=request.pk).update(fee=amount)
    request.refresh_from_db()
    _audit(actor, "fee_recorded", request, amount=str(amount))
    return request


# --- Appeals -------------------------------------------------------------------------


@transaction.atomic
def appeal_submit(*, original: PrivacyRequest, statement: str) -> PrivacyRequest:
    """Open an appeal: a new linked request of type appeal, answered within the rule's
    appeal period. Only the holder of the status link can reach this."""
    original = _lock(original)
    rule = original.rule
    if original.status != Status.DENIED:
        raise ValidationError("Only a denied request can be appealed.")
    if rule.appeal_response is None:
        raise ValidationError(rule.appeal_note)
    if original.appeals.exists():
        raise ValidationError("An appeal of this request has already been made.")
    statement = (statement or "").strip()
    if not statement:
        raise ValidationError({"statement": "Tell us why you disagree."})
    now = timezone.now()
    due_on = deadlines.appeal_due_date(original.rule_code, timezone.localdate(now))
    salt = new_salt()
    # The same collision check as a submission: references are random.
    reference = privacy_request_reference_unused()
    appeal_request = PrivacyRequest.objects.create(
        reference=reference,
        request_type=RequestType.APPEAL,
        rule_code=original.rule_code,
        channel=original.channel,
        country=original.country,
        state=original.state,
        customer=original.customer,
        full_name=original.full_name,
        email=original.email,
        email_key=original.email_key,
        phone=original.phone,
        is_agent_request=original.is_agent_request,
        agent_name=original.agent_name,
        agent_email=original.agent_email,
        received_at=now,
        due_on=due_on,
        deadline_on=due_on,
        parent=original,
        status_token_salt=salt,
        status_token_hash=token_hash(derive_token(purpose="status", ident=reference, salt=salt)),
    )
    Appeal.objects.create(original=original, appeal_request=appeal_request, statement=statement)
    request_event_record(
        request=original,
        kind=RequestEvent.Kind.NOTE,
        note=f"Appealed: see {reference}.",
        public_message="We received your appeal.",
    )
    request_event_record(
        request=appeal_request,
        kind=RequestEvent.Kind.STATUS,
        to_status=Status.RECEIVED,
        public_message="We received your appeal.",
    )
    _audit(None, "appeal_received", appeal_request, original=original.reference)
    # The appellant holds the original's status link: that is the verification.
    privacy_request_transition(
        actor=None,
        request=appeal_request,
        to_status=Status.VERIFIED,
        verified_at=now,
        verification_method=VerificationMethod.NOT_REQUIRED,
        public_message="",
    )
    privacy_request_transition(actor=None, request=appeal_request, to_status=Status.IN_PROGRESS)
    notice_send(request=appeal_request, code="appeal_received")
    return appeal_request
