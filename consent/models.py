"""Consent data: what consent is for (Purpose), the words shown when it was asked
(Notice), the append-only ledger of grants and withdrawals (ConsentEvent), the fast
read projection of that ledger (ConsentState), SMS subscriptions per phone x sender,
the inbound SMS log, the numbers customers send from, per-customer API keys and the
cookie-banner records.

The ledger is the truth; ``ConsentState`` is derived from it in the same transaction
(``consent.services``) and can be rebuilt from it (``manage.py consent_state_rebuild``).
Nothing here has behaviour in ``save()``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from privacy.models import Contact, Customer


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    PHONE = "phone", "Phone call"
    WEB = "web", "Web (cookies, site)"
    DATA = "data", "Data use (no channel)"


class Purpose(models.Model):
    """What a consent is for. Seeded by migration 0002; staff may add more."""

    class Code(models.TextChoices):
        """The seeded purposes the software itself relies on (STOP, the cookie banner,
        GPC, the preference centre). Not the field's choices: staff may add others."""

        SMS_MARKETING = "sms_marketing", "SMS marketing"
        SMS_INFORMATIONAL = "sms_informational", "SMS informational"
        EMAIL_MARKETING = "email_marketing", "E-mail marketing"
        SALE_SHARING = "sale_sharing", "Sale/sharing for cross-context behavioural advertising"
        SENSITIVE_DATA_USE = "sensitive_data_use", "Use of sensitive personal information"
        COOKIES_ANALYTICS = "cookies_analytics", "Cookies: analytics"
        COOKIES_ADVERTISING = "cookies_advertising", "Cookies: advertising"

    class LegalBasis(models.TextChoices):
        CONSENT = "consent", "Consent"
        LEGITIMATE_INTEREST = "legitimate_interest", "Legitimate interest (opt-out)"
        CONTRACT = "contract", "Contract"

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    legal_basis = models.CharField(
        max_length=30, choices=LegalBasis.choices, default=LegalBasis.CONSENT
    )
    is_marketing = models.BooleanField(
        default=False, help_text="Marketing: quiet hours apply to SMS; STOP always withdraws it."
    )
    requires_double_opt_in = models.BooleanField(
        default=False, help_text="A sign-up stays pending until the person confirms (reply YES)."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_per_identifier(self) -> bool:
        """E-mail and SMS consent names the address or number it covers."""
        return self.channel in (Channel.EMAIL, Channel.SMS)


class Notice(models.Model):
    """The exact text shown when consent was asked. Published versions never change
    (the admin shows them read-only and, on PostgreSQL, a trigger refuses the UPDATE);
    a change is a new version."""

    class Kind(models.TextChoices):
        BANNER = "banner", "Cookie banner"
        FORM_CHECKBOX = "form_checkbox", "Form checkbox"
        SMS_PROMPT = "sms_prompt", "SMS opt-in prompt"
        IVR_DISCLOSURE = "ivr_disclosure", "IVR recording disclosure"
        AGENT_SCRIPT = "agent_script", "Agent script"

    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="notices")
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    language = models.CharField(max_length=10, default="en")
    text = models.TextField()
    text_sha256 = models.CharField(max_length=64, editable=False)
    is_material_change = models.BooleanField(
        default=False,
        help_text="This version changes what people agree to: when it is published, the "
        "people who consented under an earlier version are told, and asked to confirm "
        "again (the check answers reconfirmation_needed after the grace period).",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["purpose__code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "version"],
                name="notice_unique_version",
                violation_error_message="This purpose already has a notice with this version.",
            ),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | ~Q(text_sha256=""),
                name="notice_published_has_hash",
            ),
        ]
        permissions = [("publish_notice", "Can publish a notice version")]

    def __str__(self) -> str:
        state = "published" if self.published_at else "draft"
        return f"{self.purpose.code} v{self.version} ({state})"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class SenderNumber(models.Model):
    """A long code, toll-free or short code a customer sends from. Inbound texts to it
    belong to that customer."""

    class Kind(models.TextChoices):
        LONG_CODE = "long_code", "Long code"
        TOLL_FREE = "toll_free", "Toll-free"
        SHORT_CODE = "short_code", "Short code"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=20, unique=True, help_text="E.164, or the short code")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.LONG_CODE)
    brand_name = models.CharField(
        max_length=60, blank=True, help_text="Brand in replies; empty uses the installation's."
    )
    help_contact = models.CharField(
        max_length=100, blank=True, help_text="Contact in HELP replies; empty uses the default."
    )
    is_default_marketing = models.BooleanField(
        default=False, help_text="Sends the opt-in prompt for sign-ups that name no sender."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["customer_id", "number"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class ConsentEvent(models.Model):
    """One grant or withdrawal: the append-only ledger. Rows are only ever inserted;
    erasure deletes them or, for SMS proof the law makes us keep, de-identifies them
    (on PostgreSQL a trigger refuses any other UPDATE)."""

    #: Emptied on the SMS proof kept after an erasure; every other row is deleted.
    ERASED_FIELDS = (
        "identifier",
        "ip_address",
        "user_agent",
        "page_url",
        "source",
        "parental_consent_reference",
    )
    KEPT_FIELDS = {
        "action": "SMS consent proof kept 4 years after its last use (TCPA): grant, withdrawal or objection.",
        "parental_consent_method": "SMS consent proof kept 4 years after its last use (TCPA): how a parent's consent was verified (a code).",
        "identifier_hmac": "SMS consent proof kept 4 years after its last use (TCPA): the number as a keyed hash only.",
        "sender": "SMS consent proof kept 4 years after its last use (TCPA): our number the consent was for.",
        "occurred_at": "SMS consent proof kept 4 years after its last use (TCPA): when.",
        "recorded_at": "SMS consent proof kept 4 years after its last use (TCPA): when it was recorded.",
        "method": "SMS consent proof kept 4 years after its last use (TCPA): how (a code).",
        "reference": "SMS consent proof kept 4 years after its last use (TCPA): the provider's message id or our request reference.",
        "deidentified_at": "When the proof was de-identified: part of the proof of erasure.",
        "visitor_id": "Never the erased person's: an event has one subject, a contact or an "
        "anonymous cookie visitor (the ledger refuses both), so a contact's events hold "
        "none; a visitor's events go with the cookie records after 12 months.",
    }

    class Action(models.TextChoices):
        GRANT = "grant", "Grant"
        WITHDRAW = "withdraw", "Withdraw"
        # Not a consent decision: the person's own act from the identifier (START / YES
        # texted from the number) lifted its suppression. Changes no state; written only
        # by the inbound webhook, never accepted from the API or an import.
        LIFT = "lift", "Suppression lifted"
        # GDPR Art. 21: the person objects to a processing (legitimate interest, direct
        # marketing); it stops that processing as a withdrawal does, and the check says
        # "objected".
        OBJECT = "object", "Objection"

    class Method(models.TextChoices):
        WEB_FORM = "web_form", "Web form"
        SMS_KEYWORD = "sms_keyword", "SMS keyword"
        DOUBLE_OPT_IN = "double_opt_in", "Double opt-in confirmation"
        IMPORT = "import", "Import"
        STAFF = "staff", "Staff"
        API = "api", "API"
        GPC = "gpc", "Global Privacy Control signal"
        PRIVACY_REQUEST = "privacy_request", "Privacy request"
        PREFERENCE_CENTRE = "preference_centre", "Preference centre"
        COOKIE_BANNER = "cookie_banner", "Cookie banner"
        IVR = "ivr", "IVR / call"
        # Revocation by any reasonable means (47 CFR 64.1200(a)(10)): a text in the
        # person's own words, an e-mail, a phone call taken by an agent.
        SMS_FREE_TEXT = "sms_free_text", "SMS in the person's own words"
        EMAIL = "email", "E-mail from the person"
        PHONE = "phone", "Phone call (agent)"

    class ParentalConsent(models.TextChoices):
        """How a parent's consent for a minor was verified (the methods COPPA accepts as
        verifiable parental consent, 16 CFR §312.5(b)). Required for any marketing
        grant to a minor."""

        SIGNED_FORM = "signed_form", "Signed consent form returned by post, fax or scan"
        PAYMENT_CARD = "payment_card", "Payment-card transaction notifying the account holder"
        CALL = "call", "Call or video call with trained staff"
        ID_DOCUMENT = "id_document", "Government ID checked against a database"
        KNOWLEDGE = "knowledge", "Knowledge-based questions a child could not answer"

    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # No single-column indexes on contact and purpose: consentevent_contact_time and
    # consentevent_purpose_time lead with them. Every index is paid on every STOP.
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consent_events",
        db_index=False,
    )
    visitor_id = models.UUIDField(null=True, blank=True, help_text="Anonymous cookie visitor")
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="+", db_index=False)
    action = models.CharField(max_length=10, choices=Action.choices)
    identifier = models.CharField(
        max_length=254,
        blank=True,
        default="",
        help_text="The e-mail (match key) or E.164 number the consent names; empty for "
        "consents about the person as a whole.",
    )
    identifier_hmac = models.CharField(
        max_length=64, blank=True, default="", help_text="Set when de-identified"
    )
    sender = models.CharField(
        max_length=20, blank=True, default="", help_text="SMS sender; empty means every sender"
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    method = models.CharField(max_length=20, choices=Method.choices)
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, null=True, blank=True)
    page_url = models.CharField(max_length=500, null=True, blank=True)
    source = models.CharField(max_length=200, null=True, blank=True)
    reference = models.CharField(
        max_length=100, blank=True, default="", help_text="Message id, request reference…"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    parental_consent_method = models.CharField(
        max_length=20,
        choices=ParentalConsent.choices,
        blank=True,
        default="",
        help_text="A minor's grant: how the parent's consent was verified.",
    )
    parental_consent_reference = models.CharField(
        max_length=100,
        blank=True,
        default="",
        help_text="Where the parent's consent evidence is kept (a document or case id; no names).",
    )
    deidentified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(parental_consent_method="") | Q(action="grant"),
                name="consentevent_parental_consent_on_grants",
                violation_error_message="Parental consent evidence belongs to a grant.",
            ),
            models.CheckConstraint(
                condition=Q(contact__isnull=False) | Q(visitor_id__isnull=False),
                name="consentevent_has_subject",
                violation_error_message="A consent event needs a contact or a visitor id.",
            ),
        ]
        indexes = [
            models.Index(fields=["contact", "occurred_at"], name="consentevent_contact_time"),
            models.Index(
                fields=["visitor_id", "occurred_at"],
                name="consentevent_visitor_time",
                condition=Q(visitor_id__isnull=False),
            ),
            models.Index(fields=["purpose", "occurred_at"], name="consentevent_purpose_time"),
            models.Index(fields=["occurred_at"], name="consentevent_time"),
            # Staff look a MessageSid or request reference up in the admin.
            models.Index(
                fields=["reference"], name="consentevent_reference", condition=~Q(reference="")
            ),
            # The evidence pack finds an erased person's kept SMS proof by the keyed hash
            # of the number. Only de-identified rows are in it: a STOP never writes it.
            models.Index(
                fields=["identifier_hmac"],
                name="consentevent_identifier_hmac",
                condition=~Q(identifier_hmac=""),
            ),
        ]
        permissions = [("import_consentevent", "Can import consent evidence from a file")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.purpose_id} #{self.pk}"


