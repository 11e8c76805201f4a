"""Sending notices, one path for e-mail and SMS: ``notice_send(channel=…)``.

In the caller's transaction a notice is checked against the suppression list and the
person's opt-outs (``consent.selectors.outbound_block_reason``), then queued as a
``NoticeDelivery`` row and a Celery task (``requests_app.tasks.notice_deliver``) through
privacy's transactional outbox. The task renders it from the editable ``NoticeTemplate``
(or the default in ``requests_app.notices``), mints any single-use secret itself (a
verification link or code, a transfer confirmation link: only their hashes are stored),
sends it (``send_mail`` with ``EMAIL_TIMEOUT``, or the consent app's SMS gateway from
``REQUESTS_SMS_FROM_NUMBER``) with bounded retries, and records on the timeline that it
was sent — or, after the last retry, that it was not. Nothing is sent in the web
process, so a mail server that hangs never holds a visitor's request.

The channel: a requester who gave an e-mail address (or whose agent did) is written to
by e-mail; one who gave only a phone number gets the short SMS version of the notice,
with the status-page link (docs/requests.md, "Notices and channels")."""

from __future__ import annotations

import datetime as dt
import decimal
import logging
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.template import Context, Engine
from django.urls import reverse

from privacy.services import staff_user, task_enqueue
from requests_app import timeline
from requests_app.models import (
    NoticeDelivery,
    NoticeTemplate,
    PrivacyRequest,
    RequestType,
    VerificationChallenge,
    VerificationMethod,
)
from requests_app.notices import DEFAULT_NOTICES, ORGANISATION
from requests_app.tokens import derive_token

logger = logging.getLogger(__name__)
_ENGINE = Engine(autoescape=False)

EMAIL = NoticeDelivery.Channel.EMAIL
SMS = NoticeDelivery.Channel.SMS
#: Notices that exist only as a text message.
SMS_ONLY = {"verification_sms"}


def public_url(path: str) -> str:
    return settings.REQUESTS_PUBLIC_BASE_URL.rstrip("/") + path


def status_token(request: PrivacyRequest) -> str:
    return derive_token(purpose="status", ident=request.reference, salt=request.status_token_salt)


def status_url(request: PrivacyRequest) -> str:
    return public_url(reverse("requests_app:status", args=[status_token(request)]))


def _render(source: str, ctx: Context) -> str:
    return _ENGINE.from_string(source).render(ctx)


