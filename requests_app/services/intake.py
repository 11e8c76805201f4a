"""Receiving privacy requests (verifying who sent them is ``verification``).

``privacy_requests_submit`` serves the public form (several request types in one
sending) and ``privacy_request_submit`` staff taking one request by phone: identifiers
are normalised with ``privacy.identifiers``; each type becomes its own request with its
own rule and deadline, recorded in one ``Submission`` (whose reference the thank-you
page shows); an identical open request (same identity and type) is linked instead of
duplicated; limits are flagged, not refused; receipt is acknowledged; then one
verification (e-mailed link, or an SMS code when only a phone was given) confirms every
request of the submission, or, for opt-outs of sale/sharing, work starts at once.

Sending the form again for an open request must tell nobody that the request exists
(issue 11): not by the page, and not by the time it takes. So a resubmission does the
same work as a fresh one — both branches run, each in a savepoint, and the one that
does not apply is rolled back (``resubmission.kept_if``): a fresh submission also links a copy of
its new request as a duplicate and rolls that back; a resubmission also creates the new
request (rule, deadline, reference, status token, limit check, receipt rendered, proof
file written) and rolls that back (its queued mail goes with the savepoint, the file is
deleted). The verification link is re-sent at most once per
``REQUESTS_RESEND_WINDOW_MINUTES`` (the same two-branch way: the re-send, or a staff
note that it was withheld), and a re-send never stops the earlier link working."""

from __future__ import annotations

import copy
import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from privacy.identifiers import email_match_key, normalize_email, parse_phone
from privacy.models import Customer
from privacy.services import staff_user, task_enqueue
from requests_app import deadlines, timeline
from requests_app.models import (
    OPEN_Q,
    Channel,
    PrivacyRequest,
    RequestType,
    Status,
    Submission,
    VerificationChallenge,
    VerificationMethod,
)
from requests_app.rules import (
    SUBDIVISION_COUNTRIES,
    get_rule,
    rule_code_for,
)
from requests_app.selectors import privacy_request_reference_unused, submission_reference_unused
from requests_app.services.notices import notice_send
from requests_app.services.post_mortem import post_mortem_instructions_record
from requests_app.services.resubmission import duplicate_link, kept_if, verification_due
from requests_app.services.transitions import privacy_request_transition
from requests_app.services.verification import (
    _phone_region,
    privacy_request_verified,
    verification_challenge_issue,
)
from requests_app.tokens import (
    derive_token,
    new_salt,
    token_hash,
)

logger = logging.getLogger(__name__)

# Content sniffing of the agent's signed permission: first bytes -> extension.
_PROOF_SIGNATURES = {b"%PDF-": "pdf", b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}


@dataclass
class SubmitResult:
    request: PrivacyRequest
    created: bool
    submission: Submission | None = None
    #: Whether a new request of this sending awaits verification (true whether it was
    #: kept or rolled back): a resubmission then does a verification's work too.
    new_awaits_verification: bool = False


@dataclass
class SubmissionResult:
    submission: Submission
    results: list[SubmitResult]
    #: The number a verification code was texted to (E.164), when it was by SMS: the
    #: code page can then keep it for the person instead of asking for it again.
    code_sent_to: str | None = None

    @property
    def requests(self) -> list[PrivacyRequest]:
        return [result.request for result in self.results]


