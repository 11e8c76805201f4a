"""The admin site of the back office: Django's own, plus two-factor authentication for
staff when ``STAFF_OTP_REQUIRED`` is on (production).

With it on, the admin's login page asks for the password and a one-time code (from an
authenticator app, or one of the staff member's recovery codes), and only a session
verified by that code gets into the admin. A staff member who has no device yet logs in
with the password alone and is sent straight to the enrolment page, which is all that
session can reach until a code from the new device is entered. Every app registers its
models on this site through ``django.contrib.admin.site`` as usual
(``config.apps.PrivacyAdminConfig`` makes it the default site)."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp import user_has_device
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from privacy.services import staff_access


class StaffOTPLoginForm(OTPAdminAuthenticationForm):
    """Password and one code in one step. The code's shape picks the device: digits are
    the authenticator app's, anything else is a recovery code (so a wrong guess never
    throttles the other device)."""

    otp_token = forms.CharField(
        label="Authentication code",
        required=False,
        help_text="From your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )
    otp_error_messages = {
        **OTPAdminAuthenticationForm.otp_error_messages,
        "token_required": "Enter the code from your authenticator app (or a recovery code).",
        "device_required": "Enter the code from your authenticator app (or a recovery code).",
        "invalid_token": "That code is not valid. Codes change every 30 seconds; recovery codes work once.",
    }

    def clean(self):
        self.cleaned_data = AdminAuthenticationForm.clean(self)
        user = self.get_user()
        if user is not None and not user_has_device(user, confirmed=True):
            # First login: the password is enough to reach the enrolment page only.
            return self.cleaned_data
        self.clean_otp(user)
        return self.cleaned_data

    def _chosen_device(self, user):
        token = (self.cleaned_data.get("otp_token") or "").strip()
        model = TOTPDevice if token.isdigit() else StaticDevice
        return model.objects.filter(user=user, confirmed=True).order_by("-pk").first()


class EnrolForm(forms.Form):
    otp_token = forms.CharField(
        label="Code from the app",
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


class PrivacyAdminSite(admin.AdminSite):
    site_header = "Privacy back office"
    site_title = "Privacy back office"
    index_title = "Privacy operations"
    # "View site" opens the public privacy-request form (the site has no home page).
    site_url = "/privacy/request/"

    @property
    def login_form(self):
        return StaffOTPLoginForm if settings.STAFF_OTP_REQUIRED else AdminAuthenticationForm

    @property
    def login_template(self):
        return "admin/otp_login.html" if settings.STAFF_OTP_REQUIRED else None

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        return not settings.STAFF_OTP_REQUIRED or request.user.is_verified()

    def _needs_enrolment(self, request: HttpRequest) -> bool:
        user = request.user
        return (
            settings.STAFF_OTP_REQUIRED
            and user.is_active
            and user.is_staff
            and not user_has_device(user, confirmed=True)
        )

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.user.is_authenticated and self._needs_enrolment(request):
            return redirect("admin:otp_enrol")
        response = super().login(request, extra_context)
        if (
            request.method == "POST"
            and request.user.is_authenticated
            and self._needs_enrolment(request)
        ):
            return redirect("admin:otp_enrol")
        return response

    def get_urls(self):
        return [
            path("otp/enrol/", never_cache(csrf_protect(self.otp_enrol_view)), name="otp_enrol"),
            *super().get_urls(),
        ]

    def otp_enrol_view(self, request: HttpRequest) -> HttpResponse:
        return _otp_enrol(self, request)


def _otp_enrol(site: PrivacyAdminSite, request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: open to a logged-in staff member with no device yet
    (the first login) or with a verified session (a new phone). Shows the QR code, takes
    one code from the app, then shows the recovery codes once."""
    user = request.user
    allowed = user.is_authenticated and user.is_active and user.is_staff
    if allowed and user_has_device(user, confirmed=True):
        allowed = user.is_verified()
    if not allowed:
        return redirect(f"{reverse('admin:login')}?next={request.path}")
    device = staff_access.staff_otp_enrolment_device(actor=user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = staff_access.staff_otp_enrol_confirm(
                actor=user, device=device, token=form.cleaned_data["otp_token"]
            )
        except ValidationError as exc:
            form.add_error("otp_token", exc.messages)
        else:
            staff_access.staff_otp_session_verify(request=request, device=device)
            context = {**site.each_context(request), "title": "Recovery codes", "codes": codes}
            return TemplateResponse(request, "admin/otp_recovery_codes.html", context)
    context = {
        **site.each_context(request),
        "title": "Set up two-factor authentication",
        "form": form,
        "qr_svg": mark_safe(_qr_svg(device.config_url)),  # generated SVG, no user text
        "secret": staff_access.totp_secret_for_display(device),
    }
    return TemplateResponse(request, "admin/otp_enrol.html", context)