def notice_render(code: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body) of the e-mail version of a notice."""
    row = NoticeTemplate.objects.filter(code=code).first()
    if row is not None:
        subject_src, body_src = row.subject, row.body
    else:
        subject_src, body_src = DEFAULT_NOTICES[code]["subject"], DEFAULT_NOTICES[code]["body"]
    ctx = Context({"organisation": ORGANISATION, **context})
    subject = " ".join(_render(subject_src, ctx).split())
    return subject, _render(body_src, ctx)


def _sms_source(code: str) -> str:
    """The SMS text of a notice: what staff wrote, else the default; "" when the notice
    has no SMS version."""
    row = NoticeTemplate.objects.filter(code=code).first()
    if row is not None and row.sms_body.strip():
        return row.sms_body
    if code in SMS_ONLY:
        return row.body if row is not None else DEFAULT_NOTICES[code]["body"]
    return DEFAULT_NOTICES.get(code, {}).get("sms", "")


def notice_has_sms(code: str) -> bool:
    return bool(_sms_source(code))


def notice_render_sms(code: str, context: Mapping[str, Any]) -> str:
    """The text-message version of a notice, on one line."""
    ctx = Context({"organisation": ORGANISATION, **context})
    return " ".join(_render(_sms_source(code), ctx).split())


def request_context(request: PrivacyRequest) -> dict[str, Any]:
    """Variables every notice gets. The authority is the one of the request's own rule
    (the law it was routed to), so a denial names where the person can complain."""
    rule = request.rule
    authority = rule.authority
    return {
        "reference": request.reference,
        "request_type": request.get_request_type_display().split(" (")[0].lower(),
        "rule_name": rule.name,
        "received_on": request.received_at.date(),
        "due_on": request.effective_due_on,
        "status_url": status_url(request),
        "is_appeal": request.request_type == RequestType.APPEAL,
        "authority_name": authority.name if authority else "",
        "authority_url": authority.url if authority else "",
        "authority_how": authority.how if authority else "",
    }


def notice_channel(request: PrivacyRequest) -> str | None:
    """The channel the requester gave: e-mail when there is an address (theirs or their
    agent's; with both an address and a number, e-mail — it carries the whole notice),
    else SMS when there is a phone number; None when there is neither."""
    if request.correspondence_email:
        return EMAIL
    if request.phone:
        return SMS
    return None


# --- the notice's variables, kept as JSON until the task sends it --------------------------


def context_dump(value: Any) -> Any:
    """JSON-safe form of a notice variable: dates, amounts and rows are tagged so the
    task gets them back as they were (rows by id, re-read when sending)."""
    if isinstance(value, Mapping):
        return {str(k): context_dump(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [context_dump(v) for v in value]
    if isinstance(value, dt.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"__decimal__": str(value)}
    if isinstance(value, models.Model):
        return {"__model__": value._meta.label, "pk": value.pk}
    return value


def context_load(value: Any) -> Any:
    if isinstance(value, list):
        loaded = [context_load(v) for v in value]
        return [v for v in loaded if v is not None]  # rows deleted meanwhile drop out
    if not isinstance(value, dict):
        return value
    if "__datetime__" in value:
        return dt.datetime.fromisoformat(value["__datetime__"])
    if "__date__" in value:
        return dt.date.fromisoformat(value["__date__"])
    if "__decimal__" in value:
        return decimal.Decimal(value["__decimal__"])
    if "__model__" in value:
        return apps.get_model(value["__model__"]).objects.filter(pk=value["pk"]).first()
    return {k: context_load(v) for k, v in value.items()}


# --- sending ---------------------------------------------------------------------------------


def notice_send(
    *,
    request: PrivacyRequest,
    code: str,
    actor: AbstractBaseUser | None = None,
    extra: Mapping[str, Any] | None = None,
    to: list[str] | None = None,
    public_message: str | None = None,
    channel: str | None = None,
    verification: VerificationChallenge | None = None,
    queue: bool = True,
) -> NoticeDelivery | None:
    """Queue notice ``code`` about ``request`` for the requester (or, with ``to``, by
    e-mail to someone else: a customer's privacy contact, a transfer recipient).

    ``channel`` ("email" or "sms") defaults to the one the requester gave
    (``notice_channel``). Returns the queued delivery, or None when nothing will be
    sent: no address or number, no SMS version of the notice, or the guard refused (the
    timeline says which, without the identifier). ``extra`` holds no secret: links with
    one are derived or minted by the task (``requests_app.services.notice_delivery``).
    Call it inside the transaction of the change the notice follows. ``queue=False``
    leaves the queueing to the caller: the public form queues one task per sending
    (``submission_notices_queue``), so a resubmission's web request does the same
    after-commit work as a fresh one."""
    person = to is None
    if person:
        channel = channel or notice_channel(request)
        if channel == EMAIL:
            recipients = [a for a in [request.correspondence_email] if a]
        elif channel == SMS:
            recipients = [p for p in [request.phone] if p]
        else:
            recipients = []
    else:
        channel = EMAIL
        recipients = [a for a in to if a]
    if channel not in (EMAIL, SMS) or not recipients:
        timeline.notice_not_sent(request=request, actor=actor, code=code, reason="no_address")
        return None
    if channel == SMS and not notice_has_sms(code):
        timeline.notice_not_sent(request=request, actor=actor, code=code, reason="no_sms_text")
        return None
    delivery = None
    for recipient in recipients:
        reason = outbound_block(channel=channel, to=recipient, request=request)
        if reason:
            timeline.notice_blocked(
                request=request, actor=actor, code=code, channel=channel, reason=reason
            )
            continue
        delivery = NoticeDelivery.objects.create(
            request=request,
            code=code,
            channel=channel,
            recipient=recipient,
            context=context_dump(dict(extra or {})),
            person_facing=person,
            public_message=(public_message or "")[:300],
            verification=verification,
            actor=staff_user(actor),
        )
        timeline.notice_queued(request=request, actor=actor, code=code, channel=channel)
        if queue:
            task_enqueue(task="requests_app.tasks.notice_deliver", args=[delivery.pk])
    return delivery


def identifier_proven(request: PrivacyRequest, channel: str) -> bool:
    """The requester proved control of the address or number this channel writes to:
    the request was verified by the link mailed to it or the code texted to it."""
    method = request.verification_method
    return request.verified_at is not None and (
        (channel == EMAIL and method == VerificationMethod.EMAIL_LINK)
        or (channel == SMS and method == VerificationMethod.SMS_CODE)
    )


def outbound_block(*, channel: str, to: str, request: PrivacyRequest | None = None) -> str | None:
    """The consent app's guard, as every outbound path asks it: the suppression list,
    "do not contact", and for SMS a STOP to our own requests number (or any sender).
    Our messages are asked about with no customer, so a suppression in any scope stops
    them — except the answers to a request the person proved through this very
    identifier (``identifier_proven``): the erasure they asked for suppresses them, and
    its confirmation must still reach them."""
    from consent.selectors import outbound_block_reason  # requests_app → consent seam

    sender = (settings.REQUESTS_SMS_FROM_NUMBER or None) if channel == SMS else None
    proven = request is not None and identifier_proven(request, channel)
    return outbound_block_reason(
        channel=channel, to=to, customer_id=None, sender=sender, proven=proven
    )
