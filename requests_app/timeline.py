"""The paper trail of a privacy request: one small function per kind of event.

Each function writes what that event leaves behind, in the caller's transaction: the
``RequestEvent`` on the request's timeline (shown to staff, and where it has a
``public_message`` to the person on the status page) and the ``AuditEvent`` (actor,
action, reference and ids; never personal data). Services call these and never write
either row themselves, so every event of a kind reads the same wherever it happens.

A few events leave only one of the two, on purpose: a notice changes no personal data
(timeline only); a fee recorded or a request de-identified is for auditors only (audit
only); an erasure's own audit row is privacy's erasure certificate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from privacy.audit_actions import AuditAction
from privacy.services import audit_event_record, staff_user
from requests_app.models import (
    ExportPackage,
    PrivacyRequest,
    Relay,
    RequestEvent,
    Status,
    Submission,
)

Kind = RequestEvent.Kind
Actor = AbstractBaseUser | None


def _entry(
    request: PrivacyRequest,
    kind: str,
    *,
    actor: Actor = None,
    note: str = "",
    public_message: str = "",
    from_status: str = "",
    to_status: str = "",
    occurred_at: dt.datetime | None = None,
) -> RequestEvent:
    return RequestEvent.objects.create(
        request=request,
        occurred_at=occurred_at or timezone.now(),
        kind=kind,
        actor=staff_user(actor),
        person_facing=bool(public_message),
        public_message=public_message[:300],
        note=note,
        from_status=from_status,
        to_status=to_status,
    )


def _audit(request: PrivacyRequest, action: AuditAction, *, actor: Actor, **summary: Any) -> None:
    audit_event_record(
        actor=actor,
        action=action,
        object_type="privacy_request",
        object_id=request.pk,
        summary={"reference": request.reference, **summary},
    )


# --- intake and status ------------------------------------------------------------------


def received(*, request: PrivacyRequest, actor: Actor) -> None:
    # Dated when the request arrived (a request staff take from a letter, or the demo,
    # may have arrived before it is recorded), so the timeline opens with its receipt.
    _entry(
        request,
        Kind.STATUS,
        actor=actor,
        to_status=Status.RECEIVED,
        public_message="We received your request.",
        occurred_at=request.received_at,
    )
    _audit(
        request,
        AuditAction.PRIVACY_REQUEST_RECEIVED,
        actor=actor,
        type=request.request_type,
        rule=request.rule_code,
        channel=request.channel,
        agent=request.is_agent_request,
        over_limit=request.over_limit,
    )


def submission_received(
    *, submission: Submission, requests: list[PrivacyRequest], created: int, actor: Actor
) -> None:
    """One sending of the form (audit only: each request has its own timeline)."""
    audit_event_record(
        actor=actor,
        action=AuditAction.PRIVACY_REQUEST_SUBMISSION_RECEIVED,
        object_type="submission",
        object_id=submission.pk,
        summary={
            "reference": submission.reference,
            "requests": [request.reference for request in requests],
            "created": created,
        },
    )


def duplicate_linked(*, request: PrivacyRequest) -> None:
    _entry(request, Kind.DUPLICATE, note="The same request was submitted again and linked here.")
    _audit(request, AuditAction.PRIVACY_REQUEST_DUPLICATE_LINKED, actor=None)


def status_changed(
    *,
    request: PrivacyRequest,
    actor: Actor,
    from_status: str,
    to_status: str,
    note: str = "",
    public_message: str = "",
    summary: Mapping[str, Any] | None = None,
) -> None:
    _entry(
        request,
        Kind.STATUS,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        note=note,
        public_message=public_message,
    )
    _audit(
        request,
        AuditAction.PRIVACY_REQUEST_STATUS_CHANGED,
        actor=actor,
        **{
            "from": from_status,
            "to": to_status,
            "type": request.request_type,
            "rule": request.rule_code,
            **(summary or {}),
        },
    )


def appeal_received(*, original: PrivacyRequest, appeal: PrivacyRequest) -> None:
    """Both requests' timelines say so; the audit row is the appeal's."""
    message = "We received your appeal."
    _entry(original, Kind.NOTE, note=f"Appealed: see {appeal.reference}.", public_message=message)
    _entry(appeal, Kind.STATUS, to_status=Status.RECEIVED, public_message=message)
    _audit(
        appeal, AuditAction.PRIVACY_REQUEST_APPEAL_RECEIVED, actor=None, original=original.reference
    )


def deidentified(*, request: PrivacyRequest) -> None:
    """Audit only: the timeline is the person's, and they are gone."""
    _audit(
        request,
        AuditAction.PRIVACY_REQUEST_DEIDENTIFIED,
        actor=None,
        reason="matched contact erased",
    )


