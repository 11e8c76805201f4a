"""Public pages: the request form, verification, status, download and appeal. Thin:
rate limiting and form handling here, everything else in ``requests_app.services``.
Pages reached by a token send a Referer only to this site and are never cached."""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from privacy.http import client_ip
from privacy.identifiers import search_keys
from privacy.services import publish_after_response
from requests_app import selectors, services
from requests_app.forms import (
    AppealForm,
    PackageTransferForm,
    PrivacyRequestForm,
    VerificationCodeForm,
)
from requests_app.models import (
    ExportPackage,
    PostMortemInstructions,
    PrivacyRequest,
)
from requests_app.ratelimit import rate_limit_hit
from requests_app.tokens import new_reference, token_hash


def _private(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        # same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on the
        # page's own form posts and CSRF refuses them; the token never leaves the site.
        response["Referrer-Policy"] = "same-origin"
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex"
        return response

    return wrapper


def _rate_limited(request: HttpRequest) -> HttpResponse:
    return render(request, "requests_app/rate_limited.html", status=429)


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@require_http_methods(["GET", "POST"])
# A sending for an address with an open request queues fewer notices than a new one:
# published after the response, their number does not show in its time (issue 11).
@publish_after_response
def request_form(request: HttpRequest) -> HttpResponse:
    form = PrivacyRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not rate_limit_hit(
            scope="ip", key=client_ip(request), spec=settings.REQUESTS_RATE_LIMIT_PER_IP
        ):
            return _rate_limited(request)
        if request.POST.get("website"):
            # A bot filled the honeypot: look like success (a reference of the same
            # form, stored nowhere), keep nothing.
            _remember_submission(request, reference=new_reference("SR"), code_sent_to=None)
            return redirect("requests_app:submitted")
        if form.is_valid():
            data = form.cleaned_data
            for kind_value in (data["email"], data["phone"]):
                keys = search_keys(kind_value, default_region=data["country"] or "US")
                if keys and not rate_limit_hit(
                    scope="identifier",
                    key=f"{keys[0][0]}:{keys[0][1]}",
                    spec=settings.REQUESTS_RATE_LIMIT_PER_IDENTIFIER,
                ):
                    return _rate_limited(request)
            try:
                result = services.privacy_requests_submit(
                    actor=None,
                    request_types=data["request_type"],
                    country=data["country"],
                    state=data["state"],
                    full_name=data["full_name"],
                    email=data["email"],
                    phone=data["phone"],
                    details=data["details"],
                    objection_purposes=data["objection_purposes"],
                    is_agent_request=data["is_agent"],
                    agent_name=data["agent_name"],
                    agent_email=data["agent_email"],
                    agent_proof=data["agent_proof"],
                    post_mortem={
                        "wishes": data["post_mortem_wishes"] or PostMortemInstructions.Wishes.OTHER,
                        "trusted_person_name": data["trusted_person_name"],
                        "trusted_person_contact": data["trusted_person_contact"],
                    },
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                _remember_submission(
                    request,
                    reference=result.submission.reference,
                    code_sent_to=result.code_sent_to,
                    country=data["country"],
                )
                return redirect("requests_app:submitted")
    return render(request, "requests_app/request_form.html", {"form": form})


# What the thank-you and code pages may show, kept in the person's own session: never in
# a URL (a reference or a number in the address bar ends up in logs and histories).
_SESSION_KEY = "requests_app.submission"


def _remember_submission(
    request: HttpRequest, *, reference: str, code_sent_to: str | None, country: str = ""
) -> None:
    request.session[_SESSION_KEY] = {
        "reference": reference,
        "phone": code_sent_to or "",
        "country": country if code_sent_to else "",
    }


def _remembered(request: HttpRequest) -> dict:
    return request.session.get(_SESSION_KEY) or {}


@_private
def request_submitted(request: HttpRequest) -> HttpResponse:
    # The same page whether the person is known, new or already has an open request:
    # the reference is the submission's, new every time.
    remembered = _remembered(request)
    return render(
        request,
        "requests_app/request_submitted.html",
        {"reference": remembered.get("reference", ""), "by_code": bool(remembered.get("phone"))},
    )


@_private
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            verified = services.privacy_request_verify_by_token(secret=token)
        except services.VerificationFailed:
            return render(request, "requests_app/verify_invalid.html", status=410)
        return redirect("requests_app:status", services.status_token(verified))
    # GET only shows a button: mail scanners that open links do not use them up.
    if not services.verification_link_valid(secret=token):
        return render(request, "requests_app/verify_invalid.html", status=410)
    return render(request, "requests_app/verify.html")


@_private
@require_http_methods(["GET", "POST"])
def verify_code(request: HttpRequest) -> HttpResponse:
    remembered = _remembered(request)
    known_phone = "" if request.POST.get("other_number") else remembered.get("phone", "")
    form = VerificationCodeForm(request.POST or None, number_known=bool(known_phone))
    if request.method == "POST" and "other_number" in request.POST and "code" not in request.POST:
        # "Not this number": the same page, asking for the number as well.
        form = VerificationCodeForm(number_known=False)
    elif request.method == "POST":
        if not rate_limit_hit(
            scope="code", key=client_ip(request), spec=settings.REQUESTS_RATE_LIMIT_PER_IP
        ):
            return _rate_limited(request)
        if form.is_valid():
            try:
                verified = services.privacy_request_verify_by_code(
                    phone=form.cleaned_data["phone"] or known_phone,
                    code=form.cleaned_data["code"],
                    country=form.cleaned_data["country"] or remembered.get("country") or "US",
                )
            except services.VerificationFailed as exc:
                form.add_error(None, exc.messages)
            else:
                request.session.pop(_SESSION_KEY, None)
                return redirect("requests_app:status", services.status_token(verified))
    return render(
        request,
        "requests_app/verify_code.html",
        {"form": form, "masked_phone": _masked(known_phone) if form.number_known else ""},
    )


def _masked(e164: str) -> str:
    """The last digits only: enough for the person to recognise their number."""
    return f"•••• {e164[-4:]}" if e164 else ""


def _request_by_status_token(token: str) -> PrivacyRequest:
    found = PrivacyRequest.objects.filter(status_token_hash=token_hash(token)).first()
    if found is None:
        raise Http404("No such request.")
    return found


@_private
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest, token: str) -> HttpResponse:
    privacy_request = _request_by_status_token(token)
    packages = [
        (package, services.download_url(package))
        for package in privacy_request.packages.filter(state=ExportPackage.State.READY)
    ]
    can_appeal = selectors.privacy_request_appeal_refusal(privacy_request) is None
    transfer_form = None
    if packages and privacy_request.request_type in services.TRANSFERABLE_TYPES:
        transfer_form = PackageTransferForm(request.POST or None)
        if request.method == "POST" and transfer_form.is_valid():
            try:
                services.package_transfer_start(
                    actor=None,
                    request=privacy_request,
                    recipient_name=transfer_form.cleaned_data["recipient_name"],
                    recipient_email=transfer_form.cleaned_data["recipient_email"],
                )
            except ValidationError as exc:
                _apply_errors(transfer_form, exc)
            else:
                return redirect("requests_app:status", token)
    sent_together = [
        (other, services.status_token(other))
        for other in selectors.submission_requests(privacy_request)
    ]
    return render(
        request,
        "requests_app/status.html",
        {
            "privacy_request": privacy_request,
            "sent_together": sent_together,
            "timeline": selectors.privacy_request_public_timeline(privacy_request),
            "packages": packages,
            "transfer_form": transfer_form,
            "can_appeal": can_appeal,
            "appeal_url": reverse("requests_app:appeal", args=[token]) if can_appeal else "",
        },
    )


def _package_file(package) -> FileResponse:
    """An export package as the person (or the recipient of a transfer) downloads it:
    named by the request's reference, never by anything about the person."""
    return FileResponse(
        package.file.open("rb"),
        as_attachment=True,
        filename=f"{package.request.reference}-data-{package.pk}.zip",
        content_type="application/zip",
    )


@_private
def download(request: HttpRequest, token: str) -> HttpResponse:
    package = services.export_package_download(token=token)
    if package is None:
        return render(request, "requests_app/download_invalid.html", status=404)
    return _package_file(package)


@_private
@require_http_methods(["GET", "POST"])
def transfer_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The recipient of a portability transfer confirms its address (GET only shows a
    button, so mail scanners opening the link do not use it up)."""
    if request.method == "POST":
        try:
            services.package_transfer_confirm(secret=token)
        except ValidationError:
            return render(request, "requests_app/verify_invalid.html", status=410)
        return render(request, "requests_app/transfer_confirmed.html")
    if not services.package_transfer_confirm_valid(secret=token):
        return render(request, "requests_app/verify_invalid.html", status=410)
    return render(request, "requests_app/transfer_confirm.html")


@_private
def transfer_download(request: HttpRequest, token: str) -> HttpResponse:
    package = services.package_transfer_download(token=token)
    if package is None:
        return render(request, "requests_app/download_invalid.html", status=404)
    return _package_file(package)


@_private
@require_http_methods(["GET", "POST"])
def appeal(request: HttpRequest, token: str) -> HttpResponse:
    original = _request_by_status_token(token)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appeal_request = services.appeal_submit(
                original=original, statement=form.cleaned_data["statement"]
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return redirect("requests_app:status", services.status_token(appeal_request))
    return render(request, "requests_app/appeal.html", {"form": form, "privacy_request": original})
