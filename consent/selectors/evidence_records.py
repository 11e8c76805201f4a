"""The records a consent evidence pack is made of (``consent.selectors.evidence``): one
dataclass per kind of row, plain values only, so the page, the PDF and the JSON read the
same data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from consent.models import ConsentEvent


@dataclass(frozen=True)
class EvidenceNotice:
    id: int
    purpose: str
    version: int
    kind: str
    language: str
    text: str
    sha256: str
    published_at: dt.datetime | None


@dataclass(frozen=True)
class EvidenceContact:
    id: int
    customer_id: int | None
    customer: str
    erased: bool


# The per-row records use slots and are not frozen: a frozen dataclass sets each field
# through object.__setattr__, which on ten thousand events was a third of the pack.
@dataclass(slots=True)
class EvidenceEvent:
    id: int
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    contact_id: int | None
    customer: str
    purpose: str
    purpose_name: str
    action: str
    method: str
    method_label: str
    sender: str
    notice_id: int | None
    notice_version: int | None
    notice_sha256: str
    ip_address: str | None
    user_agent: str | None
    page_url: str | None
    source: str | None
    reference: str
    recorded_by: str
    keyword_text: str | None
    deidentified: bool
    #: The cited notice was published after the event: the evidence contradicts itself
    #: (an import that named the wrong version), and the pack says so.
    notice_published_later: bool = False

    @property
    def is_withdrawal(self) -> bool:
        return self.action == ConsentEvent.Action.WITHDRAW


@dataclass(slots=True)
class EvidenceInbound:
    id: int
    received_at: dt.datetime
    message_sid: str
    customer: str
    contact_id: int | None
    sender: str
    body: str | None
    keyword: str
    outcome: str
    reply: str
    deidentified: bool


@dataclass(frozen=True)
class EvidenceState:
    contact_id: int
    customer: str
    purpose: str
    sender: str
    is_granted: bool
    since: dt.datetime
    method: str
    notice_version: int | None
    last_event_id: int


@dataclass(frozen=True)
class EvidenceSubscription:
    id: int
    customer: str
    sender: str
    program: str
    status: str
    requested_at: dt.datetime | None
    prompt_sent_at: dt.datetime | None
    opted_in_at: dt.datetime | None
    opted_out_at: dt.datetime | None
    prompt_notice_version: int | None
    deidentified: bool


@dataclass(frozen=True)
class EvidenceSuppression:
    id: int
    scope: str
    customer: str
    created_on: dt.date
    reason: str


@dataclass(frozen=True)
class EvidenceQuietHours:
    """The quiet hours that apply to a number, and the answer at ``checked_at``."""

    time_zones: tuple[str, ...]
    state: str | None
    allowed_from: int
    allowed_until: int
    sunday: tuple[int, int] | None
    no_legal_holidays: bool
    source: str
    checked_at: dt.datetime
    is_quiet_now: bool
    next_allowed_at: dt.datetime | None


@dataclass(frozen=True)
class EvidenceCheckAnswer:
    """What ``GET /api/v1/consent/check`` answers for this customer now (no sender)."""

    customer_id: int
    customer: str
    purpose: str
    allowed: bool
    reason: str
    since: dt.datetime | None
    retry_at: dt.datetime | None