# --- notices (timeline only: a message changes no personal data) -------------------------


#: What the timeline says when a notice is not sent, by reason (never the identifier).
NOT_SENT_REASONS = {
    "no_address": "no e-mail address or phone number on the request",
    "no_sms_text": "this notice has no text-message version",
    "suppressed": "the address or number is on the suppression list",
    "do_not_contact": "the person asked never to be contacted",
    "opted_out": "the number texted STOP",
    "invalid_identifier": "the address or number is not valid",
    "superseded": "the link or code it carries was used or had expired before it could be sent",
    "deidentified": "the request was de-identified (the person was erased) before it was sent",
}
CHANNEL_NAMES = {"email": "e-mail", "sms": "text message"}


def notice_not_sent(*, request: PrivacyRequest, actor: Actor, code: str, reason: str) -> None:
    _entry(
        request,
        Kind.NOTE,
        actor=actor,
        note=f"Notice “{code}” not sent: {NOT_SENT_REASONS.get(reason, reason)}.",
    )


def verification_resend_withheld(
    *, request: PrivacyRequest, minutes: int, confirmed: bool = False
) -> None:
    """The form was sent again, and no link or code went out: the request is already
    confirmed, or one went out less than ``minutes`` ago and still works (staff only;
    the audit row is the duplicate's)."""
    why = (
        "the request is already confirmed"
        if confirmed
        else f"one went out less than {minutes} minutes ago and still works"
    )
    _entry(request, Kind.NOTE, note=f"Sent again: no new confirmation link or code, {why}.")


def notice_blocked(
    *, request: PrivacyRequest, actor: Actor, code: str, channel: str, reason: str
) -> None:
    """The outbound guard refused: staff see why; the person, for the notices they would
    have been told about, that it was not sent and that e-mail still works."""
    public = ""
    if channel == "sms":
        public = (
            "We could not send you a text message. You can still reach us by e-mail: "
            "send your request again with an e-mail address."
        )
    _entry(
        request,
        Kind.NOTE,
        actor=actor,
        note=(
            f"Notice “{code}” not sent ({CHANNEL_NAMES.get(channel, channel)}): "
            f"{NOT_SENT_REASONS.get(reason, reason)}."
        ),
        public_message=public,
    )


def notice_queued(*, request: PrivacyRequest, actor: Actor, code: str, channel: str) -> None:
    _entry(
        request,
        Kind.NOTE,
        actor=actor,
        note=f"Notice “{code}” queued ({CHANNEL_NAMES.get(channel, channel)}).",
    )


def notice_sent(
    *,
    request: PrivacyRequest,
    actor: Actor,
    code: str,
    channel: str,
    person_facing: bool,
    public_message: str = "",
) -> None:
    """Written by the sending task once the message actually left: the notice's code and
    channel (not its rendered text), and for the person a line on the status page."""
    how = CHANNEL_NAMES.get(channel, channel)
    if person_facing and not public_message:
        public_message = f"We sent you a message ({how})."
    _entry(
        request,
        Kind.NOTICE,
        actor=actor,
        note=f"Notice “{code}” sent ({how}).",
        public_message=public_message if person_facing else "",
    )


def notice_failed(
    *, request: PrivacyRequest, code: str, channel: str, attempts: int, error: str
) -> None:
    """The sending task gave up after its retries: staff must reach the person."""
    _entry(
        request,
        Kind.NOTE,
        note=(
            f"Notice “{code}” NOT sent ({CHANNEL_NAMES.get(channel, channel)}): "
            f"{attempts} attempts failed ({error}). Contact the person another way."
        ),
    )


def acknowledged(*, request: PrivacyRequest) -> None:
    """The receipt notice left: the request is acknowledged (CCPA's 10 business days)."""
    _entry(request, Kind.NOTE, note="Acknowledged: the receipt notice was sent.")
    _audit(request, AuditAction.PRIVACY_REQUEST_ACKNOWLEDGED, actor=None)


# --- processing: matching, relays, fulfilment -------------------------------------------


