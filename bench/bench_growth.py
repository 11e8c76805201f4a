"""Growth (issue 13, item 4): the per-request cost of the consent check and of the STOP
webhook at the current size of the consent benchmark's database, beside the B-tree depth
of the indexes they probe. Run it at 1M contacts, seed a bigger database beside it and
run it there, and compare: the cost may grow no faster than the depth.

    BENCH_CONSENT_DB=pbo_bench_consent_10m \
        .venv/bin/python bench/consent_bench.py --seed-db --seed-only --contacts 10000000
    .venv/bin/python bench/bench_growth.py --n 300                    # pbo_bench_consent
    BENCH_CONSENT_DB=pbo_bench_consent_10m .venv/bin/python bench/bench_growth.py --n 300

In one process (no HTTP, so the figures are the application's and PostgreSQL's own):
the check by ``consent.selectors.consent_check`` and the STOP by a signed POST through
Django's test client (every middleware), each --n times on random seeded contacts;
Python CPU and this backend's CPU per request, and the shared buffers one check's
statement touches (EXPLAIN ANALYZE BUFFERS of its prepared query). Needs the consent
benchmark's environment (bench/consent_bench.py ENV) and the pageinspect extension.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import consent_bench as cb  # noqa: E402

INDEXES = [
    "consentstate_unique_contact",
    "identifier_unique_per_customer",
    "consentevent_contact_time",
    "inbound_message_sid_unique",
    "smssubscription_phone",
]

MEASURE = r"""
import json, os, random, time, urllib.parse, uuid
from django.conf import settings
from django.db import connection
from django.test import Client
from twilio.request_validator import RequestValidator
from bench.consent_numbers import phone as numbering_phone, read_blocks
from consent.selectors import consent_check

n = int(os.environ["GROWTH_N"])
rng = random.Random(int(os.environ["GROWTH_SEED"]))
areas = read_blocks(os.environ["GROWTH_AREAS"])
senders = ["+14155550100", "+14155550101", "+14155550102"]
with connection.cursor() as c:
    c.execute("SELECT u.id, min(c.id), count(*) FROM privacy_contact c JOIN privacy_customer u "
              "ON u.id = c.customer_id WHERE u.slug = 'bench-consent' GROUP BY u.id")
    customer_id, first_id, count = c.fetchone()
    c.execute("SELECT pg_backend_pid()")
    pid = c.fetchone()[0]
def pg_cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
def phone(g):
    return numbering_phone(areas, g)
def check(g):
    return consent_check(customer_id=customer_id, channel="sms", purpose_code="sms_marketing",
                         to=phone(g), sender=senders[(first_id + g) % 3])
validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
client = Client()
def stop(g):
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": "ACbench", "From": phone(g),
              "To": senders[(first_id + g) % 3], "Body": "STOP"}
    sig = validator.compute_signature("http://testserver/sms/inbound/", params)
    r = client.post("/sms/inbound/", urllib.parse.urlencode(params),
                    content_type="application/x-www-form-urlencoded", HTTP_X_TWILIO_SIGNATURE=sig)
    assert r.status_code == 200, r.status_code
out = {"contacts": count}
for name, fn in (("check", check), ("stop", stop)):
    for g in (rng.randrange(count) for _ in range(50)):
        fn(g)  # warm: prepared statements, caches
    rounds = []
    for _ in range(3):
        gs = [rng.randrange(count) for _ in range(n)]
        c0, p0, w0 = time.process_time(), pg_cpu(), time.perf_counter()
        for g in gs:
            fn(g)
        rounds.append({"python_cpu_ms": (time.process_time() - c0) / n * 1000,
                       "pg_cpu_ms": (pg_cpu() - p0) / n * 1000,
                       "wall_ms": (time.perf_counter() - w0) / n * 1000})
    out[name] = rounds
# The buffers of the check's statement for a few numbers (EXPLAIN of its SQL).
from consent.selectors import check as check_module
from django.test.utils import CaptureQueriesContext
buffers = []
for g in (rng.randrange(count) for _ in range(20)):
    with CaptureQueriesContext(connection) as q:
        check(g)
    sql = [x["sql"] for x in q.captured_queries if x["sql"].startswith("EXECUTE")]
    if sql:
        with connection.cursor() as c:
            c.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql[-1])
            plan = c.fetchone()[0][0]["Plan"]
            buffers.append(plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0))
out["check_statement_buffers"] = buffers
print("GROWTH", json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    load_before = [round(x, 1) for x in os.getloadavg()]
    cb.db("CREATE EXTENSION IF NOT EXISTS pageinspect")
    depth = {
        name: cb.db("SELECT level FROM bt_metap(%s)", [name])[0][0] + 1 for name in INDEXES
    }  # bt_metap's level counts from 0 at the leaves: depth = level + 1
    sizes = cb.db(
        "SELECT relname, reltuples::bigint FROM pg_class WHERE relname IN "
        "('privacy_contact', 'consent_consentevent', 'consent_consentstate', "
        "'consent_smssubscription', 'privacy_contactidentifier')"
    )
    env = {**cb.env(), "GROWTH_N": str(args.n), "GROWTH_SEED": str(args.seed),
           "GROWTH_AREAS": str(cb.AREAS_FILE),
           "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1"}  # fmt: skip
    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", MEASURE],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    line = next((x for x in run.stdout.splitlines() if x.startswith("GROWTH ")), None)
    if line is None:
        sys.stderr.write(run.stdout + run.stderr)
        raise SystemExit("measurement failed")
    out = json.loads(line[len("GROWTH ") :])
    summary = {
        "database": cb.DB,
        "rows": dict(sizes),
        "btree_depth": depth,
        "load_before": load_before,
        "load_after": [round(x, 1) for x in os.getloadavg()],
    }
    for name in ("check", "stop"):
        rounds = out[name]
        summary[name] = {
            key: [round(r[key], 3) for r in rounds]
            + [round(statistics.median(r[key] for r in rounds), 3)]
            for key in ("python_cpu_ms", "pg_cpu_ms", "wall_ms")
        }
    summary["check_statement_buffers_median"] = statistics.median(out["check_statement_buffers"])
    print(json.dumps(summary, indent=1))
    cb.RESULTS.mkdir(parents=True, exist_ok=True)
    with (cb.RESULTS / "growth.jsonl").open("a") as handle:
        handle.write(json.dumps(summary) + "\n")


if __name__ == "__main__":
    main()
