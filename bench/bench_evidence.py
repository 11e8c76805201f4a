"""Benchmark: the consent evidence pack of one number with 10k ledger events
(``consent.selectors.consent_evidence_pack``; target < 1 s), among a background of
contacts, with the texts behind every keyword event.

Baseline in the same run: a bare ``.values()`` read of the same ledger rows (what the
pack cannot go below), so the ratio is the pack's own cost (contacts, notices, inbound
texts, subscriptions, state, suppression, quiet hours, check answers). The PDF and
JSON renderings of the same pack are timed too (reported, not part of the target).

    .venv/bin/python bench/bench_evidence.py --events 10000
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

DB = "pbo_bench_evidence"

# One contact of a customer gets n ledger events on its number, alternating grant and
# withdrawal across the two SMS purposes and two senders; every fifth is a keyword event
# with its inbound text (same MessageSid). Inserted in SQL, as the ledger's own INSERT.
SETUP = """
from django.db import connection
from consent.models import Notice, Purpose
from privacy.models import Contact, ContactIdentifier
contact = Contact.objects.filter(customer__isnull=False).order_by("pk").first()
phone = ContactIdentifier.objects.get(contact=contact, kind="phone", is_primary=True).match_key
marketing = Purpose.objects.get(code="sms_marketing")
informational = Purpose.objects.get(code="sms_informational")
notice = Notice.objects.get(purpose=marketing, version=1)
with connection.cursor() as cursor:
    cursor.execute('''
        INSERT INTO consent_consentevent (customer_id, contact_id, purpose_id, action, identifier,
            identifier_hmac, sender, occurred_at, recorded_at, method, notice_id, ip_address,
            user_agent, page_url, source, reference, parental_consent_method,
            parental_consent_reference)
        SELECT %(customer)s, %(contact)s,
               CASE WHEN i %% 2 = 0 THEN %(marketing)s ELSE %(informational)s END,
               CASE WHEN i %% 4 < 2 THEN 'grant' ELSE 'withdraw' END, %(phone)s, '',
               CASE WHEN i %% 3 = 0 THEN '+12125550100' ELSE '+12125550101' END,
               %(published)s + i * interval '1 second', %(published)s + i * interval '1 second',
               CASE WHEN i %% 5 = 0 THEN 'sms_keyword' ELSE 'web_form' END,
               CASE WHEN i %% 4 < 2 AND i %% 2 = 0 THEN %(notice)s END,
               ('198.51.100.' || (1 + i %% 250))::inet, 'Mozilla/5.0 (bench)',
               'https://www.example.com/signup', 'bench', 'SMbench' || lpad(i::text, 12, '0'), '', ''
        FROM generate_series(1, %(n)s) i''',
        {"customer": contact.customer_id, "contact": contact.pk, "marketing": marketing.pk,
         "informational": informational.pk, "phone": phone, "notice": notice.pk,
         "published": notice.published_at, "n": {n}})
    cursor.execute('''
        INSERT INTO consent_inboundmessage (message_sid, account_sid, customer_id, contact_id,
            sender, from_number, from_hmac, body, keyword, outcome, reply, received_at)
        SELECT 'SMbench' || lpad(i::text, 12, '0'), 'ACbench', %(customer)s, %(contact)s,
               '+12125550100', %(phone)s, '',
               CASE WHEN i %% 4 < 2 THEN 'START' ELSE 'STOP' END,
               CASE WHEN i %% 4 < 2 THEN 'start' ELSE 'stop' END,
               CASE WHEN i %% 4 < 2 THEN 'rejoined' ELSE 'opted_out' END, '',
               %(published)s + i * interval '1 second'
        FROM generate_series(5, %(n)s, 5) i''',
        {"customer": contact.customer_id, "contact": contact.pk, "phone": phone,
         "published": notice.published_at, "n": {n}})
    cursor.execute("ANALYZE consent_consentevent")
    cursor.execute("ANALYZE consent_inboundmessage")
