"""The personal-data registry: every app that stores personal data registers a provider
here that can **collect** a subject's data (for access and portability exports) and
**erase** it (for erasure requests and retention). ``privacy`` never imports the other
apps; they plug in from their ``AppConfig.ready``.

A subject is a ``privacy.Contact``. Providers work on batches of contacts so the
retention sweep can erase thousands per second; a single erasure is a batch of one.

A provider may also name reasons to **defer** a subject's erasure (optional method
``deferrals``, see ``DeferringProvider``): e.g. requests_app defers a person who has an
open privacy request, which could not be answered once the person is gone. The engine
asks every provider that has the method and skips the deferred subjects; the retention
sweep takes them on a later night, once the reason is gone."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import datetime as dt

    from privacy.models import Contact


@dataclass
class ExportTable:
    """One table of a subject's data: written as ``<provider>/<name>.json`` and ``.csv``."""

    name: str
    fields: list[str]
    rows: Iterable[dict[str, Any]]
    description: str = ""


@dataclass
class KeptRecords:
    """Rows an erasure keeps (de-identified) because the law requires it. ``references``
    names them where they have a reference of their own that holds no personal data
    (e.g. privacy requests kept as the request log): the certificate lists them."""

    table: str
    count: int
    reason: str
    references: list[str] = field(default_factory=list)


@dataclass
class ErasureOutcome:
    """What a provider did, or would do, to one subject."""

    erased: dict[str, int] = field(default_factory=dict)
    kept: list[KeptRecords] = field(default_factory=list)


@dataclass(frozen=True)
class OptedOutIdentifier:
    """An identifier that carried an opt-out or "do not contact": it goes on the
    suppression list when its owner is erased. ``value`` is normalised (E.164 / e-mail)."""

    channel: str  # "email" or "phone"
    value: str


class PersonalDataProvider(Protocol):
    key: str
    #: The data category in words (certificates and previews group counts under it).
    label: str
    #: Optional (read with ``getattr``): words for the tables ``erase`` counts, e.g.
    #: ``{"interactions": "messages, chats, e-mails and web-form submissions"}``, and for
    #: the tables of ``KeptRecords`` in ``kept_labels``. Unlisted tables read as their
    #: names (``privacy.display``).
    #: Lower runs first. privacy's contact provider runs last: it de-identifies the
    #: Contact row the others may still read from.
    order: int

    def collect(self, contact: Contact) -> Iterator[ExportTable]: ...

    def preview(self, contacts: Sequence[Contact]) -> dict[int, ErasureOutcome]: ...

    def opted_out_identifiers(
        self, contacts: Sequence[Contact]
    ) -> dict[int, set[OptedOutIdentifier]]: ...

    def erase(self, contacts: Sequence[Contact], *, now: dt.datetime) -> dict[int, ErasureOutcome]:
        """Erase the contacts' data. The engine has called ``opted_out_identifiers`` for
        the same contacts earlier in the same transaction."""


@dataclass(frozen=True)
class Deferral:
    """Why one subject's erasure waits. ``kind`` is the provider's ``deferral_kind`` (a
    short label counted in the retention sweep's report, e.g. "open request");
    ``reason`` is the provider's words for this subject."""

    kind: str
    reason: str


class DeferringProvider(Protocol):
    """The optional part of a provider: why some subjects must not be erased yet."""

    #: Counted under this label in reports ("deferred: open request").
    deferral_kind: str

    def deferrals(
        self, contacts: Sequence[Contact], *, trigger: str, reference: str
    ) -> dict[int, str]:
        """{contact id: reason} for the contacts whose erasure must wait. The reason is
        shown to staff and written to logs and the audit trail, so it names records by
        reference or id only, never by personal data (e.g. "open privacy request
        R-ABC123"). ``trigger`` and ``reference`` say on whose behalf the erasure runs
        (``ErasureCertificate.Trigger`` and a request reference or rule code), so a
        request does not defer its own erasure. Called inside the erasure's transaction,
        after the contacts are locked."""


def deferrals(
    contacts: Sequence[Contact], *, trigger: str, reference: str = ""
) -> dict[int, Deferral]:
    """{contact id: deferral} from every provider that defers (the first one wins)."""
    found: dict[int, Deferral] = {}
    if not contacts:
        return found
    for provider in providers():
        method = getattr(provider, "deferrals", None)
        if method is None:
            continue
        kind = getattr(provider, "deferral_kind", provider.label)
        for contact_id, reason in method(contacts, trigger=trigger, reference=reference).items():
            found.setdefault(contact_id, Deferral(kind=kind, reason=reason))
    return found


_providers: dict[str, PersonalDataProvider] = {}


def register(provider: PersonalDataProvider) -> None:
    """Add a provider; registering the same key again replaces it (autoreload-safe)."""
    _providers[provider.key] = provider


def providers() -> list[PersonalDataProvider]:
    return sorted(_providers.values(), key=lambda p: (p.order, p.key))


# --- opt-out signals -----------------------------------------------------------------
#
# An opt-out preference signal (Global Privacy Control) is recorded by the consent app,
# but the person must also see it processed as an opt-out request (11 CCR §7025, §7026),
# which is the requests app's. consent imports only privacy, so it calls
# ``privacy.services.opt_out_signal_record``, which hands the signal to every handler
# registered here (requests_app registers ``opt_out_request_from_gpc`` from its
# AppConfig.ready).


class OptOutSignalHandler(Protocol):
    def __call__(self, *, contact: Contact, signal: str, reference: str) -> Any: ...


_opt_out_signal_handlers: dict[str, OptOutSignalHandler] = {}


def register_opt_out_signal_handler(key: str, handler: OptOutSignalHandler) -> None:
    """Add a handler; the same key again replaces it (autoreload-safe)."""
    _opt_out_signal_handlers[key] = handler


def opt_out_signal_handlers() -> list[tuple[str, OptOutSignalHandler]]:
    return sorted(_opt_out_signal_handlers.items())


# --- the outbound guard --------------------------------------------------------------
#
# What privacy sends itself (the notice of a compelled disclosure) must pass the same
# guard as every other outbound message (issue 8.2): the suppression list, "do not
# contact", and what the upper apps know of opt-outs. privacy checks its own tables
# (``privacy.selectors.outbound_block_reason``); the consent app registers its full guard
# (``consent.selectors.outbound_block_reason``) from its AppConfig.ready, so privacy asks
# it without importing consent.


class OutboundGuard(Protocol):
    def __call__(self, *, channel: str, to: str, customer_id: int | None) -> str | None:
        """Why nothing may be sent to ``to`` on ``channel`` ("email" or "sms") for this
        customer (a short code, no personal data), or None."""


_outbound_guards: dict[str, OutboundGuard] = {}


def register_outbound_guard(key: str, guard: OutboundGuard) -> None:
    """Add a guard; the same key again replaces it (autoreload-safe)."""
    _outbound_guards[key] = guard


def outbound_guards() -> list[tuple[str, OutboundGuard]]:
    return sorted(_outbound_guards.items())
