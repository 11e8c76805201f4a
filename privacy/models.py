"""The privacy core's data: customers we process for, the people (contacts) whose data
we hold, their communications, the record of processing, retention rules, legal holds,
the suppression list, erasure certificates and the audit trail.

Rules that live inside one row are database constraints; rules across rows are in
``privacy.services``. Nothing here has behaviour in ``save()``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from privacy.audit_actions import audit_action_label


class Customer(models.Model):
    """A business we serve. For its contacts we are the processor; it is the controller."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        TERMINATED = "terminated", "Terminated"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    contract_ended_on = models.DateField(
        null=True, blank=True, help_text="Date the contract was terminated, if it was."
    )
    last_activity_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Last use of the platform; 5 years without use ends the contract.",
    )
    privacy_contact_email = models.EmailField(
        blank=True, help_text="Where privacy requests from this customer's contacts are relayed."
    )
    default_phone_region = models.CharField(
        max_length=2, default="US", help_text="ISO country code used for national phone formats."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("import_customer", "Can import customers from a file"),
            ("export_customer", "Can export customers to a file"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="active") | Q(contract_ended_on__isnull=False),
                name="customer_terminated_has_end_date",
                violation_error_message="A terminated customer needs the date its contract ended.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A data subject. With a customer: that customer's end user (processor mode).
    Without: our own prospect, site visitor or account holder (controller mode).

    ``email`` and ``phone`` hold the primary identifiers for display; every identifier
    (a person may have several) is a ``ContactIdentifier`` row, which is what search and
    deduplication use.

    The lists below are the one place that says which columns are what; forms, admin,
    services, export and erasure read them (``ERASED_FIELDS`` / ``KEPT_FIELDS``: see
    ``privacy.personal_data``)."""

    #: The postal address.
    ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "postal_code", "country", "state")
    #: What staff edit on the contact page (identifiers have their own service).
    EDITABLE_FIELDS = (
        "kind",
        "first_name",
        "last_name",
        *ADDRESS_FIELDS,
        "date_of_birth",
        "is_minor",
        "source",
        "notes",
        "do_not_contact",
    )
    #: What ``contact_update`` may change: the editable fields and the activity stamp.
    UPDATABLE_FIELDS = (*EDITABLE_FIELDS, "last_interaction_at")
    #: What a person may have corrected by a correction request.
    CORRECTABLE_FIELDS = ("first_name", "last_name", *ADDRESS_FIELDS, "date_of_birth")
    #: Emptied (NULL) when the person is erased; the row stays as a tombstone.
    ERASED_FIELDS = (
        "first_name",
        "last_name",
        "email",
        "phone",
        *ADDRESS_FIELDS,
        "date_of_birth",
        "is_minor",
        "source",
        "notes",
        "last_interaction_at",
        "sensitive_use_limited_at",
    )
    #: Kept after the erasure, and why.
    KEPT_FIELDS = {
        "kind": "The kind of relationship (end user, prospect, ...): a category, not the person.",
        "created_at": "When the record was made: dates the tombstone the certificate points to.",
        "erased_at": "When the person was erased: part of the proof of erasure.",
        "do_not_contact": "The person asked not to be contacted: a flag, not the person, "
        "kept so the tombstone is never contacted again (with the suppression list).",
        "is_restricted": "Processing was restricted at the person's request: a flag, not "
        "the person, kept so nothing processes the tombstone.",
    }

    class Kind(models.TextChoices):
        END_USER = "end_user", "Customer's end user"
        PROSPECT = "prospect", "Prospect"
        SITE_VISITOR = "site_visitor", "Site visitor"
        ACCOUNT_HOLDER = "account_holder", "Account holder"

    # Indexed by contact_customer_kind (customer first); no second single-column index.
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        db_index=False,
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.END_USER)
    first_name = models.CharField(max_length=150, null=True, blank=True)
    last_name = models.CharField(max_length=150, null=True, blank=True)
    email = models.CharField(max_length=254, null=True, blank=True)
    phone = models.CharField(max_length=20, null=True, blank=True, help_text="E.164")
    address_line1 = models.CharField(max_length=200, null=True, blank=True)
    address_line2 = models.CharField(max_length=200, null=True, blank=True)
    city = models.CharField(max_length=100, null=True, blank=True)
    postal_code = models.CharField(max_length=20, null=True, blank=True)
    country = models.CharField(max_length=2, null=True, blank=True, help_text="ISO 3166-1 alpha-2")
    state = models.CharField(max_length=10, null=True, blank=True, help_text="State or region code")
    date_of_birth = models.DateField(null=True, blank=True)
    is_minor = models.BooleanField(
        null=True, blank=True, help_text="Known to be under the minor age (children's data rules)."
    )
    source = models.CharField(max_length=100, null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    do_not_contact = models.BooleanField(
        default=False,
        help_text="Asked never to be contacted; kept on the suppression list if erased.",
    )
    is_restricted = models.BooleanField(
        default=False, help_text="Processing restricted (GDPR Art. 18): no use beyond storage."
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_interaction_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    sensitive_use_limited_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Asked us to limit the use of sensitive personal information "
        "(Cal. Civ. Code §1798.121): used only as 11 CCR §7027(m) allows.",
    )

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["customer", "kind"], name="contact_customer_kind"),
            models.Index(fields=["kind", "last_interaction_at"], name="contact_kind_last_seen"),
            models.Index(fields=["last_name", "first_name"], name="contact_name"),
            models.Index(
                fields=["erased_at"], name="contact_erased", condition=Q(erased_at__isnull=False)
            ),
            # The nightly minors job: people known by birth date or by the flag.
            models.Index(
                fields=["date_of_birth"],
                name="contact_minor_dob",
                condition=Q(date_of_birth__isnull=False, erased_at__isnull=True),
            ),
            models.Index(
                fields=["id"],
                name="contact_minor_flag",
                condition=Q(is_minor=True, erased_at__isnull=True),
            ),
        ]
        permissions = [
            ("export_contact", "Can export contacts' personal data"),
            ("import_contact", "Can import contacts from a file"),
            ("erase_contact", "Can erase a contact's personal data"),
            ("flag_minor_contact", "Can mark a contact as a minor (schedules erasure)"),
        ]

    def __str__(self) -> str:
        if self.erased_at:
            return f"Erased contact #{self.pk}"
        return f"Contact #{self.pk}"

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or "—"

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class ContactIdentifier(models.Model):
    """An e-mail address or phone number a contact is known by.

    ``match_key`` is the case-insensitive e-mail or the E.164 number; it is unique per
    customer (or among controller-mode contacts), which is how people are deduplicated."""

    #: Erasure deletes the rows.
    ERASED_FIELDS = ("kind", "value", "match_key", "extension", "created_at")
    KEPT_FIELDS: dict[str, str] = {}

    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail"
        PHONE = "phone", "Phone"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identifiers")
    # Indexed by identifier_unique_per_customer (customer first).
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=254, help_text="As stored (normalised)")
    match_key = models.CharField(max_length=254)
    extension = models.CharField(max_length=20, null=True, blank=True)
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "match_key"],
                condition=Q(customer__isnull=False),
                name="identifier_unique_per_customer",
                violation_error_message="Another contact of this customer already has this identifier.",
            ),
            models.UniqueConstraint(
                fields=["kind", "match_key"],
                condition=Q(customer__isnull=True),
                name="identifier_unique_controller",
                violation_error_message="Another of our own contacts already has this identifier.",
            ),
        ]
        indexes = [models.Index(fields=["kind", "match_key"], name="identifier_lookup")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of contact #{self.contact_id}"


class Interaction(models.Model):
    """One communication with a contact: the bulk of the personal data we hold."""

    #: Erasure deletes the rows, except call records, which keep only the kept fields.
    ERASED_FIELDS = (
        "from_number",
        "to_number",
        "body",
        "recording_ref",
        "ip_address",
        "user_agent",
    )
    KEPT_FIELDS = {
        "channel": "A call (the only records kept): for customer billing and tax records.",
        "direction": "Inbound or outbound: billing and tax records of the call.",
        "occurred_at": "When the call was: billing and tax records.",
        "deidentified_at": "When the record was de-identified: part of the proof of erasure.",
    }

    class Channel(models.TextChoices):
        CALL = "call", "Call"
        SMS = "sms", "SMS"
        CHAT = "chat", "Chat"
        WEB_FORM = "web_form", "Web form"
        EMAIL = "email", "E-mail"

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Inbound"
        OUTBOUND = "outbound", "Outbound"

    # Both foreign keys are the leading column of an index below; no single-column ones.
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    from_number = models.CharField(max_length=20, null=True, blank=True)
    to_number = models.CharField(max_length=20, null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    body = models.TextField(null=True, blank=True, help_text="Message body or transcript")
    recording_ref = models.CharField(max_length=255, null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, null=True, blank=True)
    deidentified_at = models.DateTimeField(
        null=True, blank=True, help_text="Kept for billing with everything personal removed."
    )

    class Meta:
        ordering = ["-occurred_at"]
        permissions = [
            ("import_interaction", "Can import interactions from a file"),
            ("export_interaction", "Can export interactions to a file"),
        ]
        indexes = [
            # A person's history, newest first: the access export and the contact page.
            models.Index(fields=["contact", "-occurred_at"], name="interaction_contact_time"),
            # Per-customer reporting and retention.
            models.Index(fields=["customer", "occurred_at"], name="interaction_customer_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk}"


class DataCategory(models.Model):
    """A row of the record of processing (GDPR Art. 30; CCPA 'right to know')."""

    class LegalBasis(models.TextChoices):
        CONSENT = "consent", "Consent"
        CONTRACT = "contract", "Contract"
        LEGAL_OBLIGATION = "legal_obligation", "Legal obligation"
        LEGITIMATE_INTEREST = "legitimate_interest", "Legitimate interest"

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField()
    purposes = models.TextField()
    legal_basis = models.CharField(max_length=30, choices=LegalBasis.choices)
    sources = models.TextField()
    recipients = models.TextField()
    retention = models.TextField(help_text="How long, in words a person understands.")
    is_sensitive = models.BooleanField(default=False)
    sold_or_shared = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "data categories"

    def __str__(self) -> str:
        return self.name


class DataTransfer(models.Model):
    """A data category sent to a recipient outside the EEA, and the safeguard that makes
    it lawful (GDPR Art. 44-49). Access answers list them (Art. 15(2))."""

    class Safeguard(models.TextChoices):
        ADEQUACY = "adequacy", "Adequacy decision (GDPR Art. 45)"
        SCC = "scc", "Standard contractual clauses (GDPR Art. 46(2)(c))"
        BCR = "bcr", "Binding corporate rules (GDPR Art. 47)"
        CODE_OR_CERT = (
            "code_or_cert",
            "Approved code of conduct or certification (Art. 46(2)(e)-(f))",
        )
        DEROGATION = "derogation", "Derogation for a specific situation (GDPR Art. 49)"

    category = models.ForeignKey(DataCategory, on_delete=models.CASCADE, related_name="transfers")
    recipient = models.CharField(
        max_length=200, help_text="Organisation (or kind of recipient); no personal names."
    )
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 of the recipient")
    safeguard = models.CharField(max_length=20, choices=Safeguard.choices)
    safeguard_detail = models.CharField(
        max_length=300,
        help_text="Which decision or clauses, e.g. 'SCCs 2021/914, module 2' or "
        "'EU-US Data Privacy Framework, Decision (EU) 2023/1795'.",
    )
    copy_available_at = models.CharField(
        max_length=300, blank=True, help_text="Where the person can get a copy of the safeguard."
    )
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True, help_text="Empty while it goes on.")

    class Meta:
        ordering = ["category__name", "country", "recipient"]
        constraints = [
            models.CheckConstraint(
                condition=Q(until__isnull=True)
                | Q(since__isnull=True)
                | Q(until__gte=models.F("since")),
                name="transfer_until_after_since",
                violation_error_message="A transfer cannot end before it started.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.category} to {self.recipient} ({self.country})"


class Disclosure(models.Model):
    """One disclosure of a person's data to a public authority or a third party under a
    legal obligation: who received what, when, on which legal basis, and whether (and
    when) the person may be told. Holds no personal data beyond the contact it is about."""

    ERASED_FIELDS = ()
    _LOG = "The disclosure log is kept as proof that a disclosure the law required was lawful"
    KEPT_FIELDS = {
        "recipient": f"{_LOG}: who received the data (an organisation, no personal names).",
        "recipient_kind": f"{_LOG}: the kind of recipient.",
        "disclosed_on": f"{_LOG}: when.",
        "legal_basis": f"{_LOG}: the law or order (entered without personal data).",
        "reference": f"{_LOG}: our case reference (entered without personal data).",
        "notice": f"{_LOG}: whether the person was told.",
        "notice_forbidden_basis": f"{_LOG}: why the person could not be told.",
        "notice_forbidden_until": f"{_LOG}: until when the person could not be told.",
        "notified_at": f"{_LOG}: when the person was told.",
        "recorded_at": f"{_LOG}: when it was logged.",
    }

    class RecipientKind(models.TextChoices):
        AUTHORITY = "authority", "Public authority (court, police, regulator, tax)"
        THIRD_PARTY = "third_party", "Third party, under a legal obligation"

    class Notice(models.TextChoices):
        TO_SEND = "to_send", "To be sent to the person"
        FORBIDDEN = "forbidden", "Forbidden by law for now"
        SENT = "sent", "Sent to the person"
        NOT_SENT = "not_sent", "Not sent (no address we may use)"
        NOT_REQUIRED = "not_required", "Not required (not a compelled disclosure)"

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="disclosures")
    recipient = models.CharField(
        max_length=200, help_text="The authority or organisation; no personal names."
    )
    recipient_kind = models.CharField(max_length=20, choices=RecipientKind.choices)
    disclosed_on = models.DateField()
    legal_basis = models.CharField(
        max_length=300,
        help_text="The law or order that obliged us, e.g. 'Subpoena under 18 U.S.C. §2703(d), case 24-cv-1'.",
    )
    categories = models.ManyToManyField(DataCategory, related_name="disclosures")
    compelled = models.BooleanField(
        default=True, help_text="Compelled (an order or a legal duty), rather than voluntary."
    )
    reference = models.CharField(
        max_length=100, blank=True, help_text="Our case or matter reference; no personal data."
    )
    notice = models.CharField(max_length=12, choices=Notice.choices, default=Notice.TO_SEND)
    notice_forbidden_basis = models.CharField(
        max_length=300,
        blank=True,
        help_text="The provision or order that forbids telling the person (a gag order, "
        "e.g. 18 U.S.C. §2705(b)); required while the notice is forbidden.",
    )
    notice_forbidden_until = models.DateField(
        null=True,
        blank=True,
        help_text="Last day telling the person is forbidden; empty: until lifted.",
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-disclosed_on", "-id"]
        indexes = [
            models.Index(
                fields=["notice", "notice_forbidden_until"],
                condition=Q(notice__in=["to_send", "forbidden"]),
                name="disclosure_notice_due",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(notice="forbidden") | ~Q(notice_forbidden_basis=""),
                name="disclosure_forbidden_has_basis",
                violation_error_message="Say which law or order forbids telling the person.",
            )
        ]

    def __str__(self) -> str:
        return f"Disclosure #{self.pk} (contact #{self.contact_id})"

    def notice_forbidden_on(self, day: dt.date) -> bool:
        return self.notice == self.Notice.FORBIDDEN and (
            self.notice_forbidden_until is None or day <= self.notice_forbidden_until
        )


class RetentionRule(models.Model):
    """How long a kind of data is kept. Rows without a customer are the defaults; a row
    with a customer overrides the default of the same code for that customer."""

    class Code(models.TextChoices):
        CUSTOMER_CONTRACT_END = (
            "customer_contract_end",
            "Contacts of a customer after its contract ended",
        )
        CONTRACT_INACTIVITY = (
            "contract_inactivity",
            "A contract counts as ended after this long unused",
        )
        PROSPECT_LAST_CONTACT = "prospect_last_contact", "Prospects after last contact"
        COOKIE_DATA = "cookie_data", "Cookie / site-visitor data"
        UNUSED_ACCOUNT = "unused_account", "Unused accounts after last use"

    class Action(models.TextChoices):
        ERASE = "erase", "Erase (de-identify what the law makes us keep)"
        NONE = "none", "Marker only (used by other rules)"

    code = models.CharField(max_length=40, choices=Code.choices)
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="retention_overrides",
    )
    period_days = models.PositiveIntegerField()
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.ERASE)
    is_active = models.BooleanField(default=True)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=200, blank=True, help_text="Policy clause or law")

    class Meta:
        ordering = ["code", "customer_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(customer__isnull=True), name="retention_default_unique"
            ),
            models.UniqueConstraint(
                fields=["code", "customer"],
                condition=Q(customer__isnull=False),
                name="retention_override_unique",
            ),
        ]

    def __str__(self) -> str:
        scope = f" for {self.customer}" if self.customer_id else ""
        return f"{self.get_code_display()}{scope}: {self.period_days} days"

    @property
    def period(self) -> dt.timedelta:
        return dt.timedelta(days=self.period_days)


class LegalHoldQuerySet(models.QuerySet):
    """The legal-hold rule, in one place: a hold applies to a contact when it is placed
    on the contact or on the contact's customer (``covering`` / ``covering_outer_contact``),
    and it is in force on a day when it is not lifted and has not ended before that day
    (``active``). Erasure, its preview, the retention sweep and the admin all ask here."""

    def active(self, *, on: dt.date | None = None) -> LegalHoldQuerySet:
        on = on or timezone.localdate()
        return self.filter(lifted_at__isnull=True).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=on)
        )

    def covering(self, contacts: Sequence[Contact]) -> LegalHoldQuerySet:
        """Holds on any of ``contacts`` or on any of their customers."""
        contact_ids = [c.pk for c in contacts]
        customer_ids = sorted({c.customer_id for c in contacts if c.customer_id})
        return self.filter(Q(contact_id__any=contact_ids) | Q(customer_id__any=customer_ids))

    def covering_outer_contact(self) -> Q:
        """The same rule as a condition on a ``Contact`` queryset (the contact of each
        row is held). Two EXISTS, each served by its partial index, rather than one with
        an OR inside."""
        return Exists(self.filter(contact_id=OuterRef("pk"))) | Exists(
            self.filter(customer_id=OuterRef("customer_id"))
        )


class LegalHold(models.Model):
    """Keeps a contact's or a whole customer's data from erasure and retention deletion."""

    ERASED_FIELDS = ()
    KEPT_FIELDS = {
        "reason": "Case or matter reference and the law; entered without personal data.",
        "placed_at": "When the hold began: the record of why data was kept.",
        "ends_on": "When the hold ends: the record of why data was kept.",
        "lifted_at": "When the hold was lifted: the record of why data was kept.",
    }

    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="legal_holds"
    )
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="legal_holds"
    )
    reason = models.CharField(
        max_length=200, help_text="Case or matter reference and the law; no personal data."
    )
    # PROTECT: staff who acted are deactivated, never deleted (privacy.services.staff).
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)
    ends_on = models.DateField(
        null=True, blank=True, help_text="Leave empty for an open-ended hold."
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(contact__isnull=False) & Q(customer__isnull=True))
                | (Q(contact__isnull=True) & Q(customer__isnull=False)),
                name="legal_hold_one_target",
                violation_error_message="A hold applies to exactly one contact or one customer.",
            )
        ]
        indexes = [
            models.Index(
                fields=["contact"], condition=Q(lifted_at__isnull=True), name="hold_open_contact"
            ),
            models.Index(
                fields=["customer"], condition=Q(lifted_at__isnull=True), name="hold_open_customer"
            ),
        ]
        permissions = [("manage_legalhold", "Can place and lift legal holds")]

    def __str__(self) -> str:
        target = (
            f"contact #{self.contact_id}" if self.contact_id else f"customer #{self.customer_id}"
        )
        return f"Hold on {target}: {self.reason}"

    def is_active_on(self, day: dt.date) -> bool:
        return self.lifted_at is None and (self.ends_on is None or self.ends_on >= day)


class Suppression(models.Model):
    """An identifier that must never be contacted again, kept only as an HMAC.

    Only the person's own provable act from that identifier lifts it (a START / YES
    texted from the number, recorded in the consent ledger): ``lifted_at`` and the
    ledger event's id are set, and the row stays as the record. A later erasure that
    suppresses the identifier again adds a new row."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        PHONE = "phone", "Phone (SMS and calls)"

    class Scope(models.TextChoices):
        CUSTOMER = "customer", "One customer"
        GLOBAL = "global", "Everyone"

    identifier_hmac = models.CharField(max_length=64)
    key_id = models.CharField(max_length=20)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    scope = models.CharField(max_length=10, choices=Scope.choices)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_on = models.DateField(default=timezone.localdate)
    reason = models.CharField(max_length=40, default="erasure")
    lifted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the person's own act lifted it"
    )
    # privacy does not import consent: the ledger event is named by its id only.
    lifted_by_event_id = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="The consent ledger event (ConsentEvent id) recording the person's act",
    )

    class Meta:
        verbose_name_plural = "suppressions"
        constraints = [
            # One live row per identifier and scope; lifted rows stay beside it as record.
            models.UniqueConstraint(
                fields=["identifier_hmac", "channel", "customer"],
                condition=Q(customer__isnull=False, lifted_at__isnull=True),
                name="suppression_unique_customer",
            ),
            models.UniqueConstraint(
                fields=["identifier_hmac", "channel"],
                condition=Q(customer__isnull=True, lifted_at__isnull=True),
                name="suppression_unique_global",
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | Q(lifted_by_event_id__isnull=False),
                name="suppression_lift_has_evidence",
                violation_error_message="A lifted suppression names the ledger event.",
            ),
            models.CheckConstraint(
                condition=(Q(scope="customer") & Q(customer__isnull=False))
                | (Q(scope="global") & Q(customer__isnull=True)),
                name="suppression_scope_matches_customer",
            ),
        ]
        indexes = [models.Index(fields=["identifier_hmac"], name="suppression_hmac")]

    def __str__(self) -> str:
        return f"Suppressed {self.get_channel_display()} ({self.get_scope_display()})"


