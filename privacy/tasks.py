"""Celery tasks of the privacy core: thin callers of services."""

from celery import shared_task

from privacy.services import DisclosureNoticeNotSent
from privacy.services import disclosure_notice_deliver as disclosure_notice_deliver_service
from privacy.services import retention_sweep as retention_sweep_service
from privacy.services.outbox import SEND_RETRY
from privacy.services.outbox import outbox_relay as outbox_relay_service


@shared_task(acks_late=True, ignore_result=True)
def retention_sweep() -> dict:
    """Nightly: erase what the retention rules say must go (idempotent)."""
    return retention_sweep_service(actor=None).as_summary()


@shared_task(acks_late=True, ignore_result=True)
def minors_data_erase() -> dict:
    """Nightly: queue newly known minors and erase those whose grace period is over."""
    from privacy.services import minors_data_erase as service

    return service()


@shared_task(acks_late=True, ignore_result=True)
def disclosure_notices_send() -> dict:
    """Nightly: tell people of compelled disclosures once the law allows it."""
    from privacy.services import disclosure_notices_send as service

    return service()


@shared_task(**SEND_RETRY, autoretry_for=(DisclosureNoticeNotSent,))
def disclosure_notice_deliver(disclosure_id: int) -> bool:
    """Send one queued disclosure notice (marked sent only once the mail server took it;
    retried with backoff; a delivery after it was sent does nothing)."""
    return disclosure_notice_deliver_service(disclosure_id=disclosure_id)


@shared_task(acks_late=True, ignore_result=True)
def outbox_relay() -> dict:
    """Every minute: publish queued work left unsent while the broker was down."""
    return outbox_relay_service().as_summary()


@shared_task(acks_late=True, ignore_result=True)
def staff_login_records_purge() -> dict:
    """Nightly: delete old records of staff sign-in attempts (django-axes)."""
    from privacy.services import staff_login_records_purge as service

    return service()
