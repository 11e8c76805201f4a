"""Staff decisions on a request: assignment, extension, denial, withdrawal, completion
(by staff, or by itself once the work is done), fees, corrections of contact data and
opening an authorised agent's proof. Every status change goes through
``privacy_request_transition``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from privacy.models import Contact, DataCategory, ErasureCertificate
from privacy.services import contact_update
from requests_app import deadlines, timeline
from requests_app.models import (
    OPEN_STATUSES,
    Channel,
    DenialReason,
    ExportPackage,
    PrivacyRequest,
    RequestType,
    ScheduledErasure,
    Status,
)
from requests_app.selectors import (
    PACKAGE_TYPES,
    contacts_in_scope,
    privacy_request_appeal_refusal,
    privacy_request_completion_blockers,
    shine_the_light_answer,
)
from requests_app.services.deidentify import privacy_request_deidentify_if_erased
from requests_app.services.notices import notice_send
from requests_app.services.packages import (
    PackagesRecovered,
    export_packages_recover,
)
from requests_app.services.transitions import (
    privacy_request_lock,
    privacy_request_transition,
    scheduled_erasures_transition,
)

# Types fulfilled completely by a service call, so the request completes by itself.
AUTOMATIC_TYPES = frozenset(
    {
        RequestType.RESTRICTION,
        RequestType.OBJECTION,
        RequestType.OPT_OUT_SALE,
        RequestType.LIMIT_SENSITIVE,
        RequestType.WITHDRAW_CONSENT,
        RequestType.SHINE_THE_LIGHT,
    }
)
#: Opt-outs the person must see were processed (11 CCR §7026, §7027): they get the
#: opt-out confirmation instead of the general completion notice.
OPT_OUT_TYPES = frozenset({RequestType.OPT_OUT_SALE, RequestType.LIMIT_SENSITIVE})
OPT_OUT_PROCESSED = {
    RequestType.OPT_OUT_SALE: "Your opt-out was processed: we no longer sell or share your "
    "personal information.",
    RequestType.LIMIT_SENSITIVE: "Your request was processed: we now use your sensitive personal "
    "information only for the purposes the law allows.",
}


def _scheduled_erasures_cancel(request: PrivacyRequest) -> None:
    """A denied or withdrawn request's erasures that have not run do not run."""
    scheduled_erasures_transition(
        ScheduledErasure.objects.filter(request=request),
        from_state=ScheduledErasure.State.SCHEDULED,
        to_state=ScheduledErasure.State.CANCELLED,
    )


@transaction.atomic
def privacy_request_assign(
    *, actor: AbstractBaseUser | None, request: PrivacyRequest, assignee
) -> None:
    PrivacyRequest.objects.filter(pk=request.pk).update(assignee=assignee)
    request.assignee = assignee
    timeline.assigned(request=request, actor=actor, assignee_id=assignee.pk if assignee else None)


@transaction.atomic
def privacy_request_extend(
    *,
    actor: AbstractBaseUser | None,
    request: PrivacyRequest,
    reason: str,
    today: dt.date | None = None,
) -> PrivacyRequest:
    """Extend once, before the original deadline has passed, with the reason sent to
    the person in the extension notice; never beyond what the law and our promise allow."""
    today = today or timezone.localdate()
    reason = (reason or "").strip()
    request = privacy_request_lock(request)
    if not reason:
        raise ValidationError("An extension needs a reason; it is sent to the person.")
    if request.status not in OPEN_STATUSES:
        raise ValidationError("Only open requests can be extended.")
    # The law may allow none, or our own promise (REQUESTS_RESPONSE_PROMISE_DAYS) may.
    refusal = deadlines.extension_refusal(request.rule_code)
    if refusal is not None:
        raise ValidationError(refusal)
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
    timeline.extended(request=request, actor=actor, due_on=request.due_on, extended_due_on=new_due)
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
        request=privacy_request_lock(request),
        to_status=Status.DENIED,
        denial_reason=reason,
        summary={"reason": reason},
    )
    _scheduled_erasures_cancel(request)
    rule = request.rule
    notice_send(
        request=request,
        code="denial",
        actor=actor,
        extra={
            "reason": DenialReason(reason).label,
            "explanation": explanation.strip(),
            "appeal_note": rule.appeal_note,
            # Only a flag: the appeal link carries the status token, so the sending
            # task derives it (``appeal_url``); the queued notice holds no secret.
            "appeal": privacy_request_appeal_refusal(request) is None,
        },
    )
    privacy_request_deidentify_if_erased(request=request)
    return request


@transaction.atomic
def privacy_request_withdraw(
    *, actor: AbstractBaseUser | None, request: PrivacyRequest, note: str = ""
) -> PrivacyRequest:
    request = privacy_request_transition(
        actor=actor, request=privacy_request_lock(request), to_status=Status.WITHDRAWN, note=note
    )
    _scheduled_erasures_cancel(request)
    privacy_request_deidentify_if_erased(request=request)
    return request


def privacy_request_complete(
    *, actor: AbstractBaseUser | None, request: PrivacyRequest, message: str = ""
) -> PrivacyRequest:
    """Complete once every part is done and answered; sends the completion notice.

    A package request first recovers packages that are gone (``export_packages_recover``,
    in its own transaction, so a rebuild it starts stays even when this completion is
    refused): expired ones are rebuilt and the refusal says so; an erased contact's part
    is answered without a package, with the reason on the timeline and in the notice."""
    recovered = None
    if request.request_type in PACKAGE_TYPES and request.status in OPEN_STATUSES:
        recovered = export_packages_recover(request=request, contacts=contacts_in_scope(request))
    return _privacy_request_complete(
        actor=actor, request=request, message=message, recovered=recovered
    )


