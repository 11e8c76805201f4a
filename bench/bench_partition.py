"""Measure (docs/scaling.md): the consent ledger as it is versus a copy partitioned by
month on ``occurred_at`` (PostgreSQL declarative partitioning), on the consent
benchmark's data (``bench/consent_bench.py --seed-db --seed-only``: 1M contacts, 5M
events). Read-only on the ledger: the partitioned copy is a new table, dropped at the
end.

Compared on both tables, same run, same server:

- the evidence pack's ledger query for one number (by contact and identifier, and by
  the keyed hash), median and p90 over --contacts random contacts, and its plan;
- the retention purge's read (events older than a cut-off), plain count versus what
  partitioning offers (dropping whole partitions);
- appending a STOP's two rows (one INSERT of two rows, committed), --inserts times.

    .venv/bin/python bench/bench_partition.py --contacts 300 --inserts 500
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time

import psycopg

DB = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432") + "/pbo_bench_consent"
PART = "bench_ledger_part"

EVIDENCE_SQL = """
SELECT id, occurred_at, recorded_at, contact_id, customer_id, purpose_id, action, method,
       sender, notice_id, ip_address, user_agent, page_url, source, reference,
       recorded_by_id, deidentified_at
  FROM {table}
 WHERE identifier_hmac = ANY(%s) OR (contact_id = ANY(%s) AND identifier = %s)
 ORDER BY occurred_at, id
