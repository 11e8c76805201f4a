"""Benchmark (a): ``manage.py import_contacts`` of a 1M-row CSV on PostgreSQL.

Baselines in the same run, same file: the raw COPY of the file into a plain text table
(the "COPY class" ceiling: no parsing, no normalisation, no indexes) and the portable
ORM path (``--method orm``) on the first --orm-rows rows.

    .venv/bin/python bench/bench_import.py --rows 1000000
"""

from __future__ import annotations

import argparse
import re
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


def raw_copy_seconds(path: Path) -> float:
    with psycopg.connect(c.database_url(DB)) as conn:
        conn.execute("CREATE TEMP TABLE raw_copy (a text, b text, c text, d text, e text, "
                     "f text, g text, h text)")  # fmt: skip
        started = time.perf_counter()
        with (
            conn.cursor().copy("COPY raw_copy FROM STDIN (FORMAT csv, HEADER true)") as copy,
            path.open("rb") as handle,
        ):
            handle.read(3)  # the BOM
            while block := handle.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
        conn.rollback()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--orm-rows", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/pbo_bench"))  # noqa: S108 - bench data, not secrets
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args()

    path = args.data_dir / f"contacts_{args.rows}.csv"
    make_csv(args.rows, path)
    c.create_database(DB, reuse=False)
    try:
        c.shell(DB, "from privacy.models import Customer\n"
                    "for slug in ('bench-import', 'bench-import-orm'):\n"
                    "    Customer.objects.get_or_create(slug=slug, defaults={'name': slug})")  # fmt: skip
        raw = raw_copy_seconds(path)

        run = c.manage(DB, "import_contacts", str(path), "--customer", "bench-import", "-v", "2")
        print(run.stdout.strip())
        own = float(re.search(r"in ([\d.]+)s", run.stdout).group(1))
        created = c.sql(DB, "SELECT count(*) FROM privacy_contact")[0][0]
        identifiers = c.sql(DB, "SELECT count(*) FROM privacy_contactidentifier")[0][0]

        rerun = c.manage(DB, "import_contacts", str(path), "--customer", "bench-import", "-v", "2")
        print(rerun.stdout.strip())
        assert c.sql(DB, "SELECT count(*) FROM privacy_contact")[0][0] == created

        small = args.data_dir / f"contacts_{args.rows}_head{args.orm_rows}.csv"
        head(path, args.orm_rows, small)
        orm = c.manage(DB, "import_contacts", str(small), "--customer", "bench-import-orm",
                       "--method", "orm")  # fmt: skip
        print(orm.stdout.strip())
        orm_own = float(re.search(r"in ([\d.]+)s", orm.stdout).group(1))

        rate = args.rows / own
        orm_rate = args.orm_rows / orm_own
        c.report(
            "import_contacts",
            command=f"manage.py import_contacts {path} --customer bench-import",
            scale=f"{args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB, ~1% in-file duplicates)",
            figures={
                "seconds_in_service": round(own, 1),
                "seconds_wall_incl_startup": round(run.seconds, 1),
                "rows_per_s": f"{rate:,.0f}",
                "contacts": created,
                "identifiers": identifiers,
                "peak_rss_main_mb": round(run.max_rss_mb),
                "rerun_same_file_s": round(rerun.seconds, 1),
            },
            baseline={
                "raw_copy_no_normalisation_s": round(raw, 1),
                "raw_copy_rows_per_s": f"{args.rows / raw:,.0f}",
                f"orm_fallback_{args.orm_rows}_rows_per_s": f"{orm_rate:,.0f}",
            },
            ratio=f"{rate / orm_rate:.1f}x the ORM fallback; {rate / (args.rows / raw):.2f} of raw COPY speed",
            target=">= 50,000 rows/s",
            met=rate >= 50_000,
        )
    finally:
        if not args.keep:
            c.drop_database(DB)


if __name__ == "__main__":
    main()
