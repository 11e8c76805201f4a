"""Sending a queued notice: the work of ``requests_app.tasks.notice_deliver``.

The task renders the notice, mints the single-use secret it carries (a verification
link or code, a transfer recipient's confirmation link: only the hash is written, to
the challenge or transfer, in the same transaction that marks the notice sent),
derives download and appeal links (never stored: ``requests_app.tokens``), asks the outbound guard
again (a STOP or an erasure may have come in since it was queued), and sends it:
e-mail through Django's backend (bounded by ``EMAIL_TIMEOUT``), SMS through the consent
app's one gateway (``consent.sms.sms_gateway()``) from ``REQUESTS_SMS_FROM_NUMBER``.

Only a notice that actually left is recorded as sent (timeline), and only a sent
receipt marks the request acknowledged (timeline + audit). A failure raises
``NoticeNotSent`` for the task to retry with backoff; after the last retry
``notice_delivery_give_up`` tells staff. The address and variables are cleared once
the notice is sent or given up."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from privacy.services import task_enqueue
from requests_app import timeline
from requests_app.models import (
    NoticeDelivery,
    PackageTransfer,
    PrivacyRequest,
    VerificationChallenge,
)
from requests_app.services.deidentify import CLOSING_ANSWERS
from requests_app.services.notices import (
    EMAIL,
    context_load,
    notice_render,
    notice_render_sms,
    outbound_block,
    public_url,
    request_context,
    status_token,
)
from requests_app.tokens import random_token, sms_code, sms_code_hash, token_hash

logger = logging.getLogger(__name__)


class NoticeNotSent(Exception):
    """Sending failed (the message names the error's type only); the task retries."""


def _minted(delivery: NoticeDelivery, context: dict[str, Any]) -> dict[str, Any] | None:
    """The secret links/codes of this notice, minted now (their hashes replace the
    stored ones), and the derived download links. None: the secret is no longer wanted
    (the challenge was used, replaced or expired), so nothing is sent."""
    now = timezone.now()
    out: dict[str, Any] = {}
    challenge = delivery.verification
    if delivery.verification_id is not None or delivery.code.startswith("verification_"):
        if challenge is None or challenge.used_at is not None or challenge.expires_at <= now:
            return None
        if challenge.channel == VerificationChallenge.Channel.EMAIL:
            secret = random_token()
            challenge.secret_hash = token_hash(secret)
            out["verify_url"] = public_url(reverse("requests_app:verify", args=[secret]))
        else:
            code = sms_code()
            challenge.secret_hash = sms_code_hash(request_id=challenge.request_id, code=code)
            out["code"] = code
            out["code_url"] = public_url(reverse("requests_app:verify_code"))
        challenge.save(update_fields=["secret_hash"])
    if context.pop("appeal", False):
        # The appeal form's link carries the status token: derived now, never stored.
        out["appeal_url"] = public_url(
            reverse("requests_app:appeal", args=[status_token(delivery.request)])
        )
    confirm = [t for t in context.pop("confirm_transfers", []) if t is not None]
    if confirm:
        secret = random_token()
        PackageTransfer.objects.filter(pk__in=[t.pk for t in confirm]).update(
            confirm_hash=token_hash(secret)
        )
        out["confirm_url"] = public_url(reverse("requests_app:transfer_confirm", args=[secret]))
    downloads = context.pop("download_transfers", None)
    if downloads is not None:
        from requests_app.services.transfers import transfer_download_url

        out["download_url"] = "\n".join(transfer_download_url(t) for t in downloads)
    packages = context.pop("download_packages", None)
    if packages is not None:
        from requests_app.services.packages import download_url

        out["download_urls"] = [download_url(p) for p in packages]
    return out


def _send(delivery: NoticeDelivery, context: dict[str, Any]) -> None:
    if delivery.channel == EMAIL:
        subject, body = notice_render(delivery.code, context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [delivery.recipient])
        return
    from consent.sms import OutboundSms, sms_gateway  # the one SMS gateway

    if not settings.REQUESTS_SMS_FROM_NUMBER:
        raise ImproperlyConfigured("REQUESTS_SMS_FROM_NUMBER is not set.")
    body = notice_render_sms(delivery.code, context)
    sms_gateway().send(
        OutboundSms(to=delivery.recipient, sender=settings.REQUESTS_SMS_FROM_NUMBER, body=body)
    )


def _cleared(delivery_id: int, **fields: Any) -> None:
    NoticeDelivery.objects.filter(pk=delivery_id).update(recipient="", context={}, **fields)


def _claim_lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.REQUESTS_NOTICE_CLAIM_SECONDS)


