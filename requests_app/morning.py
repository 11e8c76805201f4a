"""The requests app's panels on the morning page (``privacy.morning``): my requests,
deadlines as the rules count them, acknowledgements owed, relays waiting on customers,
scheduled and blocked erasures, appeals, and the on-time rate. Each panel is two bounded
queries on an indexed column (a capped count and the first rows)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from privacy.display import staff_time
from privacy.morning import PANEL_ROWS, Link, Panel, PanelContent, capped_count, panel_register
from requests_app import selectors
from requests_app.models import PrivacyRequest, RequestType, ScheduledErasure

PROCESS = "requests_app.process_privacyrequest"
VIEW = "requests_app.view_privacyrequest"


def _queue(**params) -> str:
    url = reverse("admin:requests_app_privacyrequest_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def _request_link(request: PrivacyRequest) -> Link:
    return Link(
        request.reference, reverse("admin:requests_app_privacyrequest_change", args=[request.pk])
    )


def _days(request: PrivacyRequest, today: dt.date) -> str:
    days = (request.deadline_on - today).days
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} overdue"
    if days == 0:
        return "due today"
    return f"{days} day{'s' if days != 1 else ''} left"


_TYPE_LABELS = dict(RequestType.choices)


def _requests_panel(queryset, today: dt.date, *, link: tuple[str, str], empty: str):
    count, capped = capped_count(queryset)
    rows = [
        (
            _request_link(r),
            _TYPE_LABELS.get(r.request_type, r.request_type),
            r.rule_code,
            _days(r, today),
        )
        for r in queryset.order_by("deadline_on", "pk").only(
            "pk", "reference", "request_type", "rule_code", "deadline_on"
        )[:PANEL_ROWS]
    ]
    return PanelContent(
        count=count,
        capped=capped,
        columns=("Request", "Type", "Rule", "Deadline"),
        rows=rows,
        link=link if count else None,
        empty=empty,
    )


def my_requests(request, today):
    return _requests_panel(
        selectors.privacy_requests_assigned(request.user),
        today,
        link=("All my open requests", _queue(assignee__id__exact=request.user.pk)),
        empty="No open request is assigned to you.",
    )


def _deadline_panel(bucket: str, label: str, empty: str):
    def build(request, today):
        return _requests_panel(
            selectors.privacy_requests_deadline(bucket, today=today),
            today,
            link=(label, _queue(deadline=bucket)),
            empty=empty,
        )

    return build


def acknowledgements_owed(request, today):
    queryset = selectors.privacy_requests_ack_owed_queue()
    count, capped = capped_count(queryset)
    rows = []
    for r in queryset.order_by("acknowledge_by", "pk").only(
        "pk", "reference", "request_type", "acknowledge_by"
    )[:PANEL_ROWS]:
        days = (r.acknowledge_by - today).days
        when = (
            f"{-days} day(s) late" if days < 0 else ("today" if days == 0 else f"in {days} day(s)")
        )
        rows.append(
            (
                _request_link(r),
                _TYPE_LABELS.get(r.request_type),
                f"{r.acknowledge_by:%Y-%m-%d} ({when})",
            )
        )
    return PanelContent(
        count=count,
        capped=capped,
        columns=("Request", "Type", "Acknowledge by"),
        rows=rows,
        link=("All acknowledgements owed", _queue(ack="owed")) if count else None,
        empty="Every receipt has been acknowledged.",
    )


def relays_waiting(request, today):
    queryset = selectors.relays_waiting()
    count, capped = capped_count(queryset)
    rows = []
    now = timezone.now()
    for relay in queryset[:PANEL_ROWS]:
        age = (now - relay.sent_at).days
        rows.append(
            (
                _request_link(relay.request),
                relay.customer.name,
                f"{age} day{'s' if age != 1 else ''}",
            )
        )
    return PanelContent(
        count=count,
        capped=capped,
        columns=("Request", "Customer", "Waiting"),
        rows=rows,
        link=(
            "All relays waiting",
            reverse("admin:requests_app_relay_changelist") + "?answer__exact=",
        )
        if count
        else None,
        empty="No customer owes us an answer.",
    )


def _erasures_panel(state: str, *, empty: str, when: str):
    def build(request, today):
        queryset = selectors.erasures_in_state(state)
        count, capped = capped_count(queryset)
        rows = []
        for erasure in queryset[:PANEL_ROWS]:
            cells = [
                _request_link(erasure.request),
                f"contact #{erasure.contact_id}",
                staff_time(erasure.scheduled_for),
            ]
            if state == ScheduledErasure.State.BLOCKED:
                cells.append(erasure.blocked_reason)
            rows.append(tuple(cells))
        columns = ("Request", "Record", when)
        if state == ScheduledErasure.State.BLOCKED:
            columns += ("Why",)
        return PanelContent(
            count=count,
            capped=capped,
            columns=columns,
            rows=rows,
            link=(
                "All of them",
                reverse("admin:requests_app_schedulederasure_changelist")
                + f"?state__exact={state}",
            )
            if count
            else None,
            empty=empty,
        )

    return build


def appeals(request, today):
    return _requests_panel(
        selectors.appeals_open(),
        today,
        link=("All open appeals", _queue(request_type__exact=RequestType.APPEAL)),
        empty="No open appeal.",
    )


def outcomes(request, today):
    numbers = selectors.privacy_request_outcomes(today=today)
    rate = numbers["on_time_rate"]
    return PanelContent(
        metrics=(
            ("answered on time", "—" if rate is None else f"{rate:.0%}"),
            (
                "median days to answer",
                "—" if numbers["median_days"] is None else f"{numbers['median_days']:g}",
            ),
            ("answered", str(numbers["answered"])),
        ),
        note=f"Requests completed or denied in the last {numbers['days']} days.",
    )


def register_morning_panels() -> None:
    for panel in (
        Panel("my_requests", "My requests", 10, my_requests, PROCESS),
        Panel(
            "overdue",
            "Overdue",
            20,
            _deadline_panel("overdue", "All overdue requests", "Nothing is overdue."),
            PROCESS,
            tone="warn",
        ),
        Panel(
            "due_today",
            "Due today",
            21,
            _deadline_panel("today", "All due today", "Nothing is due today."),
            PROCESS,
        ),
        Panel(
            "due_week",
            "Due this week",
            22,
            _deadline_panel("week", "All due in the next 7 days", "Nothing else is due this week."),
            PROCESS,
        ),
        Panel("ack_owed", "Acknowledgements owed", 30, acknowledgements_owed, PROCESS),
        Panel("relays", "Relays waiting on customers", 40, relays_waiting, PROCESS),
        Panel(
            "erasures_scheduled",
            "Erasures scheduled",
            50,
            _erasures_panel(
                ScheduledErasure.State.SCHEDULED, empty="No erasure is scheduled.", when="Runs"
            ),
            PROCESS,
        ),
        Panel(
            "erasures_blocked",
            "Erasures blocked or deferred",
            51,
            _erasures_panel(
                ScheduledErasure.State.BLOCKED,
                empty="No erasure is blocked.",
                when="Was due",
            ),
            PROCESS,
            tone="warn",
        ),
        Panel("appeals", "Appeals", 60, appeals, PROCESS),
        Panel("outcomes", "On time", 5, outcomes, VIEW),
    ):
        panel_register(panel)
