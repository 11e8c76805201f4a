"""Export packages of access, right-to-know and portability requests: one zip per
matched contact, built by privacy's export engine into private storage, downloadable by
an expiring token whose hash is all the database holds."""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from privacy.models import Contact
from privacy.services import contact_export
from requests_app import timeline
from requests_app.models import ExportPackage, PrivacyRequest
from requests_app.services.notices import public_url
from requests_app.services.transitions import export_packages_transition
from requests_app.tokens import derive_token, new_salt, token_hash


def export_package_create(*, request: PrivacyRequest, contact: Contact) -> ExportPackage:
    """The contact's package for this request, created once; its build is queued after
    the transaction commits."""
    package, created = ExportPackage.objects.get_or_create(
        request=request,
        contact=contact,
        defaults={"token_salt": new_salt(), "token_hash": uuid.uuid4().hex},
    )
    if created:
        token = derive_token(purpose="download", ident=f"{package.pk}", salt=package.token_salt)
        ExportPackage.objects.filter(pk=package.pk).update(token_hash=token_hash(token))
        from requests_app.tasks import build_export_package

        package_id = package.pk
        transaction.on_commit(lambda: build_export_package.delay(package_id))
    return package


def download_url(package: ExportPackage) -> str:
    token = derive_token(purpose="download", ident=f"{package.pk}", salt=package.token_salt)
    return public_url(reverse("requests_app:download", args=[token]))


def export_package_build(*, package_id: int) -> ExportPackage | None:
    """Build the zip with privacy's export engine into private storage (idempotent)."""
    package = (
        ExportPackage.objects.select_related("request", "contact").filter(pk=package_id).first()
    )
    if package is None or package.state != ExportPackage.State.BUILDING:
        return package
    if package.contact.erased_at:
        return package
    with tempfile.TemporaryFile() as spool:
        counts = contact_export(
            actor=None, contact=package.contact, destination=spool, via="privacy_request"
        )
        spool.seek(0)
        with transaction.atomic():
            locked = ExportPackage.objects.select_for_update().get(pk=package.pk)
            if locked.state != ExportPackage.State.BUILDING:
                return locked
            locked.file.save(f"{uuid.uuid4().hex}.zip", File(spool), save=False)
            now = timezone.now()
            export_packages_transition(
                ExportPackage.objects.filter(pk=locked.pk),
                from_state=ExportPackage.State.BUILDING,
                to_state=ExportPackage.State.READY,
                file=locked.file.name,
                size_bytes=locked.file.size,
                counts=counts,
                ready_at=now,
                expires_at=now + dt.timedelta(days=settings.REQUESTS_EXPORT_TTL_DAYS),
            )
            locked.refresh_from_db()
            timeline.package_built(request=locked.request, package=locked)
    return locked


@transaction.atomic
def export_package_download(*, token: str, now: dt.datetime | None = None) -> ExportPackage | None:
    """The package a download token opens (counted), or None if invalid or expired."""
    now = now or timezone.now()
    package = (
        ExportPackage.objects.select_for_update()
        .filter(token_hash=token_hash(token), state=ExportPackage.State.READY, expires_at__gt=now)
        .select_related("request")
        .first()
    )
    if package is None:
        return None
    package.download_count += 1
    package.last_downloaded_at = now
    package.save(update_fields=["download_count", "last_downloaded_at"])
    timeline.package_downloaded(request=package.request, package=package)
    return package
