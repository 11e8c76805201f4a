"""Consent benchmark (issue 3): the consent check API and the inbound STOP webhook against
a bare one-query Django view, all served by one gunicorn in one run, on PostgreSQL with
the data of ``python -m bench.seed consent`` (1M contacts, 5M consent events).

    .venv/bin/python bench/consent_bench.py --seed-db         # create, migrate, seed
    .venv/bin/python bench/consent_bench.py                   # measure (database kept)
    .venv/bin/python bench/consent_bench.py --drop            # drop the database

Phases (each bounded in time, loopback only):

1. max throughput, closed loop with ``wrk`` (Debian package): the baseline view
   ``GET /bench/baseline?id=N`` and the check ``GET /api/v1/consent/check`` alternately,
   ``--rounds`` times, then the STOP webhook ``POST /sms/inbound/`` (pre-signed requests,
   one unique MessageSid each, From over the seeded contacts);
2. latency at half the baseline's throughput, open loop (a constant-rate asyncio client
   here: requests are sent on a fixed schedule whatever the server does, and latency is
   counted from the scheduled time, so a stalled server cannot hide its queue);
3. durability: a sample of the STOP requests answered 200 is looked up in the database
   (inbound message logged, SMS marketing withdrawn at that sender by that MessageSid).

The machine has 2 cores shared by the load generator, gunicorn and PostgreSQL (and by
other engineers' work): the figures are a ratio measured in one run, not capacity.
Results: printed, and appended to bench/results/consent_bench.jsonl (git-ignored)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"  # git-ignored
DB = "pbo_bench_consent"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
HOST, PORT = "127.0.0.1", 8765
SENDERS = ["+14155550100", "+14155550101", "+14155550102"]
TWILIO_TOKEN = "bench-only-twilio-token"  # noqa: S105 (bench server only)
ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
    "DATABASE_URL": f"{PG}/{DB}",
    "DJANGO_SECRET_KEY": "bench-only-not-a-secret-0123456789abcdef0123456789",
    "SUPPRESSION_HMAC_KEYS": "bench=bench-only-suppression-key",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_DEBUG": "False",
    "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
    "LOG_LEVEL": "WARNING",
    "PYTHONWARNINGS": "ignore",
}


def env() -> dict[str, str]:
    return {**os.environ, **ENV}


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env(), check=True)


def seed(contacts: int) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    manage("migrate", "-v0")
    subprocess.run([sys.executable, "-m", "bench.seed", "consent", "--contacts", str(contacts),
                    "--key-file", str(RESULTS / "consent_api_key.txt"),
                    "--areas-file", str(RESULTS / "consent_areas.txt")],
                   cwd=ROOT, env=env(), check=True)  # fmt: skip


def drop() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')


def db(query: str, params=None):
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else None


# --- the server ------------------------------------------------------------------------


def server_start(workers: int, worker_class: str, threads: int) -> subprocess.Popen:
    log = open(RESULTS / "consent_gunicorn.log", "w")  # noqa: SIM115
    args = [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi:application",
            "--bind", f"{HOST}:{PORT}", "--workers", str(workers),
            "--worker-class", worker_class, "--threads", str(threads),
            "--timeout", "60", "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(args, cwd=ROOT, env=env(), stdout=log, stderr=log,
                            start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{PORT}/bench/baseline?id=1", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    server_stop(proc)
    raise SystemExit("gunicorn did not answer within 30 s (see bench/results/consent_gunicorn.log)")


def server_stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


# --- requests --------------------------------------------------------------------------


class Data:
    """What the load generators pick from: contact ids, numbers, the key."""

    def __init__(self) -> None:
        self.key = (RESULTS / "consent_api_key.txt").read_text().strip()
        self.areas = (RESULTS / "consent_areas.txt").read_text().split()
        (self.first_id, self.count) = db(
            "SELECT min(c.id), count(*) FROM privacy_contact c JOIN privacy_customer u "
            "ON u.id = c.customer_id WHERE u.slug = 'bench-consent'"
        )[0]

    def phone(self, g: int) -> str:
        return f"+1{self.areas[g // 10_000]}555{g % 10_000:04d}"

    def sender(self, g: int) -> str:
        # The seed signs contact id i up at SENDERS[i % 3]; ids follow g in order.
        return SENDERS[(self.first_id + g) % 3]

    def check_path(self, g: int) -> str:
        query = urllib.parse.urlencode({"channel": "sms", "purpose": "sms_marketing",
                                        "to": self.phone(g), "sender": self.sender(g)})  # fmt: skip
        return f"/api/v1/consent/check?{query}"


def signed_stops(data: Data, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(signature, urlencoded body) pairs: STOP from a random seeded contact to its
    sender, each with a new MessageSid, signed as Twilio would sign them."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TWILIO_TOKEN)
    url = f"http://{HOST}:{PORT}/sms/inbound/"
    out = []
    for _ in range(count):
        g = rng.randrange(data.count)
        params = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": "ACbench",
                  "From": data.phone(g), "To": data.sender(g),
                  "Body": rng.choice(["STOP", "STOP", "stop", "Stop."])}  # fmt: skip
        out.append((validator.compute_signature(url, params), urllib.parse.urlencode(params)))
    return out


# --- CPU accounting ---------------------------------------------------------------------
# The machine is shared, so req/s move with other people's load. The CPU time the server
# side spends per request (gunicorn workers + this database's PostgreSQL backends) does
# not, and its ratio is what the throughput ratio would be on a machine of our own.

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


class CpuMeter:
    """CPU seconds of the gunicorn master's workers and of this database's backends."""

    def __init__(self, master: int) -> None:
        self.master = master

    def sample(self) -> dict[str, dict[int, float]]:
        backends = db("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                      "AND pid <> pg_backend_pid()", [DB])  # fmt: skip
        return {
            "gunicorn": {pid: _cpu_seconds(pid) for pid in _children(self.master)},
            "postgres": {row[0]: _cpu_seconds(row[0]) for row in backends},
        }

    @staticmethod
    def delta(before: dict, after: dict) -> dict[str, float]:
        return {
            side: sum(cpu - before[side].get(pid, 0.0) for pid, cpu in after[side].items())
            for side in after
        }


# --- closed loop: wrk ------------------------------------------------------------------

LUA_BASELINE = """
math.randomseed(%(seed)d)
function request()
  local id = %(first_id)d + math.random(0, %(count)d - 1)
  return wrk.format("GET", "/bench/baseline?id=" .. id)
