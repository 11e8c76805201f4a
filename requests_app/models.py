"""Privacy requests and everything hanging off them: the timeline, verification
challenges, matched contacts, relays to customers (processor mode), export packages,
scheduled erasures, appeals and the editable notice templates.

``PrivacyRequest.status`` is written only by ``requests_app.services.transitions``.
Identity fields hold normalised identifiers (``privacy.identifiers``); tokens are stored
as SHA-256 hashes only."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from requests_app.rules import RULE_CHOICES


def _private_storage():
    from django.core.files.storage import storages

    return storages["private"]


class RequestType(models.TextChoices):
    ACCESS = "access", "Access (a copy of my data)"
    KNOW = "know", "Right to know (what you collect and why)"
    PORTABILITY = "portability", "Portability (my data in a reusable format)"
    DELETION = "deletion", "Deletion"
    CORRECTION = "correction", "Correction"
    RESTRICTION = "restriction", "Restriction of processing"
    OBJECTION = "objection", "Objection (incl. to direct marketing)"
    OPT_OUT_SALE = "opt_out_sale", "Opt-out of sale / sharing"
    LIMIT_SENSITIVE = "limit_sensitive", "Limit use of sensitive data"
    WITHDRAW_CONSENT = "withdraw_consent", "Withdraw consent"
    SHINE_THE_LIGHT = (
        "shine_the_light",
        "California 'Shine the Light' (who received my data for their direct marketing)",
    )
    POST_MORTEM = "post_mortem", "Instructions about my data after my death (France)"
    APPEAL = "appeal", "Appeal of a decision"


class Status(models.TextChoices):
    RECEIVED = "received", "Received"
    AWAITING_VERIFICATION = "awaiting_verification", "Awaiting verification"
    VERIFIED = "verified", "Verified"
    IN_PROGRESS = "in_progress", "In progress"
    RELAYED = "relayed_to_controller", "Relayed to the controller"
    COMPLETED = "completed", "Completed"
    DENIED = "denied", "Denied"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired (not verified)"


OPEN_STATUSES = (
    Status.RECEIVED,
    Status.AWAITING_VERIFICATION,
    Status.VERIFIED,
    Status.IN_PROGRESS,
    Status.RELAYED,
)
CLOSED_STATUSES = (Status.COMPLETED, Status.DENIED, Status.WITHDRAWN, Status.EXPIRED)
OPEN_Q = Q(status__in=[s.value for s in OPEN_STATUSES])
#: Before verification. Under a rule whose clock starts at verification (UK GDPR) the
#: deadline is not running yet in these statuses: such a request is never "overdue".
UNVERIFIED_STATUSES = (Status.RECEIVED, Status.AWAITING_VERIFICATION)


def verification_clock_rule_codes() -> list[str]:
    """Codes of the rules whose clock starts at verification."""
    from requests_app.rules import CLOCK_VERIFICATION, RULES

    return sorted(code for code, rule in RULES.items() if rule.clock_starts == CLOCK_VERIFICATION)


def clock_waiting_q() -> Q:
    """Open requests whose deadline has not started: unverified, under a rule whose clock
    starts at verification. Exclude them wherever "due" or "overdue" is counted."""
    return Q(
        rule_code__in=verification_clock_rule_codes(),
        status__in=[s.value for s in UNVERIFIED_STATUSES],
    )


class VerificationMethod(models.TextChoices):
    EMAIL_LINK = "email_link", "E-mailed link"
    SMS_CODE = "sms_code", "SMS code"
    NOT_REQUIRED = "not_required", "Not required (opt-out)"
    ID_DOCUMENT = "id_document", "Identity document checked by staff"
    ACCOUNT_LOGIN = "account_login", "Signed-in account"
    PHONE_CALL = "phone_call", "Call-back to a number on file"
    AGENT_PROOF = "agent_proof", "Authorised agent's signed permission + consumer confirmation"


class DenialReason(models.TextChoices):
    UNVERIFIED = "unverified", "Identity could not be verified"
    EXCESSIVE = "excessive", "Manifestly unfounded or excessive (incl. over the free-request limit)"
    LEGAL_OBLIGATION = (
        "legal_obligation",
        "Data must be kept by law (legal obligation / legal hold)",
    )
    OTHERS_RIGHTS = "others_rights", "Would adversely affect the rights of others"
    NO_AGENT_AUTHORITY = "no_agent_authority", "Agent's authority not shown"
    CONTROLLER_DECLINED = "controller_declined", "The controller (our customer) declined"
    OTHER_EXEMPTION = "other_exemption", "Another statutory exemption applies"


class Channel(models.TextChoices):
    WEB = "web", "Web form"
    PHONE = "phone", "Phone (taken by staff)"
    EMAIL = "email", "E-mail"
    MAIL = "mail", "Post"
    GPC = "gpc", "Opt-out preference signal (Global Privacy Control)"


class PrivacyRequest(models.Model):
    """A privacy request. When the person it is about is erased, its identity is emptied
    (``ERASED_FIELDS``; an open request first gets its answer out) and the request log
    stays until it is pruned (``KEPT_FIELDS``, see ``privacy.personal_data``)."""

    ERASED_FIELDS = (
        "full_name",
        "email",
        "email_key",
        "phone",
        "details",
        "agent_name",
        "agent_email",
        "agent_proof",
        "extension_reason",
    )
    KEPT_FIELDS = {
        "reference": "The CCPA request log (11 CCR §7101), kept 24 months: the request's reference.",
        "request_type": "The CCPA request log (11 CCR §7101), kept 24 months: the type of request.",
        "objection_purposes": "The CCPA request log (11 CCR §7101), kept 24 months: what an objection covered (purpose codes only).",
        "status": "The CCPA request log (11 CCR §7101), kept 24 months: the outcome.",
        "rule_code": "The CCPA request log (11 CCR §7101), kept 24 months: the law that applied.",
        "channel": "The CCPA request log (11 CCR §7101), kept 24 months: how the request was made.",
        "country": "Where the law that applied is (a country, not an address).",
        "state": "Where the law that applied is (a state or province code, not an address).",
        "received_at": "The CCPA request log (11 CCR §7101), kept 24 months: the date of the request.",
        "due_on": "The CCPA request log (11 CCR §7101), kept 24 months: the deadline.",
        "extended_due_on": "The CCPA request log (11 CCR §7101), kept 24 months: the extended deadline.",
        "deadline_on": "The CCPA request log (11 CCR §7101), kept 24 months: the deadline in force.",
        "acknowledge_by": "The CCPA request log (11 CCR §7101), kept 24 months: the acknowledgement deadline.",
        "acknowledged_at": "The CCPA request log (11 CCR §7101), kept 24 months: when it was acknowledged.",
        "verification_expires_at": "The CCPA request log (11 CCR §7101), kept 24 months: the verification window.",
        "verified_at": "The CCPA request log (11 CCR §7101), kept 24 months: when the requester was verified.",
        "verification_method": "The CCPA request log (11 CCR §7101), kept 24 months: how the requester was verified.",
        "closed_at": "The CCPA request log (11 CCR §7101), kept 24 months: the response date.",
        "fee_estimate_sent_at": "The CCPA request log (11 CCR §7101), kept 24 months: when a fee estimate was sent.",
        "denial_reason": "The CCPA request log (11 CCR §7101), kept 24 months: the basis of a denial.",
        "status_token_hash": "A hash of the status link's token: opens nothing without the link.",
        "status_token_salt": "Random salt of the status link's token: identifies no one.",
        "deidentified_at": "When the identity was emptied: part of the proof of erasure.",
    }

    reference = models.CharField(max_length=20, unique=True, editable=False)
    request_type = models.CharField(max_length=20, choices=RequestType.choices)
    status = models.CharField(
        max_length=30, choices=Status.choices, default=Status.RECEIVED, editable=False
    )
    rule_code = models.CharField("jurisdiction rule", max_length=20, choices=RULE_CHOICES)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    state = models.CharField(
        max_length=10, blank=True, help_text="US state or Canadian province code"
    )
    customer = models.ForeignKey(
        "privacy.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="privacy_requests",
        help_text="The customer whose service the person used, where known.",
    )

    # Identity of the data subject (normalised; emptied when the person is erased).
    full_name = models.CharField(max_length=200, null=True, blank=True)
    email = models.CharField(max_length=254, null=True, blank=True)
    email_key = models.CharField(max_length=254, null=True, blank=True, editable=False)
    phone = models.CharField(max_length=20, null=True, blank=True, help_text="E.164")
    details = models.TextField(null=True, blank=True)
    objection_purposes = models.JSONField(
        default=list,
        blank=True,
        help_text="An objection: what the person objects to — 'direct_marketing' and/or "
        "purpose codes of the consent app. Empty: everything (every purpose, direct "
        "marketing included).",
    )

    # Authorised agent.
    is_agent_request = models.BooleanField(default=False)
    agent_name = models.CharField(max_length=200, null=True, blank=True)
    agent_email = models.CharField(max_length=254, null=True, blank=True)
    agent_proof = models.FileField(
        storage=_private_storage, upload_to="agent-proofs/", null=True, blank=True
    )

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_privacy_requests",
    )
    received_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField()
    extended_due_on = models.DateField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    #: The deadline in force (extended or original) while the request is open; kept by
    #: the services so the nightly tracker reads one indexed column.
    deadline_on = models.DateField(editable=False)
    acknowledge_by = models.DateField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    verification_expires_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_method = models.CharField(
        max_length=20, choices=VerificationMethod.choices, blank=True
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    over_limit = models.BooleanField(
        default=False, help_text="Over the rule's free-request limit: may be denied as excessive."
    )
    fee_estimate = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    fee_estimate_sent_at = models.DateTimeField(null=True, blank=True)
    fee = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    denial_reason = models.CharField(max_length=30, choices=DenialReason.choices, blank=True)

    status_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    status_token_salt = models.CharField(max_length=32, editable=False)
    duplicate_count = models.PositiveIntegerField(
        default=0, help_text="Further identical submissions linked to this request."
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appeal_requests",
        help_text="For an appeal: the request it appeals.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # staff who acted are deactivated, never deleted
        related_name="+",
        help_text="Staff member who took the request (phone/post); empty for the web form.",
    )
    #: When the identity (name, contact details, free text, agent details and proof) was
    #: emptied because the person was erased; the request-log fields stay until the prune.
    deidentified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["deadline_on", "id"]
        verbose_name = "privacy request"
        permissions = [
            ("process_privacyrequest", "Can work on privacy requests (verify, extend, complete)"),
            ("deny_privacyrequest", "Can deny privacy requests"),
            ("view_agent_proof", "Can open an authorised agent's uploaded proof"),
        ]
        indexes = [
            # Nightly tracker: open requests by deadline. Partial and covering, so it is
            # index-only work on the due rows however many closed requests pile up.
            models.Index(
                fields=["deadline_on"],
                include=["id", "reference", "status"],
                condition=OPEN_Q,
                name="prq_open_deadline",
            ),
            models.Index(
                fields=["acknowledge_by"],
                include=["id", "reference"],
                condition=OPEN_Q & Q(acknowledged_at__isnull=True, acknowledge_by__isnull=False),
                name="prq_ack_owed",
            ),
            models.Index(
                fields=["verification_expires_at"],
                condition=Q(status="awaiting_verification"),
                name="prq_unverified_expiry",
            ),
            models.Index(
                fields=["closed_at"], condition=Q(closed_at__isnull=False), name="prq_closed"
            ),
            models.Index(fields=["status", "deadline_on"], name="prq_status_deadline"),
            # The morning page's open appeals.
            models.Index(
                fields=["deadline_on"],
                condition=OPEN_Q & Q(request_type="appeal"),
                name="prq_open_appeal",
            ),
            # The CCPA §7102 report: a year of requests by receipt, counted from the index.
            models.Index(
                fields=["received_at"],
                include=["request_type", "status", "denial_reason", "rule_code", "closed_at"],
                name="prq_metrics",
            ),
            models.Index(fields=["email_key"], name="prq_email_key"),
            models.Index(fields=["phone"], name="prq_phone"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(email__isnull=False)
                | Q(phone__isnull=False)
                | Q(deidentified_at__isnull=False),
                name="prq_has_identifier",
                violation_error_message="A request needs an e-mail address or a phone number.",
            ),
            models.CheckConstraint(
                condition=Q(extended_due_on__isnull=True)
                | Q(extended_due_on__gt=models.F("due_on")),
                name="prq_extension_after_due",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def rule(self):
        from requests_app.rules import get_rule

        return get_rule(self.rule_code)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def effective_due_on(self) -> dt.date:
        return self.extended_due_on or self.due_on

    @property
    def clock_started(self) -> bool:
        """False while the rule's clock waits for verification (see ``clock_waiting_q``)."""
        from requests_app.rules import CLOCK_VERIFICATION

        return not (
            self.rule.clock_starts == CLOCK_VERIFICATION and self.status in UNVERIFIED_STATUSES
        )

    def days_left(self, today: dt.date | None = None) -> int:
        return (self.deadline_on - (today or timezone.localdate())).days

    @property
    def correspondence_email(self) -> str | None:
        """Where notices go: the agent who asked, else the person."""
        return self.agent_email if self.is_agent_request and self.agent_email else self.email


