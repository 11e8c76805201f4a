"""Benchmark (d): the contact admin changelist at 1M contacts: queries per page, time,
and that no query counts the whole table.

Baseline in the same run, same database: a plain ``admin.ModelAdmin`` for Contact with
Django's defaults (full COUNT(*) for the paginator and for "N total").

    .venv/bin/python bench/bench_admin_changelist.py --contacts 1000000
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

DB = "pbo_bench_admin"

MEASURE = r"""
import json, re, time
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from privacy.models import Contact, ContactIdentifier

User = get_user_model()
user, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_staff": True, "is_superuser": True})
client = Client()
client.force_login(user)
phone = ContactIdentifier.objects.filter(kind="phone").order_by("pk").values_list("value", flat=True)[500]
email = ContactIdentifier.objects.filter(kind="email").order_by("pk").values_list("value", flat=True)[700]
national = f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}"
FULL_COUNT = re.compile(r'SELECT COUNT\(\*\) (AS "__count" )?FROM "privacy_contact"(?! WHERE)(?!.*LIMIT)', re.S)

def full_counts(queries):
    return sum(1 for q in queries if FULL_COUNT.search(q["sql"]) and " WHERE " not in q["sql"])

def measure(label, get):
    get()  # warm up (first request loads templates and the session)
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        status = get()
        seconds = time.perf_counter() - started
    return {"label": label, "status": status, "queries": len(ctx.captured_queries),
            "full_counts": full_counts(ctx.captured_queries), "ms": round(seconds * 1000)}

url = "/admin/privacy/contact/"
results = [
    measure("page 1", lambda: client.get(url).status_code),
    measure("page 3", lambda: client.get(url, {"p": "3"}).status_code),
    measure("search phone (national format)", lambda: client.get(url, {"q": national}).status_code),
    measure("search e-mail (upper case)", lambda: client.get(url, {"q": email.upper()}).status_code),
    measure("filter kind=prospect", lambda: client.get(url, {"kind__exact": "prospect"}).status_code),
]
found = client.get(url, {"q": national}).content.decode()
results[2]["found_contact"] = "1 contact" in found or "result" in found

# Baseline: Django's defaults on the same model and data.
site = admin.AdminSite(name="bench_default")
default_admin = admin.ModelAdmin(Contact, site)
factory = RequestFactory()
def default_page():
    request = factory.get(url)
    request.user = user
    response = default_admin.changelist_view(request)
    response.render()
    return response.status_code
results.append(measure("baseline: default ModelAdmin page 1", default_page))
print("RESULTS " + json.dumps(results))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    created = c.create_database(DB, reuse=args.reuse)
    try:
        if created:
            c.seed(DB, "--contacts", str(args.contacts), "--interactions-per-contact", "0")
        # The admin test client's host is "testserver".
        run = c.shell(DB, MEASURE, DJANGO_ALLOWED_HOSTS="testserver,localhost")
        results = json.loads(re.search(r"RESULTS (.*)", run.stdout).group(1))
        ours = results[:-1]
        base = results[-1]
        for r in results:
            print(r)
        c.report(
            "admin_contact_changelist",
            command="GET /admin/privacy/contact/ with the admin test client, CaptureQueriesContext (after one warm-up request)",
            scale=f"{args.contacts:,} contacts (bench.seed privacy --contacts {args.contacts} --interactions-per-contact 0)",
            figures={
                r[
                    "label"
                ]: f"{r['queries']} queries, {r['full_counts']} full COUNT, {r['ms']} ms, HTTP {r['status']}"
                for r in ours
            },
            baseline={
                base[
                    "label"
                ]: f"{base['queries']} queries, {base['full_counts']} full COUNT, {base['ms']} ms"
            },
            ratio=f"page 1: {base['ms'] / max(ours[0]['ms'], 1):.0f}x faster than the default admin",
            target="bounded queries per page, no full COUNT(*)",
            met=all(r["full_counts"] == 0 and r["status"] == 200 for r in ours)
            and len({r["queries"] for r in ours[:2]}) == 1,
        )
    finally:
        if not args.keep:
            c.drop_database(DB)


if __name__ == "__main__":
    main()