end
"""

LUA_CHECK = """
math.randomseed(%(seed)d)
local areas = {%(areas)s}
local senders = {"%%2B14155550100", "%%2B14155550101", "%%2B14155550102"}
local headers = {["Authorization"] = "Bearer %(key)s"}
function request()
  local g = math.random(0, %(count)d - 1)
  local to = "%%2B1" .. areas[math.floor(g / 10000) + 1] .. "555" .. string.format("%%04d", g %% 10000)
  local sender = senders[((%(first_id)d + g) %% 3) + 1]
  return wrk.format("GET", "/api/v1/consent/check?channel=sms&purpose=sms_marketing&to=" .. to .. "&sender=" .. sender, headers)
end
"""

LUA_WEBHOOK = """
local lines = {}
local i = 0
for line in io.lines("%(file)s") do lines[#lines + 1] = line end
function request()
  i = i + 1
  if i > #lines then i = 1 end  -- never reached in a bounded run (checked: Non-2xx)
  local sig, body = lines[i]:match("^([^\\t]+)\\t(.*)$")
  return wrk.format("POST", "/sms/inbound/", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = sig}, body)
end
"""


def wrk(name: str, lua: str, seconds: int, connections: int, cpu: CpuMeter | None = None) -> dict:
    script = RESULTS / f"consent_{name}.lua"
    before = cpu.sample() if cpu else {}
    script.write_text(lua)
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency",
           "-s", str(script), f"http://{HOST}:{PORT}"]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    pct = dict(re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+\w+)", out, re.M))
    split = CpuMeter.delta(before, cpu.sample()) if cpu and total else {}
    per_request = {side: round(sec / total * 1000, 3) for side, sec in split.items()}
    server_cpu_ms = round(sum(per_request.values()), 3) if split else None
    return {"server_cpu_ms_per_request": server_cpu_ms, "cpu_ms_split": per_request,"rps": rps, "requests": total, "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(1) if errors else "", "latency": pct,
            "command": " ".join([*cmd[:-3], "-s", script.name, cmd[-1]])}  # fmt: skip


# --- open loop: constant rate ------------------------------------------------------------


async def _one(request: bytes, timeout: float) -> int:
    reader, writer = await asyncio.open_connection(HOST, PORT)
    try:
        writer.write(request)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), timeout)  # the server closes
    finally:
        writer.close()
    return int(data[9:12]) if data.startswith(b"HTTP/1.") else 0


async def _open_loop(requests: list[bytes], rate: float, max_in_flight: int) -> dict:
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    lags: list[float] = []
    statuses: dict[int, int] = {}
    slots = asyncio.Semaphore(max_in_flight)

    answered: list[int] = []

    async def send(k: int, request: bytes, scheduled: float) -> None:
        lags.append(loop.time() - scheduled)
        async with slots:  # a full client still counts the wait: open loop
            try:
                status = await _one(request, 10.0)
            except (OSError, TimeoutError):
                status = -1
        latencies.append(loop.time() - scheduled)
        statuses[status] = statuses.get(status, 0) + 1
        if status == 200:
            answered.append(k)

    start = loop.time() + 0.2
    tasks = []
    for k, request in enumerate(requests):
        scheduled = start + k / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(k, request, scheduled)))
    await asyncio.wait(tasks, timeout=30)
    elapsed = loop.time() - start
    latencies.sort()
    ms = [x * 1000 for x in latencies]

    def q(p: float) -> float:
        return round(ms[min(len(ms) - 1, int(p * len(ms)))], 2) if ms else float("nan")

    return {"target_rps": round(rate, 1), "sent": len(requests),
            "completed": len(latencies), "achieved_rps": round(len(latencies) / elapsed, 1),
            "statuses": statuses, "p50_ms": q(0.50), "p90_ms": q(0.90), "p99_ms": q(0.99),
            "max_ms": round(ms[-1], 2) if ms else None,
            "client_lag_p99_ms": round(sorted(lags)[int(0.99 * len(lags))] * 1000, 2),
            "_answered": answered}  # fmt: skip


def open_loop(requests: list[bytes], rate: float) -> dict:
    return asyncio.run(_open_loop(requests, rate, max_in_flight=64))


def http_get(path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{PORT}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def http_post_form(path: str, body: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {HOST}:{PORT}", "Connection: close",
             "Content-Type: application/x-www-form-urlencoded",
             f"Content-Length: {len(body.encode())}"]  # fmt: skip
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


# --- durability ------------------------------------------------------------------------


def verify_stops(stops: list[tuple[str, str]], sample: int, rng: random.Random) -> dict:
    """Each sampled STOP that was sent: logged, and SMS marketing at its sender withdrawn
    by that very message (the ledger event's reference) — committed before the reply."""
    picked = rng.sample(stops, min(sample, len(stops)))
    sids = [urllib.parse.parse_qs(body)["MessageSid"][0] for _, body in picked]
    rows = db(
        """
        SELECT m.message_sid, m.outcome,
               EXISTS (SELECT 1 FROM consent_consentevent e JOIN consent_purpose p
                         ON p.id = e.purpose_id AND p.code = 'sms_marketing'
                        WHERE e.reference = m.message_sid AND e.action = 'withdraw'
                          AND e.contact_id = m.contact_id AND e.sender = m.sender),
               (SELECT s.is_granted FROM consent_consentstate s JOIN consent_purpose p
                  ON p.id = s.purpose_id AND p.code = 'sms_marketing'
                 WHERE s.contact_id = m.contact_id AND s.identifier = m.from_number
                   AND s.sender = m.sender)
          FROM consent_inboundmessage m WHERE m.message_sid = ANY(%s)
        """,
        [sids],
    )
    durable = sum(1 for _, outcome, event, granted in rows
                  if outcome == "opted_out" and event and granted is False)  # fmt: skip
    return {"sampled": len(sids), "found": len(rows), "durable_opt_outs": durable}


# --- the run ---------------------------------------------------------------------------


def counts() -> dict[str, int]:
    tables = {"contacts": "privacy_contact", "identifiers": "privacy_contactidentifier",
              "consent_events": "consent_consentevent", "consent_states": "consent_consentstate",
              "sms_subscriptions": "consent_smssubscription",
              "suppressions": "privacy_suppression", "inbound_messages": "consent_inboundmessage"}  # fmt: skip
    return {k: db(f"SELECT count(*) FROM {t}")[0][0] for k, t in tables.items()}


def measure(args) -> dict:
    rng = random.Random(args.seed)
    data = Data()
    scale = counts()
    load_before = os.getloadavg()
    stop_sent = int(args.max_rps * args.seconds) + 1000  # wrk's share; the rest: open loop
    stops = signed_stops(data, stop_sent + int(args.max_rps * args.seconds) + 2000, rng)
    areas = ", ".join(f'"{a}"' for a in data.areas)
    lua_base = LUA_BASELINE % {"seed": args.seed, "first_id": data.first_id,
                                            "count": data.count}  # fmt: skip
    lua_check = LUA_CHECK % {"seed": args.seed, "first_id": data.first_id,
                                          "count": data.count, "areas": areas, "key": data.key}  # fmt: skip

    proc = server_start(args.workers, args.worker_class, args.threads)
    cpu = CpuMeter(proc.pid)
    result: dict = {}
    try:
        # Warm-up (not recorded): every worker resolves the key, PostgreSQL's cache fills.
        wrk("baseline", lua_base, 5, args.connections)
        wrk("check", lua_check, 5, args.connections)

        rounds = []
        for i in range(args.rounds):
            # Alternate the order, so a drift in other people's load does not favour one.
            if i % 2 == 0:
                base = wrk("baseline", lua_base, args.seconds, args.connections, cpu)
                check = wrk("check", lua_check, args.seconds, args.connections, cpu)
            else:
                check = wrk("check", lua_check, args.seconds, args.connections, cpu)
                base = wrk("baseline", lua_base, args.seconds, args.connections, cpu)
            rounds.append({"baseline": base, "check": check,
                           "ratio": round(check["rps"] / base["rps"], 3),
                           "cpu_ratio": round(base["server_cpu_ms_per_request"]
                                              / check["server_cpu_ms_per_request"], 3)})  # fmt: skip
        base_rps = statistics.median(r["baseline"]["rps"] for r in rounds)
        check_rps = statistics.median(r["check"]["rps"] for r in rounds)
        base_cpu = statistics.median(r["baseline"]["server_cpu_ms_per_request"] for r in rounds)
        check_cpu = statistics.median(r["check"]["server_cpu_ms_per_request"] for r in rounds)
        best_ratio = max(r["check"]["rps"] for r in rounds) / max(
            r["baseline"]["rps"] for r in rounds
        )
        median_round_ratio = statistics.median(r["ratio"] for r in rounds)

        head = RESULTS / "consent_stops_wrk.tsv"
        head.write_text("".join(f"{s}\t{b}\n" for s, b in stops[:stop_sent]))
        webhook_lua = LUA_WEBHOOK % {"file": str(head)}
        webhook = wrk("webhook", webhook_lua, args.seconds, args.connections, cpu)
        if webhook["requests"] > stop_sent:
            webhook["note"] = "more requests than pre-signed STOPs: raise --max-rps"

        half = base_rps / 2
        n = int(half * args.seconds)
        auth = {"Authorization": f"Bearer {data.key}"}
        check_reqs = [http_get(data.check_path(rng.randrange(data.count)), auth)
                      for _ in range(n)]  # fmt: skip
        check_open = open_loop(check_reqs, half)
        open_stops = stops[stop_sent : stop_sent + n]
        stop_reqs = [http_post_form("/sms/inbound/", b, {"X-Twilio-Signature": s})
                     for s, b in open_stops]  # fmt: skip
        webhook_open = (
            open_loop(stop_reqs, half)
            if len(open_stops) == n
            else {"error": "not enough pre-signed STOPs"}
        )
        # Also at half of each endpoint's own measured maximum: the latency of a server
        # that is not overloaded, when half the baseline is beyond what it can serve.
        own = check_rps / 2
        check_own = open_loop([http_get(data.check_path(rng.randrange(data.count)), auth)
                               for _ in range(int(own * args.seconds))], own)  # fmt: skip
        own_w = webhook["rps"] / 2
        own_stops = stops[stop_sent + n : stop_sent + n + int(own_w * args.seconds)]
        webhook_own = open_loop([http_post_form("/sms/inbound/", b, {"X-Twilio-Signature": s})
                                 for s, b in own_stops], own_w)  # fmt: skip
        # Only STOPs answered 200 (an overloaded run leaves some never served).
        answered = stops[: max(0, webhook["requests"] - args.connections)]
        for sent, phase in ((open_stops, webhook_open), (own_stops, webhook_own)):
            answered += [sent[k] for k in phase.get("_answered", [])]
        for phase in (check_open, webhook_open, check_own, webhook_own):
            phase.pop("_answered", None)
        durability = verify_stops(answered, 200, rng)
    finally:
        server_stop(proc)

    result = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores (shared by wrk/client, gunicorn, PostgreSQL)",
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "server": f"gunicorn config.wsgi:application --workers {args.workers} "
        f"--worker-class {args.worker_class} --threads {args.threads} (bench.settings_bench = "
        "config.settings.production + baseline URL; psycopg pool min 2 max 10 per worker)",
        "scale": scale,
        "rounds": rounds,
        "baseline_rps": round(base_rps, 1),
        "check_rps": round(check_rps, 1),
        "check_ratio": round(check_rps / base_rps, 3),
        "check_ratio_median_of_rounds": round(median_round_ratio, 3),
        "check_ratio_best_vs_best": round(best_ratio, 3),
        "webhook": webhook,
        "webhook_ratio": round(webhook["rps"] / base_rps, 3),
        "baseline_cpu_ms": round(base_cpu, 3),
        "check_cpu_ms": round(check_cpu, 3),
        "check_cpu_ratio": round(base_cpu / check_cpu, 3),
        "webhook_cpu_ratio": round(base_cpu / webhook["server_cpu_ms_per_request"], 3),
        "check_open_loop": check_open,
        "webhook_open_loop": webhook_open,
        "check_open_loop_half_own_max": check_own,
        "webhook_open_loop_half_own_max": webhook_own,
        "durability": durability,
    }
    return result


