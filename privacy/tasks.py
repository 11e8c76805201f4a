"""Celery tasks of the privacy core: thin callers of services."""

from celery import shared_task

from privacy.services import retention_sweep as retention_sweep_service


@shared_task(acks_late=True, ignore_result=True)
def retention_sweep() -> dict:
    """Nightly: erase what the retention rules say must go (idempotent)."""
    return retention_sweep_service(actor=None).as_summary()
