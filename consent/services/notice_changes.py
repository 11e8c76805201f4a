"""Material changes of a notice: when a notice version marked ``is_material_change`` is
published, the people whose consent stands under an earlier version are told once (by
e-mail to the address they consented with, or by text to the number, with the link to
their preference centre to confirm again), through the outbound guard; after
``CONSENT_RECONFIRMATION_GRACE_DAYS`` the consent check answers
``reconfirmation_needed`` for them until they confirm under the new version
(``consent.selectors.check``).

The job is idempotent (one ``NoticeChangeNotification`` per contact and material
version) and walks the states by key in bounded batches, each its own transaction; it
is queued when the notice is published and runs nightly for the material versions still
in their grace period, so a broker outage delays the notices but loses none."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from consent.models import Channel, ConsentState, Notice, NoticeChangeNotification, SenderNumber
from consent.selectors import outbound_block_reason
from consent.services.preferences import preference_link_url
from consent.services.sms import _brand
from consent.sms import OutboundSms, sms_gateway
from privacy.audit_actions import AuditAction
from privacy.models import Contact, ContactIdentifier
from privacy.selectors import ids_in_batches
from privacy.services import audit_event_record

logger = logging.getLogger(__name__)
Outcome = NoticeChangeNotification.Outcome


@dataclass
class NoticeChangeReport:
    notices: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


def notice_superseded_states(notice: Notice):
    """The granted states of the notice's purpose given before it was published under
    an earlier version (or no notice): the people to tell and, after the grace period,
    to ask again."""
    return ConsentState.objects.filter(
        Q(notice__isnull=True) | Q(notice__version__lt=notice.version),
        purpose_id=notice.purpose_id,
        is_granted=True,
        contact__isnull=False,
        contact__erased_at__isnull=True,
        since__lt=notice.published_at,
    )


def _deliver(
    *,
    channel: str,
    to: str,
    sender: str,
    subject: str,
    body: str,
    contact_id: int,
    notice_id: int,
):
    """After the batch's commit, in the task (EMAIL_TIMEOUT and the gateway's timeout
    bound it). A message the server did not take is not left recorded as sent: its
    row is removed, so the nightly run within the grace period tells the person again."""
    from django.core.mail import send_mail

    try:
        if channel == "email":
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
        else:
            sms_gateway().send(OutboundSms(to=to, sender=sender, body=body))
    except Exception as exc:
        # Neither the address nor the error text (which may quote it) is logged.
        logger.error(
            "Notice-change message (%s) for contact %s not sent: %s",
            channel,
            contact_id,
            type(exc).__name__,
        )
        NoticeChangeNotification.objects.filter(
            notice_id=notice_id, contact_id=contact_id, outcome=Outcome.SENT
        ).delete()


def _plan(
    notice: Notice, contact: Contact, state: ConsentState
) -> tuple[str, str, str, str, str, str]:
    """(outcome, reason, channel, to, sender, brand) for one contact."""
    if contact.do_not_contact:
        return Outcome.BLOCKED, "do_not_contact", "", "", "", ""
    purpose = notice.purpose
    if purpose.channel == Channel.SMS:
        channel, to = "sms", state.identifier
    elif purpose.channel == Channel.EMAIL:
        channel, to = "email", state.identifier
    else:
        # A whole-person purpose: the contact's primary e-mail address, else their number.
        identifier = (
            ContactIdentifier.objects.filter(contact=contact)
            .order_by("kind", "-is_primary", "id")  # "email" sorts before "phone"
            .first()
        )
        if identifier is None:
            return Outcome.NO_ADDRESS, "", "", "", "", ""
        channel = "email" if identifier.kind == "email" else "sms"
        to = identifier.value if identifier.kind == "email" else identifier.match_key
    if not to:
        return Outcome.NO_ADDRESS, "", "", "", "", ""
    sender = None
    if channel == "sms":
        senders = SenderNumber.objects.filter(customer_id=contact.customer_id, is_active=True)
        sender = (
            senders.filter(number=state.sender).first() if state.sender else None
        ) or senders.order_by("-is_default_marketing", "id").first()
        if sender is None:
            return Outcome.NO_ADDRESS, "no_sender", channel, "", "", ""
    # The one outbound guard: suppressed, do not contact, a number opted out.
    blocked = outbound_block_reason(
        channel=channel,
        to=to,
        customer_id=contact.customer_id,
        sender=sender.number if sender else None,
    )
    if blocked:
        return Outcome.BLOCKED, blocked, channel, "", "", ""
    return Outcome.SENT, "", channel, to, sender.number if sender else "", _brand(sender)[0]


@transaction.atomic
def _notify_batch(notice: Notice, state_ids: list[int], report: NoticeChangeReport) -> None:
    done = set(
        NoticeChangeNotification.objects.filter(notice=notice).values_list("contact_id", flat=True)
    )
    grace = settings.CONSENT_RECONFIRMATION_GRACE_DAYS
    deadline = timezone.localdate(notice.published_at + dt.timedelta(days=grace))
    states = (
        ConsentState.objects.filter(pk__in=state_ids)
        .select_related("contact")
        .order_by("contact_id", "pk")
    )
    for state in states:
        contact = state.contact
        if contact.pk in done:
            continue
        done.add(contact.pk)
        outcome, reason, channel, to, sender, brand = _plan(notice, contact, state)
        NoticeChangeNotification.objects.create(
            notice=notice, contact=contact, channel=channel, outcome=outcome, reason=reason
        )
        report.add(outcome if not reason else f"{outcome}:{reason}")
        if outcome != Outcome.SENT:
            continue
        link = preference_link_url(contact_id=contact.pk)
        body = (
            f"{brand}: we changed the terms of '{notice.purpose.name}' you agreed to. "
            f"Please review and confirm your choice by {deadline:%Y-%m-%d}: {link}"
        )
        if channel == "sms":
            body += " Reply STOP to opt out."
        transaction.on_commit(
            partial(
                _deliver,
                channel=channel,
                to=to,
                sender=sender,
                subject=f"{brand}: please confirm your choice",
                body=body,
                contact_id=contact.pk,
                notice_id=notice.pk,
            )
        )


def material_notice_change_notify(
    *, actor: AbstractBaseUser | None, notice_id: int, batch_size: int = 500
) -> NoticeChangeReport:
    """Tell everyone whose consent stands under an earlier version of this material
    change (once each). Nothing for a notice that is not a published material change."""
    report = NoticeChangeReport()
    notice = (
        Notice.objects.filter(pk=notice_id, is_material_change=True, published_at__isnull=False)
        .select_related("purpose")
        .first()
    )
    if notice is None:
        return report
    report.notices = 1
    for ids in ids_in_batches(notice_superseded_states(notice), batch_size=batch_size):
        _notify_batch(notice, ids, report)
    audit_event_record(
        actor=actor,
        action=AuditAction.CONSENT_NOTICE_CHANGE_NOTIFIED,
        object_type="notice",
        object_id=notice.pk,
        summary={"outcomes": report.counts},
    )
    return report


def material_notice_changes_notify(
    *, actor: AbstractBaseUser | None, now: dt.datetime | None = None, batch_size: int = 500
) -> NoticeChangeReport:
    """Nightly: every material change still in its grace period (safe to run twice)."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=settings.CONSENT_RECONFIRMATION_GRACE_DAYS)
    total = NoticeChangeReport()
    for notice_id in Notice.objects.filter(
        is_material_change=True, published_at__gte=since, published_at__lte=now
    ).values_list("pk", flat=True):
        report = material_notice_change_notify(
            actor=actor, notice_id=notice_id, batch_size=batch_size
        )
        total.notices += report.notices
        for key, count in report.counts.items():
            total.counts[key] = total.counts.get(key, 0) + count
    return total
