"""Admin pages of the consent evidence pack (mounted by ``ContactConsentAdmin``).

- ``…/contactconsent/evidence/``: a posted search, a phone number or e-mail address in
  any format; the pack is the answer to the POST, and its downloads post the identifier
  again, so it never reaches a URL, an access log or the browser history.
- ``…/contactconsent/<contact id>/evidence/``: the contact's identifiers, each a link to
  ``…/<contact id>/evidence/<identifier id>/`` (ids only in the URL), with
  ``?format=pdf`` / ``?format=json`` for the downloads.

Thin: the pack is ``consent.selectors.consent_evidence_pack``, the PDF
``consent.evidence_pdf``, and every view or download is recorded by
``consent.services.consent_evidence_pack_viewed``. Needs ``consent.view_evidence_pack``
(privacy officers and auditors)."""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from consent import selectors, services
from consent.evidence_pdf import evidence_pack_pdf
from consent.forms import EvidenceSearchForm
from privacy.models import Contact, ContactIdentifier

PERMISSION = "consent.view_evidence_pack"


def _staff_label(user) -> str:
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


def _require(request) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, private"
    return response


def _pack_response(modeladmin, request, pack, *, output: str, via: str, download: dict):
    """Record the view, then answer with the page, the PDF or the JSON."""
    services.consent_evidence_pack_viewed(actor=request.user, pack=pack, output=output, via=via)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    if output == "pdf":
        response = HttpResponse(
            evidence_pack_pdf(pack, generated_by=_staff_label(request.user)),
            content_type="application/pdf",
        )
        # The file name holds no identifier: downloads folders are shared too.
        response["Content-Disposition"] = f'attachment; filename="consent-evidence-{stamp}.pdf"'
        return _no_store(response)
    if output == "json":
        body = json.dumps(
            selectors.evidence_pack_as_dict(pack),
            cls=DjangoJSONEncoder,
            indent=2,
            ensure_ascii=False,
        )
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="consent-evidence-{stamp}.json"'
        return _no_store(response)
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.opts,
        "title": "Consent evidence pack",
        "pack": pack,
        "totals": pack.totals,
        "download": download,
        "search_url": reverse("admin:consent_contactconsent_evidence_search"),
    }
    return _no_store(TemplateResponse(request, "admin/consent/evidence_pack.html", context))


def evidence_search_view(modeladmin, request):
    _require(request)
    form = EvidenceSearchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            kind, identifier = selectors.evidence_identifier_normalize(
                form.cleaned_data["identifier"], region=form.cleaned_data["region"] or "US"
            )
        except ValidationError as exc:
            form.add_error("identifier", exc.messages)
        else:
            output = request.POST.get("format", "html")
            if output not in services.EVIDENCE_PACK_FORMATS:
                output = "html"
            pack = selectors.consent_evidence_pack(kind=kind, identifier=identifier)
            return _pack_response(
                modeladmin,
                request,
                pack,
                output=output,
                via="search",
                download={
                    "method": "post",
                    "identifier": identifier,
                    "region": form.cleaned_data["region"] or "US",
                },
            )
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.opts,
        "title": "Consent evidence pack: find a number or address",
        "form": form,
    }
    return _no_store(TemplateResponse(request, "admin/consent/evidence_search.html", context))


def evidence_contact_view(modeladmin, request, contact_id: int):
    """The contact's identifiers, each leading to its pack."""
    _require(request)
    contact = get_object_or_404(Contact.objects.select_related("customer"), pk=contact_id)
    identifiers = [
        (
            identifier,
            reverse(
                "admin:consent_contactconsent_evidence_identifier",
                args=[contact.pk, identifier.pk],
            ),
        )
        for identifier in contact.identifiers.order_by("kind", "-is_primary", "id")
    ]
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.opts,
        "title": f"Consent evidence pack of {contact}",
        "contact": contact,
        "identifiers": identifiers,
        "search_url": reverse("admin:consent_contactconsent_evidence_search"),
        "consent_url": reverse("admin:consent_contactconsent_change", args=[contact.pk]),
    }
    return _no_store(TemplateResponse(request, "admin/consent/evidence_contact.html", context))


def evidence_identifier_view(modeladmin, request, contact_id: int, identifier_id: int):
    _require(request)
    identifier = (
        ContactIdentifier.objects.filter(pk=identifier_id, contact_id=contact_id)
        .only("kind", "match_key")
        .first()
    )
    if identifier is None:
        raise Http404("No such identifier of this contact.")
    output = request.GET.get("format", "html")
    if output not in services.EVIDENCE_PACK_FORMATS:
        output = "html"
    pack = selectors.consent_evidence_pack(kind=identifier.kind, identifier=identifier.match_key)
    return _pack_response(
        modeladmin,
        request,
        pack,
        output=output,
        via="contact",
        download={
            "method": "get",
            "url": reverse(
                "admin:consent_contactconsent_evidence_identifier",
                args=[contact_id, identifier_id],
            ),
        },
    )
