"""What sending the form again for an open request does, so that nobody learns from it
whether the request exists (issue 11; ``intake`` runs it): ``kept_if`` runs a branch
in a savepoint and keeps it only if it applies, so both branches of such a choice do the
same work; ``verification_due`` allows one re-send of the link or code per
``REQUESTS_RESEND_WINDOW_MINUTES``; ``duplicate_link`` counts the resubmission on the
open request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction

from requests_app import timeline
from requests_app.models import PrivacyRequest, VerificationChallenge


@contextmanager
def kept_if(keep: bool) -> Iterator[None]:
    """Run the block in a savepoint and keep its writes only if ``keep``; otherwise roll
    them back, with the mail and tasks it queued for after the commit. For choices the
    public must not learn: both branches run, so the work is the same whichever is kept
    (a kept savepoint ends in RELEASE, a rolled-back one in ROLLBACK TO + RELEASE; one of
    each either way)."""
    with transaction.atomic():
        yield
        if not keep:
            transaction.set_rollback(True)


def verification_due(awaiting: list[PrivacyRequest], *, now: dt.datetime) -> bool:
    """Whether to send a link or code now: yes unless every request awaiting it already
    has a live one sent within the re-send window (always yes for a new request)."""
    since = now - dt.timedelta(minutes=settings.REQUESTS_RESEND_WINDOW_MINUTES)
    recent = set(
        VerificationChallenge.objects.filter(
            request_id__in=[request.pk for request in awaiting],
            created_at__gt=since,
            used_at__isnull=True,
            expires_at__gt=now,
        ).values_list("request_id", flat=True)
    )
    return any(request.pk not in recent for request in awaiting)


def duplicate_link(existing: PrivacyRequest, *, now: dt.datetime) -> PrivacyRequest:
    PrivacyRequest.objects.filter(pk=existing.pk).update(
        duplicate_count=existing.duplicate_count + 1
    )
    timeline.duplicate_linked(request=existing)
    # Still unverified: the submission's verification (issued by the caller) covers it.
    existing.refresh_from_db()
    return existing
