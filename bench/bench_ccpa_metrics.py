"""Benchmark of the CCPA §7102 metrics report (issue 9, section 5) on PostgreSQL.

Seeds 1M privacy requests over three calendar years (2024-2026, ~333k a year) with
``generate_series`` (every kind the report counts and some it does not, California and
Virginia rules, every status, denial reasons, response times 0-44 days), then measures
in the same run, each at least ``--runs`` times:

- ``selectors.ccpa_metrics(year=2025)`` (California scope, and all jurisdictions): time
  and number of queries;
- the admin report page and its CSV download, and the changelist behind one figure
  (through Django's test client, logged in as a superuser): time and queries, and
  whether any query counts the whole table;
- baselines: a single grouped ``COUNT(*)`` of the same year's rows (the floor: reading
  the year once), and the same figures computed the naive way, every row of the year
  read into Python (``values_list`` + ``statistics``).

Uses its own database ``pbo_bench_metrics`` (created, migrated, dropped at the end
unless ``--keep``)::

    .venv/bin/python bench/bench_ccpa_metrics.py [--rows 1000000] [--runs 5]

Prints one JSON document and appends it as one line to
``bench/results/ccpa_metrics.jsonl`` (git-ignored)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DB = "pbo_bench_metrics"
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DATABASE_URL = f"{SERVER}/{DB}"
ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.base",
    "DATABASE_URL": DATABASE_URL,
    "CELERY_BROKER_URL": "memory://",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "DJANGO_ALLOWED_HOSTS": "testserver,localhost",
    "LOG_LEVEL": "WARNING",
}

SEED = """
INSERT INTO requests_app_privacyrequest (
    reference, request_type, status, rule_code, channel, country, state, email, email_key,
    is_agent_request, received_at, due_on, deadline_on, acknowledged_at, extension_reason,
    verification_method, over_limit, denial_reason, closed_at, status_token_hash,
    status_token_salt, duplicate_count)
SELECT 'BM-' || lpad(i::text, 9, '0'),
       k.kind, s.status,
       CASE WHEN i %% 5 = 0 THEN 'vcdpa'
            WHEN k.kind IN ('opt_out_sale', 'limit_sensitive') THEN 'ccpa_opt_out'
            ELSE 'ccpa' END,
       'web', 'US', CASE WHEN i %% 5 = 0 THEN 'VA' ELSE 'CA' END,
       'requester' || i || '@example.org', 'requester' || i || '@example.org',
       false, r.received_at, r.received_at::date + 45, r.received_at::date + 45,
       r.received_at, '', '', false,
       CASE WHEN s.status = 'denied'
            THEN (ARRAY['unverified','excessive','legal_obligation','no_agent_authority',
                        'other_exemption'])[1 + i %% 5]
            ELSE '' END,
       CASE WHEN s.status IN ('completed','denied','withdrawn','expired')
            THEN r.received_at + ((i * 7) %% 45) * interval '1 day' END,
       md5(i::text) || md5('m' || i::text), 'benchsalt', 0
FROM generate_series(1, %(rows)s::int) i
CROSS JOIN LATERAL (
    SELECT timestamptz '2024-01-01 00:00:00+00'
           + ((i::bigint * 7919) %% 1096) * interval '1 day' + (i %% 86400) * interval '1 second'
           AS received_at
) r
CROSS JOIN LATERAL (
    SELECT (ARRAY['access','know','portability','deletion','correction','opt_out_sale',
                  'limit_sensitive','restriction'])[1 + i %% 8] AS kind
) k
CROSS JOIN LATERAL (
    SELECT (ARRAY['completed','completed','completed','completed','completed','completed',
                  'denied','denied','expired','withdrawn','in_progress',
                  'awaiting_verification'])[1 + (i / 8) %% 12] AS status
) s
"""


def admin_sql(query: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(query)


def create_database() -> float:
    admin_sql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{DB}"')
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env={**os.environ, **ENV},
        check=True,
        timeout=600,
    )
    return time.perf_counter() - started


def timed(fn, runs: int) -> dict:
    """Run ``fn`` ``runs`` times: every time (s), best, median, the query count of the
    last run and its result."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, result, queries = [], None, []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = fn()
            times.append(round(time.perf_counter() - started, 4))
        queries = [q["sql"] for q in captured.captured_queries]
    return {
        "runs_s": times,
        "best_s": min(times),
        "median_s": statistics.median(times),
        "queries": len(queries),
        "full_table_counts": sum(
            1
            for sql in queries
            if sql.upper().startswith(
                'SELECT COUNT(*) AS "__COUNT" FROM "REQUESTS_APP_PRIVACYREQUEST"'
            )
            and "WHERE" not in sql.upper()
        ),
        "result": result,
    }


