"""Purposes (cached per worker; the webhook and the services read one on every event)
and their published notices."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, Subquery

from consent.models import Channel, Notice, Purpose
from consent.selectors.caches import _purposes


@dataclass(frozen=True)
class PurposeInfo:
    id: int
    code: str
    channel: str
    legal_basis: str
    is_marketing: bool
    requires_double_opt_in: bool
    is_per_identifier: bool
    # The latest published notice version marked as a material change, and when it was
    # published: grants given before it under an earlier version need re-confirmation.
    material_version: int | None = None
    material_at: dt.datetime | None = None


def purpose_get(code: str) -> Purpose:
    """The active Purpose row with this code (cached like ``purpose_info``), or
    ``ValidationError``. The webhook and the services read it on every event."""
    key = ("row", code)
    purpose = _purposes.get(key)
    if purpose is None:
        purpose = Purpose.objects.filter(code=code, is_active=True).first()
        if purpose is None:
            raise ValidationError("Unknown purpose.", code="purpose_unknown")
        _purposes.set(key, purpose)
    return purpose


def purpose_info(code: str) -> PurposeInfo:
    """The active purpose with this code (cached), or ``ValidationError``."""
    info = _purposes.get(code)
    if info is None:
        material = Notice.objects.filter(
            purpose=OuterRef("pk"), is_material_change=True, published_at__isnull=False
        ).order_by("-version")
        purpose = (
            Purpose.objects.filter(code=code, is_active=True)
            .annotate(
                material_version=Subquery(material.values("version")[:1]),
                material_at=Subquery(material.values("published_at")[:1]),
            )
            .first()
        )
        if purpose is None:
            raise ValidationError("Unknown purpose.", code="purpose_unknown")
        info = PurposeInfo(
            id=purpose.pk,
            code=purpose.code,
            channel=purpose.channel,
            legal_basis=purpose.legal_basis,
            is_marketing=purpose.is_marketing,
            requires_double_opt_in=purpose.requires_double_opt_in,
            is_per_identifier=purpose.is_per_identifier,
            material_version=purpose.material_version,
            material_at=purpose.material_at,
        )
        _purposes.set(code, info)
    return info


def notice_published(*, purpose_code: str, version: int | None = None) -> Notice | None:
    """The given published version of a purpose's notice, or its latest published one."""
    notices = Notice.objects.filter(
        purpose__code=purpose_code, published_at__isnull=False
    ).select_related("purpose")
    if version is not None:
        return notices.filter(version=version).first()
    return notices.order_by("-version").first()


#: What a person may object to besides named purposes: direct marketing as a whole.
DIRECT_MARKETING = "direct_marketing"


def objection_choices() -> list[tuple[str, str]]:
    """What a person may object to (the request form, GDPR Art. 21): direct marketing as
    a whole, and each processing done on legitimate interests or about the person as a
    whole (sale/sharing, sensitive data use, profiling purposes staff added)."""
    purposes = (
        Purpose.objects.filter(is_active=True)
        .filter(Q(legal_basis=Purpose.LegalBasis.LEGITIMATE_INTEREST) | Q(channel=Channel.DATA))
        .order_by("code")
    )
    return [(DIRECT_MARKETING, "Direct marketing (e-mails, texts and calls about offers)")] + [
        (p.code, p.name) for p in purposes
    ]