class ConsentState(models.Model):
    """The current answer per subject x purpose x identifier x sender: the latest ledger
    event of that key by (occurred_at, id). Kept in step by the services, rebuildable."""

    #: Erasure deletes the rows.
    ERASED_FIELDS = ("identifier", "sender", "since", "method", "visitor_id")
    KEPT_FIELDS: dict[str, str] = {}

    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # consentstate_unique_contact leads with contact (its WHERE contact IS NOT NULL is
    # implied by any "contact = x"), so the foreign key needs no index of its own.
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consent_states",
        db_index=False,
    )
    visitor_id = models.UUIDField(null=True, blank=True)
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="+")
    identifier = models.CharField(max_length=254, blank=True, default="")
    sender = models.CharField(max_length=20, blank=True, default="")
    is_granted = models.BooleanField()
    objected = models.BooleanField(
        default=False, help_text="The deciding event is an objection (GDPR Art. 21)."
    )
    parental_consent = models.BooleanField(
        default=False,
        help_text="The deciding grant carries verifiable parental consent evidence.",
    )
    since = models.DateTimeField(help_text="When the deciding event happened")
    method = models.CharField(max_length=20, choices=ConsentEvent.Method.choices)
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_event = models.ForeignKey(
        ConsentEvent, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "purpose", "identifier", "sender"],
                condition=Q(contact__isnull=False),
                name="consentstate_unique_contact",
            ),
            models.UniqueConstraint(
                fields=["visitor_id", "purpose"],
                condition=Q(visitor_id__isnull=False),
                name="consentstate_unique_visitor",
            ),
            models.CheckConstraint(
                condition=Q(contact__isnull=False) | Q(visitor_id__isnull=False),
                name="consentstate_has_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["visitor_id", "since"], name="consentstate_visitor_since"),
        ]

    def __str__(self) -> str:
        return f"{'Granted' if self.is_granted else 'Withdrawn'} {self.purpose_id}"


