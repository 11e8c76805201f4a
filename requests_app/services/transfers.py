"""Portability to another organisation (GDPR Art. 20(2)): after verification, the person
may have their ready package sent to a recipient they name.

1. ``package_transfer_start`` (the person on their status page, or staff for them): the
   recipient's address gets a single-use confirmation link (valid
   ``REQUESTS_VERIFICATION_LINK_HOURS``); nothing is sent yet.
2. ``package_transfer_confirm``: the recipient proves control of the address by using
   the link; only then does it get an expiring download link (until the package itself
   expires), and the person is told.
3. ``package_transfer_download``: the recipient downloads; each download is on the
   request's timeline and in the audit trail.

Only SHA-256 hashes of the confirmation secret and of the download token are stored;
the download token is derived (HMAC with a per-transfer salt) so the notice can carry it
without it being kept. Audit rows and logs name the transfer and the request, never the
recipient's address."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from privacy.identifiers import normalize_email
from requests_app import timeline
from requests_app.models import (
    ExportPackage,
    PackageTransfer,
    PrivacyRequest,
    RequestType,
)
from requests_app.services.notices import notice_send, public_url
from requests_app.services.transitions import package_transfers_transition
from requests_app.tokens import derive_token, new_salt, random_token, token_hash

#: Request types whose package may be sent on to another organisation.
TRANSFERABLE_TYPES = frozenset({RequestType.PORTABILITY, RequestType.ACCESS})


def _download_token(transfer: PackageTransfer) -> str:
    return derive_token(purpose="transfer", ident=f"{transfer.pk}", salt=transfer.token_salt)


def transfer_download_url(transfer: PackageTransfer) -> str:
    """The recipient's download link (derived, so the queued notice stores none)."""
    return public_url(reverse("requests_app:transfer_download", args=[_download_token(transfer)]))


