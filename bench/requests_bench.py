"""Benchmarks of the requests app on PostgreSQL (issue 4, "Must show").

1. Deadline tracker (``deadline_digest_send``: the due-soon and acknowledgement-owed
   selectors, the digest rendered, audited and mailed) over 1M privacy requests of which
   1% are due (overdue or due within 7 days). Seeded with ``generate_series`` in two
   steps — 100k rows first, then 900k more closed ones — with the *same* 10k due rows,
   so the same run shows the time follows the due rows, not the table size.
   Baselines in the same run: a plain ``COUNT(*)`` over the due rows, and the tracker's
   query with index scans switched off (what it would cost without the partial index).
   ``EXPLAIN (ANALYZE, BUFFERS)`` of the tracker's queries shows the plan.
2. Request-driven access package build (the body of the ``build_export_package`` Celery
   task, called directly) for a contact with 10k interactions; baseline in the same run:
   privacy's ``contact_export`` of the same contact to a temporary file (what
   ``bench/bench_export.py`` measures), and a bare read of the same rows.

3. The officers' admin pages at the same 1M requests (issue 10): the morning page
   (``/admin/``), the request queue (open requests by default, and its "overdue" filter)
   — queries per page, whether any counts a whole table, and time (best of 5, warm). Baselines
   in the same run: Django's own admin index (``/admin/apps/``) and a plain
   ``ModelAdmin`` changelist of the same table with Django's defaults (full COUNT(*)).

Uses its own database ``pbo_bench_requests`` (created, migrated, dropped at the end
unless --keep; ``BENCH_REQUESTS_DB=pbo_bench_...`` names another, e.g. one per size):

    .venv/bin/python bench/requests_bench.py            # writes bench/requests_results.json

Growth (issue 13, item 4): the tracker alone at 1M and at 10M requests with the same
10k due rows, each in a database of its own, kept, then measured again without reseeding:

    BENCH_REQUESTS_DB=pbo_bench_requests_10m .venv/bin/python bench/requests_bench.py \
        --rows 10000000 --only-tracker --keep --out bench/results/requests_10m.json
    BENCH_REQUESTS_DB=pbo_bench_requests_10m .venv/bin/python bench/requests_bench.py \
        --rows 10000000 --only-tracker --reuse --keep --out bench/results/requests_10m_2.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DB = os.environ.get("BENCH_REQUESTS_DB", "pbo_bench_requests")
if not DB.startswith("pbo_bench_"):
    raise SystemExit("BENCH_REQUESTS_DB must be named pbo_bench_* (it is dropped and reseeded).")
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DATABASE_URL = f"{SERVER}/{DB}"
OPEN = ("received", "awaiting_verification", "verified", "in_progress", "relayed_to_controller")
PRIVATE_ROOT = tempfile.mkdtemp(prefix="pbo_bench_requests_private_")

ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.base",
    "DATABASE_URL": DATABASE_URL,
    "CELERY_BROKER_URL": "memory://",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "REQUESTS_DIGEST_RECIPIENTS": "privacy-officers@example.com",
    "PRIVATE_STORAGE_ROOT": PRIVATE_ROOT,
    "LOG_LEVEL": "WARNING",
    "DJANGO_ALLOWED_HOSTS": "testserver,localhost",
}


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
    )
    return time.perf_counter() - started


# Columns every seeded request gets; fictional identifiers only.
SEED = """
INSERT INTO requests_app_privacyrequest (
    reference, request_type, status, rule_code, channel, country, state, email, email_key,
    is_agent_request, received_at, due_on, deadline_on, acknowledge_by, acknowledged_at,
    extension_reason, verification_method, over_limit, denial_reason, closed_at,
    status_token_hash, status_token_salt, duplicate_count, objection_purposes)
SELECT 'BR-' || lpad(i::text, 9, '0'),
       (ARRAY['access','deletion','know','opt_out_sale'])[1 + i %% 4],
       s.status, 'ccpa', 'web', 'US', 'CA',
       'requester' || i || '@example.org', 'requester' || i || '@example.org',
       false, s.deadline - 45, s.deadline, s.deadline, s.deadline - 35,
       CASE WHEN s.ack_owed THEN NULL ELSE s.deadline - 44 END,
       '', '', false, '', CASE WHEN s.closed THEN s.deadline - 10 END,
       md5(i::text) || md5('t' || i::text), 'benchsalt', 0, '[]'::jsonb
