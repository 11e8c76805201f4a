"""Export packages of access, right-to-know and portability requests: one zip per
matched contact, built by privacy's export engine into private storage, downloadable by
an expiring token whose hash is all the database holds.

A package can be gone before its request is completed: purged by the nightly job after
``REQUESTS_EXPORT_TTL_DAYS`` while staff waited for something else, or never buildable
because its contact was erased. ``export_packages_recover`` runs on every completion
attempt: an expired package is rebuilt (a fresh download link), a lost build is queued
again, and an erased contact's part is answered without a package, with the reason on
the timeline — so a request is never stuck at "Export package not ready"."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from privacy.models import Contact
from privacy.services import contact_export, task_enqueue
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
        _build_queue(package.pk)
    return package


def _build_queue(package_id: int) -> None:
    # Through privacy's outbox: the build survives a broker outage.
    task_enqueue(task="requests_app.tasks.build_export_package", args=[package_id])


#: A build queued longer ago than this and still not done is queued again on a
#: completion attempt (its message was lost; building is idempotent).
STALE_BUILD = dt.timedelta(minutes=10)


@dataclass
class PackagesRecovered:
    """What a completion attempt found and did about gone packages."""

    rebuilding: list[int] = field(default_factory=list)  # contact ids
    requeued: list[int] = field(default_factory=list)  # contact ids
    erased: list[int] = field(default_factory=list)  # contact ids answered without one

    def person_message(self) -> str:
        if not self.erased:
            return ""
        return (
            "Part of the data we held about you was erased before this request was "
            "answered (under our retention rules or another request), so there is no "
            "copy of it to send."
        )


@transaction.atomic
def export_packages_recover(
    *, request: PrivacyRequest, contacts: list[Contact], now: dt.datetime | None = None
) -> PackagesRecovered:
    """Before completing a package request: rebuild expired packages, queue lost builds
    again and note erased contacts (see the module docstring). Commits on its own when
    called outside a transaction, so a rebuild started by a refused completion stays."""
    now = now or timezone.now()
    found = PackagesRecovered()
    packages = {
        p.contact_id: p
        for p in ExportPackage.objects.select_for_update().filter(
            request=request, contact_id__in=[c.pk for c in contacts]
        )
    }
    for contact in contacts:
        package = packages.get(contact.pk)
        if contact.erased_at:
            if package is None or package.state != ExportPackage.State.READY:
                found.erased.append(contact.pk)
            continue
        if package is None:
            export_package_create(request=request, contact=contact)
            found.requeued.append(contact.pk)
        elif package.state == ExportPackage.State.PURGED:
            salt = new_salt()
            token = derive_token(purpose="download", ident=f"{package.pk}", salt=salt)
            export_packages_transition(
                ExportPackage.objects.filter(pk=package.pk),
                from_state=ExportPackage.State.PURGED,
                to_state=ExportPackage.State.BUILDING,
                token_salt=salt,
                token_hash=token_hash(token),
                file="",
                size_bytes=0,
                counts={},
                created_at=now,
                ready_at=None,
                expires_at=None,
                purged_at=None,
            )
            _build_queue(package.pk)
            found.rebuilding.append(contact.pk)
        elif (
            package.state == ExportPackage.State.BUILDING and package.created_at < now - STALE_BUILD
        ):
            _build_queue(package.pk)
            found.requeued.append(contact.pk)
    if found.rebuilding:
        timeline.packages_rebuilding(request=request, contact_ids=found.rebuilding)
    return found


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
        return package  # nothing left to export; completion answers without it
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