print("PHONE", phone)
"""

MEASURE = """
import json, time
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from consent.evidence_pdf import evidence_pack_pdf
from consent.models import ConsentEvent
from consent.selectors import consent_evidence_pack, evidence_pack_as_dict
from privacy.models import ContactIdentifier
phone = "{phone}"
holders = list(ContactIdentifier.objects.filter(kind="phone", match_key=phone).values_list("contact_id", flat=True))
# Warm the connection and the per-worker caches once, as a running server would be.
consent_evidence_pack(kind="phone", identifier=phone)
raw, packs, pdfs, jsons = [], [], [], []
for attempt in range({runs}):
    started = time.perf_counter()
    rows = list(ConsentEvent.objects.filter(contact_id__in=holders, identifier=phone).order_by("occurred_at", "id").values())
    raw.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        pack = consent_evidence_pack(kind="phone", identifier=phone)
        packs.append(time.perf_counter() - started)
    started = time.perf_counter()
    pdf = evidence_pack_pdf(pack, generated_by="bench")
    pdfs.append(time.perf_counter() - started)
    started = time.perf_counter()
    body = json.dumps(evidence_pack_as_dict(pack), default=str)
    jsons.append(time.perf_counter() - started)
fmt = lambda xs: ",".join(f"{{x:.3f}}" for x in xs)
print("RESULT", len(rows), len(pack.events), len(pack.inbound), len(queries), fmt(raw), fmt(packs), fmt(pdfs), fmt(jsons), len(pdf), len(body))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--background-contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a database kept by --keep (no seeding)"
    )
    args = parser.parse_args()
    load_before = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    created = c.create_database(DB, reuse=args.reuse)
    try:
        if created:
            c.seed(DB, "--contacts", str(args.background_contacts))
            setup = c.shell(DB, SETUP.replace("{n}", str(args.events))).stdout
            phone = re.search(r"PHONE (\S+)", setup).group(1)
        else:
            phone = c.sql(
                DB, "SELECT identifier FROM consent_consentevent WHERE source = 'bench' LIMIT 1"
            )[0][0]
        run = c.shell(DB, MEASURE.format(phone=phone, runs=args.runs), timeout=1200)
        fields = re.search(r"RESULT .*", run.stdout).group(0).split()[1:]
        rows, events, inbound, queries = (int(x) for x in fields[:4])
        raw, pack, pdf, jsons = ([float(x) for x in f.split(",")] for f in fields[4:8])
        pdf_bytes, json_bytes = fields[8:10]
        c.report(
            "evidence_pack",
            command=f"consent.selectors.consent_evidence_pack(kind='phone', identifier=...) ({args.runs} runs after one warm-up)",
            scale=f"1 number with {events} ledger events and {inbound} inbound texts, among {args.background_contacts:,} contacts (bench.seed privacy)",
            figures={
                "pack_seconds_runs": "/".join(f"{x:.3f}" for x in pack),
                "pack_seconds_median": f"{statistics.median(pack):.3f}",
                "pack_seconds_worst": f"{max(pack):.3f}",
                "queries": queries,
                "pdf_seconds_median": f"{statistics.median(pdf):.3f}",
                "pdf_bytes": pdf_bytes,
                "json_seconds_median": f"{statistics.median(jsons):.3f}",
                "json_bytes": json_bytes,
                "peak_rss_mb_whole_process": round(run.max_rss_mb),
                "load_before": load_before,
                "load_after": ", ".join(f"{x:.1f}" for x in os.getloadavg()),
            },
            baseline={
                "bare_values_read_seconds_median": f"{statistics.median(raw):.3f}",
                "rows": rows,
            },
            ratio=f"{statistics.median(pack) / statistics.median(raw):.1f}x a bare read of the same ledger rows",
            target="< 1 s (pack build)",
            met=max(pack) < 1.0,
        )
    finally:
        if not args.keep:
            c.drop_database(DB)


if __name__ == "__main__":
    main()