def contacts_matched(*, request: PrivacyRequest, actor: Actor, count: int) -> None:
    """Timeline only: the move to "in progress" that follows carries the count."""
    _entry(
        request,
        Kind.MATCH,
        actor=actor,
        note=f"{count} contact record(s) matched by the verified identifiers.",
    )


def relayed(*, request: PrivacyRequest, actor: Actor, customer_id: int, contacts: int) -> None:
    """Audit only: the relay notice to the customer is the timeline entry."""
    _audit(
        request,
        AuditAction.PRIVACY_REQUEST_RELAYED,
        actor=actor,
        customer_id=customer_id,
        contacts=contacts,
    )


def relay_by_hand(*, request: PrivacyRequest, actor: Actor, customer_id: int) -> None:
    _entry(
        request,
        Kind.RELAY,
        actor=actor,
        note=f"Customer #{customer_id} has no privacy contact e-mail: relay it by hand.",
    )


def relay_answered(*, request: PrivacyRequest, actor: Actor, relay: Relay) -> None:
    _entry(
        request,
        Kind.RELAY,
        actor=actor,
        note=f"Customer #{relay.customer_id} answered: {relay.get_answer_display()}.",
    )
    _audit(
        request,
        AuditAction.PRIVACY_REQUEST_RELAY_ANSWERED,
        actor=actor,
        customer_id=relay.customer_id,
        answer=relay.answer,
    )


def fulfilment_applied(*, request: PrivacyRequest, actor: Actor, contacts: int) -> None:
    """Timeline only: each change (restriction, consent withdrawal) audited itself."""
    _entry(
        request,
        Kind.FULFILMENT,
        actor=actor,
        note=f"{request.get_request_type_display()} applied to {contacts} contact record(s).",
    )


# --- export packages ---------------------------------------------------------------------


def package_built(*, request: PrivacyRequest, package: ExportPackage) -> None:
    _entry(
        request,
        Kind.FULFILMENT,
        note=f"Export package #{package.pk} built ({sum(package.counts.values())} records).",
        public_message="Your data package has been prepared.",
    )
    _audit(
        request,
        AuditAction.PRIVACY_REQUEST_PACKAGE_BUILT,
        actor=None,
        package_id=package.pk,
        tables=len(package.counts),
    )


def packages_rebuilding(*, request: PrivacyRequest, contact_ids: list[int]) -> None:
    """A completion attempt found packages purged (expired) before the request was
    answered and is building them again."""
    _entry(
        request,
        Kind.FULFILMENT,
        note=(
            f"Export package(s) of contact(s) {contact_ids} expired before the request was "
            "completed; rebuilding them (a new download link)."
        ),
    )
    _audit(
        request,
        AuditAction.PRIVACY_REQUEST_PACKAGE_REBUILT,
        actor=None,
        contacts=len(contact_ids),
    )


def answered_without_packages(
    *, request: PrivacyRequest, actor: Actor, certificates: dict[int, int | None]
) -> None:
    """Completed without the packages of erased contacts ({contact id: certificate id}):
    no data of theirs was left to send. Timeline only: the completion is audited."""
    _entry(
        request,
        Kind.FULFILMENT,
        actor=actor,
        note="Answered without the package of erased contact(s) "
        + ", ".join(
            f"#{pk} (certificate #{certificate or '—'})"
            for pk, certificate in sorted(certificates.items())
        )
        + ": no data of theirs is left to send.",
    )


def package_downloaded(*, request: PrivacyRequest, package: ExportPackage) -> None:
    _entry(
        request,
        Kind.DOWNLOAD,
        note=f"Export package #{package.pk} downloaded (download {package.download_count}).",
    )
    _audit(
        request,
        AuditAction.PRIVACY_REQUEST_PACKAGE_DOWNLOADED,
        actor=None,
        package_id=package.pk,
        count=package.download_count,
    )


def package_checked(
    *, request: PrivacyRequest, actor: Actor, package: ExportPackage, downloaded: bool
) -> None:
    """A staff member looked at (or downloaded) a package before it is sent."""
    verb = "downloaded" if downloaded else "opened"
    _entry(
        request,
        Kind.NOTE,
        actor=actor,
        note=f"Export package #{package.pk} {verb} by staff to check it.",
    )
    _audit(
        request,
        AuditAction.PRIVACY_REQUEST_PACKAGE_STAFF_DOWNLOADED
        if downloaded
        else AuditAction.PRIVACY_REQUEST_PACKAGE_VIEWED,
        actor=actor,
        package_id=package.pk,
    )