class SmsSubscription(models.Model):
    """A phone number's subscription to one program of one sender."""

    #: Emptied on the SMS proof kept after an erasure; every other row is deleted.
    ERASED_FIELDS = ("phone",)
    KEPT_FIELDS = {
        "phone_hmac": "SMS consent proof kept 4 years after its last use (TCPA): the number as a keyed hash only.",
        "sender": "SMS consent proof kept 4 years after its last use (TCPA): our number the subscription was to.",
        "program": "SMS consent proof kept 4 years after its last use (TCPA): marketing or informational.",
        "status": "SMS consent proof kept 4 years after its last use (TCPA): the last answer.",
        "requested_at": "SMS consent proof kept 4 years after its last use (TCPA): when the sign-up was made.",
        "prompt_sent_at": "SMS consent proof kept 4 years after its last use (TCPA): when the opt-in prompt was sent.",
        "opted_in_at": "SMS consent proof kept 4 years after its last use (TCPA): when the number opted in.",
        "opted_out_at": "SMS consent proof kept 4 years after its last use (TCPA): when the number opted out.",
        "updated_at": "SMS consent proof kept 4 years after its last use (TCPA): when it last changed.",
        "deidentified_at": "When the proof was de-identified: part of the proof of erasure.",
    }

    class Program(models.TextChoices):
        MARKETING = "marketing", "Marketing"
        INFORMATIONAL = "informational", "Informational"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        OPTED_IN = "opted_in", "Opted in"
        OPTED_OUT = "opted_out", "Opted out"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="sms_subscriptions"
    )
    phone = models.CharField(max_length=20, null=True, blank=True, help_text="E.164")
    phone_hmac = models.CharField(max_length=64, blank=True, default="")
    sender = models.CharField(max_length=20)
    program = models.CharField(max_length=20, choices=Program.choices)
    status = models.CharField(max_length=20, choices=Status.choices)
    prompt_notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    prompt_sent_at = models.DateTimeField(null=True, blank=True)
    opted_in_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    deidentified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "phone", "sender", "program"],
                condition=Q(phone__isnull=False),
                name="smssubscription_unique",
            )
        ]
        indexes = [
            models.Index(fields=["phone", "customer"], name="smssubscription_phone"),
            # De-identified subscriptions, found by the evidence pack (see ConsentEvent).
            models.Index(
                fields=["phone_hmac"],
                name="smssubscription_phone_hmac",
                condition=~Q(phone_hmac=""),
            ),
        ]
        permissions = [("opt_out_smssubscription", "Can opt a number out (STOP or complaint)")]

    def __str__(self) -> str:
        return f"{self.get_program_display()} subscription #{self.pk} ({self.get_status_display()})"


