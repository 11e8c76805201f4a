"""The disclosure log: every disclosure of a person's data to a public authority or a
third party under a legal obligation (who received it, when, on which legal basis,
which categories), and the notice that tells the person of a compelled disclosure
unless the law forbids it (a gag order or a statute: the log records which, and until
when).

- ``disclosure_record`` logs a disclosure and, when it was compelled and telling the
  person is allowed, queues the notice (a task through privacy's outbox, in the same
  transaction).
- ``disclosure_notice_release`` queues a notice that was forbidden, once staff learn the
  prohibition ended early (an order lifted).
- ``disclosure_notices_send`` is the nightly job: it queues the notices whose prohibition
  ended (``notice_forbidden_until`` passed) and any left unsent.
- ``disclosure_notice_deliver`` (the task's work) sends one, and marks it sent only once
  the mail server took it; a failure raises ``DisclosureNoticeNotSent`` and the task
  retries.

Access answers list the disclosures (``privacy.providers.ProcessingRecordsProvider``),
except those the person may not yet be told about. The log holds no personal data
beyond the contact it is about; the notice goes to the contact's primary e-mail address,
only through the outbound guard (``privacy.selectors.contact_outbound_block_reason``:
never to a suppressed address or a person who asked not to be contacted)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from privacy.audit_actions import AuditAction
from privacy.models import Contact, DataCategory, Disclosure
from privacy.selectors import contact_outbound_block_reason, ids_in_batches
from privacy.services.audit import audit_event_record, staff_user
from privacy.services.outbox import task_enqueue

logger = logging.getLogger(__name__)

NOTICE_SUBJECT = "A disclosure of your personal data that the law required"
NOTICE_BODY = """We are writing to tell you that we were required by law to disclose some of
your personal data.

To: {recipient} ({recipient_kind})
On: {disclosed_on}
Legal basis: {legal_basis}
What was disclosed: {categories}
{reference_line}
You can ask us for a copy of your data, and for details of this disclosure, at any time
by replying to this message or through our privacy request page.