# --- erasure -------------------------------------------------------------------------------


def erasure_scheduled(
    *, request: PrivacyRequest, actor: Actor, contacts: int, run_at: dt.datetime
) -> None:
    _entry(
        request,
        Kind.FULFILMENT,
        actor=actor,
        note=f"Erasure of {contacts} contact record(s) scheduled for {run_at:%Y-%m-%d}.",
        public_message=f"Your data is scheduled to be erased on {run_at:%Y-%m-%d}.",
    )
    _audit(
        request,
        AuditAction.PRIVACY_REQUEST_ERASURE_SCHEDULED,
        actor=actor,
        contacts=contacts,
        run_on=run_at.date().isoformat(),
    )


def erasure_cancelled(*, request: PrivacyRequest, actor: Actor, contact_id: int) -> None:
    _entry(
        request,
        Kind.FULFILMENT,
        actor=actor,
        note=f"Scheduled erasure of contact #{contact_id} cancelled.",
    )
    _audit(
        request, AuditAction.PRIVACY_REQUEST_ERASURE_CANCELLED, actor=actor, contact_id=contact_id
    )


def erasure_blocked(
    *, request: PrivacyRequest, contact_id: int, reason: str, actor: Actor = None
) -> None:
    _entry(
        request,
        Kind.FULFILMENT,
        actor=actor,
        note=f"Erasure of contact #{contact_id} blocked: {reason}",
    )
    _audit(request, AuditAction.PRIVACY_REQUEST_ERASURE_BLOCKED, actor=actor, contact_id=contact_id)


def erasure_deferred(
    *, request: PrivacyRequest, contact_id: int, waiting: str, actor: Actor = None
) -> None:
    """The erasure stays scheduled: the person has another open request (``waiting``
    names it by reference). Written once per reason, not every night it still waits."""
    _entry(
        request,
        Kind.NOTE,
        actor=actor,
        note=f"Erasure of contact #{contact_id} deferred. {waiting}",
    )
    _audit(
        request, AuditAction.PRIVACY_REQUEST_ERASURE_DEFERRED, actor=actor, contact_id=contact_id
    )


def erasure_done(
    *, request: PrivacyRequest, contact_id: int, certificate_id: int | None, actor: Actor = None
) -> None:
    """Timeline only: the erasure certificate is the audit row (``contact.erased``)."""
    _entry(
        request,
        Kind.FULFILMENT,
        actor=actor,
        note=f"Contact #{contact_id} erased (certificate #{certificate_id or '—'}).",
    )


def erasure_run_now(
    *,
    request: PrivacyRequest,
    actor: Actor,
    contacts: int,
    reason: str,
    reason_label: str,
    note: str,
    grace_days: int,
) -> None:
    """The officer's reason code goes to the audit row; their note (free text) only to
    the staff timeline."""
    _entry(
        request,
        Kind.FULFILMENT,
        actor=actor,
        note=(
            f"Erasure of {contacts} contact record(s) run now, grace period skipped: "
            f"{reason_label}." + (f" {note}" if note else "")
        ),
    )
    _audit(
        request,
        AuditAction.PRIVACY_REQUEST_ERASURE_RUN_NOW,
        actor=actor,
        contacts=contacts,
        reason=reason,
        grace_days_skipped=grace_days,
    )


# --- staff decisions ----------------------------------------------------------------------


def assigned(*, request: PrivacyRequest, actor: Actor, assignee_id: int | None) -> None:
    _entry(
        request,
        Kind.ASSIGNMENT,
        actor=actor,
        note=f"Assigned to staff user #{assignee_id or '—'}.",
    )
    _audit(request, AuditAction.PRIVACY_REQUEST_ASSIGNED, actor=actor, assignee_id=assignee_id)


def extended(
    *, request: PrivacyRequest, actor: Actor, due_on: dt.date, extended_due_on: dt.date
) -> None:
    """Audit only: the extension notice to the person is the timeline entry."""
    _audit(
        request,
        AuditAction.PRIVACY_REQUEST_EXTENDED,
        actor=actor,
        due_on=due_on.isoformat(),
        extended_due_on=extended_due_on.isoformat(),
    )


