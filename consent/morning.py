"""The consent app's panel on privacy's morning page: texts that might revoke consent,
for staff to decide, most urgent first (two bounded queries on the partial index
``revocation_review_open``)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from consent.selectors import revocation_reviews_open
from privacy.morning import PANEL_ROWS, Link, Panel, PanelContent, capped_count, panel_register

RESOLVE = "consent.resolve_revocationreview"


def revocation_reviews(request, today: dt.date) -> PanelContent:
    queryset = revocation_reviews_open()
    count, capped = capped_count(queryset)
    rows = []
    for review in queryset.select_related("customer")[:PANEL_ROWS]:
        left = (review.due_on - today).days
        rows.append(
            (
                Link(
                    f"Text #{review.message_id}",
                    reverse("admin:consent_revocationreview_change", args=[review.pk]),
                ),
                review.customer.name if review.customer else "Our requests number",
                f"overdue by {-left} day(s)" if left < 0 else f"due {review.due_on:%Y-%m-%d}",
            )
        )
    return PanelContent(
        count=count,
        capped=capped,
        columns=("Text", "Customer", "Due"),
        rows=rows,
        link=(
            "All texts to review",
            reverse("admin:consent_revocationreview_changelist") + "?status__exact=open",
        ),
        empty="No doubtful text waits for a decision.",
    )


def register_consent_panels() -> None:
    # The key of privacy's planned placeholder: registering it lights the panel up.
    panel_register(
        Panel(
            "revocation_review",
            "SMS revocations to review",
            75,
            revocation_reviews,
            RESOLVE,
            tone="warn",
        )
    )