@transaction.atomic
def _privacy_request_complete(
    *,
    actor: AbstractBaseUser | None,
    request: PrivacyRequest,
    message: str,
    recovered: PackagesRecovered | None,
) -> PrivacyRequest:
    request = privacy_request_lock(request)
    erased = set(recovered.erased) if recovered else set()
    contacts = [c for c in contacts_in_scope(request) if c.pk not in erased]
    problems = privacy_request_completion_blockers(request, contacts)
    if recovered and recovered.rebuilding:
        problems.append(
            f"The export package(s) of contact(s) {recovered.rebuilding} had expired and are "
            "being rebuilt; complete the request again once they are ready."
        )
    if problems:
        raise ValidationError(" ".join(problems))
    if erased:
        certificates = dict(
            ErasureCertificate.objects.filter(contact_id__in=erased).values_list("contact_id", "pk")
        )
        timeline.answered_without_packages(
            request=request,
            actor=actor,
            certificates={pk: certificates.get(pk) for pk in erased},
        )
        message = "\n\n".join(m for m in (recovered.person_message(), message.strip()) if m)
    kind = request.request_type
    request = privacy_request_transition(
        actor=actor,
        request=request,
        to_status=Status.COMPLETED,
        public_message=OPT_OUT_PROCESSED.get(kind),
    )
    if kind in OPT_OUT_TYPES:
        notice_send(
            request=request,
            code="opt_out_confirmation",
            actor=actor,
            extra={
                "processed_on": timezone.localdate(request.closed_at),
                "is_limit": kind == RequestType.LIMIT_SENSITIVE,
                "via_gpc": request.channel == Channel.GPC,
                "message": message.strip(),
            },
            public_message=OPT_OUT_PROCESSED[kind],
        )
    elif kind == RequestType.SHINE_THE_LIGHT:
        notice_send(
            request=request,
            code="shine_the_light_answer",
            actor=actor,
            extra={**shine_the_light_answer(request=request), "message": message.strip()},
        )
    else:
        packages = list(request.packages.filter(state=ExportPackage.State.READY).order_by("pk"))
        know = kind == RequestType.KNOW
        extra = {
            # The links are derived by the sending task: the queued notice holds none.
            "download_packages": packages,
            "download_expires_on": min((p.expires_at for p in packages), default=None),
            "categories": list(DataCategory.objects.all()) if know else [],
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
    request = privacy_request_lock(request)
    if not request.rule.fee_allowed:
        raise ValidationError(f"{request.rule.name} allows no fee.")
    if amount is None or amount <= 0:
        raise ValidationError("Give the estimated fee.")
    PrivacyRequest.objects.filter(pk=request.pk).update(
        fee_estimate=amount, fee_estimate_sent_at=timezone.now()
    )
    request.refresh_from_db()
    notice_send(request=request, code="fee_estimate", actor=actor, extra={"fee_estimate": amount})
    timeline.fee_estimated(request=request, actor=actor, amount=amount)
    return request


@transaction.atomic
def privacy_request_fee_record(
    *, actor: AbstractBaseUser | None, request: PrivacyRequest, amount: Decimal
) -> PrivacyRequest:
    request = privacy_request_lock(request)
    if request.fee_estimate_sent_at is None:
        raise ValidationError("Send the fee estimate before recording a fee.")
    PrivacyRequest.objects.filter(pk=request.pk).update(fee=amount)
    request.refresh_from_db()
    timeline.fee_recorded(request=request, actor=actor, amount=amount)
    return request


def privacy_request_auto_complete(*, request: PrivacyRequest, actor) -> None:
    """Complete requests whose work is done without staff: automatic types once every
    relay is answered; deletions once every scheduled erasure has run."""
    if request.status != Status.IN_PROGRESS:
        return
    if request.relays.filter(answered_at__isnull=True).exists():
        return
    if request.request_type == RequestType.SHINE_THE_LIGHT and request.over_limit:
        return  # a second request this calendar year: staff answer it or deny it
    if request.request_type in AUTOMATIC_TYPES:
        privacy_request_complete(actor=actor, request=request)
    elif request.request_type == RequestType.DELETION:
        erasures = request.erasures.exclude(state=ScheduledErasure.State.CANCELLED)
        if erasures.exists() and not erasures.exclude(state=ScheduledErasure.State.DONE).exists():
            privacy_request_complete(actor=actor, request=request)


@transaction.atomic
def correction_apply(
    *, actor: AbstractBaseUser | None, request: PrivacyRequest, contact: Contact, changes: dict
) -> list[str]:
    """Apply a correction to a matched contact through privacy's contact_update (which
    audits the changed field names)."""
    request = privacy_request_lock(request)
    if request.request_type != RequestType.CORRECTION:
        raise ValidationError("Only correction requests change contact data here.")
    if request.status not in (Status.IN_PROGRESS, Status.RELAYED):
        raise ValidationError("The request is not in progress.")
    if contact.pk not in {c.pk for c in contacts_in_scope(request)}:
        raise ValidationError("This contact is not in scope of the request.")
    changed = contact_update(
        actor=actor, contact=contact, reason=f"privacy request {request.reference}", **changes
    )
    timeline.correction_applied(
        request=request, actor=actor, contact_id=contact.pk, fields=list(changed)
    )
    return changed


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
    timeline.agent_proof_opened(request=request, actor=actor)
    return File(handle), f"{request.reference}-agent-proof.{extension}", content_type