@transaction.atomic
def package_transfer_start(
    *,
    actor: AbstractBaseUser | None,
    request: PrivacyRequest,
    recipient_name: str,
    recipient_email: str,
    now: dt.datetime | None = None,
) -> PackageTransfer:
    """Ask the recipient to confirm its address; returns the transfer (one per ready
    package of the request; the first ready package when there are several contacts)."""
    now = now or timezone.now()
    errors: dict[str, str] = {}
    recipient_name = (recipient_name or "").strip()
    if not recipient_name:
        errors["recipient_name"] = "Give the name of the organisation to send your data to."
    try:
        address = normalize_email(recipient_email or "")
    except ValidationError as exc:
        errors["recipient_email"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    request = PrivacyRequest.objects.select_for_update().get(pk=request.pk)
    if request.request_type not in TRANSFERABLE_TYPES:
        raise ValidationError(
            "Only access and portability requests can be sent to another organisation."
        )
    if request.verified_at is None:
        raise ValidationError("The request must be verified before its data can be sent on.")
    packages = list(
        request.packages.filter(state=ExportPackage.State.READY, expires_at__gt=now).order_by("pk")
    )
    if not packages:
        raise ValidationError("There is no data package ready to send (or it has expired).")
    if address in {request.email, request.agent_email}:
        raise ValidationError(
            {"recipient_email": "That is your own address: download the package yourself instead."}
        )
    # A placeholder never sent: the notice's task mints the link's secret and replaces
    # this hash, so the secret is never stored nor queued.
    secret = random_token()
    expires_at = now + dt.timedelta(hours=settings.REQUESTS_VERIFICATION_LINK_HOURS)
    transfers = []
    for package in packages:
        # An earlier transfer not yet confirmed stops working: the newest one counts.
        package_transfers_transition(
            PackageTransfer.objects.filter(package=package),
            from_state=PackageTransfer.State.AWAITING_RECIPIENT,
            to_state=PackageTransfer.State.CANCELLED,
        )
        transfers.append(
            PackageTransfer.objects.create(
                request=request,
                package=package,
                recipient_name=recipient_name[:200],
                recipient_email=address,
                created_at=now,
                confirm_hash=token_hash(secret),
                confirm_expires_at=expires_at,
                token_salt=new_salt(),
            )
        )
    notice_send(
        request=request,
        code="transfer_recipient_confirm",
        actor=actor,
        to=[address],
        extra={
            "recipient_name": recipient_name,
            # The sending task mints the link's secret (only its hash is stored).
            "confirm_transfers": transfers,
            "expires_at": timezone.localtime(expires_at).strftime("%Y-%m-%d %H:%M %Z"),
        },
    )
    timeline.transfer_started(request=request, actor=actor, transfer_ids=[t.pk for t in transfers])
    return transfers[0]


def _transfers_for_secret(secret: str) -> list[PackageTransfer]:
    """The transfers one confirmation link covers (one per ready package of the
    request), locked."""
    return list(
        PackageTransfer.objects.select_for_update()
        .filter(confirm_hash=token_hash(secret), state=PackageTransfer.State.AWAITING_RECIPIENT)
        .select_related("package__request")
        .order_by("pk")
    )


def package_transfer_confirm_valid(*, secret: str, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    with transaction.atomic():
        return any(t.confirm_expires_at > now for t in _transfers_for_secret(secret))


@transaction.atomic
def package_transfer_confirm(*, secret: str, now: dt.datetime | None = None) -> PackageTransfer:
    """The recipient used the confirmation link: it gets the download link, the person
    is told. Single-use, expiring; raises ``ValidationError`` when not valid."""
    now = now or timezone.now()
    transfers = [t for t in _transfers_for_secret(secret) if t.confirm_expires_at > now]
    if not transfers:
        raise ValidationError("This link is not valid any more.")
    request = transfers[0].package.request
    expires_on = None
    for transfer in transfers:
        package = transfer.package
        package_transfers_transition(
            PackageTransfer.objects.filter(pk=transfer.pk),
            from_state=PackageTransfer.State.AWAITING_RECIPIENT,
            to_state=PackageTransfer.State.SENT,
            confirmed_at=now,
            download_expires_at=package.expires_at,
            download_hash=token_hash(_download_token(transfer)),
        )
        transfer.refresh_from_db()
        expires_on = min(filter(None, [expires_on, timezone.localdate(package.expires_at)]))
    recipient = transfers[0]
    notice_send(
        request=request,
        code="transfer_recipient_download",
        to=[recipient.recipient_email],
        extra={
            "recipient_name": recipient.recipient_name,
            "download_transfers": transfers,  # the links are derived when sending
            "expires_on": expires_on,
        },
    )
    notice_send(
        request=request,
        code="transfer_sent",
        extra={"recipient_name": recipient.recipient_name, "expires_on": expires_on},
        public_message="The organisation you named confirmed its address; we sent it your data.",
    )
    timeline.transfer_confirmed(request=request, transfer_ids=[t.pk for t in transfers])
    return recipient


@transaction.atomic
def package_transfer_download(
    *, token: str, now: dt.datetime | None = None
) -> ExportPackage | None:
    """The package a recipient's download token opens (counted), or None if the token
    is wrong or expired, or the package is gone."""
    now = now or timezone.now()
    transfer = (
        PackageTransfer.objects.select_for_update()
        .select_related("package__request")
        .filter(
            download_hash=token_hash(token),
            state=PackageTransfer.State.SENT,
            download_expires_at__gt=now,
            package__state=ExportPackage.State.READY,
        )
        .first()
    )
    if transfer is None:
        return None
    transfer.download_count += 1
    transfer.last_downloaded_at = now
    transfer.save(update_fields=["download_count", "last_downloaded_at"])
    request = transfer.package.request
    timeline.transfer_downloaded(
        request=request, transfer_id=transfer.pk, count=transfer.download_count
    )
    return transfer.package
