"""Celery tasks of the consent app: thin, idempotent callers of services."""

from celery import shared_task

from consent import services


@shared_task(acks_late=True, ignore_result=True)
def sms_opt_in_prompt_send(subscription_id: int) -> bool:
    """Send a pending subscription's opt-in prompt (once; a retry sends nothing)."""
    return services.sms_opt_in_prompt_send(subscription_id=subscription_id)


@shared_task(acks_late=True, ignore_result=True)
def consent_records_purge() -> dict:
    """Nightly: cookie records past 12 months and SMS proof past its 4 years."""
    return services.consent_records_purge(actor=None)