{organisation}
"""


_ACTIONS = {
    "recorded": AuditAction.DISCLOSURE_RECORDED,
    "notice_sent": AuditAction.DISCLOSURE_NOTICE_SENT,
    "notice_not_sent": AuditAction.DISCLOSURE_NOTICE_NOT_SENT,
    "notice_send_failed": AuditAction.DISCLOSURE_NOTICE_SEND_FAILED,
    "notice_released": AuditAction.DISCLOSURE_NOTICE_RELEASED,
    "notice_prohibition_ended": AuditAction.DISCLOSURE_NOTICE_PROHIBITION_ENDED,
}


def _audit(actor, action: str, disclosure: Disclosure, **summary) -> None:
    audit_event_record(
        actor=actor,
        action=_ACTIONS[action],
        object_type="contact",
        object_id=disclosure.contact_id,
        summary={"disclosure_id": disclosure.pk, **summary},
    )


@transaction.atomic
def disclosure_record(
    *,
    actor: AbstractBaseUser | None,
    contact: Contact,
    recipient: str,
    recipient_kind: str,
    disclosed_on: dt.date,
    legal_basis: str,
    categories: Sequence[DataCategory],
    compelled: bool = True,
    reference: str = "",
    notice_forbidden_basis: str = "",
    notice_forbidden_until: dt.date | None = None,
) -> Disclosure:
    """Log a disclosure. A compelled one is notified to the person at once unless
    ``notice_forbidden_basis`` names the law or order that forbids it (then the nightly
    job sends it after ``notice_forbidden_until``, or staff release it)."""
    errors: dict[str, str] = {}
    recipient, legal_basis = (recipient or "").strip(), (legal_basis or "").strip()
    notice_forbidden_basis = (notice_forbidden_basis or "").strip()
    if not recipient:
        errors["recipient"] = "Name the authority or organisation that received the data."
    if recipient_kind not in Disclosure.RecipientKind.values:
        errors["recipient_kind"] = "Choose who received it."
    if not legal_basis:
        errors["legal_basis"] = "Give the law or order that obliged the disclosure."
    if disclosed_on is None or disclosed_on > timezone.localdate():
        errors["disclosed_on"] = "Give the day of the disclosure (not in the future)."
    if not categories:
        errors["categories"] = "Choose the categories of data disclosed."
    if notice_forbidden_until and not notice_forbidden_basis:
        errors["notice_forbidden_basis"] = "Say which law or order forbids telling the person."
    if errors:
        raise ValidationError(errors)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.erased_at:
        raise ValidationError(f"Contact #{contact.pk} has been erased.")
    if not compelled:
        notice = Disclosure.Notice.NOT_REQUIRED
    elif notice_forbidden_basis:
        notice = Disclosure.Notice.FORBIDDEN
    else:
        notice = Disclosure.Notice.TO_SEND
    disclosure = Disclosure(
        contact=contact,
        recipient=recipient[:200],
        recipient_kind=recipient_kind,
        disclosed_on=disclosed_on,
        legal_basis=legal_basis[:300],
        compelled=compelled,
        reference=(reference or "").strip()[:100],
        notice=notice,
        notice_forbidden_basis=notice_forbidden_basis[:300],
        notice_forbidden_until=notice_forbidden_until,
        recorded_by=staff_user(actor),
    )
    disclosure.full_clean(exclude=["categories"])
    disclosure.save()
    disclosure.categories.set(categories)
    _audit(
        actor,
        "recorded",
        disclosure,
        recipient_kind=recipient_kind,
        disclosed_on=disclosed_on.isoformat(),
        categories=sorted(c.code for c in categories),
        compelled=compelled,
        notice=notice,
        notice_forbidden_until=notice_forbidden_until.isoformat()
        if notice_forbidden_until
        else None,
    )
    if notice == Disclosure.Notice.TO_SEND:
        _notify(disclosure, actor=actor)
    return disclosure


def _notice_text(disclosure: Disclosure) -> str:
    categories = ", ".join(c.name for c in disclosure.categories.order_by("name"))
    reference = f"Our reference: {disclosure.reference}\n" if disclosure.reference else ""
    return NOTICE_BODY.format(
        recipient=disclosure.recipient,
        recipient_kind=disclosure.get_recipient_kind_display(),
        disclosed_on=disclosure.disclosed_on.isoformat(),
        legal_basis=disclosure.legal_basis,
        categories=categories,
        reference_line=reference,
        organisation="Privacy team",
    )


def _blocked(disclosure: Disclosure) -> str:
    """Why the notice may not go to the contact's primary e-mail address ("" if it may):
    no address, or the outbound guard (``contact_outbound_block_reason``: suppressed, do
    not contact, and whatever the upper apps' registered guards say)."""
    contact = disclosure.contact
    if contact.erased_at or not contact.email:
        return "no_address"
    return contact_outbound_block_reason(contact=contact, channel="email", to=contact.email) or ""


def _not_sent(disclosure: Disclosure, *, actor, reason: str) -> str:
    Disclosure.objects.filter(pk=disclosure.pk).update(notice=Disclosure.Notice.NOT_SENT)
    disclosure.notice = Disclosure.Notice.NOT_SENT
    _audit(actor, "notice_not_sent", disclosure, why="no e-mail address we may use", reason=reason)
    return disclosure.notice


def _notify(disclosure: Disclosure, *, actor) -> str:
    """In the caller's transaction: queue the notice (``to_send``, a task through the
    outbox), or record why it may not be sent (``not_sent``). Returns the new state."""
    reason = _blocked(disclosure)
    if reason:
        return _not_sent(disclosure, actor=actor, reason=reason)
    if disclosure.notice != Disclosure.Notice.TO_SEND:
        Disclosure.objects.filter(pk=disclosure.pk).update(notice=Disclosure.Notice.TO_SEND)
        disclosure.notice = Disclosure.Notice.TO_SEND
    task_enqueue(task="privacy.tasks.disclosure_notice_deliver", args=[disclosure.pk])
    return disclosure.notice


class DisclosureNoticeNotSent(Exception):
    """The mail server did not take the notice (the error's type only): it stays "to be
    sent", and the task retries with backoff (then the nightly job queues it again)."""


def disclosure_notice_deliver(*, disclosure_id: int) -> bool:
    """Send a queued notice (the work of ``privacy.tasks.disclosure_notice_deliver``);
    True when it was sent now. Idempotent: a notice no longer "to be sent" does nothing.

    The row is locked while the mail is handed over (bounded by ``EMAIL_TIMEOUT``), and
    marked sent in the same transaction, only once the server took it: a second delivery
    of the task waits and then finds it sent; a failure (or a worker killed mid-send)
    leaves it "to be sent". The guard is asked again here: the person may have been
    erased, suppressed or asked not to be contacted since it was queued."""
    failed: Exception | None = None
    with transaction.atomic():
        disclosure = (
            Disclosure.objects.select_for_update(of=("self",))
            .select_related("contact")
            .filter(pk=disclosure_id, notice=Disclosure.Notice.TO_SEND)
            .first()
        )
        if disclosure is None:
            return False
        reason = _blocked(disclosure)
        if reason:
            _not_sent(disclosure, actor=None, reason=reason)
            return False
        try:
            send_mail(
                NOTICE_SUBJECT,
                _notice_text(disclosure),
                settings.DEFAULT_FROM_EMAIL,
                [disclosure.contact.email],
            )
        except Exception as exc:
            # Neither the address nor the error text (SMTP errors quote addresses).
            logger.error(
                "Disclosure notice id=%s could not be sent: %s", disclosure_id, type(exc).__name__
            )
            failed = exc
        else:
            Disclosure.objects.filter(pk=disclosure_id).update(
                notice=Disclosure.Notice.SENT, notified_at=timezone.now()
            )
            _audit(None, "notice_sent", disclosure)
            return True
    with transaction.atomic():
        _audit(None, "notice_send_failed", disclosure, error=type(failed).__name__)
    raise DisclosureNoticeNotSent(type(failed).__name__)


@transaction.atomic
def disclosure_notice_release(*, actor: AbstractBaseUser | None, disclosure: Disclosure) -> str:
    """The prohibition on telling the person ended early (e.g. the order was lifted):
    send the notice now. Returns the new notice state."""
    disclosure = (
        Disclosure.objects.select_for_update().select_related("contact").get(pk=disclosure.pk)
    )
    if disclosure.notice != Disclosure.Notice.FORBIDDEN:
        raise ValidationError("Only a notice that was forbidden can be released.")
    _audit(actor, "notice_released", disclosure)
    return _notify(disclosure, actor=actor)


def disclosures_notice_due(*, today: dt.date):
    """Compelled disclosures whose notice may go out now: never sent, or forbidden until
    a day that has passed (index ``disclosure_notice_due``)."""
    return Disclosure.objects.filter(
        Q(notice=Disclosure.Notice.TO_SEND)
        | Q(notice=Disclosure.Notice.FORBIDDEN, notice_forbidden_until__lt=today)
    )


def disclosure_notices_send(*, today: dt.date | None = None, batch_size: int | None = None) -> dict:
    """The nightly job: send the notices that may go out now. Idempotent (a sent notice
    is not sent again); bounded batches, one transaction each."""
    today = today or timezone.localdate()
    batch_size = batch_size or settings.PRIVACY_SWEEP_BATCH_SIZE
    counts = {"queued": 0, "not_sent": 0}
    for ids in ids_in_batches(disclosures_notice_due(today=today), batch_size=batch_size):
        with transaction.atomic():
            due = (
                disclosures_notice_due(today=today)
                .select_for_update(of=("self",))
                .select_related("contact")
                .filter(pk__in=ids)
            )
            for disclosure in due:
                if disclosure.notice == Disclosure.Notice.FORBIDDEN:
                    _audit(None, "notice_prohibition_ended", disclosure)
                state = _notify(disclosure, actor=None)
                counts["queued" if state == Disclosure.Notice.TO_SEND else "not_sent"] += 1
    if any(counts.values()):
        with transaction.atomic():
            audit_event_record(
                actor=None,
                action=AuditAction.DISCLOSURES_NOTICES_SENT,
                object_type="job",
                summary=counts,
            )
    return counts
