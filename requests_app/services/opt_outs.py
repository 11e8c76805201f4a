"""Opt-out preference signals (Global Privacy Control) as processed opt-out requests.

11 CCR §7025 makes a browser's opt-out preference signal a valid request to opt out of
sale/sharing, and §7026 lets no verification be required for one. The consent app
records the signal as consent evidence and, through ``privacy.services.
opt_out_signal_record`` (consent imports only privacy), reaches
``opt_out_request_from_gpc`` here, which RequestsAppConfig.ready registers in privacy's
registry. It makes the signal visible as a request like any other: a reference, a
timeline, a status page (``status_url``), a place in the request log and the §7102
metrics, and one opt-out confirmation notice — not a receipt notice as well: the person
did not write to us."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from privacy.identifiers import email_match_key
from privacy.models import Contact
from requests_app import deadlines, timeline
from requests_app.models import (
    Channel,
    PrivacyRequest,
    RequestMatch,
    RequestType,
    Status,
    VerificationMethod,
)
from requests_app.rules import rule_code_for
from requests_app.selectors import privacy_request_reference_unused
from requests_app.services.decisions import privacy_request_complete
from requests_app.services.processing import _consent_apply
from requests_app.services.transitions import privacy_request_transition
from requests_app.tokens import derive_token, new_salt, token_hash


@transaction.atomic
def opt_out_request_from_gpc(
    *,
    contact: Contact,
    signal: str = "gpc",
    reference: str = "Sec-GPC",
    now: dt.datetime | None = None,
) -> PrivacyRequest | None:
    """A processed opt-out-of-sale/sharing request for ``contact`` from an opt-out
    preference signal: received, needing no verification, applied to this contact (the
    consent app has recorded the opt-out; applying it again changes nothing) and
    completed at once with the opt-out confirmation. Staff see it in the request queue;
    the person on its status page (``services.status_url(request)``).

    One request per contact: while an earlier GPC request of the contact stands (not
    withdrawn), it is returned instead of a new one, so a signal sent with every page
    view makes one record. None when the contact is erased or has no e-mail or phone
    to send the confirmation to (the consent ledger still holds the signal)."""
    now = now or timezone.now()
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.erased_at or not (contact.email or contact.phone):
        return None
    existing = (
        PrivacyRequest.objects.filter(
            request_type=RequestType.OPT_OUT_SALE,
            channel=Channel.GPC,
            matches__contact=contact,
        )
        .exclude(status=Status.WITHDRAWN)
        .order_by("-received_at")
        .first()
    )
    if existing is not None:
        return existing

    received_on = timezone.localdate(now)
    country, state = (contact.country or "").upper(), (contact.state or "").upper()
    rule_code = rule_code_for(
        country=country,
        state=state,
        request_type=RequestType.OPT_OUT_SALE,
        received_on=received_on,
    )
    due_on = deadlines.due_date(rule_code, received_on)
    salt = new_salt()
    request_reference = privacy_request_reference_unused()
    request = PrivacyRequest.objects.create(
        reference=request_reference,
        request_type=RequestType.OPT_OUT_SALE,
        rule_code=rule_code,
        channel=Channel.GPC,
        country=country[:2],
        state=state[:10] if country in ("US", "CA") else "",
        customer=contact.customer,
        email=contact.email,
        email_key=email_match_key(contact.email) if contact.email else None,
        phone=contact.phone,
        received_at=now,
        due_on=due_on,
        deadline_on=due_on,
        acknowledged_at=now,
        status_token_salt=salt,
        status_token_hash=token_hash(
            derive_token(purpose="status", ident=request_reference, salt=salt)
        ),
    )
    timeline.gpc_opt_out_received(request=request, contact_id=contact.pk, signal=signal)
    request = privacy_request_transition(
        actor=None,
        request=request,
        to_status=Status.VERIFIED,
        verified_at=now,
        verification_method=VerificationMethod.NOT_REQUIRED,
        summary={"method": VerificationMethod.NOT_REQUIRED},
    )
    RequestMatch.objects.create(
        request=request, contact=contact, customer=contact.customer, matched_on="signal"
    )
    request = privacy_request_transition(
        actor=None, request=request, to_status=Status.IN_PROGRESS, summary={"matched": 1}
    )
    _consent_apply(request=request, contacts=[contact], actor=None)
    timeline.fulfilment_applied(request=request, actor=None, contacts=1)
    return privacy_request_complete(actor=None, request=request)


def gpc_signal_handler(*, contact: Contact, signal: str, reference: str) -> PrivacyRequest | None:
    """The handler registered in ``privacy.registry`` for opt-out preference signals."""
    return opt_out_request_from_gpc(contact=contact, signal=signal, reference=reference)
