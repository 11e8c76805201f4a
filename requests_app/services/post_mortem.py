"""Instructions about one's data after death (France: Loi n° 78-17 "Informatique et
Libertés", art. 85). A person may give the controller "directives particulières" on
the keeping, erasure and communication of their data after their death, name the person
who is to carry them out, and change or revoke them at any time.

Here they are a privacy request of type ``post_mortem``: the person's own words are the
request's details, the wishes and the person to contact are recorded with it
(``post_mortem_instructions_record``, from the public form or staff intake), the
identity is verified like any request, and a staff member acknowledges them
(``post_mortem_instructions_acknowledge``), which completes the request with a notice
that repeats what was recorded. Newer acknowledged instructions of the same person
supersede older ones."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from privacy.identifiers import normalize_email, parse_phone
from privacy.services import staff_user
from requests_app import timeline
from requests_app.models import (
    PostMortemInstructions,
    PrivacyRequest,
    RequestType,
    Status,
)
from requests_app.services.decisions import privacy_request_complete
from requests_app.services.transitions import privacy_request_lock


def _contact_clean(contact: str, country: str) -> str | None:
    contact = (contact or "").strip()
    if not contact:
        return None
    try:
        return (
            normalize_email(contact)
            if "@" in contact
            else parse_phone(contact, default_region=country or "FR").e164
        )
    except ValidationError:
        raise ValidationError(
            {"trusted_person_contact": "Give the person's e-mail address or phone number."}
        ) from None


@transaction.atomic
def post_mortem_instructions_record(
    *,
    actor: AbstractBaseUser | None,
    request: PrivacyRequest,
    wishes: str = PostMortemInstructions.Wishes.OTHER,
    trusted_person_name: str = "",
    trusted_person_contact: str = "",
) -> PostMortemInstructions:
    """Record (or correct, while the request is open) the wishes and the person to
    contact of a ``post_mortem`` request."""
    request = privacy_request_lock(request)
    if request.request_type != RequestType.POST_MORTEM:
        raise ValidationError("Only requests of instructions after death record them.")
    if not request.is_open:
        raise ValidationError(f"Request {request.reference} is closed; send new instructions.")
    if wishes not in PostMortemInstructions.Wishes.values:
        raise ValidationError({"wishes": "Choose what should happen to your data."})
    contact = _contact_clean(trusted_person_contact, request.country)
    instructions, created = PostMortemInstructions.objects.update_or_create(
        request=request,
        defaults={
            "wishes": wishes,
            "trusted_person_name": (trusted_person_name or "").strip()[:200] or None,
            "trusted_person_contact": contact,
        },
    )
    timeline.post_mortem_recorded(
        request=request,
        actor=actor,
        wishes=wishes,
        trusted_person=bool(contact or instructions.trusted_person_name),
        created=created,
    )
    return instructions


@transaction.atomic
def post_mortem_instructions_acknowledge(
    *, actor: AbstractBaseUser | None, request: PrivacyRequest
) -> PrivacyRequest:
    """Staff acknowledge the instructions: they are registered (earlier ones of the same
    person are superseded) and the request completes with a notice that repeats them."""
    request = privacy_request_lock(request)
    if request.request_type != RequestType.POST_MORTEM:
        raise ValidationError("Only instructions after death are acknowledged here.")
    if request.status not in (Status.IN_PROGRESS, Status.RELAYED):
        raise ValidationError(
            "Instructions are acknowledged once the identity is verified and the request is in progress."
        )
    now = timezone.now()
    instructions, _ = PostMortemInstructions.objects.get_or_create(request=request)
    PostMortemInstructions.objects.filter(pk=instructions.pk).update(
        acknowledged_at=now, acknowledged_by=staff_user(actor)
    )
    same_person = Q(pk__in=[])
    if request.email_key:
        same_person |= Q(request__email_key=request.email_key)
    if request.phone:
        same_person |= Q(request__phone=request.phone)
    superseded = (
        PostMortemInstructions.objects.filter(same_person, acknowledged_at__isnull=False)
        .exclude(pk=instructions.pk)
        .filter(superseded_at__isnull=True)
        .update(superseded_at=now)
    )
    timeline.post_mortem_acknowledged(request=request, actor=actor, superseded=superseded)
    instructions.refresh_from_db()
    who = instructions.trusted_person_name or "nobody named"
    message = (
        "We have registered your instructions about your personal data after your death "
        f"(French law, Loi Informatique et Libertés art. 85). What you asked: "
        f"{instructions.get_wishes_display()}. Person to contact: {who}. "
        "You can change or revoke these instructions at any time by sending new ones."
    )
    return privacy_request_complete(actor=actor, request=request, message=message)
