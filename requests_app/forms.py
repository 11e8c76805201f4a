"""Public forms. Validation of identifiers happens in the services (privacy.identifiers);
these forms check shape and required fields only."""

from __future__ import annotations

from django import forms

from requests_app.models import PostMortemInstructions, RequestType

COUNTRIES = [
    ("", "Choose your country"),
    ("US", "United States"), ("GB", "United Kingdom"), ("CA", "Canada"), ("AU", "Australia"),
    ("AT", "Austria"), ("BE", "Belgium"), ("BG", "Bulgaria"), ("HR", "Croatia"), ("CY", "Cyprus"),
    ("CZ", "Czechia"), ("DK", "Denmark"), ("EE", "Estonia"), ("FI", "Finland"), ("FR", "France"),
    ("DE", "Germany"), ("GR", "Greece"), ("HU", "Hungary"), ("IS", "Iceland"), ("IE", "Ireland"),
    ("IT", "Italy"), ("LV", "Latvia"), ("LI", "Liechtenstein"), ("LT", "Lithuania"),
    ("LU", "Luxembourg"), ("MT", "Malta"), ("NL", "Netherlands"), ("NO", "Norway"),
    ("PL", "Poland"), ("PT", "Portugal"), ("RO", "Romania"), ("SK", "Slovakia"),
    ("SI", "Slovenia"), ("ES", "Spain"), ("SE", "Sweden"), ("CH", "Switzerland"),
    ("BR", "Brazil"), ("IN", "India"), ("JP", "Japan"), ("MX", "Mexico"), ("NZ", "New Zealand"),
    ("ZA", "South Africa"), ("ZZ", "Another country"),
]  # fmt: skip

US_STATE_CODES = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL",
    "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE",
    "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD",
    "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
]  # fmt: skip
# Québec has its own law (rules.py routes CA-QC to it), so Canadians give a province too.
CANADIAN_PROVINCES = [
    ("AB", "Alberta"), ("BC", "British Columbia"), ("MB", "Manitoba"), ("NB", "New Brunswick"),
    ("NL", "Newfoundland and Labrador"), ("NS", "Nova Scotia"), ("NT", "Northwest Territories"),
    ("NU", "Nunavut"), ("ON", "Ontario"), ("PE", "Prince Edward Island"), ("QC", "Québec"),
    ("SK", "Saskatchewan"), ("YT", "Yukon"),
]  # fmt: skip
SUBDIVISIONS = {
    "US": frozenset(US_STATE_CODES),
    "CA": frozenset(code for code, _ in CANADIAN_PROVINCES),
}
STATE_CHOICES = [
    ("", "Not in the United States or Canada"),
    ("United States", [(code, code) for code in US_STATE_CODES]),
    ("Canada", CANADIAN_PROVINCES),
]


def state_clean(form: forms.Form, data: dict) -> None:
    """A US state or Canadian province must belong to the country chosen (it decides
    which law applies); with another country it is dropped."""
    country, state = data.get("country"), data.get("state")
    if country in SUBDIVISIONS:
        if not state:
            form.add_error(
                "state", "Choose your state." if country == "US" else "Choose your province."
            )
        elif state not in SUBDIVISIONS[country]:
            form.add_error("state", "Choose a state or province of the country you chose.")
    elif state:
        data["state"] = ""


PUBLIC_TYPES = [(value, label) for value, label in RequestType.choices if value != "appeal"]


class _OneOrMoreChoiceField(forms.MultipleChoiceField):
    """A multiple choice that also takes a single value (an older form, an API client)."""

    def to_python(self, value):
        return super().to_python([value] if isinstance(value, str) else value)


def _objection_choices() -> list[tuple[str, str]]:
    from consent.selectors import objection_choices  # requests_app → consent, at call time

    return objection_choices()


