"""Small per-worker caches of the consent reads (purposes, API keys, sender numbers),
each trusted for ``CONSENT_API_CACHE_SECONDS`` and bounded in size."""

from __future__ import annotations

import threading
import time

from django.conf import settings


class _TtlCache:
    """Values kept for ``CONSENT_API_CACHE_SECONDS``; at ``max_size`` entries it starts
    again empty, so a worker's memory stays bounded whatever it is asked."""

    def __init__(self, *, max_size: int = 10000) -> None:
        self._data: dict = {}
        self._lock = threading.Lock()
        self.max_size = max_size

    def get(self, key):
        item = self._data.get(key)
        if item is None or item[0] < time.monotonic():
            return None
        return item[1]

    def set(self, key, value) -> None:
        with self._lock:
            if len(self._data) >= self.max_size:
                self._data.clear()
            self._data[key] = (time.monotonic() + settings.CONSENT_API_CACHE_SECONDS, value)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


_purposes = _TtlCache()
_api_keys = _TtlCache()
_senders = _TtlCache()


def caches_clear() -> None:
    """Forget cached purposes, keys and sender numbers (tests; after revoking a key or
    saving a sender number in this process)."""
    _purposes.clear()
    _api_keys.clear()
    _senders.clear()