"""


def timed(conn, sql, params=None, repeat=1) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        conn.execute(sql, params).fetchall()
    return (time.perf_counter() - started) / repeat


def build_partitioned(conn) -> dict:
    lo, hi = conn.execute(
        "SELECT min(occurred_at), max(occurred_at) FROM consent_consentevent"
    ).fetchone()
    conn.execute(f"DROP TABLE IF EXISTS {PART}")
    conn.execute(
        f"CREATE TABLE {PART} (LIKE consent_consentevent INCLUDING DEFAULTS) "
        "PARTITION BY RANGE (occurred_at)"
    )
    months = conn.execute(
        "SELECT generate_series(date_trunc('month', %s::timestamptz), %s::timestamptz, "
        "interval '1 month')",
        [lo, hi],
    ).fetchall()
    for (start,) in months:
        name = f"{PART}_{start:%Y%m}"
        # DDL takes no parameters: the bounds are dates the server computed.
        end = conn.execute("SELECT %s::timestamptz + interval '1 month'", [start]).fetchone()[0]
        conn.execute(
            f"CREATE TABLE {name} PARTITION OF {PART} FOR VALUES FROM "
            f"('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
    started = time.perf_counter()
    conn.execute(f"INSERT INTO {PART} SELECT * FROM consent_consentevent")
    load = time.perf_counter() - started
    started = time.perf_counter()
    # The ledger's own indexes (consent/models.py), on the partitioned table. The primary
    # key must include the partition key: (id, occurred_at).
    for ddl in (
        f"ALTER TABLE {PART} ADD PRIMARY KEY (id, occurred_at)",
        f"CREATE INDEX ON {PART} (contact_id, occurred_at)",
        f"CREATE INDEX ON {PART} (identifier_hmac) WHERE identifier_hmac <> ''",
        f"CREATE INDEX ON {PART} (purpose_id, occurred_at)",
        f"CREATE INDEX ON {PART} (occurred_at)",
        f"CREATE INDEX ON {PART} (reference) WHERE reference <> ''",
        f"CREATE INDEX ON {PART} (customer_id)",
    ):
        conn.execute(ddl)
    indexes = time.perf_counter() - started
    conn.execute(f"ANALYZE {PART}")
    return {"partitions": len(months), "load_s": round(load, 1), "indexes_s": round(indexes, 1),
            "range": [lo.isoformat(), hi.isoformat()]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=300)
    parser.add_argument("--inserts", type=int, default=500)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    load_before = [round(x, 1) for x in os.getloadavg()]
    out: dict = {"load_before": load_before}
    with psycopg.connect(DB, autocommit=True) as conn:
        out["build"] = build_partitioned(conn)
        rows = conn.execute(
            "SELECT c.id, c.phone FROM privacy_contact c TABLESAMPLE SYSTEM (1) "
            "WHERE c.phone IS NOT NULL LIMIT %s",
            [args.contacts],
        ).fetchall()
        hmacs = ["0" * 64]  # a keyed hash no row has: the index probe still runs
        timings: dict[str, list[float]] = {"plain": [], "partitioned": []}
        for contact_id, phone in rows:
            order = [("plain", "consent_consentevent"), ("partitioned", PART)]
            random.shuffle(order)
            for label, table in order:
                timings[label].append(
                    timed(conn, EVIDENCE_SQL.format(table=table), [hmacs, [contact_id], phone])
                )
        for label, table in (("plain", "consent_consentevent"), ("partitioned", PART)):
            ms = sorted(x * 1000 for x in timings[label])
            out[f"evidence_query_{label}_ms"] = {
                "median": round(statistics.median(ms), 3),
                "p90": round(ms[int(0.9 * len(ms))], 3),
            }
            plan = conn.execute(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + EVIDENCE_SQL.format(table=table),
                [hmacs, [rows[0][0]], rows[0][1]],
            ).fetchone()[0][0]
            out[f"evidence_plan_{label}"] = {
                "planning_ms": plan["Planning Time"],
                "execution_ms": plan["Execution Time"],
                "shared_hit_read": [
                    plan["Plan"].get("Shared Hit Blocks"),
                    plan["Plan"].get("Shared Read Blocks"),
                ],
            }
        # The purge's read: events older than a cut-off (the oldest three months).
        cut = conn.execute(
            "SELECT min(occurred_at) + interval '3 months' FROM consent_consentevent"
        ).fetchone()[0]
        for label, table in (("plain", "consent_consentevent"), ("partitioned", PART)):
            out[f"old_events_count_{label}_ms"] = round(
                1000 * statistics.median(
                    timed(conn, f"SELECT count(*) FROM {table} WHERE occurred_at < %s", [cut])
                    for _ in range(3)
                ), 1)  # fmt: skip
        # Appending a STOP's two rows, committed, alternately.
        cols = ("customer_id, contact_id, purpose_id, action, identifier, identifier_hmac, "
                "sender, occurred_at, recorded_at, method, reference, parental_consent_method, "
                "parental_consent_reference")  # fmt: skip
        base_id = conn.execute("SELECT max(id) FROM consent_consentevent").fetchone()[0] + 10**7
        inserts: dict[str, list[float]] = {"plain_copy": [], "partitioned": []}
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS ledger_plain_copy (LIKE consent_consentevent INCLUDING ALL)"
        )
        conn.execute("INSERT INTO ledger_plain_copy SELECT * FROM consent_consentevent")
        conn.execute("ANALYZE ledger_plain_copy")
        for i in range(args.inserts):
            for label, table in (("plain_copy", "ledger_plain_copy"), ("partitioned", PART)):
                sql = (f"INSERT INTO {table} (id, {cols}) VALUES "
                       f"(%s, 1, %s, 1, 'withdraw', '+12015550000', '', '', now(), now(), "
                       f"'sms_keyword', 'SMx', '', ''), "
                       f"(%s, 1, %s, 2, 'withdraw', '+12015550000', '', '', now(), now(), "
                       f"'sms_keyword', 'SMx', '', '')")  # fmt: skip
                started = time.perf_counter()
                conn.execute(sql, [base_id + 2 * i, rows[i % len(rows)][0],
                                   base_id + 2 * i + 1, rows[i % len(rows)][0]])  # fmt: skip
                inserts[label].append(time.perf_counter() - started)
        for label, xs in inserts.items():
            out[f"stop_insert_{label}_ms_median"] = round(1000 * statistics.median(xs), 3)
        # The purge of the oldest month: DELETE on the plain table versus DETACH + DROP of
        # the partition, each in a transaction rolled back afterwards.
        oldest = conn.execute(
            "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass "
            "ORDER BY 1 LIMIT 1",
            [PART],
        ).fetchone()[0]
        month_end = conn.execute(
            "SELECT date_trunc('month', min(occurred_at)) + interval '1 month' FROM ledger_plain_copy"
        ).fetchone()[0]
        for label, sql in (
            (
                "plain_delete",
                f"DELETE FROM ledger_plain_copy WHERE occurred_at < '{month_end.isoformat()}'",
            ),
            (
                "partition_drop",
                f"ALTER TABLE {PART} DETACH PARTITION {oldest}; DROP TABLE {oldest}",
            ),
        ):
            conn.execute("BEGIN")
            started = time.perf_counter()
            cur = conn.execute(sql)
            out[f"purge_oldest_month_{label}_ms"] = round(1000 * (time.perf_counter() - started), 1)
            if label == "plain_delete":
                out["purge_oldest_month_rows"] = cur.rowcount
            conn.execute("ROLLBACK")
        sizes = conn.execute(
            "SELECT pg_total_relation_size('consent_consentevent'), "
            f"(SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = '{PART}'::regclass)"
        ).fetchone()
        out["size_mb_plain_partitioned"] = [round(s / 2**20) for s in sizes]
        conn.execute("DROP TABLE ledger_plain_copy")
        if not args.keep:
            conn.execute(f"DROP TABLE {PART}")
    out["load_after"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