def summary(r: dict) -> str:
    lines = [
        f"date {r['date']}; {r['machine']}; load {r['load_average_before']} -> "
        f"{r['load_average_after']}",
        f"server: {r['server']}",
        "scale: " + ", ".join(f"{k}={v:,}" for k, v in r["scale"].items()),
    ]
    for i, rd in enumerate(r["rounds"], 1):
        lines.append(
            f"round {i}: baseline {rd['baseline']['rps']:.0f} req/s (p50 "
            f"{rd['baseline']['latency'].get('50')}, p99 {rd['baseline']['latency'].get('99')}), "
            f"check {rd['check']['rps']:.0f} req/s (p50 {rd['check']['latency'].get('50')}, "
            f"p99 {rd['check']['latency'].get('99')}), ratio {rd['ratio']}; non-2xx "
            f"{rd['baseline']['non_2xx']}/{rd['check']['non_2xx']}; server CPU/request "
            f"{rd['baseline']['server_cpu_ms_per_request']} / "
            f"{rd['check']['server_cpu_ms_per_request']} ms, CPU ratio {rd['cpu_ratio']}"
        )
    w = r["webhook"]
    lines += [
        f"check ratio (median rps / median rps): {r['check_ratio']}; median of round ratios "
        f"{r['check_ratio_median_of_rounds']}; best vs best {r['check_ratio_best_vs_best']} "
        f"(target >= 0.7); CPU-cost ratio "
        f"{r['check_cpu_ratio']} ({r['baseline_cpu_ms']} vs {r['check_cpu_ms']} ms/request)",
        f"webhook: {w['rps']:.0f} req/s (p50 {w['latency'].get('50')}, p99 "
        f"{w['latency'].get('99')}), non-2xx {w['non_2xx']}; ratio {r['webhook_ratio']}; "
        f"server CPU {w['server_cpu_ms_per_request']} ms/request, CPU ratio "
        f"{r['webhook_cpu_ratio']}",
        "server CPU ms/request by side (last round): baseline "
        f"{r['rounds'][-1]['baseline']['cpu_ms_split']}, check "
        f"{r['rounds'][-1]['check']['cpu_ms_split']}, webhook {w['cpu_ms_split']}",
        f"check open loop: {json.dumps(r['check_open_loop'])}",
        f"webhook open loop: {json.dumps(r['webhook_open_loop'])}",
        f"check open loop at half its own max: {json.dumps(r['check_open_loop_half_own_max'])}",
        f"webhook open loop at half its own max: {json.dumps(r['webhook_open_loop_half_own_max'])}",
        f"durability: {json.dumps(r['durability'])}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed-db", dest="seed_db", action="store_true",
                        help="(Re)create, migrate and seed the database first.")  # fmt: skip
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--drop", action="store_true", help="Drop the database and stop.")
    parser.add_argument("--seconds", type=int, default=15, help="Per measured phase.")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-rps", type=float, default=3000,
                        help="Upper bound of any throughput, to pre-sign enough STOPs.")  # fmt: skip
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.drop:
        drop()
        return
    if shutil.which("wrk") is None:
        raise SystemExit("Needs wrk, the HTTP load generator: apt-get install -y wrk")
    if args.seed_db:
        seed(args.contacts)
    result = measure(args)
    print(summary(result), flush=True)
    with (RESULTS / "consent_bench.jsonl").open("a") as out:
        out.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
