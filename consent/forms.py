"""Staff forms of the consent admin. They check shape only; identifiers are normalised
by the selectors and services (``consent.selectors.identifiers``)."""

from __future__ import annotations

from django import forms

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