class RequestEvent(models.Model):
    """One entry of a request's timeline. ``person_facing`` entries are shown on the
    requester's status page, with ``public_message``; ``note`` is for staff only."""

    ERASED_FIELDS = ()
    KEPT_FIELDS = {
        "occurred_at": "The request log: when each step happened.",
        "kind": "The request log: what kind of step (a code).",
        "from_status": "The request log: the status before (a code).",
        "to_status": "The request log: the status after (a code).",
        # Neither holds a rendered notice: a notice is recorded by its code and channel
        # (a subject staff edit could name the person; docs/requests.md).
        "public_message": "Texts the services write to the person (status, notice sent).",
        "note": "Texts the services write for staff: ids, counts, notice codes and channels.",
    }

    class Kind(models.TextChoices):
        STATUS = "status", "Status change"
        NOTICE = "notice", "Notice sent"
        NOTE = "note", "Note"
        ASSIGNMENT = "assignment", "Assignment"
        MATCH = "match", "Contacts matched"
        RELAY = "relay", "Relay"
        FULFILMENT = "fulfilment", "Fulfilment"
        DOWNLOAD = "download", "Download"
        DUPLICATE = "duplicate", "Duplicate submission linked"

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30, blank=True)
    # PROTECT: staff who acted are deactivated, never deleted (privacy.services.staff).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person_facing = models.BooleanField(default=False)
    public_message = models.CharField(max_length=300, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["request", "occurred_at"], name="prq_event_timeline")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.request_id}"


