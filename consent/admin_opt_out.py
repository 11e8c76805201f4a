"""The agent's "stop texting me": record a contact's opt-out from the admin (mounted by
``ContactConsentAdmin`` at ``…/contactconsent/<contact id>/opt-out/``, linked from
privacy's contact page through ``privacy.contact_actions``).

Form (channel, number or address, one sender or all, how it reached us, a note) → a
confirmation page that says exactly what will be recorded →
``consent.services.contact_revocation_record`` (the one service for a revocation,
whoever records it: the ledger, the one confirmation text through the outbound guard)
→ back to the consent history, where the ledger rows name the agent. Needs
``consent.withdraw_consent`` (privacy officers and support agents) and
``privacy.view_contact`` (the page shows who the person is, so the agent knows they
have the right one)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from consent import services
from consent.forms import StaffOptOutForm
from consent.models import SenderNumber
from privacy.models import Contact

PERMISSIONS = ("consent.withdraw_consent", "privacy.view_contact")
#: What the agent is told about the one confirmation text (none for e-mails).
CONFIRMATION_NOTES = {
    "queued": "; the one confirmation text is on its way",
    "window_passed": "; no confirmation text (asked too long ago)",
    "already_confirmed": "; a confirmation text already went out for it",
}


def _form(contact: Contact, data=None) -> StaffOptOutForm:
    identifiers = list(
        contact.identifiers.order_by("-is_primary", "id").values_list("kind", "match_key")
    )
    senders = (
        list(
            SenderNumber.objects.filter(customer_id=contact.customer_id)
            .order_by("-is_active", "number")
            .values_list("number", flat=True)
        )
        if contact.customer_id
        else []
    )
    return StaffOptOutForm(
        data,
        phones=[key for kind, key in identifiers if kind == "phone"],
        emails=[key for kind, key in identifiers if kind == "email"],
        senders=senders,
    )


def opt_out_view(modeladmin, request, contact_id: int):
    if not all(request.user.has_perm(perm) for perm in PERMISSIONS):
        raise PermissionDenied
    contact = get_object_or_404(Contact.objects.select_related("customer"), pk=contact_id)
    history_url = reverse("admin:consent_contactconsent_change", args=[contact.pk])
    if contact.erased_at:
        messages.error(request, f"{contact} has been erased: there is nothing left to text.")
        return HttpResponseRedirect(history_url)
    form = _form(contact, request.POST if request.method == "POST" else None)
    confirming = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("confirm") == "yes":
            sender = data.get("sender")
            try:
                result = services.contact_revocation_record(
                    actor=request.user,
                    contact=contact,
                    channel=data["channel"],
                    identifier=data["phone"] if data["channel"] == "sms" else data["email"],
                    method=data["method"],
                    sender=None if sender in ("", StaffOptOutForm.ALL_SENDERS) else sender,
                    note=data["note"],
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(
                    request,
                    f"Opt-out recorded by {request.user.get_full_name() or request.user.get_username()}: "
                    f"{form.summary}. {result.withdrawn} consent record(s) written"
                    f"{CONFIRMATION_NOTES.get(result.confirmation, '')}.",
                )
                return HttpResponseRedirect(f"{history_url}#opt-out-recorded")
        else:
            confirming = "edit" not in request.POST
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.opts,
        "title": "Confirm the opt-out" if confirming else "Record an opt-out (“stop texting me”)",
        "contact": contact,
        "identifiers": contact.identifiers.order_by("kind", "-is_primary", "id"),
        "form": form,
        "confirming": confirming,
        "summary": form.summary if confirming else "",
        "history_url": history_url,
    }
    return TemplateResponse(request, "admin/consent/opt_out.html", context)
