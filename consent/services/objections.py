"""Objection to processing (GDPR Art. 21), per purpose: the person objects to what we
do on the basis of legitimate interests (sale/sharing, profiling…) or to direct
marketing. An objection is a ledger event of its own (action "object"); it stops the
purpose as a withdrawal does, whatever was granted or assumed before, and the consent
check answers ``objected``.

An objection to direct marketing (Art. 21(2)-(3)) is absolute: it sets the contact's
"do not contact" and objects to every marketing purpose. Interface for requests_app
(an upheld objection request) and for staff."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from consent.models import Channel, ConsentEvent, ConsentState, Purpose
from consent.services.ledger import _event_build, _events_save
from privacy.audit_actions import AuditAction
from privacy.models import Contact, ContactIdentifier
from privacy.services import audit_event_record, contact_update

Method = ConsentEvent.Method


@dataclass
class ObjectionResult:
    purposes: list[str] = field(default_factory=list)
    events: int = 0
    do_not_contact_set: bool = False


def objection_purposes(*, purpose_codes: list[str] | None, direct_marketing: bool) -> list[Purpose]:
    """The active purposes an objection covers: the codes named (``None``: every
    purpose), plus every marketing purpose for an objection to direct marketing. Cookie
    purposes are a browser's, not a person's: a cookie banner choice answers them."""
    purposes = Purpose.objects.filter(is_active=True).exclude(channel=Channel.WEB)
    if purpose_codes is None:
        return list(purposes.order_by("code"))
    wanted = set(purpose_codes)
    unknown = wanted - set(purposes.filter(code__in=wanted).values_list("code", flat=True))
    if unknown:
        raise ValidationError("Unknown purpose in the objection.", code="purpose_unknown")
    chosen = purposes.filter(code__in=wanted)
    if direct_marketing:
        chosen = chosen | purposes.filter(is_marketing=True)
    return list(chosen.distinct().order_by("code"))


@transaction.atomic
def contact_objection_record(
    *,
    actor: AbstractBaseUser | None,
    contact: Contact,
    purpose_codes: list[str] | None,
    direct_marketing: bool = False,
    method: str = Method.PRIVACY_REQUEST,
    reference: str = "",
) -> ObjectionResult:
    """Record the contact's objection to each purpose (``None``: every purpose, direct
    marketing included) and, for direct marketing, set "do not contact".

    Per purpose, one "object" event per identifier the purpose names (each of the
    contact's addresses for e-mail purposes, each number for SMS ones, every sender),
    or one for the person as a whole: whatever was granted, withdrawn or assumed (a
    legitimate interest needs no grant), from now on the check answers ``objected``.
    Keys already objected are left as they are (safe to run twice). SMS subscriptions
    of the numbers are opted out in the same writes."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.erased_at:
        raise ValidationError("This contact has been erased.", code="erased")
    if purpose_codes is None:
        direct_marketing = True
    purposes = objection_purposes(purpose_codes=purpose_codes, direct_marketing=direct_marketing)
    identifiers: dict[str, list[str]] = defaultdict(list)
    for kind, match_key in (
        ContactIdentifier.objects.filter(contact=contact)
        .order_by("id")
        .values_list("kind", "match_key")
    ):
        identifiers[kind].append(match_key)
    already = set(
        ConsentState.objects.filter(contact=contact, sender="", objected=True).values_list(
            "purpose_id", "identifier"
        )
    )
    now = timezone.now()
    # One decision per identifier (its purposes written together), as STOP writes them.
    decisions: dict[str, list[ConsentEvent]] = defaultdict(list)
    for purpose in purposes:
        if purpose.is_per_identifier:
            kind = "email" if purpose.channel == Channel.EMAIL else "phone"
            keys = identifiers[kind]
        else:
            keys = [""]
        for key in keys:
            if (purpose.pk, key) in already:
                continue
            decisions[key].append(
                _event_build(
                    actor=actor,
                    purpose=purpose,
                    action=ConsentEvent.Action.OBJECT,
                    method=method,
                    contact=contact,
                    identifier=key,
                    sender="",
                    occurred_at=now,
                    reference=reference,
                )
            )
    written = 0
    for events in decisions.values():
        written += len(_events_save(events))
    dnc_set = False
    if direct_marketing and not contact.do_not_contact:
        dnc_set = bool(
            contact_update(
                actor=actor,
                contact=contact,
                reason="objection to direct marketing",
                do_not_contact=True,
            )
        )
    result = ObjectionResult(
        purposes=[p.code for p in purposes], events=written, do_not_contact_set=dnc_set
    )
    audit_event_record(
        actor=actor,
        action=AuditAction.CONSENT_OBJECTION_RECORDED,
        object_type="contact",
        object_id=contact.pk,
        summary={
            "purposes": result.purposes,
            "events": written,
            "direct_marketing": direct_marketing,
            "do_not_contact_set": dnc_set,
            "method": method,
        },
    )
    return result
