"""The JSON API under /api/v1/: thin views over consent's selectors and services.

Authentication: ``Authorization: Bearer <key>``; a key acts for one customer and sees
nothing else — another customer's contact is answered 404 exactly like a contact that
does not exist."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from consent import selectors, services
from consent.models import ConsentEvent
from consent.openapi import OPENAPI
from consent.request_checks import nul_field
from privacy.models import Contact, Customer
from privacy.services import contact_create


def _error(status: int, message: str, **extra) -> JsonResponse:
    response = JsonResponse({"error": message, **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _message(exc: ValidationError) -> str:
    return "; ".join(exc.messages)


def _nul_error(field: str) -> JsonResponse:
    return _error(400, f"Field '{field}' contains a NUL byte.", field=field)


def api_key_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        # META, not request.headers: that builds a dict of every header on first use,
        # and the hot path only needs this one.
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw_key = header.partition(" ")
        principal = (
            selectors.api_key_authenticate(raw_key.strip()) if scheme.lower() == "bearer" else None
        )
        if principal is None:
            return _error(401, "A valid API key is required (Authorization: Bearer <key>).")
        request.api_principal = principal
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@api_key_required
def consent_check(request: HttpRequest) -> JsonResponse:
    """GET /api/v1/consent/check?channel=sms|email&purpose=CODE&to=ID[&sender=ID]

    For a purpose about the person as a whole (sale_sharing, sensitive_data_use),
    ``channel`` says whether ``to`` is an e-mail address or a phone number."""
    principal = request.api_principal
    params = request.GET
    nul = nul_field({name: " ".join(params.getlist(name)) for name in params})
    if nul:
        return _nul_error(nul)
    missing = [name for name in ("channel", "purpose", "to") if not params.get(name)]
    if missing:
        return _error(400, f"Missing parameters: {', '.join(missing)}.")
    try:
        decision = selectors.consent_check(
            customer_id=principal.customer_id,
            default_region=principal.default_region,
            channel=params["channel"],
            purpose_code=params["purpose"],
            to=params["to"],
            sender=params.get("sender") or None,
        )
    except ValidationError as exc:
        return _error(400, _message(exc))
    return JsonResponse(decision.as_json())


def _event_json(event: ConsentEvent) -> dict:
    return {
        "id": event.pk,
        "contact_id": event.contact_id,
        "purpose": event.purpose.code,
        "action": event.action,
        "method": event.method,
        "occurred_at": event.occurred_at.isoformat(),
        "notice_version": event.notice.version if event.notice_id else None,
        "sender": event.sender or None,
        "parental_consent": event.parental_consent_method or None,
    }


@csrf_exempt
@require_POST
@api_key_required
def consent_events(request: HttpRequest) -> JsonResponse:
    """POST /api/v1/consent/events — record a grant, withdrawal or objection with its
    evidence (a minor's marketing grant with ``parental_consent``)."""
    principal = request.api_principal
    data = _json_body(request)
    if isinstance(data, JsonResponse):
        return data  # the body was too large or not JSON
    if not isinstance(data, dict):
        return _error(400, "The body must be a JSON object.")
    nul = nul_field(data)
    if nul:
        return _nul_error(nul)
    try:
        # One transaction: a refusal after a contact was created (create_contact) stores
        # nothing at all.
        with transaction.atomic():
            return _consent_event_record(principal, data)
    except (ValueError, TypeError):
        return _error(400, "Invalid value in the request.")
    except services.OutboundBlocked as exc:
        # The double opt-in prompt may not be sent: 409, the reason named.
        return _error(409, _message(exc), reason=exc.reason)
    except ValidationError as exc:
        return _error(400, _message(exc))


def _consent_event_record(principal: selectors.ApiPrincipal, data: dict) -> JsonResponse:
    """The body's grant, withdrawal or objection recorded (201), or a double opt-in
    started (202); a minor's marketing grant with ``parental_consent``.
    Raises ``ValidationError`` (400) or ``services.OutboundBlocked`` (409)."""
    purpose = selectors.purpose_info(str(data.get("purpose", "")))
    action = data.get("action")
    if action not in (
        ConsentEvent.Action.GRANT,
        ConsentEvent.Action.WITHDRAW,
        ConsentEvent.Action.OBJECT,
    ):
        raise ValidationError("action must be grant, withdraw or object.")
    parental = data.get("parental_consent") or {}
    if not isinstance(parental, dict):
        raise ValidationError("parental_consent must be an object.")
    region = principal.default_region
    identifier = ""
    if data.get("to"):
        identifier = selectors.identifier_normalize(
            channel=purpose.channel, raw=str(data["to"]), region=region
        )
    contact = _contact_for(principal.customer_id, purpose.channel, identifier, data)
    if contact is None:
        return _error(404, "Contact not found.")
    if purpose.is_per_identifier and not identifier:
        raise ValidationError("'to' (the e-mail address or number) is required.")
    sender = (
        selectors.sender_normalize(str(data["sender"]), region=region) if data.get("sender") else ""
    )
    if (
        sender
        and purpose.channel == "sms"
        and not selectors.sender_of_customer(customer_id=principal.customer_id, number=sender)
    ):
        # Another customer's number is answered exactly like a number nobody has.
        raise ValidationError("sender is not one of this customer's sender numbers.")
    notice = None
    if data.get("notice_version") is not None:
        notice = selectors.notice_published(
            purpose_code=purpose.code, version=int(data["notice_version"])
        )
        if notice is None:
            raise ValidationError("Unknown notice version for this purpose.")
    occurred_at = None
    if data.get("occurred_at"):
        occurred_at = parse_datetime(str(data["occurred_at"]))
        if occurred_at is None or occurred_at.tzinfo is None:
            raise ValidationError("occurred_at must be an ISO 8601 time with a zone.")
    evidence = data.get("evidence") or {}
    if not isinstance(evidence, dict):
        raise ValidationError("evidence must be an object.")
    if (
        action == ConsentEvent.Action.GRANT
        and purpose.requires_double_opt_in
        and not data.get("confirmed")
    ):
        subscription = services.sms_subscription_request(
            actor=None,
            contact=contact,
            phone=identifier,
            sender=sender or None,
            method=ConsentEvent.Method.API,
        )
        return JsonResponse(
            {
                "status": "pending_confirmation",
                "subscription_id": subscription.pk,
                "contact_id": contact.pk,
            },
            status=202,
        )
    event = services.consent_event_record(
        actor=None,
        purpose=purpose.code,
        action=action,
        method=ConsentEvent.Method.API,
        contact=contact,
        identifier=identifier,
        sender=sender,
        notice=notice,
        occurred_at=occurred_at,
        ip_address=evidence.get("ip") or None,
        user_agent=evidence.get("user_agent"),
        page_url=evidence.get("page_url"),
        source=evidence.get("source"),
        reference=str(evidence.get("reference", ""))[:100],
        parental_consent_method=str(parental.get("method") or ""),
        parental_consent_reference=str(parental.get("reference") or ""),
    )
    return JsonResponse(_event_json(event), status=201)


def _contact_for(customer_id: int, channel: str, identifier: str, data: dict) -> Contact | None:
    """The key's customer's contact named by ``contact_id`` or by the identifier; with
    ``create_contact`` an unknown identifier becomes a new contact of that customer."""
    if data.get("contact_id") is not None:
        contact = Contact.objects.filter(
            pk=int(data["contact_id"]), customer_id=customer_id, erased_at__isnull=True
        ).first()
        if contact and identifier and not contact.identifiers.filter(match_key=identifier).exists():
            raise ValidationError("'to' is not one of this contact's identifiers.")
        return contact
    if not identifier:
        raise ValidationError("Give contact_id or to.")
    contact = selectors.contact_for_identifier(
        customer_id=customer_id, channel=channel, match_key=identifier
    )
    if contact is None and data.get("create_contact"):
        customer = Customer.objects.get(pk=customer_id)
        kwargs = {"emails": [identifier]} if channel == "email" else {"phones": [identifier]}
        contact, _ = contact_create(actor=None, customer=customer, source="api", **kwargs)
    return contact


@require_GET
@api_key_required
def contact_consents(request: HttpRequest, contact_id: int) -> JsonResponse:
    """GET /api/v1/contacts/<id>/consents — the contact's current consents and ledger."""
    contact = Contact.objects.filter(
        pk=contact_id, customer_id=request.api_principal.customer_id, erased_at__isnull=True
    ).first()
    if contact is None:
        return _error(404, "Contact not found.")
    states = [
        {
            "purpose": s.purpose.code,
            "identifier": s.identifier or None,
            "sender": s.sender or None,
            "granted": s.is_granted,
            "objected": s.objected,
            "since": s.since.isoformat(),
            "method": s.method,
        }
        for s in selectors.contact_consent_states(contact=contact)
    ]
    events = [
        _event_json(e) for e in selectors.contact_consent_history(contact_id=contact.pk)[:500]
    ]
    return JsonResponse({"contact_id": contact.pk, "consents": states, "events": events})


@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    """GET /api/v1/openapi.json"""
    return JsonResponse(OPENAPI)


# --- request bodies -------------------------------------------------------------------

# A consent event with its evidence is well under 2 KB; anything this big is a mistake
# or an attack and is refused before it is read.
EVENT_BODY_MAX_BYTES = 16 * 1024


def _json_body(request: HttpRequest):
    """The parsed JSON body, or the JsonResponse that refuses it: 413 when larger than
    ``EVENT_BODY_MAX_BYTES`` (or Django's DATA_UPLOAD_MAX_MEMORY_SIZE), 400 when it is
    not JSON (including nesting too deep to parse). An empty body is ``{}``."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error(400, "Invalid Content-Length.")
    body = b""
    try:
        if declared <= EVENT_BODY_MAX_BYTES:
            body = request.body
    except RequestDataTooBig:
        declared = EVENT_BODY_MAX_BYTES + 1
    if max(declared, len(body)) > EVENT_BODY_MAX_BYTES:
        return _error(413, f"The body is too large (at most {EVENT_BODY_MAX_BYTES} bytes).")
    try:
        return json.loads(body or b"{}")
    except (ValueError, RecursionError):
        return _error(400, "The body must be JSON.")