FROM generate_series(%(first)s::int, %(last)s::int) i
CROSS JOIN LATERAL (
    SELECT
      CASE WHEN i <= %(due)s OR i <= %(open)s
           THEN (ARRAY['received','awaiting_verification','verified','in_progress',
                       'relayed_to_controller'])[1 + i %% 5]
           ELSE (ARRAY['completed','denied','withdrawn','expired'])[1 + i %% 4] END AS status,
      CASE WHEN i <= %(due)s THEN %(today)s::date - 3 + i %% 11           -- overdue .. +7 days
           WHEN i <= %(open)s THEN %(today)s::date + 8 + i %% 40          -- open, not due yet
           ELSE %(today)s::date - 30 - i %% 700 END AS deadline,          -- closed, history
      i > %(open)s AS closed,
      i <= %(due)s AND i %% 50 = 0 AS ack_owed
) s
"""


def seed(conn, *, first: int, last: int, due: int, open_: int, today: dt.date) -> float:
    started = time.perf_counter()
    conn.execute(SEED, {"first": first, "last": last, "due": due, "open": open_, "today": today})
    conn.execute("VACUUM (ANALYZE) requests_app_privacyrequest")  # visibility map: index-only
    return time.perf_counter() - started


def best_of(fn, runs: int = 5) -> tuple[float, float, object]:
    """(best, median, last result) in seconds."""
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times), result


def measure_tracker(today: dt.date) -> dict:
    from django.db import connection

    from requests_app.models import DigestSent, PrivacyRequest
    from requests_app.selectors import privacy_requests_ack_owed, privacy_requests_due_soon
    from requests_app.services import deadline_digest_send

    def selectors():
        return len(privacy_requests_due_soon(today=today)), len(
            privacy_requests_ack_owed(today=today)
        )

    def digest():
        DigestSent.objects.filter(day=today).delete()  # the job sends once per day
        return deadline_digest_send(today=today)

    def plain_count():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM requests_app_privacyrequest "
                "WHERE status = ANY(%s) AND deadline_on <= %s",
                [list(OPEN), today + dt.timedelta(days=7)],
            )
            return cursor.fetchone()[0]

    def without_index():
        with connection.cursor() as cursor:
            cursor.execute("SET enable_indexscan = off")
            cursor.execute("SET enable_indexonlyscan = off")
            cursor.execute("SET enable_bitmapscan = off")
        try:
            return len(privacy_requests_due_soon(today=today))
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET ALL")

    selectors()  # warm the connection
    sel_best, sel_median, (due, ack) = best_of(selectors)
    dig_best, dig_median, digest_counts = best_of(digest)
    count_best, count_median, counted = best_of(plain_count)
    seq_best, seq_median, _ = best_of(without_index, runs=3)

    from django.db.models import Q

    from requests_app.models import OPEN_Q

    due_qs = (
        PrivacyRequest.objects.filter(OPEN_Q, deadline_on__lte=today + dt.timedelta(days=7))
        .order_by("deadline_on")
        .values("reference", "deadline_on")
    )
    ack_qs = (
        PrivacyRequest.objects.filter(
            OPEN_Q,
            Q(acknowledged_at__isnull=True, acknowledge_by__isnull=False),
            acknowledge_by__lte=today + dt.timedelta(days=2),
        )
        .order_by("acknowledge_by")
        .values("reference", "acknowledge_by")
    )
    explain_due = due_qs.explain(analyze=True, buffers=True)
    explain_ack = ack_qs.explain(analyze=True, buffers=True)
    return {
        "rows": PrivacyRequest.objects.count(),
        "due_rows": due,
        "ack_owed_rows": ack,
        "plain_count_rows": counted,
        "digest_counts": digest_counts,
        "selectors_best_s": sel_best,
        "selectors_median_s": sel_median,
        "digest_best_s": dig_best,
        "digest_median_s": dig_median,
        "plain_count_best_s": count_best,
        "plain_count_median_s": count_median,
        "due_query_without_index_best_s": seq_best,
        "due_query_without_index_median_s": seq_median,
        "explain_due": explain_due,
        "explain_ack_owed": explain_ack,
        "due_query_buffers": _top_buffers(explain_due),
        "ack_owed_query_buffers": _top_buffers(explain_ack),
        "btree_depth": _btree_depth(
            connection, ["prq_open_deadline", "prq_ack_owed", "requests_app_privacyrequest_pkey"]
        ),
    }


def _top_buffers(explain: str) -> int:
    """Shared buffers (hit + read) of a plan's top node: the first "Buffers:" line."""
    import re

    line = next((x for x in explain.splitlines() if "Buffers:" in x), "")
    return sum(int(n) for n in re.findall(r"(?:hit|read)=(\d+)", line.split("temp")[0]))


