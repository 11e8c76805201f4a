"""privacy's own panel on the morning page (``privacy.morning``): the minors' data queue,
which replaces the planned placeholder of the same key. Two bounded queries on the
partial index ``minor_erasure_open`` (a capped count and the first rows)."""

from __future__ import annotations

from django.urls import reverse

from privacy.display import staff_time
from privacy.models import OPEN_MINOR_STATES, MinorErasure
from privacy.morning import PANEL_ROWS, Link, Panel, PanelContent, capped_count, panel_register


def minors_queue(request, today) -> PanelContent:
    queryset = MinorErasure.objects.filter(state__in=OPEN_MINOR_STATES)
    count, capped = capped_count(queryset)
    rows = [
        (
            Link(
                f"Contact #{e.contact_id}",
                reverse("admin:privacy_contact_change", args=[e.contact_id]),
            ),
            e.get_state_display(),
            f"under {e.age_limit} ({e.jurisdiction or 'default'})",
            staff_time(e.erase_after),
        )
        for e in queryset.order_by("erase_after", "pk").only(
            "pk", "contact_id", "state", "age_limit", "jurisdiction", "erase_after"
        )[:PANEL_ROWS]
    ]
    return PanelContent(
        count=count,
        capped=capped,
        columns=("Contact", "State", "Minor", "Erased after"),
        rows=rows,
        link=("All minors' data to erase", reverse("admin:privacy_minorerasure_changelist"))
        if count
        else None,
        empty="No minor's data is waiting to be erased.",
    )


def register_morning_panels() -> None:
    panel_register(
        Panel("minors", "Minors' data to erase", 70, minors_queue, "privacy.view_minorerasure")
    )
