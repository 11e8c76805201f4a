"""``field__any=[…]``: membership in a list, sent as **one** array parameter.

``field__in=ids`` renders one placeholder per value. For the batch services (the
retention sweep erases thousands of subjects a second, a batch at a time) that cost more
than the queries themselves: Django prepares every value, psycopg splits a statement of
a thousand placeholders and interpolates each one, and PostgreSQL parses and plans a
different statement text for every batch size. On PostgreSQL ``field = ANY(%s::type[])``
carries the whole list as a single array parameter, and the statement text is the same
whatever the list's length. Elsewhere (SQLite, the demo) it falls back to ``IN``.

Values must already be of the field's type (ints for keys, normalised strings), as the
services have them: nothing is converted per value. An empty list matches nothing."""

from __future__ import annotations

from django.db.models import Field, ForeignObject, Lookup
from django.db.models.lookups import In


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        values = list(self.rhs)
        if any(hasattr(value, "resolve_expression") for value in values):
            raise TypeError("__any takes plain values; use __in for expressions or querysets.")
        return values

    def _target_field(self) -> Field:
        field = self.lhs.output_field
        return field.target_field if field.is_relation else field

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            return In(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        # varchar(100) -> varchar: the array element type without its length.
        element_type = self._target_field().cast_db_type(connection).split("(")[0]
        return f"{lhs_sql} = ANY(%s::{element_type}[])", [*lhs_params, self.rhs]


def register() -> None:
    """Called once from ``PrivacyConfig.ready``: every field gets ``__any``; relations keep
    lookups of their own, so foreign keys are registered as well."""
    Field.register_lookup(AnyOf)
    ForeignObject.register_lookup(AnyOf)
