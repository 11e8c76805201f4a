"""The CCPA §7102 metrics report: figures per kind of request for a calendar year,
aggregated in the database (bounded queries at any scale)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from requests_app.models import (
    PrivacyRequest,
    RequestType,
    Status,
)

#: Request types answered with a data package per contact.

# --- CCPA §7102 metrics -------------------------------------------------------------------

#: The request kinds 11 CCR §7102(a)(1) counts, and our request types in each. Access and
#: portability requests are requests to know specific pieces of information.
METRIC_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "know": (
        "Requests to know",
        (RequestType.KNOW, RequestType.ACCESS, RequestType.PORTABILITY),
    ),
    "delete": ("Requests to delete", (RequestType.DELETION,)),
    "correct": ("Requests to correct", (RequestType.CORRECTION,)),
    "opt_out": ("Requests to opt out of sale/sharing", (RequestType.OPT_OUT_SALE,)),
    "limit": (
        "Requests to limit use of sensitive personal information",
        (RequestType.LIMIT_SENSITIVE,),
    ),
}
#: Rules whose requests are Californian (scope "california"); "all" counts every rule.
CALIFORNIA_RULES = ("ccpa", "ccpa_opt_out")
METRIC_SCOPES = {"california": "California residents (CCPA)", "all": "All jurisdictions"}
#: §7102(a)(2) lets the disclosure give denials by ground: our reasons, grouped so.
#: "expired" (never verified in time) is a denial because the request was not verifiable.
DENIAL_GROUNDS: dict[str, str] = {
    "unverified": "not verifiable",
    "expired": "not verifiable",
    "no_agent_authority": "not made by a consumer (agent without authority)",
    "legal_obligation": "information exempt from disclosure or deletion",
    "other_exemption": "information exempt from disclosure or deletion",
    "excessive": "other grounds",
    "others_rights": "other grounds",
    "controller_declined": "other grounds",
}
METRIC_OUTCOMES = ("received", "complied", "denied", "other")


@dataclass
class MetricRow:
    """One line of the report: a kind of request and its figures for the year."""

    key: str
    label: str
    received: int = 0
    complied: int = 0
    denied: int = 0
    #: denial reason code (ours, "expired" for requests never verified) -> count
    denied_by_reason: dict[str, int] = field(default_factory=dict)
    #: still open, withdrawn: neither complied with nor denied
    other: int = 0
    responded: int = 0
    median_days: float | None = None
    mean_days: float | None = None


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    return start, timezone.make_aware(dt.datetime(year + 1, 1, 1))


def ccpa_metrics_requests(
    *, year: int, scope: str = "california", group: str | None = None
) -> QuerySet[PrivacyRequest]:
    """The requests the §7102 report counts: received in ``year`` (local time), of the
    kinds it counts (or of one ``group``), under the California rules (or all)."""
    start, end = _year_bounds(year)
    types = (
        METRIC_GROUPS[group][1]
        if group
        else tuple(t for _, kinds in METRIC_GROUPS.values() for t in kinds)
    )
    queryset = PrivacyRequest.objects.filter(
        received_at__gte=start, received_at__lt=end, request_type__in=[str(t) for t in types]
    )
    if scope == "california":
        queryset = queryset.filter(rule_code__in=CALIFORNIA_RULES)
    return queryset


def ccpa_metrics_outcome_q(outcome: str, reason: str = "") -> Q:
    """The requests behind one figure of a row (``received`` is every request)."""
    if outcome == "complied":
        return Q(status=Status.COMPLETED)
    if outcome == "denied":
        if reason == "expired":
            return Q(status=Status.EXPIRED)
        if reason:
            return Q(status=Status.DENIED, denial_reason=reason)
        return Q(status__in=[Status.DENIED, Status.EXPIRED])
    if outcome == "other":
        return ~Q(status__in=[Status.COMPLETED, Status.DENIED, Status.EXPIRED])
    return Q()


class _Median(Aggregate):
    """PostgreSQL's median: percentile_cont(0.5) over an ordered set."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def _days(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds() / 86400, 1)
    return round(float(value), 1)


def ccpa_metrics(*, year: int, scope: str = "california") -> list[MetricRow]:
    """The 11 CCR §7102(a)(1) figures for requests received in ``year``: per kind, how
    many were received, complied with in whole or in part, denied (by reason), and the
    median and mean days from receipt to the substantive response (the day the request
    was closed as completed or denied).

    Aggregated in the database with a bounded number of queries whatever the table's
    size (the covering index ``prq_metrics``): one grouped count, one grouped mean and,
    on PostgreSQL, one grouped median (elsewhere one ordered read of the one or two
    middle rows per kind)."""
    base = ccpa_metrics_requests(year=year, scope=scope)
    group_of = {str(t): key for key, (_, kinds) in METRIC_GROUPS.items() for t in kinds}
    rows = {key: MetricRow(key=key, label=label) for key, (label, _) in METRIC_GROUPS.items()}
    counts = (
        base.values("request_type", "status", "denial_reason").annotate(n=Count("id")).order_by()
    )
    for item in counts:
        row = rows[group_of[item["request_type"]]]
        n = item["n"]
        row.received += n
        if item["status"] == Status.COMPLETED:
            row.complied += n
        elif item["status"] in (Status.DENIED, Status.EXPIRED):
            row.denied += n
            reason = "expired" if item["status"] == Status.EXPIRED else item["denial_reason"]
            row.denied_by_reason[reason] = row.denied_by_reason.get(reason, 0) + n
        else:
            row.other += n

    # Days from receipt to the response, counted in whole local days.
    days = ExpressionWrapper(
        TruncDate("closed_at") - TruncDate("received_at"), output_field=DurationField()
    )
    responded = base.filter(status__in=[Status.COMPLETED, Status.DENIED]).annotate(days=days)
    group_case = Case(
        *(
            When(request_type__in=[str(t) for t in kinds], then=Value(key))
            for key, (_, kinds) in METRIC_GROUPS.items()
        ),
        output_field=CharField(),
    )
    aggregates = {"n": Count("id"), "mean": Avg("days")}
    postgres = connection.vendor == "postgresql"
    if postgres:
        aggregates["median"] = _Median("days")
    for item in (
        responded.annotate(group=group_case).values("group").annotate(**aggregates).order_by()
    ):
        row = rows[item["group"]]
        row.responded = item["n"]
        row.mean_days = _days(item["mean"])
        if postgres:
            row.median_days = _days(item["median"])
    if not postgres:
        for row in rows.values():
            if row.responded:
                ordered = (
                    responded.filter(request_type__in=[str(t) for t in METRIC_GROUPS[row.key][1]])
                    .order_by("days", "pk")
                    .values_list("days", flat=True)
                )
                # The middle value (odd count) or the two middle values (even), in one read.
                values = list(ordered[(row.responded - 1) // 2 : row.responded // 2 + 1])
                row.median_days = _days(sum(values, dt.timedelta()) / len(values))
    return list(rows.values())
