"""Processing a verified request: matching contacts by its identifiers, relaying the
parts of customers' contacts to those customers (processor mode) and recording their
answers, and fulfilling our own part by request type."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from privacy.models import Contact, ContactIdentifier
from privacy.services import contact_restrict, contact_sensitive_use_limit, staff_user
from requests_app import timeline
from requests_app.models import (
    PrivacyRequest,
    Relay,
    RequestMatch,
    RequestType,
    Status,
)
from requests_app.selectors import PACKAGE_TYPES
from requests_app.services.decisions import privacy_request_auto_complete
from requests_app.services.notices import notice_send
from requests_app.services.packages import export_package_create
from requests_app.services.transitions import (
    privacy_request_lock,
    privacy_request_transition,
)


def contacts_match(request: PrivacyRequest) -> list[RequestMatch]:
    """Find contacts across all customers by the request's verified identifiers."""
    keys = []
    if request.email_key:
        keys.append(("email", request.email_key))
    if request.phone:
        keys.append(("phone", request.phone))
    condition = Q(pk__in=[])
    for kind, key in keys:
        condition |= Q(kind=kind, match_key=key)
    rows = (
        ContactIdentifier.objects.filter(condition, contact__erased_at__isnull=True)
        .values_list("contact_id", "contact__customer_id", "kind")
        .order_by("contact_id")
    )
    matches: dict[int, RequestMatch] = {}
    for contact_id, customer_id, kind in rows:
        matches.setdefault(
            contact_id,
            RequestMatch(
                request=request, contact_id=contact_id, customer_id=customer_id, matched_on=kind
            ),
        )
    RequestMatch.objects.bulk_create(matches.values(), ignore_conflicts=True)
    return list(request.matches.select_related("contact"))


@transaction.atomic
def privacy_request_process(*, actor: AbstractBaseUser | None, request_id: int) -> None:
    """After verification: match, relay the customers' parts, fulfil our own part.
    Does nothing unless the request is verified (safe to run twice)."""
    request = PrivacyRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None or request.status != Status.VERIFIED:
        return
    matches = contacts_match(request)
    timeline.contacts_matched(request=request, actor=actor, count=len(matches))
    request = privacy_request_transition(
        actor=actor,
        request=request,
        to_status=Status.IN_PROGRESS,
        summary={"matched": len(matches)},
    )
    by_customer: dict[int, list[int]] = {}
    for match in matches:
        if match.customer_id:
            by_customer.setdefault(match.customer_id, []).append(match.contact_id)
    for customer_id, contact_ids in sorted(by_customer.items()):
        relay = Relay.objects.create(request=request, customer_id=customer_id)
        _relay_notify(request=request, relay=relay, contact_ids=contact_ids, actor=actor)
    if by_customer:
        notice_send(request=request, code="relay_person", actor=actor)
        request = privacy_request_transition(
            actor=actor,
            request=request,
            to_status=Status.RELAYED,
            summary={"relays": len(by_customer)},
        )
    own = [m.contact for m in matches if not m.customer_id]
    _fulfil(request=request, contacts=own, actor=actor)
    privacy_request_auto_complete(request=request, actor=actor)


def _relay_notify(*, request, relay: Relay, contact_ids: list[int], actor) -> None:
    customer = relay.customer
    if not customer.privacy_contact_email:
        timeline.relay_by_hand(request=request, actor=actor, customer_id=customer.pk)
        return
    notice_send(
        request=request,
        code="relay_customer",
        actor=actor,
        to=[customer.privacy_contact_email],
        extra={"customer_name": customer.name, "contact_ids": [f"#{i}" for i in contact_ids]},
    )
    timeline.relayed(
        request=request, actor=actor, customer_id=customer.pk, contacts=len(contact_ids)
    )