class Submission(models.Model):
    """One sending of the public form (or one intake by staff): the requests it made
    (one per type asked for, each with its own rule and deadline) and the open ones it
    was linked to as duplicates. Its reference is what the thank-you page shows, the
    same whether the person is known or not; one verification confirms all of its
    requests."""

    reference = models.CharField(max_length=20, unique=True, editable=False)
    received_at = models.DateTimeField(default=timezone.now)
    requests = models.ManyToManyField(PrivacyRequest, related_name="submissions", blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.reference


class VerificationChallenge(models.Model):
    """A single-use, expiring proof of control of an e-mail address (link) or phone
    (6-digit code). Only the SHA-256 of the secret is stored."""

    #: Erasure deletes the rows (with the request's identity).
    ERASED_FIELDS = ("channel", "secret_hash", "created_at", "expires_at", "used_at")
    KEPT_FIELDS: dict[str, str] = {}

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail link"
        SMS = "sms", "SMS code"

    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="verification_challenges"
    )
    #: Set when the challenge confirms a whole submission: using it verifies every
    #: request of that submission still awaiting verification.
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    secret_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} for request {self.request_id}"


class NoticeDelivery(models.Model):
    """One notice queued for sending by a Celery task (``requests_app.tasks.notice_deliver``,
    through privacy's outbox): what to send and to whom, never the rendered text nor a
    secret link. The task renders it, mints any single-use secret itself, sends it with
    bounded retries, and records the outcome on the timeline. The address and the
    notice's variables are cleared as soon as it is sent or given up."""

    #: Held only while the notice waits to be sent (cleared when sent or given up);
    #: de-identifying the request gives up its waiting notices, clearing them too
    #: (``notice_deliveries_give_up``), except the closing answer queued just before,
    #: which is cleared when it is sent or given up.
    ERASED_FIELDS = ("recipient", "context")
    KEPT_FIELDS = {
        "code": "The request log: which notice (a code, not its text).",
        "channel": "The request log: e-mail or SMS, not the address.",
        "queued_at": "The request log: when the notice was queued.",
        "sent_at": "The request log: when the notice was actually sent.",
        "given_up_at": "The request log: when sending was abandoned after the retries.",
        "claimed_at": "When a worker last took the notice to send it (no personal data).",
        "last_error": "The type of the last sending error, for staff (never its text).",
        "public_message": "The status-page line the services write about the notice, no personal data.",
    }

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "SMS"

    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="notice_deliveries"
    )
    code = models.SlugField(max_length=40)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    #: The e-mail address or E.164 number, copied when queued (a completed deletion
    #: request gives up its identity before the task runs).
    recipient = models.CharField(max_length=254, blank=True)
    #: The notice's own variables (JSON-safe, no secret: links are derived or minted
    #: when sending).
    context = models.JSONField(default=dict, blank=True)
    #: For a notice to the requester: the status-page line shown once it is sent.
    public_message = models.CharField(max_length=300, blank=True)
    person_facing = models.BooleanField(default=True)
    verification = models.ForeignKey(
        VerificationChallenge, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    queued_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)
    #: Set by the worker sending it (minted secret committed, about to send); another
    #: worker keeps off until ``REQUESTS_NOTICE_CLAIM_SECONDS`` have passed.
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["queued_at", "id"]

    def __str__(self) -> str:
        return f"Notice {self.code} ({self.channel}) for request {self.request_id}"