def _btree_depth(connection, names: list[str]) -> dict[str, int]:
    """Levels of each index (bt_metap's level counts from 0 at the leaves)."""
    out = {}
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        for name in names:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
            if cursor.fetchone()[0]:
                cursor.execute("SELECT level FROM bt_metap(%s)", [name])
                out[name] = cursor.fetchone()[0] + 1
    return out


INTERACTIONS = """
INSERT INTO privacy_interaction (contact_id, channel, direction, occurred_at, from_number,
    to_number, duration_seconds, body, recording_ref, ip_address, user_agent)
SELECT %(contact)s, (ARRAY['sms','call','web_form','email'])[1 + i %% 4],
       CASE WHEN i %% 2 = 0 THEN 'inbound' ELSE 'outbound' END,
       now() - i * interval '1 hour', '+14155550101', '+14155550100',
       CASE WHEN i %% 4 = 1 THEN 60 + i %% 600 END,
       'Message number ' || i || ': is my appointment still on for Tuesday? Please call back.',
       CASE WHEN i %% 4 = 1 THEN 'rec/' || i || '.mp3' END,
       CASE WHEN i %% 4 = 2 THEN '203.0.113.7'::inet END,
       CASE WHEN i %% 4 = 2 THEN 'Mozilla/5.0 (bench)' END
FROM generate_series(1, %(n)s) i
"""