class ErasureCertificate(models.Model):
    """Proof of an erasure: who, when, counts per provider, what was kept and why.
    Holds no personal data: the subject is referred to by id only."""

    ERASED_FIELDS = ()
    KEPT_FIELDS = {
        "performed_at": "The proof of erasure: when.",
        "trigger": "The proof of erasure: why (staff, request, retention).",
        "reference": "The proof of erasure: the request reference or retention rule code.",
        "counts": "The proof of erasure: rows erased per table.",
        "kept": "The proof of erasure: what was kept and the reason.",
    }

    class Trigger(models.TextChoices):
        STAFF = "staff", "Staff action"
        REQUEST = "request", "Privacy request"
        RETENTION = "retention", "Retention rule"
        MINOR = "minor", "Children's data (a minor's data erased promptly)"

    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="erasure_certificates"
    )
    # PROTECT: the certificate names who erased; that account can be deactivated only.
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    performed_at = models.DateTimeField(default=timezone.now)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    reference = models.CharField(
        max_length=100, blank=True, help_text="Request reference or retention rule code"
    )
    counts = models.JSONField(help_text="Rows erased per provider and table")
    kept = models.JSONField(help_text="What was kept (de-identified), how much and why")
    suppressed = models.PositiveIntegerField(
        default=0, help_text="Identifiers added to the suppression list"
    )

    class Meta:
        ordering = ["-performed_at"]

    def __str__(self) -> str:
        return f"Erasure certificate #{self.pk} (contact #{self.contact_id})"


