"""The CCPA §7102 metrics report in the admin: a page per calendar year (and scope), a
CSV download of the same figures, and a changelist filter so that every figure links to
the requests behind it. The figures come from ``selectors.ccpa_metrics`` (aggregated in
the database); this module only renders them."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from privacy.services import contacts_bulk_read
from privacy.spreadsheets import neutralise_formula
from requests_app.selectors import ccpa_metrics as selectors

FILTER_PARAMETER = "ccpa7102"


def figure_value(year: int, scope: str, group: str, outcome: str, reason: str = "") -> str:
    return ".".join(filter(None, [str(year), scope, group, outcome, reason]))


def _parse(value: str) -> tuple[int, str, str, str, str] | None:
    parts = (value or "").split(".")
    if len(parts) not in (4, 5) or not parts[0].isdigit():
        return None
    year, scope, group, outcome, *rest = parts
    reason = rest[0] if rest else ""
    if (
        scope not in selectors.METRIC_SCOPES
        or group not in selectors.METRIC_GROUPS
        or outcome not in selectors.METRIC_OUTCOMES
        or (reason and reason not in selectors.DENIAL_GROUNDS)
    ):
        return None
    return int(year), scope, group, outcome, reason


class CcpaMetricFilter(admin.SimpleListFilter):
    """The requests behind one figure of the §7102 report (shown only when used)."""

    title = "§7102 report figure"
    parameter_name = FILTER_PARAMETER

    def lookups(self, request, model_admin):
        value = request.GET.get(self.parameter_name)
        parsed = _parse(value)
        if parsed is None:
            return []
        year, scope, group, outcome, reason = parsed
        label = selectors.METRIC_GROUPS[group][0]
        where = "California" if scope == "california" else "all jurisdictions"
        text = f"{year} ({where}), {label.lower()}, {outcome}{f' ({reason})' if reason else ''}"
        return [(value, text)]

    def queryset(self, request, queryset):
        parsed = _parse(self.value())
        if parsed is None:
            return queryset
        year, scope, group, outcome, reason = parsed
        behind = selectors.ccpa_metrics_requests(year=year, scope=scope, group=group).filter(
            selectors.ccpa_metrics_outcome_q(outcome, reason)
        )
        return queryset.filter(pk__in=behind.values("pk"))


def _link(year: int, scope: str, group: str, outcome: str, reason: str = "") -> str:
    url = reverse("admin:requests_app_privacyrequest_changelist")
    # queue=all: the figures count closed requests, which the queue hides by default.
    figure = figure_value(year, scope, group, outcome, reason)
    return f"{url}?{urlencode({FILTER_PARAMETER: figure, 'queue': 'all'})}"


CSV_HEADER = [
    "year",
    "scope",
    "request kind",
    "received",
    "complied with in whole or in part",
    "denied",
    "denied: reason",
    "denied: §7102 ground",
    "denied for this reason",
    "neither (open or withdrawn)",
    "responded",
    "median days to respond",
    "mean days to respond",
]


def metrics_csv(*, year: int, scope: str, rows: list[selectors.MetricRow]) -> str:
    """The report as CSV: one line per kind, and one more per denial reason."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in rows:
        base = [year, scope, row.label, row.received, row.complied, row.denied]
        tail = [row.other, row.responded, row.median_days, row.mean_days]
        writer.writerow([neutralise_formula(v) for v in [*base, "", "", "", *tail]])
        for reason, count in sorted(row.denied_by_reason.items()):
            ground = selectors.DENIAL_GROUNDS.get(reason, "other grounds")
            writer.writerow([neutralise_formula(v) for v in [*base, reason, ground, count, *tail]])
    return out.getvalue()


class CcpaMetricsReportMixin:
    """The report's view on ``PrivacyRequestAdmin`` (URL under its changelist)."""

    def ccpa_metrics_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        try:
            year = int(request.GET.get("year") or today.year - 1)
        except ValueError:
            year = today.year - 1
        year = min(max(year, 2000), today.year)
        scope = request.GET.get("scope") or "california"
        if scope not in selectors.METRIC_SCOPES:
            scope = "california"
        rows = selectors.ccpa_metrics(year=year, scope=scope)
        if request.GET.get("format") == "csv":
            # A report of counts: no personal data, but a bulk read of the request log.
            contacts_bulk_read(
                actor=request.user,
                object_type="privacy_request",
                count=sum(r.received for r in rows),
                via="ccpa_metrics_csv",
            )
            response = HttpResponse(
                metrics_csv(year=year, scope=scope, rows=rows), content_type="text/csv"
            )
            response["Content-Disposition"] = f'attachment; filename="ccpa-7102-{year}-{scope}.csv"'
            return response
        table = [
            {
                "row": row,
                "links": {
                    outcome: _link(year, scope, row.key, outcome)
                    for outcome in selectors.METRIC_OUTCOMES
                },
                "reasons": [
                    (
                        reason,
                        selectors.DENIAL_GROUNDS.get(reason, "other grounds"),
                        count,
                        _link(year, scope, row.key, "denied", reason),
                    )
                    for reason, count in sorted(row.denied_by_reason.items())
                ],
            }
            for row in rows
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"CCPA §7102 metrics for {year}",
            "opts": self.model._meta,
            "year": year,
            "scope": scope,
            "scopes": selectors.METRIC_SCOPES.items(),
            "years": range(today.year, today.year - 6, -1),
            "table": table,
            "csv_url": f"?{urlencode({'year': year, 'scope': scope, 'format': 'csv'})}",
        }
        return TemplateResponse(request, "requests_app/admin/ccpa_metrics.html", context)