def notice_delivery_send(*, delivery_id: int, now: dt.datetime | None = None) -> bool:
    """Send one queued notice; True when it was sent now. Idempotent: a notice already
    sent or given up, whose row is gone, or that another worker has claimed (within
    ``REQUESTS_NOTICE_CLAIM_SECONDS``) does nothing. Raises ``NoticeNotSent`` when
    sending failed (the attempt is counted; the task retries).

    Three steps, so no transaction is open while the mail server or gateway is talked to
    and a secret that may have left is never rolled back: (1) in one short transaction,
    lock the row, ask the guard, mint the secret (its hash committed) and claim the row
    (``claimed_at``, the attempt counted); (2) send, outside any transaction; (3) in a
    second transaction, record it sent (address cleared, timeline, acknowledgement).
    At least once: if (3) fails or the worker dies between (2) and (3), the row is still
    unsent and a retry or the sweep (``notice_deliveries_requeue``, after the claim
    lapsed) sends it again, with a freshly minted secret that replaces the first one's
    hash. Never twice at the same time: the claim keeps other workers off it."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            NoticeDelivery.objects.select_for_update(of=("self",))
            .select_related("request", "verification")
            .filter(pk=delivery_id, sent_at__isnull=True, given_up_at__isnull=True)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - _claim_lease()))
            .first()
        )
        if delivery is None:
            return False
        request = delivery.request
        if request.deidentified_at is not None and (
            delivery.code not in CLOSING_ANSWERS or not delivery.recipient
        ):
            # Belt and braces: de-identifying gives these up already. Only the closing
            # answer queued just before it still goes to the person (deidentify.py).
            timeline.notice_not_sent(
                request=request, actor=None, code=delivery.code, reason="deidentified"
            )
            _cleared(delivery.pk, given_up_at=now, last_error="deidentified", claimed_at=None)
            return False
        reason = outbound_block(channel=delivery.channel, to=delivery.recipient, request=request)
        if reason:
            timeline.notice_blocked(
                request=request,
                actor=None,
                code=delivery.code,
                channel=delivery.channel,
                reason=reason,
            )
            _cleared(delivery.pk, given_up_at=now, last_error=reason, claimed_at=None)
            return False
        context = {**request_context(request), **context_load(delivery.context)}
        minted = _minted(delivery, context)
        if minted is None:
            timeline.notice_not_sent(
                request=request, actor=None, code=delivery.code, reason="superseded"
            )
            _cleared(delivery.pk, given_up_at=now, last_error="superseded", claimed_at=None)
            return False
        attempts = delivery.attempts + 1
        NoticeDelivery.objects.filter(pk=delivery.pk).update(claimed_at=now, attempts=attempts)
    try:
        _send(delivery, {**context, **minted})
    except Exception as exc:
        error = type(exc).__name__[:100]
        # Neither the address nor the error text (SMTP and SMS errors quote them).
        logger.warning(
            "Notice %s (delivery id=%s) for %s not sent: %s",
            delivery.code,
            delivery.pk,
            request.reference,
            error,
        )
        # The claim is released: the retry mints another secret (its hash replaces this one's).
        NoticeDelivery.objects.filter(pk=delivery_id, sent_at__isnull=True).update(
            claimed_at=None, last_error=error
        )
        raise NoticeNotSent(error) from exc
    with transaction.atomic():
        sent_at = now
        _cleared(delivery.pk, sent_at=sent_at, claimed_at=None, last_error="")
        timeline.notice_sent(
            request=request,
            actor=delivery.actor,
            code=delivery.code,
            channel=delivery.channel,
            person_facing=delivery.person_facing,
            public_message=delivery.public_message,
        )
        if delivery.code == "receipt":
            _acknowledge(request, at=sent_at)
    return True


def notice_delivery_failed(*, delivery_id: int, error: str) -> None:
    """An unexpected error (not a sending failure) in ``notice_delivery_send``: count the
    attempt if it was not counted (the claim was rolled back), release a claim, and
    keep the error's type for staff. The task then retries like any failure."""
    rows = NoticeDelivery.objects.filter(
        pk=delivery_id, sent_at__isnull=True, given_up_at__isnull=True
    )
    rows.filter(claimed_at__isnull=True).update(attempts=F("attempts") + 1, last_error=error[:100])
    rows.filter(claimed_at__isnull=False).update(claimed_at=None, last_error=error[:100])


