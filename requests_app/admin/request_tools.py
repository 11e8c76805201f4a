"""Pages of the request admin beyond the list and the actions: taking a request by phone
or post, the dashboard, the jurisdiction-rule table, and the tools on one request (the
agent's proof, a correction, fees)."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from requests_app import selectors, services
from requests_app.admin.forms import CorrectionForm, FeeForm, IntakeForm
from requests_app.models import (
    OPEN_STATUSES,
    ExportPackage,
    PrivacyRequest,
    RequestType,
    Status,
)
from requests_app.rules import RULES


class PrivacyRequestToolsMixin:
    """Extra views of ``PrivacyRequestAdmin`` (URLs under its changelist)."""

    def get_urls(self):
        return [
            path(
                "dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name="requests_app_privacyrequest_dashboard",
            ),
            path(
                "rules/",
                self.admin_site.admin_view(self.rules_view),
                name="requests_app_privacyrequest_rules",
            ),
            path(
                "ccpa-metrics/",
                self.admin_site.admin_view(self.ccpa_metrics_view),
                name="requests_app_privacyrequest_ccpa_metrics",
            ),
            path(
                "<int:object_id>/agent-proof/",
                self.admin_site.admin_view(self.agent_proof_view),
                name="requests_app_privacyrequest_agent_proof",
            ),
            path(
                "<int:object_id>/correction/",
                self.admin_site.admin_view(self.correction_view),
                name="requests_app_privacyrequest_correction",
            ),
            path(
                "<int:object_id>/fee-estimate/",
                self.admin_site.admin_view(self.fee_estimate_view),
                name="requests_app_privacyrequest_fee_estimate",
            ),
            path(
                "<int:object_id>/fee-record/",
                self.admin_site.admin_view(self.fee_record_view),
                name="requests_app_privacyrequest_fee_record",
            ),
            path(
                "<int:object_id>/step/<str:action>/",
                self.admin_site.admin_view(self.step_view),
                name="requests_app_privacyrequest_step",
            ),
            path(
                "<int:object_id>/package/<int:package_id>/",
                self.admin_site.admin_view(self.package_view),
                name="requests_app_privacyrequest_package",
            ),
            path(
                "<int:object_id>/package/<int:package_id>/download/",
                self.admin_site.admin_view(self.package_download_view),
                name="requests_app_privacyrequest_package_download",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IntakeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result = services.privacy_request_submit(actor=request.user, **data)
            except ValidationError as exc:
                for field, errors in getattr(
                    exc, "message_dict", {"__all__": exc.messages}
                ).items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                verb = "recorded" if result.created else "linked to the open identical request"
                self.message_user(request, f"Request {result.request.reference} {verb}.")
                return redirect("admin:requests_app_privacyrequest_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Take a privacy request (phone or post)",
            "form": form,
            "opts": self.model._meta,
            "intro": "The person gets the receipt and a verification link or code like on the web form.",
        }
        return TemplateResponse(request, "requests_app/admin/intake.html", context)

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Privacy requests dashboard",
            "opts": self.model._meta,
            "stats": selectors.dashboard_stats(),
            "type_labels": dict(RequestType.choices),
        }
        return TemplateResponse(request, "requests_app/admin/dashboard.html", context)

    # --- Object tools on one request: agent's proof, correction, fees ---

    def has_agent_proof_permission(self, request) -> bool:
        return request.user.has_perm("requests_app.view_agent_proof")

    def _object_tools(self, request, obj: PrivacyRequest) -> list[tuple[str, str]]:
        """(label, url) of the tools this user may use on this request now."""
        tools = []

        def url(name):
            return reverse(f"admin:requests_app_privacyrequest_{name}", args=[obj.pk])

        if obj.agent_proof and self.has_agent_proof_permission(request):
            tools.append(("Agent's proof", url("agent_proof")))
        if self.has_process_permission(request):
            if obj.request_type == RequestType.CORRECTION and obj.status in (
                Status.IN_PROGRESS,
                Status.RELAYED,
            ):
                tools.append(("Apply correction", url("correction")))
            if obj.rule.fee_allowed and obj.status in OPEN_STATUSES:
                tools.append(("Fee estimate", url("fee_estimate")))
                if obj.fee_estimate_sent_at:
                    tools.append(("Record fee", url("fee_record")))
        return tools

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = {**(extra_context or {}), "request_tools": []}
        if obj is not None and self.has_view_permission(request, obj):
            extra["request_tools"] = self._object_tools(request, obj)
            extra["next_steps"] = self.next_steps(request, obj)
            if obj.status in (Status.IN_PROGRESS, Status.RELAYED):
                extra["completion_blockers"] = selectors.privacy_request_completion_blockers(
                    obj, selectors.contacts_in_scope(obj)
                )
        return super().change_view(request, object_id, form_url, extra)

    def step_view(self, request, object_id: int, action: str):
        """A button of the request page: the list action ``action`` on this one request,
        with the same permission check (``get_actions``) and confirmation page; back to
        the request's page when it is done."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        actions = self.get_actions(request)
        if action not in actions:
            raise PermissionDenied
        queryset = self.get_queryset(request).filter(pk=object_id)
        if not queryset.exists():
            raise Http404("No such request.")
        func = actions[action][0]
        response = func(self, request, queryset)
        if response is not None:
            return response
        return redirect("admin:requests_app_privacyrequest_change", object_id)

    def _package(self, request, object_id: int, package_id: int) -> ExportPackage:
        if not self.has_process_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            ExportPackage.objects.select_related("request"),
            pk=package_id,
            request_id=object_id,
        )

    def package_view(self, request, object_id: int, package_id: int):
        """The access package as the person will get it — its files, its summary, its
        JSON — for the officer to check before completing (audited)."""
        package = self._package(request, object_id, package_id)
        try:
            contents = services.export_package_staff_view(actor=request.user, package=package)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return redirect("admin:requests_app_privacyrequest_change", object_id)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Export package #{package.pk} of {package.request.reference}",
            "opts": self.model._meta,
            "original": package.request,
            "contents": contents,
            "download_url": reverse(
                "admin:requests_app_privacyrequest_package_download", args=[object_id, package_id]
            ),
        }
        response = TemplateResponse(request, "requests_app/admin/package.html", context)
        response["Cache-Control"] = "no-store, private"
        return response

    def package_download_view(self, request, object_id: int, package_id: int):
        package = self._package(request, object_id, package_id)
        try:
            handle = services.export_package_staff_open(actor=request.user, package=package)
        except ValidationError as exc:
            raise Http404(exc.messages[0]) from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"{package.request.reference}-package-{package.pk}.zip",
            content_type="application/zip",
        )
        response["Cache-Control"] = "no-store, private"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def _object_or_404(self, request, object_id: int) -> PrivacyRequest:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(PrivacyRequest, pk=object_id)

    def agent_proof_view(self, request, object_id: int):
        """Stream the agent's proof from private storage to a permitted staff member."""
        obj = self._object_or_404(request, object_id)
        if not self.has_agent_proof_permission(request):
            raise PermissionDenied
        try:
            handle, filename, content_type = services.privacy_request_agent_proof_open(
                actor=request.user, request=obj
            )
        except ValidationError as exc:
            raise Http404(exc.messages[0]) from None
        response = FileResponse(
            handle, as_attachment=True, filename=filename, content_type=content_type
        )
        response["Cache-Control"] = "no-store, private"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def _object_form_view(
        self,
        request,
        object_id: int,
        *,
        form_class,
        title: str,
        intro: str,
        apply: Callable[[PrivacyRequest, forms.Form], str],
        form_kwargs: Callable[[PrivacyRequest], dict] | None = None,
    ):
        """A form about one request; on submit ``apply`` calls a service and returns the
        success message; the service's refusal is shown on the form."""
        obj = self._object_or_404(request, object_id)
        if not self.has_process_permission(request):
            raise PermissionDenied
        kwargs = form_kwargs(obj) if form_kwargs else {}
        form = form_class(request.POST or None, **kwargs)
        if request.method == "POST" and form.is_valid():
            try:
                message = apply(obj, form)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                self.message_user(request, message, messages.SUCCESS)
                return redirect("admin:requests_app_privacyrequest_change", obj.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "form": form,
            "opts": self.model._meta,
            "original": obj,
        }
        return TemplateResponse(request, "requests_app/admin/object_form.html", context)

    def correction_view(self, request, object_id: int):
        def apply(obj, form):
            contact = next(
                c for c in selectors.contacts_in_scope(obj) if c.pk == form.cleaned_data["contact"]
            )
            changed = services.correction_apply(
                actor=request.user, request=obj, contact=contact, changes=form.changes()
            )
            return f"Contact #{contact.pk} corrected: {', '.join(changed) or 'nothing changed'}."

        return self._object_form_view(
            request,
            object_id,
            form_class=CorrectionForm,
            title="Apply a correction",
            intro=(
                "Enter only the corrected values; empty fields stay as they are. The change "
                "is applied through the contact service and the changed field names go to "
                "the audit trail."
            ),
            apply=apply,
            form_kwargs=lambda obj: {"contacts": selectors.contacts_in_scope(obj)},
        )

    def fee_estimate_view(self, request, object_id: int):
        def apply(obj, form):
            services.privacy_request_fee_estimate(
                actor=request.user, request=obj, amount=form.cleaned_data["amount"]
            )
            return f"Fee estimate of {form.cleaned_data['amount']} sent for {obj.reference}."

        return self._object_form_view(
            request,
            object_id,
            form_class=FeeForm,
            title="Send a fee estimate",
            intro=(
                "Only where the rule allows a fee (manifestly unfounded or excessive "
                "requests). The estimate is sent to the person before any fee is charged."
            ),
            apply=apply,
        )

    def fee_record_view(self, request, object_id: int):
        def apply(obj, form):
            services.privacy_request_fee_record(
                actor=request.user, request=obj, amount=form.cleaned_data["amount"]
            )
            return f"Fee of {form.cleaned_data['amount']} recorded for {obj.reference}."

        return self._object_form_view(
            request,
            object_id,
            form_class=FeeForm,
            title="Record the fee charged",
            intro="Recorded after the estimate was sent.",
            apply=apply,
        )

    def rules_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Jurisdiction rules",
            "opts": self.model._meta,
            "rules": RULES.values(),
        }
        return TemplateResponse(request, "requests_app/admin/rules.html", context)