class RequestMatch(models.Model):
    """A contact found by the request's verified identifiers."""

    ERASED_FIELDS = ()
    KEPT_FIELDS = {
        "matched_on": "Which kind of identifier matched (email or phone), not its value.",
        "created_at": "The request log: when the contact was found.",
    }

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="matches")
    contact = models.ForeignKey("privacy.Contact", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "privacy.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    matched_on = models.CharField(max_length=10, help_text="email or phone")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "contact"], name="prq_match_unique")
        ]

    def __str__(self) -> str:
        return f"Contact #{self.contact_id} for {self.request_id}"


class Relay(models.Model):
    """A request relayed to one customer (the controller) for its matched contacts."""

    ERASED_FIELDS = ()
    KEPT_FIELDS = {
        "sent_at": "The request log: when the customer was asked.",
        "answered_at": "The request log: when the customer answered.",
        "answer": "The request log: the customer's answer (a code).",
        "answer_note": "The customer's reason or reference, entered without personal data.",
    }

    class Answer(models.TextChoices):
        FULFIL = "fulfil", "Controller instructs us to fulfil it"
        HANDLED = "handled", "Controller answered the person itself"
        DECLINED = "declined", "Controller declined"

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="relays")
    customer = models.ForeignKey("privacy.Customer", on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    answer_note = models.CharField(
        max_length=300,
        blank=True,
        help_text="The customer's reason or reference; no personal data.",
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [
            # The morning page: relays still waiting on customers, oldest first.
            models.Index(
                fields=["sent_at"], condition=Q(answered_at__isnull=True), name="prq_relay_waiting"
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["request", "customer"], name="prq_relay_unique"),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True, answer="")
                | Q(answered_at__isnull=False) & ~Q(answer=""),
                name="prq_relay_answer_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Relay of {self.request_id} to customer #{self.customer_id}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class ExportPackage(models.Model):
    """The access/portability package of one matched contact, in private storage,
    downloadable by an expiring token (hash stored; the token is derived on demand)."""

    #: Erasure deletes the file (the package moves to "purged").
    ERASED_FIELDS = ("file",)
    KEPT_FIELDS = {
        "state": "The request log: whether the package was delivered (a code).",
        "counts": "Rows per table in the package: counts, no data.",
        "created_at": "The request log: when the package was made.",
        "ready_at": "The request log: when the package was ready.",
        "expires_at": "The request log: until when it could be downloaded.",
        "token_hash": "A hash of the download token: opens nothing once the file is gone.",
        "token_salt": "Random salt of the download token: identifies no one.",
        "last_downloaded_at": "The request log: when the person downloaded it.",
        "purged_at": "When the file was deleted: part of the proof of erasure.",
    }

    class State(models.TextChoices):
        BUILDING = "building", "Building"
        READY = "ready", "Ready"
        PURGED = "purged", "Purged (expired)"

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="packages")
    contact = models.ForeignKey("privacy.Contact", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.BUILDING)
    file = models.FileField(storage=_private_storage, upload_to="exports/", blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    token_salt = models.CharField(max_length=32)
    download_count = models.PositiveIntegerField(default=0)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "contact"], name="prq_package_unique")
        ]
        indexes = [
            models.Index(
                fields=["expires_at"], condition=Q(state="ready"), name="prq_package_expiry"
            )
        ]

    def __str__(self) -> str:
        return f"Export package #{self.pk}"


