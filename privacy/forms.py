"""Forms of the privacy admin: contact add/change (saved through the services), legal
holds, and the import forms (customer chosen on the form, upload size limit).

Forms only validate; ``privacy.services`` does the writing. Identifier checks use the
same ``privacy.identifiers`` functions as the services, so a bad e-mail or phone is a
form error instead of a failed save."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from import_export.forms import ConfirmImportForm, ImportForm

from privacy.identifiers import email_match_key, normalize_email, parse_phone
from privacy.models import Contact, Customer, Disclosure, LegalHold
from privacy.services.imports import existing_identifier_owners

# Fields staff edit on a contact (the model's list; all of them contact_update accepts).
CONTACT_EDITABLE_FIELDS = list(Contact.EDITABLE_FIELDS)


def _region(customer: Customer | None) -> str:
    return customer.default_phone_region if customer else "US"


def _normalised_identifier(kind: str, raw: str, region: str) -> tuple[str, str]:
    """(value, match_key) or ValidationError with the identifiers module's message."""
    if kind == "email":
        value = normalize_email(raw)
        return value, email_match_key(value)
    parsed = parse_phone(raw, default_region=region)
    return parsed.e164, parsed.e164


class _IdentifierFieldsMixin:
    """Validates the e-mail / phone fields named in ``identifier_fields``."""

    identifier_fields: dict[str, str] = {}  # form field -> kind

    def _customer(self) -> Customer | None:
        raise NotImplementedError

    def _check_identifiers(self, cleaned: dict, *, own_contact_id: int | None) -> list[tuple]:
        customer = self._customer()
        found = []
        for field_name, kind in self.identifier_fields.items():
            raw = (cleaned.get(field_name) or "").strip()
            if not raw:
                continue
            try:
                value, match_key = _normalised_identifier(kind, raw, _region(customer))
            except ValidationError as exc:
                self.add_error(field_name, exc.messages[0])
                continue
            found.append((field_name, kind, value, match_key))
        if own_contact_id is not None and found:
            owners = existing_identifier_owners(customer, [(k, m) for _, k, _, m in found])
            for field_name, kind, _value, match_key in found:
                owner = owners.get((kind, match_key))
                if owner and owner != own_contact_id:
                    label = "e-mail address" if kind == "email" else "phone number"
                    self.add_error(
                        field_name,
                        f"Another contact of this customer (#{owner}) already has this {label}.",
                    )
        return found


class ContactAddForm(_IdentifierFieldsMixin, forms.ModelForm):
    """New contact. If the customer already has a contact with this e-mail or phone the
    service adds the identifiers to that contact instead of creating a second one."""

    email_address = forms.CharField(label="E-mail", required=False, max_length=254)
    phone_number = forms.CharField(
        label="Phone",
        required=False,
        max_length=40,
        help_text="Any common format; national numbers use the customer's phone region.",
    )
    identifier_fields = {"email_address": "email", "phone_number": "phone"}

    class Meta:
        model = Contact
        fields = ["customer", *CONTACT_EDITABLE_FIELDS]

    def _customer(self):
        return self.cleaned_data.get("customer")

    def clean(self):
        cleaned = super().clean()
        found = self._check_identifiers(cleaned, own_contact_id=None)
        has_name = cleaned.get("first_name") or cleaned.get("last_name")
        if not found and not has_name and not self.errors:
            raise ValidationError(
                "A contact needs at least a name, an e-mail address or a phone number."
            )
        return cleaned


class ContactChangeForm(_IdentifierFieldsMixin, forms.ModelForm):
    """Edit a contact's details and add e-mails / phones (never rewrite one: the old
    identifier may carry consent and suppression history)."""

    add_email = forms.CharField(label="Add an e-mail", required=False, max_length=254)
    add_phone = forms.CharField(
        label="Add a phone",
        required=False,
        max_length=40,
        help_text="Any common format; national numbers use the customer's phone region.",
    )
    identifier_fields = {"add_email": "email", "add_phone": "phone"}

    class Meta:
        model = Contact
        fields = CONTACT_EDITABLE_FIELDS

    def _customer(self):
        return self.instance.customer if self.instance.customer_id else None

    def clean(self):
        cleaned = super().clean()
        self._check_identifiers(cleaned, own_contact_id=self.instance.pk)
        return cleaned


