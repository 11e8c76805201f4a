"""Benchmark (b): the retention sweep erasing ~100k of 1M contacts with their
interactions (``manage.py retention_sweep``), subjects/s and peak RSS.

Baseline in the same run, same database: erasing due subjects one at a time with
``contact_erase`` (what a sweep without batching would do), on --baseline-subjects
of them (they are then no longer due, so the sweep erases that many fewer).

    .venv/bin/python bench/bench_retention.py --contacts 1000000
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

DB = "pbo_bench_retention"

BASELINE = """
import time
from privacy.models import ErasureCertificate
from privacy.selectors import contacts_due_for_retention
from privacy.services import contact_erase
from privacy.models import Contact
ids = next(contacts_due_for_retention("customer_contract_end", batch_size={n}))
started = time.perf_counter()
for pk in ids:
    contact_erase(actor=None, contact=Contact(pk=pk), trigger=ErasureCertificate.Trigger.RETENTION)
print("BASELINE", len(ids), time.perf_counter() - started)
"""


# What-if: consent/providers.py's ConsentProvider._link_by_number issues two UPDATEs per
# phone identifier of every subject (and is called twice per batch). This replaces it,
# in the benchmark process only, with two set-based UPDATEs per batch (same effect:
# the phone is unique per customer, so at most one contact matches a message).
WHAT_IF = """
import time
from django.db.models import Exists, OuterRef, Subquery
from consent.models import InboundMessage, SmsSubscription
from consent.providers import ConsentProvider
from privacy.models import ContactIdentifier
from privacy.services import retention_sweep

def _link_by_number(self, ids):
    phones = ContactIdentifier.objects.filter(contact_id__in=ids, kind="phone", customer__isnull=False)
    for model, field in ((InboundMessage, "from_number"), (SmsSubscription, "phone")):
        match = phones.filter(customer_id=OuterRef("customer_id"), match_key=OuterRef(field))
        model.objects.filter(contact__isnull=True).filter(Exists(match)).update(
            contact_id=Subquery(match.values("contact_id")[:1])
        )

ConsentProvider._link_by_number = _link_by_number
started = time.perf_counter()
report = retention_sweep(actor=None)
print("WHATIF", report.erased, time.perf_counter() - started)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--interactions-per-contact", type=int, default=3)
    parser.add_argument("--baseline-subjects", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--reuse", action="store_true", help="Reuse a seeded database.")
    parser.add_argument(
        "--what-if-set-based-consent-link",
        action="store_true",
        help="Sweep with consent's _link_by_number made set-based (see WHAT_IF).",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args()

    created = c.create_database(DB, reuse=args.reuse)
    try:
        if created:
            seed = c.seed(DB, "--contacts", str(args.contacts),
                          "--interactions-per-contact", str(args.interactions_per_contact))  # fmt: skip
            print(seed.stdout.strip())
        due = c.manage(DB, "retention_sweep", "--dry-run")
        due_total = int(re.search(r"Total: would erase (\d+)", due.stdout).group(1))
        interactions = c.sql(DB, "SELECT count(*) FROM privacy_interaction")[0][0]

        base = c.shell(DB, BASELINE.format(n=args.baseline_subjects))
        _, base_n, base_s = re.search(r"BASELINE (\d+) ([\d.]+)", base.stdout).group(0).split()
        base_rate = int(base_n) / float(base_s)

        sweep_args = ["retention_sweep"] + (
            ["--batch-size", str(args.batch_size)] if args.batch_size else []
        )
        if args.what_if_set_based_consent_link:
            sweep = c.shell(DB, WHAT_IF, timeout=3 * 3600)
            _, erased, seconds = re.search(r"WHATIF .*", sweep.stdout).group(0).split()
            erased, rate = int(erased), int(erased) / float(seconds)
        else:
            sweep = c.manage(DB, *sweep_args, timeout=3 * 3600)
            print(sweep.stdout.strip())
            erased = int(re.search(r"Total: erased (\d+)", sweep.stdout).group(1))
            rate = erased / sweep.seconds
        left = c.sql(DB, "SELECT count(*) FROM privacy_interaction")[0][0]
        c.report(
            "retention_sweep",
            command=(
                "retention_sweep() with consent's _link_by_number made set-based (what-if, "
                "patched in the benchmark process only)"
                if args.what_if_set_based_consent_link
                else "manage.py retention_sweep"
                + (f" --batch-size {args.batch_size}" if args.batch_size else "")
            ),
            scale=f"{args.contacts:,} contacts, {interactions:,} interactions, {due_total:,} due "
            f"(bench.seed privacy --contacts {args.contacts} --interactions-per-contact {args.interactions_per_contact})",
            figures={
                "erased": erased,
                "seconds_wall_incl_startup": round(sweep.seconds, 1),
                "rate_measured_on": "in-process time"
                if args.what_if_set_based_consent_link
                else "wall time incl. startup",
                "subjects_per_s": f"{rate:,.0f}",
                "peak_rss_mb": round(sweep.max_rss_mb),
                "interactions_before_after": f"{interactions:,} -> {left:,} (calls kept de-identified)",
            },
            baseline={"contact_erase_one_by_one_per_s": f"{base_rate:,.0f} ({base_n} subjects)"},
            ratio=f"{rate / base_rate:.1f}x one-by-one erasure",
            target=">= 2,000 subjects/s and peak RSS < 300 MB",
            met=rate >= 2000 and sweep.max_rss_mb < 300,
        )
    finally:
        if not args.keep:
            c.drop_database(DB)


if __name__ == "__main__":
    main()
