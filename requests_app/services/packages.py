"""Export packages of access, right-to-know and portability requests: one zip per
matched contact, built by privacy's export engine into private storage, downloadable by
an expiring token whose hash is all the database holds."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
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


# --- the officer looks at a package before it is sent ---------------------------------

#: Largest JSON file shown on the package page (larger ones: download the package).
PACKAGE_PREVIEW_BYTES = 256 * 1024


@dataclass
class PackageFile:
    name: str
    size: int
    #: The file's text for the page (JSON indented), or "" when it is too large to show.
    text: str = ""


@dataclass
class PackageContents:
    package: ExportPackage
    files: list[PackageFile]
    summary: str


def _package_check(package: ExportPackage) -> ExportPackage:
    package = ExportPackage.objects.select_related("request").get(pk=package.pk)
    if package.state != ExportPackage.State.READY or not package.file:
        raise ValidationError(
            f"Export package #{package.pk} is {package.get_state_display().lower()}; "
            "there is nothing to open."
        )
    return package


@transaction.atomic
def export_package_staff_view(
    *, actor: AbstractBaseUser | None, package: ExportPackage
) -> PackageContents:
    """Open a built package for a staff member before it goes to the person: its files,
    the summary the person will read, and each JSON file's content (up to
    ``PACKAGE_PREVIEW_BYTES``). Read from private storage; the opening goes on the
    staff timeline and in the audit trail (ids only)."""
    package = _package_check(package)
    files: list[PackageFile] = []
    summary = ""
    with (
        package.file.storage.open(package.file.name, "rb") as handle,
        zipfile.ZipFile(handle) as archive,
    ):
        for info in archive.infolist():
            entry = PackageFile(name=info.filename, size=info.file_size)
            if info.filename == "SUMMARY.txt":
                summary = archive.read(info).decode("utf-8", "replace")
            elif info.filename.endswith(".json") and info.file_size <= PACKAGE_PREVIEW_BYTES:
                raw = archive.read(info).decode("utf-8", "replace")
                try:
                    entry.text = json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
                except ValueError:
                    entry.text = raw
            files.append(entry)
    timeline.package_checked(
        request=package.request, actor=actor, package=package, downloaded=False
    )
    return PackageContents(package=package, files=files, summary=summary)


@transaction.atomic
def export_package_staff_open(*, actor: AbstractBaseUser | None, package: ExportPackage) -> File:
    """The package's zip for a staff member to download (timeline and audit trail)."""
    package = _package_check(package)
    handle = package.file.storage.open(package.file.name, "rb")
    timeline.package_checked(request=package.request, actor=actor, package=package, downloaded=True)
    return File(handle)
