"""Fixed-window rate limits in a cache every process shares: Redis in production, the
database cache on the embedded default. A limit holds across web workers and restarts
because the counter lives outside the process, and exactly because every increment is
atomic where the counter lives (never read, add one, write back):

* Redis: one Lua script does INCR and, on the window's first hit, EXPIRE — atomic on the
  server, and a key can never be left without its expiry.
* Database cache: the read and the write run in one transaction under a lock — a
  transaction-scoped advisory lock on PostgreSQL, the database's write lock on SQLite
  (taken by writing first).

Keys hold a hash, never an address or an identifier, so the cache holds no personal data.
The module needs no app models, so the tests run it in bare processes."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router, transaction

# INCR; on the first hit of a window the key gets its lifetime. One script, so no other
# client can slip in between the two commands.
_REDIS_INCR = """
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('TTL', KEYS[1]) < 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""


def _parse(spec: str) -> tuple[int, int]:
    count, seconds = spec.split("/", 1)
    return int(count), int(seconds)


def _cache() -> BaseCache:
    return caches[settings.REQUESTS_RATE_LIMIT_CACHE]


def _incr_redis(cache: RedisCache, key: str, seconds: int) -> int:
    full_key = cache.make_and_validate_key(key)
    # Django's RedisCache.incr checks EXISTS then INCRs: a key expiring in between comes
    # back without a lifetime. The script does both steps on the server.
    client = cache._cache.get_client(full_key, write=True)
    return int(client.eval(_REDIS_INCR, 1, full_key, seconds))


def _incr_database(cache: BaseDatabaseCache, key: str, seconds: int) -> int:
    full_key = cache.make_and_validate_key(key)
    alias = router.db_for_write(cache.cache_model_class)
    connection = connections[alias]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            lock_id = int.from_bytes(hashlib.sha256(full_key.encode()).digest()[:8], "big")
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id - (1 << 63)])
        elif connection.vendor == "sqlite":
            # A write as the transaction's first statement takes the database's write
            # lock (waiting for it within the busy timeout) before anything is read.
            table = connection.ops.quote_name(cache._table)
            cursor.execute(f"UPDATE {table} SET expires = expires WHERE cache_key = %s", [full_key])  # noqa: S608 - the table name comes from settings, quoted
        else:
            raise ImproperlyConfigured(
                f"Rate limits on the database cache need PostgreSQL or SQLite, not {connection.vendor}."
            )
        now = time.time()
        stored = cache.get(key)
        if stored is None or stored[1] <= now:
            count, window_ends = 1, now + seconds
        else:
            count, window_ends = stored[0] + 1, stored[1]
        cache.set(key, (count, window_ends), timeout=max(1, int(window_ends - now + 1)))
    return count


def _incr(key: str, seconds: int) -> int:
    cache = _cache()
    if isinstance(cache, RedisCache):
        return _incr_redis(cache, key, seconds)
    if isinstance(cache, BaseDatabaseCache):
        return _incr_database(cache, key, seconds)
    # The in-process memory cache (a test that configures it): atomic within the process
    # only, which is all it can be; production settings refuse it.
    cache.add(key, 0, timeout=seconds)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds)
        return 1


def counter_key(*, scope: str, key: str) -> str:
    """The cache key of a counter: a hash, so the cache holds no address or identifier."""
    digest = hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()[:32]
    return f"requests_app:rl:{scope}:{digest}"


def rate_limit_hit(*, scope: str, key: str, spec: str) -> bool:
    """Count one hit; False once the limit of the window is exceeded."""
    limit, seconds = _parse(spec)
    return _incr(counter_key(scope=scope, key=key), seconds) <= limit
