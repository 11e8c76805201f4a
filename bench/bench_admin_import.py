"""Benchmark (e): admin import (django-import-export) of 100k contacts: the project's
``privacy.resources.ContactResource(customer=...)`` against a plain
``resources.ModelResource`` for Contact with the library's default settings, same
data, same run, same database.

The default resource does strictly less work (it neither normalises identifiers nor
deduplicates nor writes ContactIdentifier rows), so the ratio understates the gap.

    .venv/bin/python bench/bench_admin_import.py --rows 100000
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

DB = "pbo_bench_admin_import"

MEASURE = r"""
import json, time, tablib
from import_export import resources
from privacy.models import Contact, ContactIdentifier, Customer
from privacy.resources import ContactResource

class DefaultContactResource(resources.ModelResource):
    class Meta:
        model = Contact

text = open({path!r}, encoding="utf-8-sig").read()
dataset = tablib.Dataset().load(text, format="csv")
which = {which!r}
customer, _ = Customer.objects.get_or_create(slug="bench-admin-import", defaults={{"name": "Bench admin import"}})
before = Contact.objects.count()
started = time.perf_counter()
if which == "fast":
    result = ContactResource(customer=customer).import_data(dataset, dry_run=False, use_transactions=True)
else:
    dataset.insert_col(0, [""] * len(dataset), header="id")  # the default import_id_fields
    result = DefaultContactResource().import_data(dataset, dry_run=False, use_transactions=True)
seconds = time.perf_counter() - started
print("RESULT " + json.dumps({{"which": which, "rows": len(dataset), "seconds": round(seconds, 2),
      "errors": result.has_errors() or result.has_validation_errors(),
      "contacts_created": Contact.objects.count() - before,
      "identifiers": ContactIdentifier.objects.filter(customer=customer).count() if which == "fast" else 0}}))
"""


def measure(which: str, path: Path, timeout: float) -> dict:
    run = c.shell(DB, MEASURE.format(path=str(path), which=which), timeout=timeout)
    result = json.loads(re.search(r"RESULT (.*)", run.stdout).group(1))
    result["peak_rss_mb"] = round(run.max_rss_mb)
    print(result, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small-rows", type=int, default=10_000,
                        help="Also measure both at this scale (0: skip).")  # fmt: skip
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/pbo_bench"))  # noqa: S108 - bench data, not secrets
    parser.add_argument("--timeout", type=float, default=3 * 3600)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    def data(rows: int) -> Path:
        path = args.data_dir / f"admin_contacts_{rows}.csv"
        if not path.exists():
            subprocess.run([c.PYTHON, "bench/gen_contacts_csv.py", "--rows", str(rows), "--out",
                            str(path), "--seed", "7"], cwd=c.ROOT, check=True)  # fmt: skip
        return path

    for rows in [r for r in (args.small_rows, args.rows) if r]:
        c.create_database(DB, reuse=False)
        try:
            path = data(rows)
            fast = measure("fast", path, args.timeout)
            default = measure("default", path, args.timeout)
            ratio = default["seconds"] / fast["seconds"]
            c.report(
                "admin_import",
                command="ContactResource(customer=...).import_data(dataset, dry_run=False, use_transactions=True) "
                "vs resources.ModelResource (Meta: model = Contact) with the library defaults",
                scale=f"{rows:,} rows CSV (bench/gen_contacts_csv.py --seed 7, ~1% in-file duplicates)",
                figures={
                    "project_resource_s": fast["seconds"],
                    "project_rows_per_s": f"{rows / fast['seconds']:,.0f}",
                    "project_contacts_created": fast["contacts_created"],
                    "project_identifiers": fast["identifiers"],
                    "project_peak_rss_mb": fast["peak_rss_mb"],
                },
                baseline={
                    "default_resource_s": default["seconds"],
                    "default_rows_per_s": f"{rows / default['seconds']:,.0f}",
                    "default_contacts_created": default["contacts_created"],
                    "default_peak_rss_mb": default["peak_rss_mb"],
                },
                ratio=f"{ratio:.1f}x faster than the library defaults",
                target=">= 5x",
                met=ratio >= 5 and not fast["errors"],
            )
        finally:
            if not args.keep:
                c.drop_database(DB)


if __name__ == "__main__":
    main()