def fee_estimated(*, request: PrivacyRequest, actor: Actor, amount: Any) -> None:
    """Audit only: the estimate notice to the person is the timeline entry."""
    _audit(request, AuditAction.PRIVACY_REQUEST_FEE_ESTIMATED, actor=actor, amount=str(amount))


def fee_recorded(*, request: PrivacyRequest, actor: Actor, amount: Any) -> None:
    _audit(request, AuditAction.PRIVACY_REQUEST_FEE_RECORDED, actor=actor, amount=str(amount))


def correction_applied(
    *, request: PrivacyRequest, actor: Actor, contact_id: int, fields: list[str]
) -> None:
    _entry(
        request,
        Kind.FULFILMENT,
        actor=actor,
        note=f"Contact #{contact_id} corrected: {', '.join(fields) or 'nothing changed'}.",
    )
    _audit(
        request,
        AuditAction.PRIVACY_REQUEST_CORRECTION_APPLIED,
        actor=actor,
        contact_id=contact_id,
        fields=sorted(fields),
    )


def agent_proof_opened(*, request: PrivacyRequest, actor: Actor) -> None:
    _entry(request, Kind.NOTE, actor=actor, note="Authorised agent's proof opened by staff.")
    _audit(request, AuditAction.PRIVACY_REQUEST_AGENT_PROOF_OPENED, actor=actor)


# --- opt-out signals, instructions after death, transfers to another organisation --------

GPC_RECEIVED = (
    "We received your browser's Global Privacy Control signal as a request to opt out of "
    "the sale or sharing of your personal information."
)


def gpc_opt_out_received(*, request: PrivacyRequest, contact_id: int, signal: str) -> None:
    """An opt-out preference signal became this request (no person wrote to us)."""
    _entry(request, Kind.STATUS, to_status=Status.RECEIVED, public_message=GPC_RECEIVED)
    _audit(
        request,
        AuditAction.PRIVACY_REQUEST_RECEIVED,
        actor=None,
        type=request.request_type,
        rule=request.rule_code,
        channel=request.channel,
        signal=signal[:20],
        contact_id=contact_id,
    )


def post_mortem_recorded(
    *, request: PrivacyRequest, actor: Actor, wishes: str, trusted_person: bool, created: bool
) -> None:
    """Audit only: what the person asked is on the request itself."""
    _audit(
        request,
        AuditAction.PRIVACY_REQUEST_POST_MORTEM_RECORDED,
        actor=actor,
        wishes=wishes,
        trusted_person=trusted_person,
        created=created,
    )


def post_mortem_acknowledged(*, request: PrivacyRequest, actor: Actor, superseded: int) -> None:
    _entry(
        request,
        Kind.FULFILMENT,
        actor=actor,
        note=f"Instructions after death acknowledged; {superseded} earlier instruction(s) superseded.",
    )
    _audit(
        request,
        AuditAction.PRIVACY_REQUEST_POST_MORTEM_ACKNOWLEDGED,
        actor=actor,
        superseded=superseded,
    )


def transfer_started(*, request: PrivacyRequest, actor: Actor, transfer_ids: list[int]) -> None:
    _entry(
        request,
        Kind.FULFILMENT,
        actor=actor,
        note=(
            f"Transfer of {len(transfer_ids)} package(s) to a named organisation started; "
            "waiting for it to confirm its address."
        ),
        public_message=(
            "We asked the organisation you named to confirm its address before we send your data."
        ),
    )
    _audit(
        request, AuditAction.PRIVACY_REQUEST_TRANSFER_STARTED, actor=actor, transfers=transfer_ids
    )


def transfer_confirmed(*, request: PrivacyRequest, transfer_ids: list[int]) -> None:
    """Audit only: the notices to the recipient and to the person are the timeline."""
    _audit(
        request, AuditAction.PRIVACY_REQUEST_TRANSFER_CONFIRMED, actor=None, transfers=transfer_ids
    )


def transfer_downloaded(*, request: PrivacyRequest, transfer_id: int, count: int) -> None:
    _entry(
        request,
        Kind.DOWNLOAD,
        note=f"Transfer #{transfer_id}: package downloaded by the recipient (download {count}).",
    )
    _audit(
        request,
        AuditAction.PRIVACY_REQUEST_TRANSFER_DOWNLOADED,
        actor=None,
        transfer_id=transfer_id,
        count=count,
    )