class MinorErasure(models.Model):
    """A minor's data, scheduled for prompt erasure once we know the person is a minor
    (``privacy.services.minors``). One row per contact: it stays in the staff queue
    (admin: "Minors' data to erase") until the nightly job has erased the contact, or
    staff cancel it (e.g. the birth date was wrong)."""

    ERASED_FIELDS = ()
    _PROOF = "The queue entry is the record of why and when a minor's data was erased"
    KEPT_FIELDS = {
        "state": f"{_PROOF}: its outcome.",
        "basis": f"{_PROOF}: how we knew (birth date or flag), not the date itself.",
        "jurisdiction": f"{_PROOF}: the law whose age limit applied (state or country code).",
        "found_at": f"{_PROOF}: when we learned it.",
        "erase_after": f"{_PROOF}: the grace period.",
        "reason": f"{_PROOF}: why it waited or was cancelled (entered without personal data).",
        "done_at": f"{_PROOF}: when it was done.",
    }

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held by a legal hold"
        DEFERRED = "deferred", "Waiting (e.g. an open privacy request)"
        DONE = "done", "Erased"
        CANCELLED = "cancelled", "Cancelled (not a minor)"

    class Basis(models.TextChoices):
        BIRTH_DATE = "birth_date", "Date of birth, under the age limit where they live"
        FLAG = "flag", "Marked as a minor (staff, import or API)"

    contact = models.OneToOneField(Contact, on_delete=models.PROTECT, related_name="minor_erasure")
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    basis = models.CharField(max_length=12, choices=Basis.choices)
    age_limit = models.PositiveSmallIntegerField(help_text="Under this age they were a minor.")
    jurisdiction = models.CharField(max_length=10, blank=True)
    found_at = models.DateTimeField(default=timezone.now)
    erase_after = models.DateTimeField()
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(
        max_length=300, blank=True, help_text="Why it waits or was cancelled (no personal data)."
    )
    certificate = models.ForeignKey(
        ErasureCertificate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["erase_after", "id"]
        verbose_name = "minor's data to erase"
        verbose_name_plural = "minors' data to erase"
        indexes = [
            models.Index(
                fields=["erase_after"],
                condition=Q(state__in=["scheduled", "held", "deferred"]),
                name="minor_erasure_open",
            )
        ]

    def __str__(self) -> str:
        return f"Minor's data, contact #{self.contact_id} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_MINOR_STATES


OPEN_MINOR_STATES = (
    MinorErasure.State.SCHEDULED,
    MinorErasure.State.HELD,
    MinorErasure.State.DEFERRED,
)


class AuditEvent(models.Model):
    """Append-only trail of everything done to personal data. Never holds personal data:
    actor, action, object type and id, time and a summary of counts and codes.
    On PostgreSQL a trigger refuses UPDATE and DELETE (migration 0002)."""

    # PROTECT in the ORM: an account that acted is deactivated, never deleted, so every
    # row keeps its actor. (No database constraint: the table is append-only.)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="+",
    )
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["action", "occurred_at"], name="audit_action_time"),
            models.Index(fields=["occurred_at"], name="audit_time"),
            # "What did this staff member do?" (the audit trail's actor filter).
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_time"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"

    @property
    def action_label(self) -> str:
        """The action in words (``AuditAction``'s label)."""
        return audit_action_label(self.action)