def objection_purposes_field(
    label: str = "If you object: to what?",
    help_text: str = "Leave empty to object to everything we do with your data on the "
    "basis of our interests, direct marketing included.",
) -> forms.MultipleChoiceField:
    """What an objection objects to (GDPR Art. 21; issue 8.8): the public form and the
    staff's intake ask the same question from the same list (read when the form is
    built, so purposes staff add appear at once)."""
    return forms.MultipleChoiceField(
        label=label,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=_objection_choices,
        help_text=help_text,
    )


class PrivacyRequestForm(forms.Form):
    # Several at once (e.g. a copy of my data, then delete it): each becomes its own
    # request with its own deadline, and one confirmation covers them all.
    request_type = _OneOrMoreChoiceField(
        label="What would you like us to do?",
        choices=PUBLIC_TYPES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose one or more. We confirm it is you once for all of them.",
        error_messages={"required": "Choose at least one thing you would like us to do."},
    )
    country = forms.ChoiceField(label="Country where you live", choices=COUNTRIES)
    state = forms.ChoiceField(
        label="State or province (if you live in the United States or Canada)",
        choices=STATE_CHOICES,
        required=False,
    )
    full_name = forms.CharField(label="Your full name", max_length=200, required=False)
    email = forms.CharField(
        label="E-mail address",
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="We send a link to this address to confirm it is you.",
    )
    phone = forms.CharField(
        label="Phone number",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text="If you give only a phone number we confirm it with a text message code.",
    )
    details = forms.CharField(
        label="Details",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="For example what to correct, or which business's service you used.",
    )
    # Only for instructions about one's data after death (France, Loi n° 78-17 art. 85).
    post_mortem_wishes = forms.ChoiceField(
        label="What should happen to your data after your death?",
        choices=PostMortemInstructions.Wishes.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text="Only for instructions about your data after your death; describe them in Details.",
    )
    trusted_person_name = forms.CharField(
        label="Person who should carry out your instructions (optional)",
        max_length=200,
        required=False,
    )
    trusted_person_contact = forms.CharField(
        label="Their e-mail address or phone number",
        max_length=254,
        required=False,
    )
    objection_purposes = objection_purposes_field()
    is_agent = forms.BooleanField(
        label="I am an authorised agent acting for someone else", required=False
    )
    agent_name = forms.CharField(label="Agent's name", max_length=200, required=False)
    agent_email = forms.CharField(
        label="Agent's e-mail address", max_length=254, required=False, widget=forms.EmailInput
    )
    agent_proof = forms.FileField(
        label="Signed permission from the person (PDF, PNG or JPEG)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )
    # Honeypot: hidden from people by CSS, left visible to bots.
    website = forms.CharField(label="Leave this field empty", required=False)

    def clean(self):
        data = super().clean()
        state_clean(self, data)
        if not (data.get("email") or "").strip() and not (data.get("phone") or "").strip():
            self.add_error("email", "Give an e-mail address or a phone number so we can reply.")
        return data


class PackageTransferForm(forms.Form):
    recipient_name = forms.CharField(label="Organisation to send your data to", max_length=200)
    recipient_email = forms.CharField(
        label="Its e-mail address",
        max_length=254,
        widget=forms.EmailInput,
        help_text="We first ask this address to confirm it is theirs; then we send it a download link.",
    )


class VerificationCodeForm(forms.Form):
    """The SMS code. Right after sending the form the page knows the number (kept in the
    person's session, never in the URL) and asks for the code only; otherwise, or when
    the person chooses another number, it asks for the number too."""

    # National numbers are read with the country, as on the request form.
    country = forms.ChoiceField(
        label="Country of that phone number", choices=COUNTRIES, required=False
    )
    phone = forms.CharField(
        label="Phone number the code was sent to", max_length=40, required=False
    )
    code = forms.CharField(
        label="Code",
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
        help_text="The 6 digits in the text message we sent you.",
    )

    def __init__(self, *args, number_known: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.number_known = number_known
        if not number_known:
            self.fields["country"].required = True
            self.fields["phone"].required = True


class AppealForm(forms.Form):
    statement = forms.CharField(
        label="Why do you disagree with our decision?",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