def measure(runs: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from requests_app.selectors.ccpa_metrics import (
        METRIC_GROUPS,
        ccpa_metrics,
        ccpa_metrics_requests,
    )

    year = 2025
    kinds = [str(t) for _, types in METRIC_GROUPS.values() for t in types]

    def report(scope="california"):
        rows = ccpa_metrics(year=year, scope=scope)
        return [
            (r.key, r.received, r.complied, r.denied, r.other, r.median_days, r.mean_days)
            for r in rows
        ]

    def floor():
        # Reading the year's rows once: one grouped COUNT over the same slice.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT request_type, status, count(*) FROM requests_app_privacyrequest "
                "WHERE received_at >= %s AND received_at < %s AND request_type = ANY(%s) "
                "AND rule_code = ANY(%s) GROUP BY 1, 2",
                [
                    dt.datetime(year, 1, 1, tzinfo=dt.UTC),
                    dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC),
                    kinds,
                    ["ccpa", "ccpa_opt_out"],
                ],
            )
            return len(cursor.fetchall())

    def naive():
        # The same figures with every row of the year in Python.
        days: dict[str, list[int]] = {}
        counts: dict[tuple, int] = {}
        group_of = {str(t): key for key, (_, types) in METRIC_GROUPS.items() for t in types}
        for kind, status, received, closed in (
            ccpa_metrics_requests(year=year)
            .values_list("request_type", "status", "received_at", "closed_at")
            .iterator(chunk_size=5000)
        ):
            group = group_of[kind]
            counts[(group, status)] = counts.get((group, status), 0) + 1
            if status in ("completed", "denied"):
                days.setdefault(group, []).append((closed.date() - received.date()).days)
        return {g: (statistics.median(v), round(statistics.mean(v), 1)) for g, v in days.items()}

    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-pass-1")
    client = Client()
    client.force_login(user)
    page_url = reverse("admin:requests_app_privacyrequest_ccpa_metrics")
    changelist = reverse("admin:requests_app_privacyrequest_changelist")

    def page():
        response = client.get(page_url, {"year": year})
        assert response.status_code == 200, response.status_code
        return len(response.content)

    def csv_download():
        response = client.get(page_url, {"year": year, "format": "csv"})
        assert response.status_code == 200
        return response.content.decode().count("\n")

    def figure_changelist():
        response = client.get(
            changelist, {"ccpa7102": f"{year}.california.know.denied", "queue": "all"}
        )
        assert response.status_code == 200
        return response.content.count(b"action-select")

    report()  # warm up the connection and caches
    results = {
        "rows": None,
        "year_rows": ccpa_metrics_requests(year=year).count(),
        "report_california": timed(report, runs),
        "report_all_jurisdictions": timed(lambda: report("all"), runs),
        "baseline_floor_grouped_count": timed(floor, runs),
        "baseline_naive_python": timed(naive, max(3, runs // 2)),
        "admin_page": timed(page, runs),
        "admin_csv": timed(csv_download, runs),
        "admin_figure_changelist": timed(figure_changelist, runs),
    }
    naive_figures = results["baseline_naive_python"]["result"]
    ours = {key: (med, mean) for key, *_rest, med, mean in results["report_california"]["result"]}
    results["naive_agrees"] = all(
        ours[g] == (float(m), mean) for g, (m, mean) in naive_figures.items()
    )
    floor_best = results["baseline_floor_grouped_count"]["best_s"]
    results["ratio_report_to_floor"] = round(results["report_california"]["best_s"] / floor_best, 2)
    results["ratio_naive_to_report"] = round(
        results["baseline_naive_python"]["best_s"] / results["report_california"]["best_s"], 2
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT request_type, status, denial_reason, count(*) "
            "FROM requests_app_privacyrequest WHERE received_at >= %s AND received_at < %s "
            "AND request_type = ANY(%s) AND rule_code = ANY(%s) GROUP BY 1, 2, 3",
            [
                dt.datetime(year, 1, 1, tzinfo=dt.UTC),
                dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC),
                kinds,
                ["ccpa", "ccpa_opt_out"],
            ],
        )
        results["explain_counts"] = [row[0] for row in cursor.fetchall()]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    report: dict = {
        "command": " ".join([".venv/bin/python", "bench/bench_ccpa_metrics.py", *sys.argv[1:]]),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_before": os.getloadavg(),
        },
        "args": vars(args),
    }
    report["migrate_s"] = create_database()
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    try:
        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            report["postgres"] = conn.execute("SHOW server_version").fetchone()[0]
            started = time.perf_counter()
            conn.execute(SEED, {"rows": args.rows})
            conn.execute("VACUUM (ANALYZE) requests_app_privacyrequest")
            report["seed_s"] = round(time.perf_counter() - started, 1)
            report["table_size"] = conn.execute(
                "SELECT pg_size_pretty(pg_total_relation_size('requests_app_privacyrequest')),"
                " pg_size_pretty(pg_relation_size('prq_metrics'))"
            ).fetchone()
        results = measure(args.runs)
        results["rows"] = args.rows
        report.update(results)
        report["machine"]["load_average_after"] = os.getloadavg()
    finally:
        connection.close()
        if not args.keep:
            admin_sql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    text = json.dumps(report, indent=2, default=str)
    print(text)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    with (out / "ccpa_metrics.jsonl").open("a") as handle:
        handle.write(json.dumps(report, default=str) + "\n")


if __name__ == "__main__":
    main()
