"""Opt-out preference signals (Global Privacy Control): the consent app records the
signal as consent evidence and calls ``opt_out_signal_record``, which hands it to the
handlers other apps registered in ``privacy.registry`` — requests_app turns it into a
processed opt-out request the person and staff can see (11 CCR §7025(c), §7026)."""

from __future__ import annotations

from typing import Any

from privacy import registry
from privacy.models import Contact


def opt_out_signal_record(
    *, contact: Contact, signal: str = "gpc", reference: str = "Sec-GPC"
) -> dict[str, Any]:
    """Tell every registered handler that ``contact`` sent an opt-out preference
    signal; returns each handler's result by its key. Call it inside the transaction
    that records the signal, so both are kept or neither."""
    return {
        key: handler(contact=contact, signal=signal, reference=reference)
        for key, handler in registry.opt_out_signal_handlers()
    }
