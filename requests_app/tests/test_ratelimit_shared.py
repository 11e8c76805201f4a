"""The public form's rate limits hold across web processes and restarts, exactly.

Each test starts real Python processes with the project's own run-mode settings (the
embedded default, or production), as gunicorn's workers would be: first one process
alone (then it exits: a restart), then two at once, released together so their hits
interleave. Together they must be accepted exactly ``limit`` times — not once per
process (per-process memory), and not a few more (a read-modify-write race)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection

from requests_app import ratelimit

ROOT = Path(__file__).resolve().parents[2]

# One web process: set up Django, say ready, wait for "go", then hit both limits in
# turn (per IP and per identifier, the project's own settings) and print how many hits
# of each were accepted.
WORKER = """
import sys, django
django.setup()
from django.conf import settings
from requests_app.ratelimit import rate_limit_hit
key, hits = sys.argv[1], int(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
accepted = {"ip": 0, "identifier": 0}
for _ in range(hits):
    accepted["ip"] += rate_limit_hit(scope="ip", key=key, spec=settings.REQUESTS_RATE_LIMIT_PER_IP)
    accepted["identifier"] += rate_limit_hit(
        scope="identifier", key=key, spec=settings.REQUESTS_RATE_LIMIT_PER_IDENTIFIER
    )
print(accepted["ip"], accepted["identifier"], flush=True)
"""

# The limits the issue names: 20 per hour per address, 5 per day per identifier.
LIMITS = {"ip": 20, "identifier": 5}


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.pop("DATABASE_URL", None)
    env.update(values)
    return env


def _start(env: dict[str, str], key: str, hits: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER, key, str(hits)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if line.strip() != "ready":
        process.kill()
        raise AssertionError(f"worker did not start: {line}{process.stderr.read()}")
    return process


def _accepted(processes: list[subprocess.Popen]) -> list[dict[str, int]]:
    for process in processes:  # release them together
        process.stdin.write("go\n")
        process.stdin.flush()
    counts = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        ip, identifier = out.split()
        counts.append({"ip": int(ip), "identifier": int(identifier)})
    return counts


def _hold_exactly(env: dict[str, str]) -> None:
    key = f"203.0.113.7-{uuid.uuid4().hex}"  # fresh counters on a shared server
    # One worker makes 3 attempts, then it is gone (a restart): they must still count.
    [alone] = _accepted([_start(env, key, 3)])
    assert alone == {"ip": 3, "identifier": 3}
    # Two workers at once, each trying more than either limit.
    both = _accepted([_start(env, key, 25), _start(env, key, 25)])
    for scope, limit in LIMITS.items():
        total = alone[scope] + sum(counts[scope] for counts in both)
        assert total == limit, f"{scope}: {total} accepted ({alone} then {both}), limit {limit}"


def test_limits_hold_across_processes_on_the_embedded_default(tmp_path):
    """The local demo (SQLite, the database cache)."""
    env = _env(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    )
    subprocess.run([sys.executable, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True)
    _hold_exactly(env)


def _production_env(**overrides: str) -> dict[str, str]:
    db = connection.settings_dict
    return _env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="x" * 64,
        SUPPRESSION_HMAC_KEYS="k1=" + "y" * 40,
        PRIVACY_CERTIFICATE_SIGNING_KEY="dGhpcyBpcyBub3QgYSByZWFsIGtleSwganVzdCAzMmI=",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        CELERY_BROKER_URL=settings.REDIS_URL,
        **overrides,
    )


@pytest.mark.redis
@pytest.mark.django_db
def test_limits_hold_across_processes_in_production_on_redis():
    """Production: the counters live in Redis (the cache defaults to the broker's)."""
    _hold_exactly(_production_env())


@pytest.mark.postgres
@pytest.mark.django_db
def test_limits_hold_across_processes_on_the_database_cache_on_postgresql():
    """The database cache on PostgreSQL (the test database has its table)."""
    _hold_exactly(_production_env(DJANGO_CACHE_URL="dbcache://pbo_cache"))


@pytest.mark.redis
def test_a_redis_counter_always_gets_its_window(settings):
    """The expiry is set on the server with the increment, so a counter never outlives
    its window — even one that was left without an expiry."""
    settings.CACHES = {
        **settings.CACHES,
        "redis": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
        },
    }
    settings.REQUESTS_RATE_LIMIT_CACHE = "redis"
    cache = caches["redis"]
    client = cache._cache.get_client(write=True)
    key = f"198.51.100.3-{uuid.uuid4().hex}"
    full_key = cache.make_and_validate_key(ratelimit.counter_key(scope="ip", key=key))
    client.set(full_key, 1)  # e.g. left by Django's EXISTS-then-INCR when a key expired
    assert client.ttl(full_key) == -1
    assert ratelimit.rate_limit_hit(scope="ip", key=key, spec="3/60")
    assert 0 < client.ttl(full_key) <= 60
    assert ratelimit.rate_limit_hit(scope="ip", key=key, spec="3/60")
    assert not ratelimit.rate_limit_hit(scope="ip", key=key, spec="3/60")
    client.delete(full_key)