def _acknowledge(request: PrivacyRequest, *, at: dt.datetime) -> None:
    """Acknowledged only now that the receipt actually left (never when it was queued)."""
    if PrivacyRequest.objects.filter(pk=request.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=at
    ):
        timeline.acknowledged(request=request)


@transaction.atomic
def notice_delivery_give_up(*, delivery_id: int, now: dt.datetime | None = None) -> bool:
    """After the last retry: record that the notice was NOT sent (staff see it on the
    timeline) and clear the address. True when it was given up now."""
    delivery = (
        NoticeDelivery.objects.select_for_update(of=("self",))
        .select_related("request")
        .filter(pk=delivery_id, sent_at__isnull=True, given_up_at__isnull=True)
        .first()
    )
    if delivery is None:
        return False
    _cleared(delivery.pk, given_up_at=now or timezone.now(), claimed_at=None)
    timeline.notice_failed(
        request=delivery.request,
        code=delivery.code,
        channel=delivery.channel,
        attempts=delivery.attempts,
        error=delivery.last_error or "unknown error",
    )
    return True


#: The notices a sending of the form writes without queueing them (``queue=False``).
SUBMISSION_NOTICES = ("receipt", "verification_email", "verification_sms")


def submission_notices_queue(*, submission_id: int) -> int:
    """Queue the sending task of each notice a sending of the form wrote (receipts, the
    verification link or code), in the worker; returns how many. Notices already tried
    are left to their own retries."""
    pending = NoticeDelivery.objects.filter(
        request__submissions=submission_id,
        code__in=SUBMISSION_NOTICES,
        sent_at__isnull=True,
        given_up_at__isnull=True,
        attempts=0,
    ).order_by("pk")
    ids = list(pending.values_list("pk", flat=True))
    with transaction.atomic():
        for delivery_id in ids:
            task_enqueue(task="requests_app.tasks.notice_deliver", args=[delivery_id])
    return len(ids)


NOTICE_TASK = "requests_app.tasks.notice_deliver"


def notice_deliveries_requeue(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The sweep (``REQUESTS_NOTICE_STALE_MINUTES``): a notice neither sent nor given up
    long after it was queued (longer than the whole retry window), not claimed by a
    worker (or its claim lapsed) and with no task still waiting in the outbox (the relay
    publishes those) lost its task — a worker died, the task failed for good. Queue it
    again; one that already used up its attempts is given up (staff are told)."""
    now = now or timezone.now()
    from privacy.models import OutboxTask

    waiting = {
        args[0]
        for args in OutboxTask.objects.filter(task=NOTICE_TASK, sent_at__isnull=True).values_list(
            "args", flat=True
        )
        if args
    }
    stale = (
        NoticeDelivery.objects.filter(
            sent_at__isnull=True,
            given_up_at__isnull=True,
            queued_at__lte=now - dt.timedelta(minutes=settings.REQUESTS_NOTICE_STALE_MINUTES),
        )
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - _claim_lease()))
        .order_by("pk")
        .values_list("pk", "attempts")
    )
    report = {"requeued": 0, "given_up": 0}
    for delivery_id, attempts in stale:
        if delivery_id in waiting:
            continue
        if attempts > settings.REQUESTS_NOTICE_MAX_RETRIES:
            report["given_up"] += notice_delivery_give_up(delivery_id=delivery_id, now=now)
            continue
        with transaction.atomic():
            task_enqueue(task=NOTICE_TASK, args=[delivery_id])
        report["requeued"] += 1
    if any(report.values()):
        logger.info("Stale notices %s", report)
    return report
