"""Index changes on big, busy tables, for migrations.

Django's ``AlterField(db_index=False)`` on a foreign key drops the constraint, drops the
index and adds the constraint back, which validates every row, all in the migration's
transaction: the table (and the one it points to) stays locked for as long as that
takes. On the contact, interaction and consent tables that would stop the consent check,
the STOP webhook and the admin for the whole migration. Migrations that only drop an
index change the model state alone (``SeparateDatabaseAndState``) and let these
functions drop the index with ``DROP INDEX CONCURRENTLY``, which needs a non-atomic
migration (``atomic = False``). Indexes are found by their columns, not by the names
Django generated for them."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.migrations import AddIndex


def single_column_indexes(schema_editor, table: str, column: str, *, unique: bool) -> list[str]:
    """Names of the plain indexes (or, with ``unique``, unique constraints) on
    ``column`` alone; never a primary key or a foreign-key constraint."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, info in constraints.items()
        if info["columns"] == [column]
        and (info["index"] or bool(info["unique"]))
        and bool(info["unique"]) == unique
        and not info["primary_key"]
        and not info["foreign_key"]
    ]


def _concurrently(schema_editor) -> str:
    return "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""


def drop_single_column_indexes(schema_editor, columns: Iterable[tuple[str, str]]) -> None:
    """Drop every plain index on each (table, column) without locking the table."""
    quote = schema_editor.quote_name
    for table, column in columns:
        for name in single_column_indexes(schema_editor, table, column, unique=False):
            schema_editor.execute(
                f"DROP INDEX {_concurrently(schema_editor)}IF EXISTS {quote(name)}"
            )


def create_single_column_indexes(schema_editor, columns: Iterable[tuple[str, str]]) -> None:
    """The reverse: an index on each (table, column), built without locking the table."""
    quote = schema_editor.quote_name
    for table, column in columns:
        schema_editor.execute(
            f"CREATE INDEX {_concurrently(schema_editor)}IF NOT EXISTS "
            f"{quote(f'{table}_{column}_restored')} ON {quote(table)} ({quote(column)})"
        )


# --- append-only tables: TRUNCATE refused ---------------------------------------------
# TRUNCATE fires no row trigger, so the UPDATE/DELETE guards of an append-only table
# don't see it: a statement trigger refuses it too. The test suite's teardown flush (and
# only it) sets this setting for its own transaction (conftest.py); `manage.py flush` on
# a real installation is refused with the error below.
ALLOW_TRUNCATE_SETTING = "pbo.allow_truncate"


def refuse_truncate(schema_editor, table: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {table}_no_truncate() RETURNS trigger AS $$
        BEGIN
            IF current_setting('{ALLOW_TRUNCATE_SETTING}', true) = 'on' THEN
                RETURN NULL;
            END IF;
            RAISE EXCEPTION '{table} is append-only: TRUNCATE refused'
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$ LANGUAGE plpgsql;

        CREATE TRIGGER {table}_no_truncate
            BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {table}_no_truncate();
        """,
        params=None,
    )


def allow_truncate(schema_editor, table: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};"
        f" DROP FUNCTION IF EXISTS {table}_no_truncate();",
        params=None,
    )


class AddIndexQuietly(AddIndex):
    """``AddIndex`` that builds the index with ``CREATE INDEX CONCURRENTLY`` on
    PostgreSQL (no lock on a busy table; the migration must be ``atomic = False``) and
    plainly elsewhere (SQLite has no such option). The model state changes as with
    ``AddIndex``."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, self.index, concurrently=True)
        else:
            schema_editor.remove_index(model, self.index)
