"""How the hot paths' hand-written queries (the consent check, the webhook's contact
lookup) run: on PostgreSQL as prepared statements of the connection, prepared once and
then only executed (planning them cost several times their execution; see
bench/consent_results.md)."""

from __future__ import annotations

import hashlib
import re
import weakref
from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper


@dataclass(frozen=True)
class _Statement:
    """One shape of a hot-path query, with everything that only depends on its text
    (built once per shape, not per call)."""

    sql: str  # with %s placeholders
    name: str  # its prepared-statement name on PostgreSQL: a hash of the text
    execute: str  # EXECUTE name(%s, …)
    prepare_and_execute: str  # PREPARE name AS <sql with $1…$n>; EXECUTE name(%s, …)

    @classmethod
    def of(cls, sql: str) -> _Statement:
        count = sql.count("%s")
        name = "pbo_" + hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:16]
        execute = f"EXECUTE {name}({', '.join(['%s'] * count)})"
        numbered = iter(range(1, count + 1))
        body = re.sub("%s", lambda _: f"${next(numbered)}", sql)
        return cls(sql, name, execute, f"PREPARE {name} AS {body}; {execute}")


def _fetchall_prepared(db: BaseDatabaseWrapper, statement: _Statement, params: list) -> list[tuple]:
    """Run a hot-path query; on PostgreSQL as a prepared statement of the connection.

    Django's psycopg cursors bind parameters client-side and never prepare, so every
    check was planned from scratch (0.3 ms of planning for 0.05 ms of execution). Here
    each connection PREPAREs the query once (named by a hash of its text), in the same
    round trip as its first EXECUTE, and then only EXECUTEs it. Prepared statements are
    per session and survive ROLLBACK, and pooled connections keep theirs. Needs a direct
    connection or a session-mode pooler (transaction-mode poolers such as PgBouncer's
    do not keep prepared statements). With OPTIONS["server_side_binding"] the query runs
    as it is (psycopg then prepares it by its own ``prepare_threshold``).

    An EXECUTE that fails makes the connection forget the statement, so the next call
    prepares it again (after a DEALLOCATE if the server still has it): otherwise a
    migration that changes a selected column's type ("cached plan must not change
    result type") or a DEALLOCATE ALL by a pooler ("prepared statement does not
    exist") would fail every later call on that pooled connection until it is
    recycled. Inside a transaction the error is raised (the transaction is aborted; the
    next call recovers); in autocommit those two errors are retried once at once.

    Unless Django is logging queries (DEBUG, assertNumQueries, CaptureQueriesContext)
    or has execute wrappers installed, the statement runs on a driver cursor kept with
    the connection instead of a new wrapped cursor per call (``_hot_cursor``): the same
    checks Django's cursor makes (health check, connection, thread sharing, broken
    transaction) and the same error translation, a quarter of a check's driver time
    less."""
    if db.vendor != "postgresql" or db.settings_dict["OPTIONS"].get("server_side_binding") is True:
        with db.cursor() as cursor:
            cursor.execute(statement.sql, params)
            return cursor.fetchall()
    if db.queries_logged or db.execute_wrappers:
        with db.cursor() as cursor:
            return _run_with_retry(db, cursor, statement, params)
    cursor = _hot_cursor(db)
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        return _run_with_retry(db, cursor, statement, params)


def _run_with_retry(db: BaseDatabaseWrapper, cursor, statement: _Statement, params: list):
    known = _prepared_statements.get(db.connection)
    if known is None:
        known = _prepared_statements[db.connection] = {}
    try:
        return _run_prepared(cursor, known, statement, params)
    except Exception as exc:
        if db.in_atomic_block or _sqlstate(exc) not in _STALE_SQLSTATES:
            raise
    # Autocommit: the failed statement's transaction is over; prepare it again.
    return _run_prepared(cursor, known, statement, params)


# The attribute of a psycopg connection that holds its hot-path cursor, with the time
# zone it was made for: (timezone, cursor). On the connection itself, so the cursor
# (which refers to its connection) goes when the connection goes; a dict keyed by
# connections would keep every closed one alive.
_HOT_CURSOR = "_pbo_hot_cursor"


def _hot_cursor(db: BaseDatabaseWrapper):
    """The driver cursor the hot path runs on for this connection, made by Django's
    ``create_cursor`` (so with its time-zone loader) once per connection and time
    zone, after the checks ``db.cursor()`` makes before handing a cursor out."""
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    held = getattr(db.connection, _HOT_CURSOR, None)
    timezone = db.timezone
    if held is None or held[0] is not timezone or held[1].closed:
        with db.wrap_database_errors:
            held = (timezone, db.create_cursor())
        setattr(db.connection, _HOT_CURSOR, held)
    return held[1]


# The SQLSTATEs of an EXECUTE that preparing again cures: "cached plan must not change
# result type" (feature_not_supported) and "prepared statement does not exist".
_STALE_SQLSTATES = {"0A000", "26000"}


def _sqlstate(exc: BaseException) -> str | None:
    cause = exc.__cause__ or exc  # Django's error wraps the driver's
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)


def _run_prepared(cursor, known: dict, statement: _Statement, params: list) -> list[tuple]:
    name = statement.name
    if known.get(name) is False:
        # A round trip with it failed: whatever the server still holds under the name
        # (a PREPARE that outlived a failed EXECUTE, or a plan gone stale) is dropped.
        cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [name])
        if cursor.fetchone() is not None:
            cursor.execute(f"DEALLOCATE {name}")
        del known[name]
    try:
        if name in known:
            cursor.execute(statement.execute, params)
        else:
            # One simple-protocol round trip: PREPARE's result, then EXECUTE's rows.
            cursor.execute(statement.prepare_and_execute, params)
            cursor.nextset()
    except Exception:
        known[name] = False
        raise
    known[name] = True
    return cursor.fetchall()


# Per live psycopg connection, {statement name: True (prepared on it) or False (a round
# trip with it failed: ask the server, drop what it holds, prepare again)}. A name not
# there is prepared on first use; a new connection starts empty.
_prepared_statements: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
