"""Race-safe moves of a state field: one small helper every state machine uses.

A ``StateField`` knows a model's state field and its allowed-transitions map. A move is
checked against the map (a move that is not in it raises ``InvalidTransition`` with the
states in words) and applied with a guarded update,
``UPDATE … SET state = <new> WHERE pk = … AND state = <old>``: of two workers racing to
move the same row only one matches, so a row never takes two moves from one state.
``move_to`` moves rows in mixed states at once, each only from a state the map allows
(``… WHERE state IN (<states that may move there>)``).

Each app wraps a ``StateField`` in its one transition service per field (which also
writes what the move leaves behind: timeline, audit rows); nothing else writes the field.
Used by ``PrivacyRequest.status``, ``ScheduledErasure.state``, ``ExportPackage.state``
(requests_app), ``SmsSubscription.status`` and ``RevocationReview.status`` (consent)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models


class InvalidTransition(ValidationError):
    """The move is not in the allowed-transitions map, or the row moved meanwhile."""


@dataclass(frozen=True)
class StateField:
    """The allowed moves of ``model.<field>`` and the guarded update that makes them."""

    model: type[models.Model]
    field: str
    allowed: Mapping[str, frozenset[str]]

    def __post_init__(self) -> None:
        # The map names every state of the field, and only states of the field: a state
        # added to the model without a line here is a mistake found at import time.
        states = set(self.labels)
        targets = set().union(*self.allowed.values()) if self.allowed else set()
        if set(self.allowed) != states or not targets <= states:
            raise ValueError(
                f"The transitions of {self.model.__name__}.{self.field} must list exactly its "
                f"states {sorted(states)}."
            )

    @property
    def labels(self) -> dict[str, str]:
        return {
            str(value): str(label)
            for value, label in self.model._meta.get_field(self.field).choices
        }

    def is_allowed(self, from_state: str, to_state: str) -> bool:
        return to_state in self.allowed.get(from_state, frozenset())

    def check(self, from_state: str, to_state: str, *, subject: str) -> None:
        """Raise ``InvalidTransition`` unless ``from_state`` → ``to_state`` is allowed."""
        if not self.is_allowed(from_state, to_state):
            labels = self.labels
            raise InvalidTransition(
                f"{subject} cannot move from “{labels.get(from_state, from_state)}” to "
                f"“{labels.get(to_state, to_state)}”."
            )

    def move(
        self,
        queryset: models.QuerySet,
        *,
        from_state: str,
        to_state: str,
        subject: str,
        **fields: Any,
    ) -> int:
        """Move the rows of ``queryset`` that are still in ``from_state`` to ``to_state``
        (setting ``fields`` with it); returns how many moved. Raises ``InvalidTransition``
        if the move is not allowed. Call it inside the caller's transaction."""
        self.check(from_state, to_state, subject=subject)
        if queryset.model is not self.model:
            raise TypeError(f"Expected a queryset of {self.model.__name__}.")
        return queryset.filter(**{self.field: from_state}).update(
            **{self.field: to_state}, **fields
        )

    def sources(self, to_state: str) -> frozenset[str]:
        """The states a row may move to ``to_state`` from."""
        return frozenset(state for state, targets in self.allowed.items() if to_state in targets)

    def move_to(
        self, queryset: models.QuerySet, *, to_state: str, subject: str, **fields: Any
    ) -> int:
        """Move every row of ``queryset`` that is in a state allowed to move to
        ``to_state`` (setting ``fields`` with it); returns how many moved. For callers
        that move a set of rows in mixed states at once (e.g. every subscription of a
        number on a STOP)."""
        sources = self.sources(to_state)
        if not sources:
            raise InvalidTransition(
                f"{subject}: nothing may move to “{self.labels.get(to_state, to_state)}”."
            )
        if queryset.model is not self.model:
            raise TypeError(f"Expected a queryset of {self.model.__name__}.")
        return queryset.filter(**{f"{self.field}__in": sorted(sources)}).update(
            **{self.field: to_state}, **fields
        )