@transaction.atomic
def relay_answer_record(
    *, actor: AbstractBaseUser | None, relay: Relay, answer: str, note: str = ""
) -> Relay:
    """Record the customer's answer; on "fulfil" we act on its contacts. When every relay
    is answered the request returns to "in progress" (or completes by itself)."""
    if answer not in Relay.Answer.values:
        raise ValidationError("Choose the customer's answer.")
    # Lock the request first (the same order as processing) and act only while it is
    # open: a "fulfil" on a withdrawn or denied request must change nobody's data.
    request = privacy_request_lock(relay.request)
    if not request.is_open:
        raise ValidationError(
            f"Request {request.reference} is closed; its relays cannot be answered."
        )
    updated = Relay.objects.filter(pk=relay.pk, answered_at__isnull=True).update(
        answer=answer,
        answer_note=note[:300],
        answered_at=timezone.now(),
        answered_by=staff_user(actor),
    )
    if not updated:
        raise ValidationError("This relay has already been answered.")
    relay.refresh_from_db()
    timeline.relay_answered(request=request, actor=actor, relay=relay)
    if answer == Relay.Answer.FULFIL:
        contacts = Contact.objects.filter(
            pk__in=request.matches.filter(customer_id=relay.customer_id).values("contact_id")
        )
        _fulfil(request=request, contacts=list(contacts), actor=actor)
    if (
        request.status == Status.RELAYED
        and not request.relays.filter(answered_at__isnull=True).exists()
    ):
        request = privacy_request_transition(
            actor=actor,
            request=request,
            to_status=Status.IN_PROGRESS,
            public_message="The business whose service you used has answered; we are finishing your request.",
        )
        privacy_request_auto_complete(request=request, actor=actor)
    return relay


def _fulfil(*, request: PrivacyRequest, contacts: Iterable[Contact], actor) -> None:
    contacts = list(contacts)
    kind = request.request_type
    if kind in PACKAGE_TYPES:
        for contact in contacts:
            export_package_create(request=request, contact=contact)
    elif kind == RequestType.RESTRICTION:
        for contact in contacts:
            contact_restrict(
                actor=actor, contact=contact, restricted=True, reason=f"request {request.reference}"
            )
    elif kind in (RequestType.OBJECTION, RequestType.WITHDRAW_CONSENT, RequestType.OPT_OUT_SALE):
        _consent_apply(request=request, contacts=contacts, actor=actor)
    elif kind == RequestType.LIMIT_SENSITIVE:
        # Cal. Civ. Code §1798.121; 11 CCR §7027(g): sensitive data used only as §7027(m)
        # allows from now on. The consent check reads the contact's limit.
        for contact in contacts:
            contact_sensitive_use_limit(
                actor=actor, contact=contact, reason=f"request {request.reference}"
            )
    else:
        # deletion, correction, appeal, post-mortem instructions: staff act; Shine the
        # Light is answered about our practices, not per contact.
        return
    if contacts:
        timeline.fulfilment_applied(request=request, actor=actor, contacts=len(contacts))


def _consent_apply(*, request: PrivacyRequest, contacts: list[Contact], actor) -> None:
    # Imported here: the consent app is optional for this module's import graph.
    from consent.services import (
        DIRECT_MARKETING,
        contact_consent_withdraw,
        contact_objection_record,
        contact_sale_sharing_opt_out,
    )

    for contact in contacts:
        if request.request_type == RequestType.OPT_OUT_SALE:
            contact_sale_sharing_opt_out(
                actor=actor, contact=contact, method="privacy_request", reference=request.reference
            )
        elif request.request_type == RequestType.OBJECTION:
            # An upheld objection stops every processing objected to, per purpose, not
            # only the consents that happened to be granted (issue 8 item 8); to direct
            # marketing it also sets "do not contact". Nothing named: everything.
            chosen = list(request.objection_purposes or [])
            contact_objection_record(
                actor=actor,
                contact=contact,
                purpose_codes=[c for c in chosen if c != DIRECT_MARKETING] if chosen else None,
                direct_marketing=DIRECT_MARKETING in chosen,
                method="privacy_request",
                reference=request.reference,
            )
        else:
            contact_consent_withdraw(
                actor=actor,
                contact=contact,
                purpose_codes=None,
                method="privacy_request",
                reference=request.reference,
            )
