"""Verifying who sent a privacy request: the e-mailed link or SMS code (one for a whole
submission: using it verifies every request of the submission still awaiting it), staff
verifying by other means, and what follows verification (the clock where it starts at
verification, the queued processing). Split from ``intake`` (receiving requests)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from privacy.identifiers import parse_phone
from privacy.services import task_enqueue
from requests_app import deadlines
from requests_app.models import (
    PrivacyRequest,
    Status,
    Submission,
    VerificationChallenge,
    VerificationMethod,
)
from requests_app.rules import (
    CLOCK_VERIFICATION,
)
from requests_app.services.notices import notice_send
from requests_app.services.transitions import privacy_request_transition
from requests_app.tokens import (
    random_token,
    sms_code_hash,
    token_hash,
)

logger = logging.getLogger(__name__)


def _phone_region(country: str | None) -> str:
    """The region a national phone number is read in: where the person says they live."""
    return country or "US"


class VerificationFailed(ValidationError):
    """The link or code is wrong, used or expired. The message never says which."""


def verification_challenge_issue(
    *,
    request: PrivacyRequest,
    submission: Submission | None = None,
    now: dt.datetime | None = None,
) -> VerificationChallenge:
    """Send a new link (e-mail) or code (SMS when there is no e-mail). Earlier ones keep
    working until they expire: anyone can send the form again with the person's address,
    and that must not break the link the person was sent (``intake`` re-sends at most
    once per ``REQUESTS_RESEND_WINDOW_MINUTES``). With a ``submission``, using it
    verifies every request of the submission that still awaits verification."""
    now = now or timezone.now()
    by_email = bool(request.email)
    # The hash of a placeholder that is never sent: the sending task mints the real
    # link or code and replaces it, so the secret is never stored nor queued.
    challenge = VerificationChallenge.objects.create(
        request=request,
        submission=submission,
        channel=VerificationChallenge.Channel.EMAIL
        if by_email
        else VerificationChallenge.Channel.SMS,
        secret_hash=token_hash(random_token()),
        created_at=now,
        expires_at=now
        + (
            dt.timedelta(hours=settings.REQUESTS_VERIFICATION_LINK_HOURS)
            if by_email
            else dt.timedelta(minutes=settings.REQUESTS_VERIFICATION_CODE_MINUTES)
        ),
    )
    if by_email:
        notice_send(
            request=request,
            code="verification_email",
            to=[request.email],
            verification=challenge,
            queue=submission is None,  # a form sending queues its notices together
            extra={
                "expires_at": timezone.localtime(challenge.expires_at).strftime("%Y-%m-%d %H:%M %Z")
            },
        )
    else:
        # Phone only: the code by SMS, through the same guard and gateway as every
        # notice. A number that texted STOP or was suppressed gets nothing; the
        # timeline and status page say so, and e-mail still works.
        notice_send(
            request=request,
            code="verification_sms",
            channel="sms",
            verification=challenge,
            queue=submission is None,  # a form sending queues its notices together
            public_message="We sent you a code by text message.",
        )
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
    # Through the outbox, in this transaction: with the broker down the person still
    # gets the normal page, and the relay queues the work once the broker is back.
    task_enqueue(task="requests_app.tasks.process_request", args=[request.pk])
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
    return _challenge_verified(challenge, method=VerificationMethod.EMAIL_LINK, now=now)


def _challenge_verified(
    challenge: VerificationChallenge, *, method: str, now: dt.datetime
) -> PrivacyRequest:
    """Verify the challenge's request and, for a submission's challenge, every other
    request of the submission still awaiting verification (one confirmation for all)."""
    verified = privacy_request_verified(
        actor=None, request=challenge.request, method=method, now=now
    )
    if challenge.submission_id:
        others = (
            PrivacyRequest.objects.select_for_update()
            .filter(submissions=challenge.submission_id, status=Status.AWAITING_VERIFICATION)
            .exclude(pk=challenge.request_id)
            .order_by("pk")
        )
        for other in others:
            privacy_request_verified(actor=None, request=other, method=method, now=now)
    return verified


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
                return _challenge_verified(challenge, method=VerificationMethod.SMS_CODE, now=now)
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
