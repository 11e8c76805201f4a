"""Fixed-window rate limits in Django's cache. Keys hold a hash, never an address or a
number, so the cache holds no personal data."""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def _parse(spec: str) -> tuple[int, int]:
    count, seconds = spec.split("/", 1)
    return int(count), int(seconds)


def rate_limit_hit(*, scope: str, key: str, spec: str) -> bool:
    """Count one hit; False once the limit of the window is exceeded."""
    limit, seconds = _parse(spec)
    digest = hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()[:32]
    cache_key = f"requests_app:rl:{scope}:{digest}"
    cache.add(cache_key, 0, timeout=seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=seconds)
        count = 1
    return count <= limit
