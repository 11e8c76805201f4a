"""Which columns of a model hold a person's data, and what erasure does with them.

Every model that holds a person's data (a foreign key to a contact or to a privacy
request, or the contact itself) says so on the class:

- ``ERASED_FIELDS``: emptied when the person is erased (NULL, or "" where the column
  cannot be NULL), or gone with their row;
- ``KEPT_FIELDS``: ``{field: reason}``, what stays after the erasure, and why.

The erasure providers write ``erased_values(Model)``, so what a model declares is what
erasure does; ``tests/test_personal_fields.py`` holds every text, date, address, IP,
file, JSON, UUID and binary column of those models to exactly one of the two lists, so
a column added without that decision fails the suite instead of outliving an erasure."""

from __future__ import annotations

from typing import Any

from django.db import models


def erased_values(model: type[models.Model]) -> dict[str, Any]:
    """``{field: empty value}`` for ``model.ERASED_FIELDS``: what an erasure writes."""
    return {
        name: None if model._meta.get_field(name).null else ""
        for name in model.ERASED_FIELDS  # type: ignore[attr-defined]
    }
