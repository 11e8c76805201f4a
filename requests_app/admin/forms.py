"""Forms of the staff actions and tools on privacy requests (each is handed to a service;
none saves a model itself)."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from privacy.models import Contact
from requests_app.forms import (
    COUNTRIES,
    PUBLIC_TYPES,
    STATE_CHOICES,
    objection_purposes_field,
    state_clean,
)
from requests_app.models import Channel, DenialReason, Relay, RequestType, VerificationMethod
from requests_app.services.erasure import RunNowReason


class VerifyForm(forms.Form):
    method = forms.ChoiceField(
        label="How was the identity verified?",
        choices=[
            (value, label)
            for value, label in VerificationMethod.choices
            if value not in ("email_link", "sms_code")
        ],
    )


class ExtendForm(forms.Form):
    reason = forms.CharField(
        label="Reason (sent to the person)", widget=forms.Textarea(attrs={"rows": 3})
    )


class DenyForm(forms.Form):
    reason = forms.ChoiceField(label="Statutory reason", choices=DenialReason.choices)
    explanation = forms.CharField(
        label="Explanation for the person (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CompleteForm(forms.Form):
    message = forms.CharField(
        label="Message to the person (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RunNowForm(forms.Form):
    reason = forms.ChoiceField(label="Why skip the grace period?", choices=RunNowReason.choices)
    note = forms.CharField(
        label="Note (staff only; required for “another reason”)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == RunNowReason.OTHER and not (data.get("note") or "").strip():
            self.add_error("note", "Explain the reason.")
        return data


class NoteForm(forms.Form):
    note = forms.CharField(label="Note (staff only, optional)", required=False)


class RelayAnswerForm(forms.Form):
    answer = forms.ChoiceField(label="Customer's answer", choices=Relay.Answer.choices)
    note = forms.CharField(
        label="Customer's reason or reference (no personal data)", required=False, max_length=300
    )


class IntakeForm(forms.Form):
    """A request taken by phone or post (support agents)."""

    channel = forms.ChoiceField(
        choices=[(c, label) for c, label in Channel.choices if c != Channel.WEB]
    )
    request_type = forms.ChoiceField(choices=PUBLIC_TYPES)
    country = forms.ChoiceField(choices=COUNTRIES)
    state = forms.ChoiceField(label="State or province", choices=STATE_CHOICES, required=False)
    full_name = forms.CharField(required=False)
    email = forms.CharField(required=False)
    phone = forms.CharField(required=False)
    details = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    objection_purposes = objection_purposes_field(
        label="An objection: to what?",
        help_text="What the person objects to, as the web form asks. None ticked: "
        "everything we do on the basis of our interests, direct marketing included.",
    )

    def clean(self):
        data = super().clean()
        state_clean(self, data)
        if data.get("request_type") != RequestType.OBJECTION:
            data["objection_purposes"] = []  # only an objection says what it objects to
        return data


class CorrectionForm(forms.Form):
    """A correction of one contact in scope of a correction request. Fields left empty
    are not changed."""

    contact = forms.TypedChoiceField(label="Contact record", coerce=int)
    first_name = forms.CharField(required=False, max_length=100)
    last_name = forms.CharField(required=False, max_length=100)
    address_line1 = forms.CharField(label="Address line 1", required=False, max_length=200)
    address_line2 = forms.CharField(label="Address line 2", required=False, max_length=200)
    city = forms.CharField(required=False, max_length=100)
    postal_code = forms.CharField(required=False, max_length=20)
    country = forms.CharField(label="Country (ISO code)", required=False, max_length=2)
    state = forms.CharField(label="State / region code", required=False, max_length=10)
    date_of_birth = forms.DateField(
        label="Date of birth (YYYY-MM-DD)", required=False, widget=forms.DateInput()
    )

    #: The contact's columns a correction may change (the model's list).
    CHANGEABLE = Contact.CORRECTABLE_FIELDS

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = [(c.pk, f"Contact #{c.pk}") for c in contacts]

    def clean(self):
        data = super().clean()
        if not self.changes():
            raise forms.ValidationError("Fill in at least one corrected value.")
        return data

    def changes(self) -> dict:
        data = getattr(self, "cleaned_data", {})
        changes = {}
        for name in self.CHANGEABLE:
            value = data.get(name)
            if value in (None, ""):
                continue
            changes[name] = value.upper() if name in ("country", "state") else value
        return changes


class FeeForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount", min_value=Decimal("0.01"), max_digits=8, decimal_places=2
    )