class InboundMessage(models.Model):
    """Every inbound text, whatever it said. ``message_sid`` makes the webhook
    idempotent."""

    #: Emptied on the keyword texts kept as SMS proof after an erasure; others deleted.
    ERASED_FIELDS = ("from_number", "body")
    KEPT_FIELDS = {
        "message_sid": "SMS consent proof kept 4 years after its last use (TCPA): the provider's id of the text.",
        "account_sid": "SMS consent proof kept 4 years after its last use (TCPA): our provider account.",
        "sender": "SMS consent proof kept 4 years after its last use (TCPA): our number the text was sent to.",
        "from_hmac": "SMS consent proof kept 4 years after its last use (TCPA): the sending number as a keyed hash only.",
        "keyword": "SMS consent proof kept 4 years after its last use (TCPA): the keyword (STOP, START, ...).",
        "outcome": "SMS consent proof kept 4 years after its last use (TCPA): what the text did (a code).",
        "reply": "SMS consent proof kept 4 years after its last use (TCPA): our fixed reply text.",
        "received_at": "SMS consent proof kept 4 years after its last use (TCPA): when.",
        "deidentified_at": "When the proof was de-identified: part of the proof of erasure.",
    }

    class Keyword(models.TextChoices):
        STOP = "stop", "STOP"
        STOPALL = "stopall", "STOPALL"
        START = "start", "START / UNSTOP"
        YES = "yes", "YES"
        HELP = "help", "HELP / INFO"
        # Not a keyword: a clear revocation in the person's own words ("please stop
        # texting me", "alto"), honoured as STOP and kept as SMS proof like a keyword.
        REVOCATION = "revocation", "Revocation in own words"
        NONE = "", "None"

    # Unique by a constraint (Meta), not unique=True, which on PostgreSQL adds a second
    # "LIKE" index nobody queries. contact is indexed by inbound_contact_time.
    message_sid = models.CharField(max_length=64)
    account_sid = models.CharField(max_length=64, blank=True, default="")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    sender = models.CharField(max_length=20, help_text="Our number the text was sent to")
    from_number = models.CharField(max_length=20, null=True, blank=True)
    from_hmac = models.CharField(max_length=64, blank=True, default="")
    body = models.TextField(null=True, blank=True)
    keyword = models.CharField(max_length=10, choices=Keyword.choices, blank=True, default="")
    outcome = models.CharField(max_length=40)
    reply = models.TextField(blank=True, default="")
    received_at = models.DateTimeField(default=timezone.now)
    deidentified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["message_sid"], name="inbound_message_sid_unique")
        ]
        indexes = [
            models.Index(fields=["contact", "received_at"], name="inbound_contact_time"),
            models.Index(fields=["received_at"], name="inbound_time"),
            # The evidence pack: texts of an erased person's number (keyed hash). Texts
            # of known numbers carry no hash and skip it.
            models.Index(
                fields=["from_hmac"], name="inbound_from_hmac", condition=~Q(from_hmac="")
            ),
            # Erasure finds texts that matched no contact by the erased person's numbers.
            # Partial: a text linked to its contact (nearly all) costs this index nothing.
            models.Index(
                fields=["from_number"],
                name="inbound_unmatched_from",
                condition=Q(contact__isnull=True, from_number__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Inbound {self.keyword or 'text'} #{self.pk}"


class ApiKey(models.Model):
    """A per-customer API key. Only a SHA-256 of the secret is stored (the key is random,
    so a fast hash is enough); the full key is shown once when it is created."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100, help_text="What uses it, e.g. 'dialer'")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["customer_id", "-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class CookieConsent(models.Model):
    """One choice made on the site's cookie banner by an anonymous visitor. Deleted
    12 months after it was made (nightly purge)."""

    visitor_id = models.UUIDField()
    categories = models.JSONField(help_text='e.g. {"analytics": true, "advertising": false}')
    notice_version = models.PositiveIntegerField()
    gpc = models.BooleanField(default=False, help_text="Sec-GPC: 1 was sent")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [
            models.Index(fields=["recorded_at"], name="cookieconsent_time"),
            models.Index(fields=["visitor_id", "recorded_at"], name="cookieconsent_visitor"),
        ]

    def __str__(self) -> str:
        return f"Cookie choice #{self.pk}"


class SmsProgramme(models.Model):
    """A customer's SMS programme settings. Today: from when an opt-out sent to one of
    its sender numbers stops every sender of the customer (the FCC's "revoke-all" rule,
    47 CFR 64.1200(a)(10)); without a row or a date, ``CONSENT_REVOKE_ALL_FROM``."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="sms_programme"
    )
    revoke_all_from = models.DateField(
        null=True,
        blank=True,
        help_text="From this day (in UTC) a STOP or other revocation to one sender number "
        "opts the number out of every sender of this customer. Empty: the FCC's scheduled "
        "date (setting CONSENT_REVOKE_ALL_FROM). A date later than that is refused.",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "SMS programme"

    def __str__(self) -> str:
        return f"SMS programme of customer #{self.customer_id}"


class RevocationReview(models.Model):
    """An inbound text that might be a revocation of consent ("not interested anymore",
    "stop by tomorrow"), for staff to decide. Due 10 business days after receipt (US
    federal holidays), the longest the FCC allows to honour a revocation (47 CFR
    64.1200(a)(11)). Clear revocations never come here: they opt out at once."""

    # Deleted with the person's other consent records on erasure (consent.providers).
    ERASED_FIELDS = ("sender", "received_at", "due_on", "signal", "status", "resolved_at")
    KEPT_FIELDS: dict[str, str] = {}

    class Status(models.TextChoices):
        OPEN = "open", "To review"
        REVOKED = "revoked", "Revocation: opted out"
        NOT_REVOCATION = "not_revocation", "Not a revocation"

    message = models.OneToOneField(
        InboundMessage, on_delete=models.CASCADE, related_name="revocation_review"
    )
    # None: a text to our own requests number (no customer's sender).
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sender = models.CharField(max_length=20, help_text="Our number the text was sent to")
    received_at = models.DateTimeField()
    due_on = models.DateField(help_text="10 business days after receipt")
    signal = models.CharField(
        max_length=40, help_text="What made the text doubtful (a code, never the words)"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["due_on"], name="revocation_review_open", condition=Q(status="open")
            )
        ]
        permissions = [("resolve_revocationreview", "Can decide whether a text revokes consent")]

    def __str__(self) -> str:
        return f"Possible revocation #{self.pk} ({self.get_status_display()})"


class VisitorLink(models.Model):
    """A browser's visitor cookie (the cookie banner's id) tied to a contact, made when
    that browser opened a page that names the contact (the preference centre's signed
    link, a privacy request's status page). Global Privacy Control sent later from that
    browser, on any public page, is then honoured for the contact. Purged with the
    cookie records."""

    # Deleted on erasure (consent.providers) and after the cookie retention period.
    ERASED_FIELDS = ("linked_at", "visitor_id")
    KEPT_FIELDS: dict[str, str] = {}

    visitor_id = models.UUIDField()
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["visitor_id", "contact"], name="visitorlink_unique")
        ]
        indexes = [models.Index(fields=["linked_at"], name="visitorlink_time")]

    def __str__(self) -> str:
        return f"Visitor link #{self.pk}"


class NoticeChangeNotification(models.Model):
    """A person told that a notice they consented under changed materially (one row per
    contact and material version): the idempotency of the notification job and the
    record that the person was told (or why not)."""

    # Deleted on erasure (consent.providers).
    ERASED_FIELDS = ("channel", "outcome", "reason", "created_at")
    KEPT_FIELDS: dict[str, str] = {}

    class Outcome(models.TextChoices):
        SENT = "sent", "Sent"
        BLOCKED = "blocked", "Not sent: the person may not be messaged"
        NO_ADDRESS = "no_address", "Not sent: no address or number to use"

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, blank=True, default="")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reason = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "contact"], name="noticechangenotification_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Notice change #{self.notice_id} to contact #{self.contact_id}"


class ContactConsent(Contact):
    """A contact seen from the consent side: the admin page that shows the history."""

    class Meta:
        proxy = True
        verbose_name = "contact's consent history"
        verbose_name_plural = "contacts' consent history"
        permissions = [
            ("withdraw_consent", "Can withdraw a contact's consent (complaint)"),
            ("send_preference_link", "Can send a contact their preference-centre link"),
            ("view_evidence_pack", "Can view and download consent evidence packs"),
        ]
