"""Appending many rows at once with PostgreSQL ``COPY``, for the batch services.

``bulk_create`` on PostgreSQL sends each column as one array parameter
(``INSERT … SELECT * FROM UNNEST(%s::jsonb[], …)``). For the rows the retention sweep
writes (an erasure certificate and an audit event per subject, each with JSON
summaries) building those array literals cost more than the insert: every JSON text is
escaped element by element for the array syntax. ``COPY … FROM STDIN`` streams the rows
in PostgreSQL's text format, escaped by psycopg's C extension. Primary keys are drawn
from the table's sequence first (one round trip), so callers get objects with their
``pk`` set, exactly as from ``bulk_create``.

Elsewhere (SQLite, the demo) it is ``bulk_create``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from django.db import connections, router
from django.db.models import Model

M = TypeVar("M", bound=Model)


def insert_fields(model: type[Model]) -> list:
    """The columns an insert of new rows writes: every concrete field but the key."""
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def insert_values(obj: Model, fields: list, connection) -> list:
    """``obj``'s values for ``fields`` as ``save()`` would write them on insert
    (defaults, ``auto_now_add``, each field's database preparation)."""
    return [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]


def bulk_insert(objs: Sequence[M]) -> list[M]:
    """Insert new, unsaved model instances of one model; returns them with ``pk`` set.

    No signals are sent (like ``bulk_create``); every concrete column is written,
    defaults and ``auto_now_add`` values as ``Model.save()`` would compute them."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        return model._default_manager.using(using).bulk_create(objs, batch_size=1000)

    pk_field = meta.pk
    fields = insert_fields(model)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in [pk_field, *fields])
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk_field.column, len(objs)],
        )
        pks = sorted(row[0] for row in cursor.fetchall())
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj, pk in zip(objs, pks, strict=True):
                obj.pk = pk
                copy.write_row([pk, *insert_values(obj, fields, connection)])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    return objs
