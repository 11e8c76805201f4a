"""Receiving privacy requests and verifying who sent them.

``privacy_request_submit`` serves the public form and staff taking a request by phone:
identifiers are normalised with ``privacy.identifiers``; an identical open request (same
identity and type) is linked instead of duplicated; limits are flagged, not refused;
receipt is acknowledged; then either verification starts (e-mailed link, or an SMS code
when only a phone was given) or, for opt-outs of sale/sharing, work starts at once."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from privacy.identifiers import email_match_key, normalize_email, parse_phone
from privacy.models import Customer
from privacy.services import staff_user
from requests_app import deadlines, timeline
from requests_app.models import (
    OPEN_Q,
    Channel,
    PrivacyRequest,
    RequestType,
    Status,
    VerificationChallenge,
    VerificationMethod,
)
from requests_app.rules import (
    CLOCK_VERIFICATION,
    SUBDIVISION_COUNTRIES,
    get_rule,
    rule_code_for,
)
from requests_app.selectors import privacy_request_reference_unused
from requests_app.services.notices import notice_send, public_url
from requests_app.services.transitions import privacy_request_transition
from requests_app.sms import get_sms_sender
from requests_app.tokens import (
    derive_token,
    new_salt,
    random_token,
    sms_code,
    sms_code_hash,
    token_hash,
)

logger = logging.getLogger(__name__)

# Content sniffing of the agent's signed permission: first bytes -> extension.
_PROOF_SIGNATURES = {b"%PDF-": "pdf", b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}


class VerificationFailed(ValidationError):
    """The link or code is wrong, used or expired. The message never says which."""


@dataclass
class SubmitResult:
    request: PrivacyRequest
    created: bool


def _phone_region(country: str | None) -> str:
    """The region a national phone number is read in: where the person says they live."""
    return country or "US"


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
    """Record a request (or link it to the identical open one). The caller shows the
    same confirmation either way, so nobody learns whether a person is known."""
    now = now or timezone.now()
    if request_type not in RequestType.values or request_type == RequestType.APPEAL:
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
    objection_purposes = _objection_purposes_clean(request_type, objection_purposes)

    identity = _identity_q(email_key, norm_phone)
    existing = (
        PrivacyRequest.objects.select_for_update()
        .filter(OPEN_Q, identity, request_type=request_type)
        .order_by("received_at")
        .first()
    )
    if existing is not None:
        return SubmitResult(request=_link_duplicate(existing, now=now), created=False)

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
        # A random name: the original file name may itself be personal.
        request.agent_proof.save(f"{uuid.uuid4().hex}.{proof_extension}", agent_proof, save=False)
    request.save()
    timeline.received(request=request, actor=actor)
    if notice_send(request=request, code="receipt", actor=actor):
        PrivacyRequest.objects.filter(pk=request.pk).update(acknowledged_at=now)
        request.acknowledged_at = now

    if request_type == RequestType.OPT_OUT_SALE or not rule.needs_verification:
        # Opt-outs of sale/sharing need no verification (11 CCR §7026): act at once.
        privacy_request_verified(
            actor=actor, request=request, method=VerificationMethod.NOT_REQUIRED, now=now
        )
    else:
        privacy_request_transition(
            actor=actor,
            request=request,
            to_status=Status.AWAITING_VERIFICATION,
            verification_expires_at=now
            + dt.timedelta(days=settings.REQUESTS_VERIFICATION_WINDOW_DAYS),
        )
        verification_challenge_issue(request=request, now=now)
    return SubmitResult(request=request, created=True)


def _link_duplicate(existing: PrivacyRequest, *, now: dt.datetime) -> PrivacyRequest:
    PrivacyRequest.objects.filter(pk=existing.pk).update(
        duplicate_count=existing.duplicate_count + 1
    )
    timeline.duplicate_linked(request=existing)
    if existing.status == Status.AWAITING_VERIFICATION:
        # The person may have lost the first message: a fresh link replaces it.
        verification_challenge_issue(request=existing, now=now)
    existing.refresh_from_db()
    return existing


def verification_challenge_issue(
    *, request: PrivacyRequest, now: dt.datetime | None = None
) -> VerificationChallenge:
    """Send a new link (e-mail) or code (SMS when there is no e-mail); earlier unused
    challenges stop working."""
    now = now or timezone.now()
    VerificationChallenge.objects.filter(request=request, used_at__isnull=True).update(
        expires_at=now
    )
    if request.email:
        secret = random_token()
        challenge = VerificationChallenge.objects.create(
            request=request,
            channel=VerificationChallenge.Channel.EMAIL,
            secret_hash=token_hash(secret),
            created_at=now,
            expires_at=now + dt.timedelta(hours=settings.REQUESTS_VERIFICATION_LINK_HOURS),
        )
        notice_send(
            request=request,
            code="verification_email",
            to=[request.email],
            extra={
                "verify_url": public_url(reverse("requests_app:verify", args=[secret])),
                "expires_at": timezone.localtime(challenge.expires_at).strftime(
                    "%Y-%m-%d %H:%M %Z"
                ),
            },
        )
        return challenge
    code = sms_code()
    challenge = VerificationChallenge.objects.create(
        request=request,
        channel=VerificationChallenge.Channel.SMS,
        secret_hash=sms_code_hash(request_id=request.pk, code=code),
        created_at=now,
        expires_at=now + dt.timedelta(minutes=settings.REQUESTS_VERIFICATION_CODE_MINUTES),
    )
    from requests_app.services.notices import notice_render, request_context

    _subject, body = notice_render(
        "verification_sms",
        {
            **request_context(request),
            "code": code,
            "code_url": public_url(reverse("requests_app:verify_code")),
        },
    )
    phone = request.phone
    timeline.verification_code_sent(request=request)

    def send() -> None:
        try:
            get_sms_sender().send(to=phone, body=body)
        except Exception as exc:
            # The gateway's error text may quote the number: log its type only.
            logger.error(
                "Verification SMS for %s could not be sent: %s",
                request.reference,
                type(exc).__name__,
            )

    transaction.on_commit(send)
    return challenge


def privacy_request_verified(
    *,
    actor: AbstractBaseUser | None,
    request: PrivacyRequest,
    method: str,
    now: dt.datetime | None = None,
) -> PrivacyRequest:
    """Mark verified and queue the work. Under rules whose clock starts at verification
    (UK), the deadline is counted from today."""
    now = now or timezone.now()
    fields: dict = {"verified_at": now, "verification_method": method}
    if request.rule.clock_starts == CLOCK_VERIFICATION:
        due_on = deadlines.due_date(request.rule_code, timezone.localdate(now))
        fields.update(due_on=due_on, deadline_on=due_on)
    request = privacy_request_transition(
        actor=actor,
        request=request,
        to_status=Status.VERIFIED,
        summary={"method": method},
        **fields,
    )
    from requests_app.tasks import process_request

    request_id = request.pk
    transaction.on_commit(lambda: process_request.delay(request_id))
    return request


@transaction.atomic
def privacy_request_verify_by_token(
    *, secret: str, now: dt.datetime | None = None
) -> PrivacyRequest:
    """Use an e-mailed link: single-use, expiring."""
    now = now or timezone.now()
    challenge = (
        VerificationChallenge.objects.select_for_update()
        .select_related("request")
        .filter(secret_hash=token_hash(secret), channel=VerificationChallenge.Channel.EMAIL)
        .first()
    )
    if (
        challenge is None
        or challenge.used_at is not None
        or challenge.expires_at <= now
        or challenge.request.status != Status.AWAITING_VERIFICATION
    ):
        raise VerificationFailed("This link is not valid any more.")
    VerificationChallenge.objects.filter(pk=challenge.pk).update(used_at=now)
    return privacy_request_verified(
        actor=None, request=challenge.request, method=VerificationMethod.EMAIL_LINK, now=now
    )


def verification_link_valid(*, secret: str, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return VerificationChallenge.objects.filter(
        secret_hash=token_hash(secret),
        channel=VerificationChallenge.Channel.EMAIL,
        used_at__isnull=True,
        expires_at__gt=now,
        request__status=Status.AWAITING_VERIFICATION,
    ).exists()


def privacy_request_verify_by_code(
    *, phone: str, code: str, country: str = "US", now: dt.datetime | None = None
) -> PrivacyRequest:
    """Use an SMS code sent to ``phone`` (a national number is read with ``country``, as
    the request form reads it). Wrong codes count against every live code for that
    number; after the limit the code stops working."""
    now = now or timezone.now()
    try:
        e164 = parse_phone(phone, default_region=_phone_region(country)).e164
    except ValidationError:
        raise VerificationFailed("This code is not valid.") from None
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    with transaction.atomic():
        live = list(
            VerificationChallenge.objects.select_for_update()
            .select_related("request")
            .filter(
                channel=VerificationChallenge.Channel.SMS,
                used_at__isnull=True,
                expires_at__gt=now,
                failed_attempts__lt=settings.REQUESTS_VERIFICATION_CODE_MAX_ATTEMPTS,
                request__phone=e164,
                request__status=Status.AWAITING_VERIFICATION,
            )
        )
        for challenge in live:
            if challenge.secret_hash == sms_code_hash(request_id=challenge.request_id, code=code):
                VerificationChallenge.objects.filter(pk=challenge.pk).update(used_at=now)
                return privacy_request_verified(
                    actor=None,
                    request=challenge.request,
                    method=VerificationMethod.SMS_CODE,
                    now=now,
                )
    # Counted outside the failed block so the attempt sticks.
    for challenge in live:
        VerificationChallenge.objects.filter(pk=challenge.pk).update(
            failed_attempts=challenge.failed_attempts + 1
        )
    raise VerificationFailed("This code is not valid.")


@transaction.atomic
def privacy_request_verify_manually(
    *, actor: AbstractBaseUser | None, request: PrivacyRequest, method: str
) -> PrivacyRequest:
    """Staff confirmed the identity another way (method recorded)."""
    if method not in VerificationMethod.values or method in (
        VerificationMethod.EMAIL_LINK,
        VerificationMethod.SMS_CODE,
    ):
        raise ValidationError("Choose how the identity was verified.")
    request = PrivacyRequest.objects.select_for_update().get(pk=request.pk)
    VerificationChallenge.objects.filter(request=request, used_at__isnull=True).update(
        expires_at=timezone.now()
    )
    return privacy_request_verified(actor=actor, request=request, method=method)
