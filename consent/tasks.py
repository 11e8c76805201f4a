"""Celery tasks of the consent app: thin, idempotent callers of services."""

from celery import shared_task

from consent import services
from privacy.services.outbox import SEND_RETRY


@shared_task(**SEND_RETRY, autoretry_for=(services.SmsPromptNotSent,))
def sms_opt_in_prompt_send(subscription_id: int) -> bool:
    """Send a pending subscription's opt-in prompt (once; retried with backoff when the
    gateway fails; a delivery after it was sent sends nothing)."""
    return services.sms_opt_in_prompt_send(subscription_id=subscription_id)


@shared_task(**SEND_RETRY, autoretry_for=(services.PreferenceLinkNotSent,))
def preference_link_deliver(
    contact_id: int, channel: str, sender_id: int | None, actor_id: int | None = None
) -> bool:
    """Send a queued preference-centre link (retried with backoff when it fails)."""
    return services.preference_link_deliver(
        contact_id=contact_id, channel=channel, sender_id=sender_id, actor_id=actor_id
    )


@shared_task(acks_late=True, ignore_result=True)
def consent_records_purge() -> dict:
    """Nightly: cookie records past 12 months and SMS proof past its 4 years."""
    return services.consent_records_purge(actor=None)


@shared_task(acks_late=True, ignore_result=True)
def material_notice_change_notify(notice_id: int) -> dict:
    """Tell the people who consented under an earlier version of a material change
    (once each; a retry tells nobody twice)."""
    return services.material_notice_change_notify(actor=None, notice_id=notice_id).counts


@shared_task(acks_late=True, ignore_result=True)
def material_notice_changes_notify() -> dict:
    """Nightly: the same for every material change still in its grace period."""
    return services.material_notice_changes_notify(actor=None).counts
