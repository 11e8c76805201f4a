"""Benchmark (a): ``manage.py import_contacts`` of a 1M-row CSV on PostgreSQL, against its
floor measured in the same run (issue 13): COPY of the same rows, already normalised,
into the same tables with the same indexes and constraints, on a copy of the same
migrated database. Target: the import's rate >= 0.8 x the floor's.

For each --workers value, --runs pairs: a fresh copy of the migrated database, the
import (its own "in N s"), then a fresh copy again and the floor (the rows the first
import wrote, dumped with COPY TO, loaded with COPY FROM in one transaction: the same
index maintenance and the same deferred foreign-key checks at COMMIT). The floor is
loaded in two row orders (ids ascending as the import wrote them; identifiers sorted
by the (kind, match_key) indexes), each on a fresh copy, and the faster one counts.

    .venv/bin/python bench/bench_import.py --rows 1000000 --runs 3 --workers 2,1
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

DB = "pbo_bench_import"


def make_csv(rows: int, path: Path) -> None:
    if path.exists():
        return
    subprocess.run([c.PYTHON, "bench/gen_contacts_csv.py", "--rows", str(rows), "--out",
                    str(path)], cwd=c.ROOT, check=True)  # fmt: skip


def head(path: Path, rows: int, out: Path) -> None:
    """The header and the first ``rows`` records (records may span lines)."""
    import csv

    with path.open(encoding="utf-8", newline="") as src, out.open("w", encoding="utf-8", newline="") as dst:  # fmt: skip
        reader, writer = csv.reader(src), csv.writer(dst)
        for i, record in enumerate(reader):
            if i > rows:
                break
            writer.writerow(record)


TPL = "pbo_bench_import_tpl"  # migrated, the customers created, nothing imported
RUN = "pbo_bench_import_run"  # a fresh copy per measured import
FLOOR = "pbo_bench_import_floor"  # a fresh copy per measured floor
DUMPS = ("privacy_contact", "privacy_contactidentifier")
# The floor loads the rows in the order that suits the indexes best. Which order that
# is depends on how the import wrote them (ids follow insertion), so both are loaded,
# each on a fresh copy, and the faster counts: "as written" (ids ascending) and
# "sorted" (identifiers by the two (kind, match_key) indexes' order).
ORDERS = {
    "as_written": {"privacy_contact": "id", "privacy_contactidentifier": "id"},
    "sorted": {"privacy_contact": "id", "privacy_contactidentifier": "kind, match_key"},
}


def copy_of(template: str, name: str) -> None:
    with psycopg.connect(f"{c.SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def dump_rows(db: str, out_dir: Path) -> dict[str, int]:
    """The imported rows, exactly as the import left them (COPY text format)."""
    sizes = {}
    with psycopg.connect(c.database_url(db)) as conn:
        for order, order_by in ORDERS.items():
            for table in DUMPS:
                path = out_dir / f"floor_{order}_{table}.copy"
                query = f"COPY (SELECT * FROM {table} ORDER BY {order_by[table]}) TO STDOUT"
                with path.open("wb") as out, conn.cursor().copy(query) as copy:
                    for block in copy:
                        out.write(block)
        for table in DUMPS:
            sizes[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return sizes


def floor_seconds(db: str, out_dir: Path, order: str) -> float:
    """COPY the already normalised rows into the same tables (same indexes, same
    deferred foreign keys, checked at COMMIT) in one transaction: the floor."""
    with psycopg.connect(c.database_url(db)) as conn:
        started = time.perf_counter()
        for table in DUMPS:
            with (
                conn.cursor().copy(f"COPY {table} FROM STDIN") as copy,
                (out_dir / f"floor_{order}_{table}.copy").open("rb") as handle,
            ):
                while block := handle.read(1 << 20):
                    copy.write(block)
        conn.commit()
        return time.perf_counter() - started


def import_seconds(db: str, path: Path, workers: int) -> tuple[float, c.Run]:
    run = c.manage(db, "import_contacts", str(path), "--customer", "bench-import",
                   "--workers", str(workers), "-v", "2", timeout=1800)  # fmt: skip
    return float(re.search(r"in ([\d.]+)s", run.stdout).group(1)), run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3, help="Import/floor pairs per --workers.")
    parser.add_argument("--workers", default="2,1", help="Comma-separated --workers values.")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/pbo_bench"))  # noqa: S108 - bench data, not secrets
    args = parser.parse_args()

    path = args.data_dir / f"contacts_{args.rows}.csv"
    make_csv(args.rows, path)
    load_before = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    c.create_database(TPL, reuse=False)
    try:
        c.shell(TPL, "from privacy.models import Customer\n"
                     "Customer.objects.get_or_create(slug='bench-import', defaults={'name': 'bench'})")  # fmt: skip
        pairs: dict[int, list[tuple[float, float]]] = {}
        sizes: dict[str, int] = {}
        phases = ""
        for workers in (int(w) for w in args.workers.split(",")):
            for i in range(args.runs):
                copy_of(TPL, RUN)
                own, run = import_seconds(RUN, path, workers)
                phases = next((x for x in run.stdout.splitlines() if x.startswith("Phases")), "")
                print(f"  {phases}", flush=True)
                if not sizes:
                    sizes = dump_rows(RUN, args.data_dir)
                c.drop_database(RUN)
                floors = {}
                for order in ORDERS:
                    copy_of(TPL, FLOOR)
                    floors[order] = floor_seconds(FLOOR, args.data_dir, order)
                    c.drop_database(FLOOR)
                floor = min(floors.values())
                print("  floor by order: " + ", ".join(f"{o} {s:.1f}s" for o, s in floors.items()),
                      flush=True)  # fmt: skip
                pairs.setdefault(workers, []).append((own, floor))
                print(f"workers={workers} run {i + 1}: import {own:.1f}s "
                      f"({args.rows / own:,.0f} rows/s), floor {floor:.1f}s "
                      f"({args.rows / floor:,.0f} rows/s), ratio {floor / own:.2f}; "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
        figures, ratios = {}, []
        for workers, runs in pairs.items():
            own_median = statistics.median(o for o, _ in runs)
            floor_median = statistics.median(f for _, f in runs)
            run_ratios = [f / o for o, f in runs]
            ratios += run_ratios
            figures[f"workers_{workers}_import_rows_per_s"] = "/".join(
                f"{args.rows / o:,.0f}" for o, _ in runs
            )
            figures[f"workers_{workers}_floor_rows_per_s"] = "/".join(
                f"{args.rows / f:,.0f}" for _, f in runs
            )
            figures[f"workers_{workers}_ratio_per_run"] = "/".join(f"{r:.2f}" for r in run_ratios)
            figures[f"workers_{workers}_median_ratio"] = f"{floor_median / own_median:.2f}"
        figures["last_import_phases"] = phases
        figures["load_before"] = load_before
        figures["load_after"] = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        best = max(
            statistics.median(f for _, f in runs) / statistics.median(o for o, _ in runs)
            for runs in pairs.values()
        )
        c.report(
            "import_contacts",
            command=f"manage.py import_contacts {path} --customer bench-import --workers W "
            f"(fresh copy of the migrated database per run)",
            scale=f"{args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB, ~1% in-file "
            f"duplicates) -> {sizes.get('privacy_contact', 0):,} contacts, "
            f"{sizes.get('privacy_contactidentifier', 0):,} identifiers",
            figures=figures,
            baseline={
                "floor": "COPY of the rows the import wrote (already normalised, with their "
                "ids) into the same tables, indexes and deferred foreign keys, one "
                "transaction, on a fresh copy of the same migrated database, after each "
                "import; in two row orders (as written, and identifiers sorted by "
                "(kind, match_key)), each on its own fresh copy, the faster counting",
            },
            ratio=f"import rate / floor rate: best median {best:.2f}",
            target=">= 0.8 x the floor's rate",
            met=best >= 0.8,
        )
    finally:
        for db in (RUN, FLOOR, TPL):
            c.drop_database(db)


if __name__ == "__main__":
    main()
