"""Celery tasks of the requests app: thin callers of services, taking ids, idempotent."""

import contextlib
import logging

from celery import shared_task
from django.conf import settings

from requests_app import services
from requests_app.services.notice_delivery import (
    NoticeNotSent,
    notice_delivery_failed,
    notice_delivery_give_up,
    notice_delivery_send,
    submission_notices_queue,
)

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def process_request(request_id: int) -> None:
    """After verification: match contacts, relay, fulfil (does nothing twice)."""
    services.privacy_request_process(actor=None, request_id=request_id)


@shared_task(acks_late=True, ignore_result=True)
def submission_notices_deliver(submission_id: int) -> int:
    """Queue the sending of the notices one sending of the form wrote."""
    return submission_notices_queue(submission_id=submission_id)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def notice_deliver(self, delivery_id: int) -> None:
    """Send one queued notice; on any failure (the send, or an unexpected error such as
    a database error) retry with exponential backoff
    (``REQUESTS_NOTICE_RETRY_BASE_SECONDS`` doubling, at most
    ``REQUESTS_NOTICE_MAX_RETRIES`` times), then give up and tell staff. A task lost
    altogether is re-queued by ``notice_deliveries_requeue``."""
    try:
        notice_delivery_send(delivery_id=delivery_id)
    except Exception as exc:
        if not isinstance(exc, NoticeNotSent):
            logger.warning("Notice delivery id=%s failed: %s", delivery_id, type(exc).__name__)
            with contextlib.suppress(Exception):  # the database may be what failed
                notice_delivery_failed(delivery_id=delivery_id, error=type(exc).__name__)
        retries = self.request.retries or 0
        if retries >= settings.REQUESTS_NOTICE_MAX_RETRIES:
            notice_delivery_give_up(delivery_id=delivery_id)
            return
        countdown = settings.REQUESTS_NOTICE_RETRY_BASE_SECONDS * 2**retries
        raise self.retry(
            exc=exc, countdown=countdown, max_retries=settings.REQUESTS_NOTICE_MAX_RETRIES
        ) from exc


@shared_task(acks_late=True, ignore_result=True)
def notice_deliveries_requeue() -> dict:
    """Re-queue notices whose task was lost (a worker died, it failed for good)."""
    return services.notice_deliveries_requeue()


@shared_task(
    acks_late=True, ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def build_export_package(package_id: int) -> None:
    services.export_package_build(package_id=package_id)


@shared_task(
    acks_late=True, ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def deadline_digest_send() -> dict:
    return services.deadline_digest_send()


@shared_task(acks_late=True, ignore_result=True)
def unverified_requests_expire() -> dict:
    return services.unverified_requests_expire()


@shared_task(acks_late=True, ignore_result=True)
def scheduled_erasures_run() -> dict:
    return services.scheduled_erasures_run()


@shared_task(acks_late=True, ignore_result=True)
def export_packages_purge() -> dict:
    return services.export_packages_purge()


@shared_task(acks_late=True, ignore_result=True)
def request_log_prune() -> dict:
    return services.request_log_prune()
