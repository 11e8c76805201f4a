"""Benchmark (c): access export (``privacy.services.contact_export``) of one contact
with 10k interactions, into a temporary file.

Baseline in the same run: reading the same rows with a bare ``.values()`` query (what
the export cannot go below), so the ratio is the export's own overhead (JSON + CSV +
zip).

    .venv/bin/python bench/bench_export.py --interactions 10000
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

DB = "pbo_bench_export"

SETUP = """
from django.db import connection
from privacy.models import Contact
contact = Contact.objects.filter(customer__isnull=False).order_by("pk").first()
with connection.cursor() as cursor:
    cursor.execute('''
        INSERT INTO privacy_interaction (contact_id, customer_id, channel, direction, occurred_at,
            from_number, to_number, duration_seconds, body, recording_ref, ip_address, user_agent)
        SELECT %s, %s, (ARRAY['sms','call','web_form','email'])[1 + i %% 4],
               CASE WHEN i %% 2 = 0 THEN 'inbound' ELSE 'outbound' END,
               now() - i * interval '1 hour', '+14155550101', '+14155550100',
               CASE WHEN i %% 4 = 1 THEN 60 + i %% 600 END,
               'Message number ' || i || ': is my appointment still on for Tuesday? Please call back.',
               CASE WHEN i %% 4 = 1 THEN 'rec/' || i || '.mp3' END,
               CASE WHEN i %% 4 = 2 THEN '203.0.113.7'::inet END,
               CASE WHEN i %% 4 = 2 THEN 'Mozilla/5.0 (bench)' END
        FROM generate_series(1, %s) i''', [contact.pk, contact.customer_id, {n}])
    cursor.execute("ANALYZE privacy_interaction")
print("CONTACT", contact.pk)
"""

MEASURE = """
import tempfile, time, os
from privacy.models import Contact, Interaction
from privacy.providers import INTERACTION_FIELDS
from privacy.services import contact_export
contact = Contact.objects.get(pk={pk})
# Warm the connection and the caches once, as a running server would be.
list(Interaction.objects.filter(contact=contact).values("id")[:1])
best_raw = best_export = 1e9
for attempt in range(3):
    started = time.perf_counter()
    rows = sum(1 for _ in Interaction.objects.filter(contact=contact).order_by("-occurred_at", "-id").values(*INTERACTION_FIELDS).iterator(chunk_size=2000))
    best_raw = min(best_raw, time.perf_counter() - started)
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        counts = contact_export(actor=None, contact=contact, destination=out, via="bench")
        best_export = min(best_export, time.perf_counter() - started)
        size = out.tell()
print("RESULT", rows, counts.get("privacy.interaction/interactions"), round(best_raw, 3), round(best_export, 3), size)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interactions", type=int, default=10_000)
    parser.add_argument("--background-contacts", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    c.create_database(DB, reuse=False)
    try:
        c.seed(DB, "--contacts", str(args.background_contacts))
        pk = re.search(
            r"CONTACT (\d+)", c.shell(DB, SETUP.format(n=args.interactions)).stdout
        ).group(1)
        run = c.shell(DB, MEASURE.format(pk=pk))
        _, rows, exported, raw, export, size = re.search(r"RESULT .*", run.stdout).group(0).split()
        c.report(
            "contact_export",
            command="privacy.services.contact_export(actor=None, contact=..., destination=<temp file>) (best of 3)",
            scale=f"1 contact with {rows} interactions among {args.background_contacts:,} contacts (bench.seed privacy)",
            figures={
                "export_seconds": export,
                "zip_bytes": size,
                "interactions_exported": exported,
                "peak_rss_mb_whole_process": round(run.max_rss_mb),
            },
            baseline={"bare_values_query_seconds": raw},
            ratio=f"{float(export) / float(raw):.1f}x a bare read of the same rows",
            target="< 2 s",
            met=float(export) < 2.0,
        )
    finally:
        if not args.keep:
            c.drop_database(DB)


if __name__ == "__main__":
    main()
