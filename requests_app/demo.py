"""Demo privacy requests for ``manage.py seed_demo``: every type and status, deadlines
spread from overdue to weeks away, relays, an extension and a denial. Built with the
services where a status changes, so timelines and audit rows are real."""

from __future__ import annotations

import contextlib
import datetime as dt
import random

from django.core.exceptions import ValidationError
from django.utils import timezone

from requests_app import services
from requests_app.models import PrivacyRequest, RequestType

_PLACES = [
    ("US", "CA"),
    ("US", "VA"),
    ("US", "CO"),
    ("DE", ""),
    ("GB", ""),
    ("US", "NY"),
    ("FR", ""),
]
_TYPES = [t for t in RequestType.values if t != RequestType.APPEAL]


def seed_demo_requests(*, contacts: list, rng: random.Random) -> dict:
    """Create about 40 requests for some of ``contacts`` (and a few unknown people)."""
    counts: dict[str, int] = {}
    people = [c for c in contacts if getattr(c, "email", None)]
    rng.shuffle(people)
    for index in range(40):
        contact = people[index] if index < len(people) and index % 5 else None
        email = contact.email if contact else f"unknown{index}@example.org"
        country, state = rng.choice(_PLACES)
        request_type = rng.choice(_TYPES)
        received = timezone.now() - dt.timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 23))
        result = services.privacy_request_submit(
            actor=None,
            request_type=request_type,
            country=country,
            state=state,
            full_name="Demo Requester",
            email=email,
            now=received,
        )
        request = result.request
        if not result.created:
            continue
        if request.status == "awaiting_verification" and rng.random() < 0.7:
            request = services.privacy_request_verify_manually(
                actor=None, request=request, method="id_document"
            )
            services.privacy_request_process(actor=None, request_id=request.pk)
            request.refresh_from_db()
        if request.status == "in_progress" and rng.random() < 0.2:
            request = services.privacy_request_deny(actor=None, request=request, reason="excessive")
        elif request.status == "in_progress" and rng.random() < 0.2:
            # Refused where the rule allows none or the deadline has passed: fine here.
            with contextlib.suppress(ValidationError):
                services.privacy_request_extend(
                    actor=None, request=request, reason="Records in several systems"
                )
        status = PrivacyRequest.objects.get(pk=request.pk).status
        counts[status] = counts.get(status, 0) + 1
    return counts