def measure_package(n_interactions: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from privacy.models import Contact, Interaction
    from privacy.providers import INTERACTION_FIELDS
    from privacy.services import contact_export
    from requests_app import deadlines
    from requests_app.models import ExportPackage, PrivacyRequest, RequestMatch
    from requests_app.tasks import build_export_package

    contact = Contact.objects.create(first_name="Bench", last_name="Person", kind="end_user")
    with connection.cursor() as cursor:
        cursor.execute(INTERACTIONS, {"contact": contact.pk, "n": n_interactions})
        cursor.execute("ANALYZE privacy_interaction")
    today = timezone.localdate()
    request = PrivacyRequest.objects.create(
        reference="BR-PACKAGE-1",
        request_type="access",
        status="in_progress",
        rule_code="ccpa",
        country="US",
        state="CA",
        email="bench.person@example.org",
        email_key="bench.person@example.org",
        due_on=deadlines.due_date("ccpa", today),
        deadline_on=deadlines.due_date("ccpa", today),
        status_token_hash="b" * 64,
        status_token_salt="benchsalt",  # noqa: S106 (fictional)
    )
    RequestMatch.objects.create(request=request, contact=contact, matched_on="email")
    package = ExportPackage.objects.create(
        request=request,
        contact=contact,
        token_hash="c" * 64,
        token_salt="benchsalt",  # noqa: S106
    )

    def build():
        ExportPackage.objects.filter(pk=package.pk).update(
            state=ExportPackage.State.BUILDING, file="", size_bytes=0
        )
        build_export_package(package.pk)  # the Celery task's body, in this process
        built = ExportPackage.objects.get(pk=package.pk)
        result = (built.state, built.size_bytes, built.counts)
        built.file.storage.delete(built.file.name)
        return result

    def export_only():
        with tempfile.TemporaryFile() as out:
            return contact_export(actor=None, contact=contact, destination=out, via="bench")

    def read_rows():
        return sum(
            1
            for _ in Interaction.objects.filter(contact=contact)
            .order_by("-occurred_at", "-id")
            .values(*INTERACTION_FIELDS)
            .iterator(chunk_size=2000)
        )

    read_rows()  # warm
    raw_best, raw_median, rows = best_of(read_rows)
    exp_best, exp_median, _counts = best_of(export_only)
    build_best, build_median, (state, size, build_counts) = best_of(build)
    return {
        "interactions": rows,
        "read_rows_best_s": raw_best,
        "read_rows_median_s": raw_median,
        "contact_export_best_s": exp_best,
        "contact_export_median_s": exp_median,
        "package_build_best_s": build_best,
        "package_build_median_s": build_median,
        "package_state": state,
        "package_size_bytes": size,
        "package_counts": build_counts,
    }


def measure_admin_pages() -> dict:
    """Queries, full-table counts and time of the officers' pages on the seeded table."""
    import re

    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client, RequestFactory
    from django.test.utils import CaptureQueriesContext

    from requests_app.models import PrivacyRequest

    user, _ = get_user_model().objects.get_or_create(
        username="bench-officer", defaults={"is_staff": True, "first_name": "Bench"}
    )
    user.groups.add(Group.objects.get(name="Privacy officer"))
    client = Client()
    client.force_login(user)
    full_count = re.compile(r'SELECT COUNT\(\*\)[^;]*FROM "requests_app_privacyrequest"', re.S)

    def measure(label, get):
        get()  # warm (templates, session, time zone)
        times, queries, status = [], None, None
        for _ in range(5):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                status = get()
                times.append(time.perf_counter() - started)
            queries = ctx.captured_queries
        counts = [
            q["sql"]
            for q in queries
            if full_count.search(q["sql"]) and " WHERE " not in q["sql"] and "LIMIT" not in q["sql"]
        ]
        return {
            "label": label,
            "status": status,
            "queries": len(queries),
            "full_counts": len(counts),
            "best_ms": round(min(times) * 1000, 1),
            "median_ms": round(statistics.median(times) * 1000, 1),
        }

    queue = "/admin/requests_app/privacyrequest/"
    results = [
        measure("morning page /admin/", lambda: client.get("/admin/").status_code),
        measure("queue (open, default)", lambda: client.get(queue).status_code),
        measure(
            "queue ?deadline=overdue",
            lambda: client.get(queue, {"deadline": "overdue"}).status_code,
        ),
        measure(
            "queue ?queue=all page 3",
            lambda: client.get(queue, {"queue": "all", "p": "3"}).status_code,
        ),
        measure(
            "baseline: Django's index /admin/apps/", lambda: client.get("/admin/apps/").status_code
        ),
    ]
    site = admin.AdminSite(name="bench_default")
    default_admin = admin.ModelAdmin(PrivacyRequest, site)
    factory = RequestFactory()
    superuser, _ = get_user_model().objects.get_or_create(
        username="bench-super", defaults={"is_staff": True, "is_superuser": True}
    )

    def default_changelist():
        request = factory.get(queue)
        request.user = superuser
        response = default_admin.changelist_view(request)
        response.render()
        return response.status_code

    results.append(measure("baseline: default ModelAdmin changelist", default_changelist))
    return {"pages": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--first-step", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000, help="1%% of --rows by default")
    parser.add_argument("--open", type=int, default=50_000, help="open rows incl. the due ones")
    parser.add_argument("--interactions", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--only-admin",
        action="store_true",
        help="after seeding, measure only the admin pages (skip the tracker's step 1 and the package)",
    )
    parser.add_argument(
        "--only-tracker",
        action="store_true",
        help="measure only the deadline tracker (growth, issue 13 item 4): no package, no pages",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="the database was seeded and kept by an earlier run: measure the tracker again",
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "requests_results.json"))
    args = parser.parse_args()

    report: dict = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_before": os.getloadavg(),
        },
        "args": vars(args),
    }
    report["database"] = DB
    if not args.reuse:
        report["migrate_s"] = create_database()
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        report["postgres"] = conn.execute("SHOW server_version").fetchone()[0]
    today = timezone.localdate()
    try:
        if args.reuse:
            report["tracker_full"] = measure_tracker(today)
            report["table_size"] = _sizes()
            report["machine"]["load_average_after"] = os.getloadavg()
            return
        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            report["seed_step1_s"] = seed(
                conn, first=1, last=args.first_step, due=args.due, open_=args.open, today=today
            )
        if not args.only_admin and not args.only_tracker:
            report["tracker_step1"] = measure_tracker(today)
        connection.close()
        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            report["seed_step2_s"] = seed(
                conn,
                first=args.first_step + 1,
                last=args.rows,
                due=args.due,
                open_=args.open,
                today=today,
            )
        report["table_size"] = _sizes()
        if not args.only_admin:
            report["tracker_full"] = measure_tracker(today)
        if not args.only_admin and not args.only_tracker:
            report["package"] = measure_package(args.interactions)
        if not args.only_tracker:
            report["admin_pages"] = measure_admin_pages()
        report["machine"]["load_average_after"] = os.getloadavg()
    finally:
        connection.close()
        if not args.keep:
            admin_sql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        shutil.rmtree(PRIVATE_ROOT, ignore_errors=True)
        Path(args.out).write_text(json.dumps(report, indent=2, default=str))
        print(json.dumps(report, indent=2, default=str))


def _sizes() -> list[str]:
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        return conn.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('requests_app_privacyrequest')),"
            " pg_size_pretty(pg_relation_size('prq_open_deadline'))"
        ).fetchone()


if __name__ == "__main__":
    main()
