"""Fixtures shared by every test package.

Tests that need a real PostgreSQL or Redis are marked ``postgres`` / ``redis``. Where
the server is not reachable they skip with the reason; under CI (``CI=true``) such a
skip is turned into a failure, because CI provides both servers and must run them."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

UNDER_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Data migrations that seed reference data (record of processing, retention rules,
# staff roles, consent purposes and notices, notice templates). A transactional test
# flushes every table when it ends, so the next transactional test re-runs them.
# (Don't use serialized_rollback: after another transactional test's flush recreated
# the content types, restoring the serialised copy collides with them.)
REFERENCE_DATA_MIGRATIONS = [
    ("privacy.migrations.0003_seed_record_of_processing_and_rules", "seed"),
    ("privacy.migrations.0004_staff_roles", "forward"),
    ("privacy.migrations.0005_narrow_privacy_officer", "forward"),
    ("privacy.migrations.0010_minors_disclosures_transfers", "grant_roles"),
    ("consent.migrations.0002_seed_purposes_and_notices", "forward"),
    ("consent.migrations.0004_staff_roles", "forward"),
    ("consent.migrations.0007_preference_link_permission", "forward"),
    ("consent.migrations.0014_evidence_pack_permission", "forward"),
    ("consent.migrations.0013_sensitive_data_purpose_and_frozen_material_flag", "seed"),
    ("requests_app.migrations.0002_roles_and_notice_templates", "forward"),
]
SERVICE_MARKERS = ("postgres", "redis", "browser")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("postgres") and settings.FORCE_SQLITE:
            # Chosen, not missing: the run on the embedded default (TEST_DATABASE=sqlite).
            item.add_marker(pytest.mark.skip(reason="PostgreSQL only; this run is on SQLite"))
        elif item.get_closest_marker("postgres") and not settings.POSTGRES_AVAILABLE:
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
    service_test = any(item.get_closest_marker(name) for name in SERVICE_MARKERS)
    chosen = settings.FORCE_SQLITE and item.get_closest_marker("postgres")
    if UNDER_CI and service_test and report.skipped and not chosen:
        report.outcome = "failed"
        report.longrepr = f"Service test skipped under CI, which must run it: {report.longrepr}"


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """Give every transactional test the reference data the migrations created."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    for module_name, function_name in REFERENCE_DATA_MIGRATIONS:
        getattr(importlib.import_module(module_name), function_name)(apps, None)


@pytest.fixture(scope="session", autouse=True)
def _no_stray_sessions_at_teardown(django_db_setup, django_db_blocker):
    """Threads of the live server and of the started Celery worker may leave a
    connection open, and PostgreSQL then refuses to drop the run's test database.
    Close them before pytest-django drops it, so no test database is left behind."""
    yield
    if not settings.POSTGRES_AVAILABLE:
        return
    from django.db import connection

    if connection.settings_dict["NAME"] != connection.settings_dict["TEST"]["NAME"]:
        # No test of this run used the database, so pytest-django never created the
        # test database (the connection still names the real one): nothing to close.
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="session", autouse=True)
def _teardown_flush_may_truncate_append_only_tables():
    """The audit trail and the consent ledger refuse TRUNCATE on PostgreSQL
    (privacy/migration_ops.py), and a transactional test ends by flushing every table
    with it. The flush of that teardown, and nothing else, runs with the setting that
    lets it through: on for the teardown's database session, reset right after."""
    from django.db import connections
    from django.test import TransactionTestCase

    from privacy.migration_ops import ALLOW_TRUNCATE_SETTING

    original = TransactionTestCase._fixture_teardown

    def _set(names: list[str], statement: str) -> None:
        for name in names:
            with connections[name].cursor() as cursor:
                cursor.execute(statement)

    def teardown(self):
        names = [
            name
            for name in self._databases_names(include_mirrors=False)
            if connections[name].vendor == "postgresql"
        ]
        _set(names, f"SET {ALLOW_TRUNCATE_SETTING} = 'on'")
        try:
            original(self)
        finally:
            _set(names, f"RESET {ALLOW_TRUNCATE_SETTING}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", teardown)
        yield


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
        from kombu import pools

        pools.reset()  # closes and forgets kombu's global connection/producer pools
        app._pool = None
        app.amqp._producer_pool = None
        # The routing tables (queues, default queue, router) are cached on app.amqp from
        # the first send: start afresh so a changed task_default_queue is used.
        app.__dict__.pop("amqp", None)

    def override(**values):
        for key in values:
            saved.setdefault(key, app.conf.get(key))
        app.conf.update(values)
        reset_connections()
        return app

    yield override
    app.conf.update(saved)
    reset_connections()


# --- a real headless Chromium (Debian's, never a downloaded browser) -------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def chromium_page():
    """A page of Debian's headless Chromium (tests marked ``browser``; skipped with the
    reason when it or Playwright is missing)."""
    import shutil

    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            accept_downloads=True, viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield page
        context.close()
        browser.close()


@pytest.fixture
def screenshot():
    """``screenshot(page, name)``: a full-page PNG into ``SCREENSHOT_DIR`` when it is set
    (``scripts/screenshots.py`` sets it to docs/screenshots/); nothing otherwise."""
    from pathlib import Path

    folder = os.environ.get("SCREENSHOT_DIR")

    def take(page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return take


@pytest.fixture
def logged(monkeypatch):
    """``logged("app.module")`` -> a list that receives that logger's records (INFO and
    up) for the rest of the test. A handler on the logger itself, unlike ``caplog``'s on
    the root, which an in-process Celery worker started by an earlier test may have
    re-configured."""
    import logging

    attached: list[tuple[logging.Logger, logging.Handler]] = []

    def capture(name: str) -> list[logging.LogRecord]:
        records: list[logging.LogRecord] = []
        handler = logging.Handler(level=logging.INFO)
        handler.emit = records.append
        logger = logging.getLogger(name)
        monkeypatch.setattr(logger, "disabled", False)
        monkeypatch.setattr(logger, "level", logging.INFO)
        logger.addHandler(handler)
        attached.append((logger, handler))
        return records

    yield capture
    for logger, handler in attached:
        logger.removeHandler(handler)
