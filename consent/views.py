"""Public endpoints of the consent app: the Twilio inbound webhook, the preference
centre reached by a signed link, and the cookie-banner endpoint. Thin: they check the
request and call services."""

from __future__ import annotations

import json
import logging
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from consent import selectors, services
from consent.request_checks import nul_field
from privacy.http import client_ip
from privacy.models import ContactIdentifier

logger = logging.getLogger(__name__)


# --- Twilio inbound webhook -------------------------------------------------------------


def _webhook_url(request: HttpRequest) -> str:
    base = settings.CONSENT_TWILIO_WEBHOOK_BASE_URL.rstrip("/")
    return f"{base}{request.get_full_path()}" if base else request.build_absolute_uri()


def _signature_valid(request: HttpRequest) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not settings.TWILIO_AUTH_TOKEN:
        return False
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    params = {key: request.POST.get(key) for key in request.POST}
    return validator.validate(_webhook_url(request), params, signature)


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    """POST /sms/inbound/ — Twilio's inbound message webhook. The opt-out is committed
    before the TwiML reply is returned."""
    if not _signature_valid(request):
        logger.warning("Inbound SMS refused: missing or invalid Twilio signature")
        return HttpResponseForbidden("Invalid signature.")
    try:
        result = services.sms_inbound_handle(
            message_sid=request.POST.get("MessageSid", ""),
            account_sid=request.POST.get("AccountSid", ""),
            from_number=request.POST.get("From", ""),
            to_number=request.POST.get("To", ""),
            body=request.POST.get("Body", ""),
        )
    except ValidationError as exc:
        # The field is named, its value never repeated.
        return HttpResponse("; ".join(exc.messages), status=400, content_type="text/plain")
    twiml = MessagingResponse()
    if result.reply:
        twiml.message(result.reply)
    logger.info(
        "Inbound SMS %s: %s",
        result.message.pk if result.message else "duplicate",
        result.outcome,
    )
    return HttpResponse(str(twiml), content_type="application/xml")


# --- preference centre ----------------------------------------------------------------


def _gpc(request: HttpRequest) -> bool:
    return request.headers.get("Sec-GPC", "").strip() == "1"


def _user_agent(request: HttpRequest) -> str | None:
    """The User-Agent as evidence, NUL bytes removed (a header is the browser's, not a
    field the person typed: their choice is recorded rather than refused)."""
    value = request.headers.get("User-Agent")
    return value.replace("\x00", "") if value else value


def _client_ip(request: HttpRequest) -> str | None:
    # Behind a trusted proxy, the visitor's address, not the proxy's (privacy.http).
    return client_ip(request) or None


def _masked(kind: str, value: str) -> str:
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}…@{domain}"
    return f"…{value[-4:]}"


PREFERENCE_PURPOSES = (
    ("email", services.EMAIL_MARKETING, "Marketing e-mails"),
    ("phone", services.SMS_MARKETING, "Marketing text messages"),
)


@never_cache
@require_http_methods(["GET", "POST"])
def preference_centre(request: HttpRequest, token: str) -> HttpResponse:
    """GET/POST /preferences/<token>/ — a person's e-mail and SMS marketing choices and
    the sale/sharing opt-out. Sec-GPC: 1 records the opt-out of sale/sharing (the GPC
    middleware, as on every public page)."""
    try:
        contact = selectors.preference_token_contact(token)
    except selectors.PreferenceLinkExpired:
        return render(
            request, "consent/preference_link_invalid.html", {"expired": True}, status=410
        )
    if contact is None:
        return render(
            request, "consent/preference_link_invalid.html", {"expired": False}, status=404
        )

    # The signal itself was recorded by consent.middleware (every public page).
    gpc = _gpc(request)
    outcome = None
    status = 200
    if request.method == "POST" and nul_field(dict(request.POST.items())):
        outcome, status = "error: A field of the form contains a NUL byte.", 400
    elif request.method == "POST":
        try:
            outcome = services.preference_choice_set(
                contact=contact,
                purpose_code=request.POST.get("purpose", ""),
                identifier=request.POST.get("identifier", ""),
                grant=request.POST.get("choice") == "grant",
                gpc=gpc,
                ip_address=_client_ip(request),
                user_agent=_user_agent(request),
            )
        except ValidationError as exc:
            outcome = "minor" if exc.code == "minor" else "error: " + "; ".join(exc.messages)

    rows = []
    identifiers = ContactIdentifier.objects.filter(contact=contact).order_by("kind", "id")
    for kind, code, label in PREFERENCE_PURPOSES:
        notice = selectors.notice_published(purpose_code=code)
        for identifier in identifiers:
            if identifier.kind != kind:
                continue
            rows.append(
                {
                    "purpose": code,
                    "label": label,
                    "identifier": identifier.match_key,
                    "shown": _masked(kind, identifier.match_key),
                    "granted": selectors.contact_is_granted(
                        contact=contact, purpose_code=code, identifier=identifier.match_key
                    ),
                    "notice": notice,
                }
            )
    sale_state = selectors.contact_consent_states(contact=contact).filter(
        purpose__code=services.SALE_SHARING
    )
    sale_opted_out = any(not s.is_granted for s in sale_state)
    return render(
        request,
        "consent/preference_centre.html",
        {
            "rows": rows,
            "sale_opted_out": sale_opted_out or gpc,
            "gpc": gpc,
            "outcome": outcome,
            "brand": settings.CONSENT_SMS_BRAND_NAME,
        },
        status=status,
    )


# --- cookie banner --------------------------------------------------------------------


@csrf_exempt  # anonymous, no session or credentials to protect
@require_http_methods(["GET", "POST"])
def cookie_consent(request: HttpRequest) -> JsonResponse:
    """POST /consent/cookies/ {"visitor_id"?, "categories": {...}, "notice_version": N}
    records the banner choice; GET returns the visitor's current choice."""
    cookie_name = settings.CONSENT_VISITOR_COOKIE_NAME
    gpc = _gpc(request)
    if request.method == "GET":
        visitor = _visitor_id(request.COOKIES.get(cookie_name))
        return JsonResponse(
            {
                "visitor_id": str(visitor) if visitor else None,
                "gpc": gpc,
                "categories": selectors.visitor_cookie_choice(visitor),
            }
        )
    try:
        data = json.loads(request.body or b"{}")
        if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
            raise ValueError
        nul = nul_field(data)
        if nul:
            return JsonResponse(
                {"error": f"Field '{nul}' contains a NUL byte.", "field": nul}, status=400
            )
        visitor = _visitor_id(data.get("visitor_id") or request.COOKIES.get(cookie_name))
        choice = services.cookie_consent_record(
            visitor_id=visitor,
            categories={str(k): bool(v) for k, v in data["categories"].items()},
            notice_version=int(data.get("notice_version", 0)),
            gpc=gpc,
            user_agent=_user_agent(request),
        )
    except (ValueError, TypeError, RecursionError):
        return JsonResponse({"error": "Send JSON with categories and notice_version."}, status=400)
    except ValidationError as exc:
        return JsonResponse({"error": "; ".join(exc.messages)}, status=400)
    response = JsonResponse(
        {"visitor_id": str(choice.visitor_id), "categories": choice.categories, "gpc": gpc},
        status=201,
    )
    response.set_cookie(
        cookie_name,
        str(choice.visitor_id),
        max_age=settings.CONSENT_COOKIE_RETENTION_DAYS * 86400,
        secure=request.is_secure(),
        httponly=False,
        samesite="Lax",
    )
    return response


def _visitor_id(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None
