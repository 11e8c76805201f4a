"""Staff forms of the consent admin. They check shape only; identifiers are normalised
by the selectors and services (``consent.selectors.identifiers``)."""

from __future__ import annotations

from django import forms

from consent.models import ConsentEvent
from consent.services.revocation import REVOCATION_NOTE_MAX_LENGTH

#: How staff learnt of a revocation (the ledger's method): the agent's form and the
#: consent history's "Record a revocation" action offer the same three.
RECEIVED_BY = [
    (ConsentEvent.Method.PHONE, "Phone call (you)"),
    (ConsentEvent.Method.EMAIL, "E-mail from the person"),
    (ConsentEvent.Method.STAFF, "Letter, or said in person"),
]

REGIONS = [
    ("US", "United States / Canada (+1)"),
    ("GB", "United Kingdom (+44)"),
    ("AU", "Australia (+61)"),
    ("DE", "Germany (+49)"),
    ("FR", "France (+33)"),
    ("IE", "Ireland (+353)"),
    ("MX", "Mexico (+52)"),
]


class EvidenceSearchForm(forms.Form):
    """The evidence pack's search. Posted: the identifier never reaches a URL."""

    identifier = forms.CharField(
        label="Phone number or e-mail address",
        max_length=254,
        help_text="Any format: (415) 555-0100, +1 415 555 0100, Jane.Doe@Example.org…",
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 40}),
    )
    region = forms.ChoiceField(
        label="Country of a national phone number",
        choices=REGIONS,
        initial="US",
        required=False,
        help_text="Only used for numbers typed without their country code.",
    )


class StaffOptOutForm(forms.Form):
    """A support agent records "stop texting me" (or e-mailing) taken by phone or mail: a
    revocation (``consent.services.contact_revocation_record``).

    Built for one contact: the numbers and addresses it holds, and its customer's sender
    numbers. Values are the stored (normalised) identifiers and senders."""

    ALL_SENDERS = "all"

    channel = forms.ChoiceField(
        label="Stop",
        choices=[("sms", "Text messages (SMS)"), ("email", "E-mails")],
        widget=forms.RadioSelect,
        initial="sms",
    )
    phone = forms.ChoiceField(label="Number", required=False)
    sender = forms.ChoiceField(
        label="From",
        required=False,
        help_text="One of the customer's numbers, or all of them (the person asked to hear "
        "from nobody at this business).",
    )
    email = forms.ChoiceField(label="Address", required=False)
    method = forms.ChoiceField(
        label="Received by", choices=RECEIVED_BY, widget=forms.RadioSelect, initial="phone"
    )
    note = forms.CharField(
        label="Note",
        max_length=REVOCATION_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How the request came in and what the person said (kept with the consent "
        "record as its source; erased with the person's data).",
    )

    def __init__(self, *args, phones=(), emails=(), senders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].choices = [(p, p) for p in phones]
        self.fields["email"].choices = [(e, e) for e in emails]
        self.fields["sender"].choices = [(self.ALL_SENDERS, "All of the customer's numbers")] + [
            (s, s) for s in senders
        ]
        self.fields["sender"].initial = self.ALL_SENDERS
        if phones:
            self.fields["phone"].initial = phones[0]
        if emails:
            self.fields["email"].initial = emails[0]

    def clean(self):
        data = super().clean()
        channel = data.get("channel")
        if channel == "sms" and not data.get("phone"):
            self.add_error("phone", "Choose the number (the contact has none: add it first).")
        if channel == "email" and not data.get("email"):
            self.add_error("email", "Choose the address (the contact has none: add it first).")
        return data

    @property
    def summary(self) -> str:
        data = self.cleaned_data
        if data["channel"] == "email":
            return f"Stop marketing e-mails to {data['email']}"
        sender = data.get("sender") or self.ALL_SENDERS
        scope = (
            "from all of the customer's numbers" if sender == self.ALL_SENDERS else f"from {sender}"
        )
        return f"Stop text messages (marketing and informational) to {data['phone']} {scope}"