class StaffPreference(models.Model):
    """A staff member's own settings for staff pages: the time zone times are shown in
    (``privacy.middleware.StaffTimeZoneMiddleware``; default ``STAFF_TIME_ZONE``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_preference"
    )
    time_zone = models.CharField(max_length=64, help_text="An IANA time zone, e.g. Europe/London")

    def __str__(self) -> str:
        return f"Preferences of staff user #{self.user_id}"


class OutboxTask(models.Model):
    """Work queued for Celery, written in the same transaction as the change it follows
    (a transactional outbox). After the commit the task is published and the row marked
    sent; a row left unsent (the broker was down) is published again by the relay
    (``outbox_relay``, every minute) once the broker is back. Holds ids only."""

    task = models.CharField(max_length=200, help_text="Registered Celery task name")
    args = models.JSONField(default=list, blank=True, help_text="Positional arguments: ids only")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Failed publish attempts")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(
        max_length=100, blank=True, help_text="Type of the last publish error (never its text)"
    )

    class Meta:
        ordering = ["id"]
        verbose_name = "outbox task"
        indexes = [
            # The relay's work list: small however many sent rows there are.
            models.Index(
                fields=["created_at"], condition=Q(sent_at__isnull=True), name="outbox_unsent"
            ),
            models.Index(
                fields=["sent_at"], condition=Q(sent_at__isnull=False), name="outbox_sent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk} ({'sent' if self.sent_at else 'pending'})"
