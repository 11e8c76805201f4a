"""Celery tasks of the requests app: thin callers of services, taking ids, idempotent."""

from celery import shared_task

from requests_app import services


@shared_task(acks_late=True, ignore_result=True)
def process_request(request_id: int) -> None:
    """After verification: match contacts, relay, fulfil (does nothing twice)."""
    services.privacy_request_process(actor=None, request_id=request_id)


@shared_task(
    acks_late=True, ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def build_export_package(package_id: int) -> None:
    services.export_package_build(package_id=package_id)


@shared_task(acks_late=True, ignore_result=True)
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
