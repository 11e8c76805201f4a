"""The morning page: the admin's home for privacy officers — what needs doing today.

It replaces Django's list of models as the admin index for staff holding
``STAFF_HOME_PERMISSION`` (the privacy officers); everyone else, and everyone through
"All apps" (``/admin/apps/``), still gets Django's index.

**Extension point.** The page is a list of *panels*. ``privacy`` knows none of them: each
app registers its own from its ``AppConfig.ready`` with ``panel_register`` (requests_app:
my requests, deadlines, acknowledgements, relays, erasures, appeals, on-time rate), the
way providers join the personal-data registry. Queues that are planned but not built yet
are declared here as ``PLANNED_PANELS`` and shown as placeholders; the app that builds
one registers a panel with the same key and it lights up. A panel's ``build`` must run a
bounded number of queries on indexed columns (the page is measured at 1M requests in
``bench/requests_bench.py``): counts are capped with ``capped_count``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

#: Counts on the morning page stop here ("1000+"): they never walk a whole table.
COUNT_CAP = 1000
#: Rows a panel lists (its link opens the whole queue).
PANEL_ROWS = 8


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """``(count, capped)``: the rows' count, but at most ``cap`` (then ``capped``)."""
    count = queryset.order_by().values("pk")[: cap + 1].count()
    return min(count, cap), count > cap


@dataclass(frozen=True)
class Link:
    """A cell that links somewhere (e.g. a request's reference to its page)."""

    text: str
    url: str


@dataclass
class PanelContent:
    """What one panel shows: a count, a few rows (cells already in words, or a ``Link``),
    a link to the whole queue, or metrics."""

    count: int | None = None
    capped: bool = False
    columns: Sequence[str] = ()
    rows: Sequence[Sequence] = ()
    link: tuple[str, str] | None = None
    empty: str = "Nothing here."
    metrics: Sequence[tuple[str, str]] = ()
    note: str = ""


@dataclass
class Panel:
    key: str
    title: str
    order: int
    build: Callable[[HttpRequest, dt.date], PanelContent]
    #: Only users with this permission see the panel (None: every staff member here).
    permission: str | None = None
    #: "warn" panels (overdue, blocked) stand out when they have rows.
    tone: str = ""


@dataclass
class PlannedPanel:
    key: str
    title: str
    order: int
    text: str


#: Queues another change will add; shown as placeholders until a panel of the same key
#: is registered.
PLANNED_PANELS: dict[str, PlannedPanel] = {
    "minors": PlannedPanel(
        key="minors",
        title="Minors' data to erase",
        order=70,
        text=(
            "The queue of contacts known to be under the minor age, whose data is erased "
            "promptly, appears here once it is built."
        ),
    ),
    "revocation_review": PlannedPanel(
        key="revocation_review",
        title="SMS revocations to review",
        order=75,
        text=(
            'Doubtful free-text revocations ("can you stop these"), due in 10 business '
            "days, appear here once the review queue is built."
        ),
    ),
}

_panels: dict[str, Panel] = {}


def panel_register(panel: Panel) -> None:
    """Add a panel; the same key again replaces it (and a planned placeholder)."""
    _panels[panel.key] = panel


def panels() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.key))


@dataclass
class RenderedPanel:
    key: str
    title: str
    tone: str
    content: PanelContent | None = None
    placeholder: str = ""
    order: int = 0
    extra_classes: list[str] = field(default_factory=list)


def is_morning_user(user) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(settings.STAFF_HOME_PERMISSION))


def morning_panels(request: HttpRequest, today: dt.date | None = None) -> list[RenderedPanel]:
    today = today or timezone.localdate()
    rendered = []
    for panel in panels():
        if panel.permission and not request.user.has_perm(panel.permission):
            continue
        rendered.append(
            RenderedPanel(
                key=panel.key,
                title=panel.title,
                tone=panel.tone,
                content=panel.build(request, today),
                order=panel.order,
            )
        )
    for planned in PLANNED_PANELS.values():
        if planned.key not in _panels:
            rendered.append(
                RenderedPanel(
                    key=planned.key,
                    title=planned.title,
                    tone="",
                    placeholder=planned.text,
                    order=planned.order,
                )
            )
    return sorted(rendered, key=lambda p: (p.order, p.key))


def home_view(request: HttpRequest):
    """``/admin/``: the morning page for privacy officers, Django's index for others."""
    if not is_morning_user(request.user):
        return admin.site.index(request)
    context = {
        **admin.site.each_context(request),
        "title": "Good morning",
        "subtitle": None,
        "panels": morning_panels(request),
        "apps_url": reverse("admin_apps"),
        "time_zone_url": reverse("admin_time_zone"),
        "time_zone_name": timezone.get_current_timezone_name(),
        "today": timezone.localdate(),
    }
    return TemplateResponse(request, "admin/morning.html", context)


def apps_view(request: HttpRequest):
    """Django's own index (every app and model), reachable from the morning page."""
    if not request.user.is_staff:
        raise PermissionDenied
    return admin.site.index(request, extra_context={"title": "All apps"})
