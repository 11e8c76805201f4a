"""Fixtures shared by every test package.

Tests that need a real PostgreSQL or Redis are marked ``postgres`` / ``redis``. Where
the server is not reachable they skip with the reason; under CI (``CI=true``) such a
skip is turned into a failure, because CI provides both servers and must run them."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

UNDER_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("postgres") and not settings.POSTGRES_AVAILABLE:
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL on 127.0.0.1:5432 (not reachable)")
            )
        if item.get_closest_marker("redis") and not settings.REDIS_AVAILABLE:
            item.add_marker(
                pytest.mark.skip(reason="needs Redis on 127.0.0.1:6379 (not reachable)")
            )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    service_test = item.get_closest_marker("postgres") or item.get_closest_marker("redis")
    if UNDER_CI and service_test and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"Service test skipped under CI, which must run it: {report.longrepr}"


@pytest.fixture
def on_postgres() -> bool:
    return settings.POSTGRES_AVAILABLE


@pytest.fixture
def celery_conf():
    """Change the Celery app's configuration for one test and restore it afterwards
    (Celery's settings object does not survive monkeypatch's undo)."""
    from config.celery import app

    saved: dict = {}

    def reset_connections():
        # Producers and connections are pooled per app; drop them so the next send
        # goes to the broker configured now, not the one of an earlier test.
        if app._pool is not None:
            app._pool.force_close_all()
            app._pool = None
        app.amqp._producer_pool = None

    def override(**values):
        for key in values:
            saved.setdefault(key, app.conf.get(key))
        app.conf.update(values)
        reset_connections()
        return app

    yield override
    app.conf.update(saved)
    reset_connections()
