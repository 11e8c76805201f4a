"""The one place that changes a possible revocation's status (``RevocationReview``).

A text staff must decide moves once, from "to review" to "revocation" or "not a
revocation", through privacy's guarded-move helper: of two staff members deciding the
same text at once, only one moves it (the other is told it was already decided).
Nothing else writes the field; creating a review with its first status is not a move."""

from __future__ import annotations

from typing import Any

from consent.models import RevocationReview
from privacy.transitions import StateField

Review = RevocationReview.Status
REVIEW_TRANSITIONS: dict[str, frozenset[str]] = {
    Review.OPEN: frozenset({Review.REVOKED, Review.NOT_REVOCATION}),
    Review.REVOKED: frozenset(),
    Review.NOT_REVOCATION: frozenset(),
}
REVIEW_STATUS = StateField(RevocationReview, "status", REVIEW_TRANSITIONS)


def revocation_review_transition(review_id: int, *, to_status: str, **fields: Any) -> bool:
    """Decide an open review (with ``fields``: who and when); False if it was already
    decided. Call it inside the caller's transaction."""
    return bool(
        REVIEW_STATUS.move(
            RevocationReview.objects.filter(pk=review_id),
            from_state=Review.OPEN,
            to_state=to_status,
            subject="A possible revocation",
            **fields,
        )
    )