class LegalHoldActionForm(forms.Form):
    """The intermediate page of the "Place legal hold" actions."""

    reason = forms.CharField(
        max_length=200,
        help_text="Case or matter reference and the law; no personal data.",
    )
    ends_on = forms.DateField(
        required=False,
        help_text="Leave empty for an open-ended hold (YYYY-MM-DD).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_ends_on(self):
        ends_on = self.cleaned_data.get("ends_on")
        if ends_on and ends_on < timezone.localdate():
            raise ValidationError("A hold cannot end in the past.")
        return ends_on


class LegalHoldAddForm(forms.ModelForm):
    """Placing a hold from the legal-hold admin (saved by ``legal_hold_place``)."""

    class Meta:
        model = LegalHold
        fields = ["contact", "customer", "reason", "ends_on"]

    def clean(self):
        cleaned = super().clean()
        contact, customer = cleaned.get("contact"), cleaned.get("customer")
        if (contact is None) == (customer is None):
            raise ValidationError("Choose exactly one: a contact or a customer.")
        if contact is not None and contact.erased_at:
            self.add_error("contact", "This contact has already been erased.")
        ends_on = cleaned.get("ends_on")
        if ends_on and ends_on < timezone.localdate():
            self.add_error("ends_on", "A hold cannot end in the past.")
        return cleaned


# --- import forms -------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


class SizeLimitedImportForm(ImportForm):
    """The library's import form with the installation's upload size limit."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise ValidationError(
                f"The file is {_megabytes(upload.size)}; the admin import accepts at most "
                f"{_megabytes(limit)}. Split the file, or load it with the "
                "import_contacts management command."
            )
        return upload


class ContactImportForm(SizeLimitedImportForm):
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.order_by("name"),
        help_text="Every row becomes (or updates) a contact of this customer; its phone "
        "region is used for national phone numbers.",
    )
    field_order = ["customer", "resource", "import_file", "format"]


class ContactConfirmImportForm(ConfirmImportForm):
    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), widget=forms.HiddenInput())


# --- minors and the disclosure log -------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        help_text="Why (no personal data): e.g. 'birth date was mistyped, corrected'.",
    )


class DisclosureAddForm(forms.ModelForm):
    """Logging a disclosure from the admin (saved by ``disclosure_record``)."""

    class Meta:
        model = Disclosure
        fields = [
            "contact",
            "recipient",
            "recipient_kind",
            "disclosed_on",
            "legal_basis",
            "categories",
            "compelled",
            "reference",
            "notice_forbidden_basis",
            "notice_forbidden_until",
        ]
        widgets = {
            "disclosed_on": forms.DateInput(attrs={"type": "date"}),
            "notice_forbidden_until": forms.DateInput(attrs={"type": "date"}),
        }
        help_texts = {
            "notice_forbidden_basis": "Only when the law or an order forbids telling the person; "
            "leave empty and a compelled disclosure is notified to the person at once.",
        }

    def clean(self):
        cleaned = super().clean()
        contact = cleaned.get("contact")
        if contact is not None and contact.erased_at:
            self.add_error("contact", "This contact has been erased.")
        disclosed_on = cleaned.get("disclosed_on")
        if disclosed_on and disclosed_on > timezone.localdate():
            self.add_error("disclosed_on", "A disclosure cannot be in the future.")
        if cleaned.get("notice_forbidden_until") and not cleaned.get("notice_forbidden_basis"):
            self.add_error(
                "notice_forbidden_basis", "Say which law or order forbids telling the person."
            )
        return cleaned