def _normalise_identity(*, email: str, phone: str, country: str) -> tuple[str | None, str | None]:
    errors: dict[str, str] = {}
    norm_email = norm_phone = None
    if email.strip():
        try:
            norm_email = normalize_email(email)
        except ValidationError as exc:
            errors["email"] = exc.messages[0]
    if phone.strip():
        try:
            norm_phone = parse_phone(phone, default_region=_phone_region(country)).e164
        except ValidationError as exc:
            errors["phone"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    if not norm_email and not norm_phone:
        raise ValidationError(
            {"email": "Give an e-mail address or a phone number so we can reply."}
        )
    return norm_email, norm_phone


def agent_proof_validate(upload: UploadedFile) -> str:
    """Check size and real content type of an agent's permission; returns the extension."""
    if upload.size > settings.REQUESTS_AGENT_PROOF_MAX_BYTES:
        limit_mb = settings.REQUESTS_AGENT_PROOF_MAX_BYTES // (1024 * 1024)
        raise ValidationError(
            {"agent_proof": f"The file is too large; the limit is {limit_mb} MB."}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, extension in _PROOF_SIGNATURES.items():
        if head.startswith(signature):
            return extension
    raise ValidationError({"agent_proof": "Upload a PDF, PNG or JPEG file."})


def _identity_q(email_key: str | None, phone: str | None) -> Q:
    condition = Q(pk__in=[])
    if email_key:
        condition |= Q(email_key=email_key)
    if phone:
        condition |= Q(phone=phone)
    return condition


def _over_limit(request_type: str, rule_code: str, identity: Q, on: dt.datetime) -> bool:
    rule = get_rule(rule_code)
    counted = rule.limit_counts(request_type)
    if counted is None:
        return False
    if rule.free_requests_per_calendar_year:
        local = timezone.localtime(on)
        since = local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    else:
        since = on - dt.timedelta(days=rule.free_requests_window_days)
    earlier = (
        PrivacyRequest.objects.filter(identity, received_at__gte=since)
        .filter(request_type__in=counted)
        .exclude(status__in=[Status.EXPIRED, Status.WITHDRAWN])
        .count()
    )
    return earlier >= rule.free_requests


def _objection_purposes_clean(request_type: str, chosen: list[str] | None) -> list[str]:
    """An objection keeps what it objects to (known codes only); other types nothing."""
    if request_type != RequestType.OBJECTION or not chosen:
        return []
    from consent.selectors import objection_choices  # requests_app → consent, lazily

    allowed = {code for code, _ in objection_choices()}
    unknown = set(chosen) - allowed
    if unknown:
        raise ValidationError({"objection_purposes": "Choose from the list."})
    return sorted(set(chosen))


@transaction.atomic
def privacy_request_submit(
    *,
    actor: AbstractBaseUser | None,
    request_type: str,
    country: str,
    state: str = "",
    full_name: str = "",
    email: str = "",
    phone: str = "",
    details: str = "",
    objection_purposes: list[str] | None = None,
    is_agent_request: bool = False,
    agent_name: str = "",
    agent_email: str = "",
    agent_proof: UploadedFile | None = None,
    channel: str = Channel.WEB,
    customer: Customer | None = None,
    now: dt.datetime | None = None,
) -> SubmitResult:
    """One request (or a link to the identical open one): ``privacy_requests_submit``
    with one type. The caller shows the same confirmation either way, so nobody learns
    whether a person is known."""
    result = privacy_requests_submit(
        actor=actor,
        request_types=[request_type],
        country=country,
        state=state,
        full_name=full_name,
        email=email,
        phone=phone,
        details=details,
        objection_purposes=objection_purposes,
        is_agent_request=is_agent_request,
        agent_name=agent_name,
        agent_email=agent_email,
        agent_proof=agent_proof,
        channel=channel,
        customer=customer,
        now=now,
    )
    return result.results[0]


@transaction.atomic
def privacy_requests_submit(
    *,
    actor: AbstractBaseUser | None,
    request_types: list[str],
    country: str,
    state: str = "",
    full_name: str = "",
    email: str = "",
    phone: str = "",
    details: str = "",
    objection_purposes: list[str] | None = None,
    is_agent_request: bool = False,
    agent_name: str = "",
    agent_email: str = "",
    agent_proof: UploadedFile | None = None,
    channel: str = Channel.WEB,
    customer: Customer | None = None,
    now: dt.datetime | None = None,
    post_mortem: Mapping[str, str] | None = None,
) -> SubmissionResult:
    """Record one sending of the form: a request per type asked for (each with its own
    rule and deadline) or a link to the identical open one, all in one ``Submission``;
    then a single verification for every request of it that awaits one. ``post_mortem``
    (``wishes``, ``trusted_person_name``, ``trusted_person_contact``) is recorded with a
    new request of instructions after death, in the same transaction."""
    now = now or timezone.now()
    types = list(dict.fromkeys(request_types or []))
    if not types or any(t not in RequestType.values or t == RequestType.APPEAL for t in types):
        raise ValidationError({"request_type": "Choose what you would like us to do."})
    country = (country or "").strip().upper()
    state = (state or "").strip().upper() if country in SUBDIVISION_COUNTRIES else ""
    norm_email, norm_phone = _normalise_identity(email=email, phone=phone, country=country)
    email_key = email_match_key(norm_email) if norm_email else None
    norm_agent_email = None
    if is_agent_request:
        errors = {}
        if not agent_name.strip():
            errors["agent_name"] = "Give the agent's name."
        try:
            norm_agent_email = normalize_email(agent_email)
        except ValidationError as exc:
            errors["agent_email"] = exc.messages[0]
        if agent_proof is None:
            errors["agent_proof"] = "Attach the consumer's signed permission."
        if errors:
            raise ValidationError(errors)
    proof_extension = agent_proof_validate(agent_proof) if agent_proof is not None else None
    objection_purposes = _objection_purposes_clean(
        RequestType.OBJECTION if RequestType.OBJECTION in types else "", objection_purposes
    )

    submission = Submission.objects.create(reference=submission_reference_unused(), received_at=now)
    results = [
        _submit_one(
            actor=actor,
            request_type=request_type,
            country=country,
            state=state,
            full_name=full_name,
            norm_email=norm_email,
            email_key=email_key,
            norm_phone=norm_phone,
            details=details,
            objection_purposes=objection_purposes if request_type == RequestType.OBJECTION else [],
            is_agent_request=is_agent_request,
            agent_name=agent_name,
            norm_agent_email=norm_agent_email,
            agent_proof=agent_proof,
            proof_extension=proof_extension,
            channel=channel,
            customer=customer,
            now=now,
            submission=submission,
            post_mortem=post_mortem,
        )
        for request_type in types
    ]
    submission.requests.add(*(result.request for result in results))
    awaiting = [r.request for r in results if r.request.status == Status.AWAITING_VERIFICATION]
    verifiable = [r.request for r in results if r.new_awaits_verification]
    code_sent_to = None
    if verifiable:
        # One link (or code) for everything sent together, including an identical open
        # request it was linked to (the person may have lost that one's message) — but
        # at most one re-send per window, so probes cannot flood the person's inbox, and
        # none for a request already confirmed. Both branches run whichever applies
        # (the verification's work even for a confirmed one); the other is rolled back.
        target = awaiting[0] if awaiting else verifiable[0]
        send = verification_due(awaiting or [target], now=now) and bool(awaiting)
        with kept_if(send):
            challenge = verification_challenge_issue(request=target, submission=submission, now=now)
        with kept_if(not send):
            timeline.verification_resend_withheld(
                request=target,
                minutes=settings.REQUESTS_RESEND_WINDOW_MINUTES,
                confirmed=not awaiting,
            )
        if challenge.channel == VerificationChallenge.Channel.SMS:
            # Also when not sent: a code sent earlier still works, and the page must
            # not differ.
            code_sent_to = target.phone
    # One task sends the sending's notices, queued whichever branch above was kept: a
    # resubmission's web request does the same after-commit work as a fresh one.
    task_enqueue(task="requests_app.tasks.submission_notices_deliver", args=[submission.pk])
    timeline.submission_received(
        submission=submission,
        requests=[result.request for result in results],
        created=sum(result.created for result in results),
        actor=actor,
    )
    return SubmissionResult(submission=submission, results=results, code_sent_to=code_sent_to)


def _submit_one(
    *,
    request_type: str,
    email_key: str | None,
    norm_phone: str | None,
    now: dt.datetime,
    submission: Submission,
    **fields,
) -> SubmitResult:
    """One type of a submission: a new request, or the identical open one linked. Both
    branches run whichever applies (see the module's docstring); ``fields`` are the
    rest of ``_request_create``'s arguments."""
    identity = _identity_q(email_key, norm_phone)
    existing = (
        PrivacyRequest.objects.select_for_update()
        .filter(OPEN_Q, identity, request_type=request_type)
        .order_by("received_at")
        .first()
    )
    with kept_if(existing is None):
        created = _request_create(
            request_type=request_type,
            email_key=email_key,
            norm_phone=norm_phone,
            identity=identity,
            now=now,
            **fields,
        )
    # A copy: the rolled-back branch must not change the object the caller gets.
    with kept_if(existing is not None):
        linked = duplicate_link(existing or copy.copy(created), now=now)
    awaits = created.status == Status.AWAITING_VERIFICATION
    if existing is None:
        return SubmitResult(
            request=created, created=True, submission=submission, new_awaits_verification=awaits
        )
    if created.agent_proof:
        # The rolled-back request's copy of the upload: the linked request keeps its own.
        created.agent_proof.storage.delete(created.agent_proof.name)
    return SubmitResult(
        request=linked, created=False, submission=submission, new_awaits_verification=awaits
    )


def _request_create(
    *,
    actor: AbstractBaseUser | None,
    request_type: str,
    country: str,
    state: str,
    full_name: str,
    norm_email: str | None,
    email_key: str | None,
    norm_phone: str | None,
    identity: Q,
    details: str,
    objection_purposes: list[str],
    is_agent_request: bool,
    agent_name: str,
    norm_agent_email: str | None,
    agent_proof: UploadedFile | None,
    proof_extension: str | None,
    channel: str,
    customer: Customer | None,
    now: dt.datetime,
    post_mortem: Mapping[str, str] | None,
) -> PrivacyRequest:
    """A new request: stored, acknowledged, and awaiting verification (or verified
    at once where none is needed); with the instructions of a ``post_mortem`` one."""
    # The law in force where the person lives on the day we received the request; the
    # code and the dates computed from it are stored, so a later correction of the table
    # never moves this request's deadline.
    received_on = timezone.localdate(now)
    rule_code = rule_code_for(
        country=country, state=state, request_type=request_type, received_on=received_on
    )
    rule = get_rule(rule_code)
    due_on = deadlines.due_date(rule_code, received_on)
    salt = new_salt()
    reference = privacy_request_reference_unused()
    request = PrivacyRequest(
        reference=reference,
        request_type=request_type,
        rule_code=rule_code,
        channel=channel,
        country=country,
        state=state,
        customer=customer,
        full_name=full_name.strip() or None,
        email=norm_email,
        email_key=email_key,
        phone=norm_phone,
        details=details.strip() or None,
        objection_purposes=objection_purposes,
        is_agent_request=is_agent_request,
        agent_name=agent_name.strip() or None if is_agent_request else None,
        agent_email=norm_agent_email,
        received_at=now,
        due_on=due_on,
        deadline_on=due_on,
        acknowledge_by=deadlines.acknowledge_by(rule_code, received_on),
        over_limit=_over_limit(request_type, rule_code, identity, now),
        status_token_salt=salt,
        status_token_hash=token_hash(derive_token(purpose="status", ident=reference, salt=salt)),
        created_by=staff_user(actor),
    )
    if agent_proof is not None:
        # A random name: the original file name may itself be personal. (Every request
        # of a submission keeps its own copy: each is erased or pruned on its own.)
        agent_proof.seek(0)
        request.agent_proof.save(f"{uuid.uuid4().hex}.{proof_extension}", agent_proof, save=False)
    request.save()
    timeline.received(request=request, actor=actor)
    # Acknowledged only when the receipt actually leaves: the sending task records it.
    # Queued with the submission's other notices (privacy_requests_submit).
    notice_send(request=request, code="receipt", actor=actor, queue=False)

    if request_type == RequestType.OPT_OUT_SALE or not rule.needs_verification:
        # Opt-outs of sale/sharing need no verification (11 CCR §7026): act at once.
        privacy_request_verified(
            actor=actor, request=request, method=VerificationMethod.NOT_REQUIRED, now=now
        )
    else:
        # The submission's one verification is issued by the caller.
        request = privacy_request_transition(
            actor=actor,
            request=request,
            to_status=Status.AWAITING_VERIFICATION,
            verification_expires_at=now
            + dt.timedelta(days=settings.REQUESTS_VERIFICATION_WINDOW_DAYS),
        )
    if post_mortem is not None and request_type == RequestType.POST_MORTEM:
        post_mortem_instructions_record(actor=actor, request=request, **post_mortem)
    return request