class ScheduledErasure(models.Model):
    """An erasure a deletion request scheduled after the grace period; run by the
    nightly job, cancellable until then, refused while a legal hold applies."""

    ERASED_FIELDS = ()
    KEPT_FIELDS = {
        "state": "The request log: whether the erasure ran (a code).",
        "scheduled_for": "The request log: when the erasure was due.",
        "blocked_reason": "The legal hold's reason, entered without personal data.",
        "done_at": "When the erasure ran: part of the proof of erasure.",
    }

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"
        BLOCKED = "blocked", "Blocked by a legal hold"

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="erasures")
    contact = models.ForeignKey("privacy.Contact", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    scheduled_for = models.DateTimeField()
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    blocked_reason = models.CharField(max_length=300, blank=True)
    certificate = models.ForeignKey(
        "privacy.ErasureCertificate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "contact"], name="prq_erasure_unique")
        ]
        indexes = [
            models.Index(
                fields=["scheduled_for"], condition=Q(state="scheduled"), name="prq_erasure_due"
            ),
            models.Index(
                fields=["scheduled_for"], condition=Q(state="blocked"), name="prq_erasure_blocked"
            ),
        ]

    def __str__(self) -> str:
        return f"Erasure of contact #{self.contact_id} ({self.get_state_display()})"


class PostMortemInstructions(models.Model):
    """What a person wants done with their data after their death (France: Loi n° 78-17
    art. 85 — "directives particulières" registered with the controller), and whom to
    contact to carry them out. Staff acknowledge them; newer instructions of the same
    person supersede older ones (the person may change or revoke them at any time)."""

    ERASED_FIELDS = ("trusted_person_name", "trusted_person_contact")
    KEPT_FIELDS = {
        "wishes": "What was asked (a choice, no personal data), with the request log.",
        "acknowledged_at": "When staff acknowledged them: part of the request log.",
        "superseded_at": "When newer instructions replaced them: part of the request log.",
    }

    class Wishes(models.TextChoices):
        ERASE = "erase", "Erase my data"
        COMMUNICATE = "communicate", "Give my data to the person I name, then erase it"
        KEEP = "keep", "Keep my data for as long as the law and your policy allow"
        OTHER = "other", "As I describe in my instructions"

    request = models.OneToOneField(
        PrivacyRequest, on_delete=models.CASCADE, related_name="post_mortem"
    )
    wishes = models.CharField(max_length=12, choices=Wishes.choices, default=Wishes.OTHER)
    trusted_person_name = models.CharField(max_length=200, null=True, blank=True)
    trusted_person_contact = models.CharField(
        max_length=254, null=True, blank=True, help_text="E-mail address or phone number"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    superseded_at = models.DateTimeField(
        null=True, blank=True, help_text="Newer instructions of the same person replaced these."
    )

    class Meta:
        verbose_name_plural = "post-mortem instructions"

    def __str__(self) -> str:
        return f"Instructions after death ({self.request_id})"


class PackageTransfer(models.Model):
    """Portability to another organisation: a ready package sent to a recipient the
    person names. The recipient first proves control of the address (a single-use,
    expiring confirmation link); only then is an expiring download link sent to it.
    Only hashes of both secrets are stored."""

    ERASED_FIELDS = ("recipient_name", "recipient_email")
    _LOG = "How the package left, kept with the request log (no personal data)"
    KEPT_FIELDS = {
        "state": f"{_LOG}: the outcome.",
        "created_at": f"{_LOG}: when it was asked.",
        "confirm_hash": f"{_LOG}: a hash of a spent secret.",
        "confirm_expires_at": f"{_LOG}: the confirmation's lifetime.",
        "confirmed_at": f"{_LOG}: when the recipient confirmed its address.",
        "token_salt": f"{_LOG}: a random salt.",
        "download_hash": f"{_LOG}: a hash of the download token.",
        "download_expires_at": f"{_LOG}: the download link's lifetime.",
        "last_downloaded_at": f"{_LOG}: when it was last downloaded.",
    }

    class State(models.TextChoices):
        AWAITING_RECIPIENT = "awaiting", "Waiting for the recipient to confirm the address"
        SENT = "sent", "Download link sent to the confirmed recipient"
        CANCELLED = "cancelled", "Replaced by a newer transfer before it was confirmed"

    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="package_transfers"
    )
    package = models.ForeignKey(ExportPackage, on_delete=models.CASCADE, related_name="transfers")
    recipient_name = models.CharField(max_length=200, null=True, blank=True)
    recipient_email = models.CharField(max_length=254, null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.AWAITING_RECIPIENT)
    created_at = models.DateTimeField(default=timezone.now)
    confirm_hash = models.CharField(max_length=64, db_index=True)
    confirm_expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    token_salt = models.CharField(max_length=32)
    download_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    download_expires_at = models.DateTimeField(null=True, blank=True)
    download_count = models.PositiveIntegerField(default=0)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Transfer #{self.pk} of package #{self.package_id}"


class Appeal(models.Model):
    """An appeal of a denied (or completed) request; handled as its own request of type
    ``appeal`` so it has a deadline, a timeline and a decision."""

    ERASED_FIELDS = ("statement",)
    KEPT_FIELDS = {"submitted_at": "The request log: when the appeal was made."}

    original = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="appeals")
    appeal_request = models.OneToOneField(
        PrivacyRequest, on_delete=models.CASCADE, related_name="appeal"
    )
    statement = models.TextField(help_text="Why the person disagrees.")
    submitted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Appeal of {self.original_id}"


class NoticeTemplate(models.Model):
    """The text of a notice to a person or a customer. Subject and body are Django
    templates; see ``requests_app.notices`` for the variables each notice gets."""

    code = models.SlugField(max_length=40, unique=True)
    description = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    #: The short text sent instead to a requester who gave only a phone number (empty:
    #: the default in ``requests_app.notices``). Keep it short, with no personal data.
    sms_body = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class DigestSent(models.Model):
    """One row per day the deadline digest went out, so a second run sends nothing."""

    day = models.DateField(unique=True)
    sent_at = models.DateTimeField(default=timezone.now)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"Digest of {self.day}"
