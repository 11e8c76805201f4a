"""Sending notices: rendered from the editable ``NoticeTemplate`` (or the default in
``requests_app.notices``), recorded on the request's timeline inside the caller's
transaction, and handed to Django's e-mail backend only after that transaction commits.

Sending happens in the on-commit callback rather than a Celery task because some
notices carry a single-use secret (the verification link) that is never stored."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.template import Context, Engine
from django.urls import reverse

from requests_app import timeline
from requests_app.models import NoticeTemplate, PrivacyRequest, RequestType
from requests_app.notices import DEFAULT_NOTICES, ORGANISATION
from requests_app.tokens import derive_token

logger = logging.getLogger(__name__)
_ENGINE = Engine(autoescape=False)


def public_url(path: str) -> str:
    return settings.REQUESTS_PUBLIC_BASE_URL.rstrip("/") + path


def status_token(request: PrivacyRequest) -> str:
    return derive_token(purpose="status", ident=request.reference, salt=request.status_token_salt)


def status_url(request: PrivacyRequest) -> str:
    return public_url(reverse("requests_app:status", args=[status_token(request)]))


def notice_render(code: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body) of a notice."""
    row = NoticeTemplate.objects.filter(code=code).first()
    if row is not None:
        subject_src, body_src = row.subject, row.body
    else:
        subject_src, body_src = DEFAULT_NOTICES[code]["subject"], DEFAULT_NOTICES[code]["body"]
    ctx = Context({"organisation": ORGANISATION, **context})
    subject = " ".join(_ENGINE.from_string(subject_src).render(ctx).split())
    body = _ENGINE.from_string(body_src).render(ctx)
    return subject, body


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


def _send_after_commit(*, subject: str, body: str, to: list[str], log_ref: str, code: str) -> None:
    def send() -> None:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
        except Exception as exc:
            # Neither the address nor the error text (SMTP errors quote addresses) is
            # logged; the reference lets staff find the request.
            logger.error(
                "Notice %s for %s could not be sent: %s", code, log_ref, type(exc).__name__
            )

    transaction.on_commit(send)


def notice_send(
    *,
    request: PrivacyRequest,
    code: str,
    actor: AbstractBaseUser | None = None,
    extra: Mapping[str, Any] | None = None,
    to: list[str] | None = None,
    public_message: str | None = None,
) -> bool:
    """Send notice ``code`` about ``request`` to the person (or ``to``), record it on
    the timeline. Returns False when there is no address to send to."""
    recipients = to if to is not None else [a for a in [request.correspondence_email] if a]
    if not recipients:
        timeline.notice_not_sent(request=request, actor=actor, code=code)
        return False
    subject, body = notice_render(code, {**request_context(request), **(extra or {})})
    person = to is None
    timeline.notice_sent(
        request=request,
        actor=actor,
        code=code,
        subject=subject,
        public_message=(public_message or f"We sent you a message: {subject}") if person else "",
    )
    _send_after_commit(
        subject=subject, body=body, to=recipients, log_ref=request.reference, code=code
    )
    return True
