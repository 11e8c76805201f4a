"""Shared plumbing of the benchmarks: one PostgreSQL database per benchmark, commands
run in a subprocess (so peak RSS is the command's own), and a uniform report.

Every benchmark creates (or, with --reuse, keeps) its own database ``pbo_bench_<name>``
on the server of ``BENCH_PG`` (default postgres://postgres@127.0.0.1:5432) and drops it
at the end unless --keep is given."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
RESULTS = ROOT / "bench" / "results"  # git-ignored


def database_url(name: str) -> str:
    return f"{SERVER}/{name}"


def django_env(name: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL=database_url(name),
        CELERY_BROKER_URL="memory://",
        LOG_LEVEL="WARNING",
        PYTHONWARNINGS="ignore",
        **extra,
    )
    return env


def create_database(name: str, *, reuse: bool) -> bool:
    """Create and migrate the benchmark's database; returns True if it was created."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reuse:
            return False
        if exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    manage(name, "migrate", "-v0")
    return True


def drop_database(name: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sql(name: str, query: str, params=None):
    with psycopg.connect(database_url(name), autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else None


@dataclass
class Run:
    command: str
    seconds: float
    max_rss_mb: float
    stdout: str
    stderr: str
    returncode: int


def run(args: list[str], *, env: dict[str, str], check: bool = True, timeout: float = 3600) -> Run:
    """Run a command; its wall time and its peak RSS (GNU time's %M: the process
    itself, not worker processes it may start)."""
    rss_file = tempfile.NamedTemporaryFile(prefix="pbo_bench_rss_", delete=False)  # noqa: SIM115
    rss_file.close()
    started = time.perf_counter()
    proc = subprocess.Popen(
        ["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        raise SystemExit(f"Timed out after {timeout}s: {shlex.join(args)}") from None
    seconds = time.perf_counter() - started
    rss_text = Path(rss_file.name).read_text().strip().splitlines()
    os.unlink(rss_file.name)
    max_rss = int(rss_text[-1]) / 1024 if rss_text and rss_text[-1].isdigit() else float("nan")
    result = Run(shlex.join(args), seconds, max_rss, stdout, stderr, proc.returncode)
    if check and proc.returncode != 0:
        sys.stderr.write(stdout + stderr)
        raise SystemExit(f"Failed ({proc.returncode}): {result.command}")
    return result


def manage(name: str, *args: str, check: bool = True, timeout: float = 3600, **extra) -> Run:
    return run([PYTHON, "manage.py", *args], env=django_env(name, **extra), check=check,
               timeout=timeout)  # fmt: skip


def seed(name: str, *args: str, check: bool = True, timeout: float = 3600, **extra) -> Run:
    """``python -m bench.seed privacy ...`` against the benchmark's database."""
    return run([PYTHON, "-m", "bench.seed", "privacy", *args], env=django_env(name, **extra),
               check=check, timeout=timeout)  # fmt: skip


def shell(name: str, code: str, **kwargs) -> Run:
    return manage(name, "shell", "-c", code, **kwargs)


def machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
        f"load average now {load}"
    )


def report(name: str, *, command: str, scale: str, figures: dict, baseline: dict,
           ratio: str, target: str, met: bool | None) -> None:  # fmt: skip
    """Print the result and append it (JSON line) to bench/results/<name>.jsonl."""
    lines = [
        f"== {name} ==",
        f"date:     {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"machine:  {machine()} (shared with other engineers' test runs)",
        f"command:  {command}",
        f"scale:    {scale}",
        "figures:  " + ", ".join(f"{k}={v}" for k, v in figures.items()),
        "baseline: " + ", ".join(f"{k}={v}" for k, v in baseline.items()),
        f"ratio:    {ratio}",
        f"target:   {target} -> {'MET' if met else 'MISSED' if met is False else 'n/a'}",
    ]
    print("\n".join(lines), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    with (RESULTS / f"{name}.jsonl").open("a") as out:
        out.write(json.dumps({"name": name, "at": dt.datetime.now(dt.UTC).isoformat(),
                              "command": command, "scale": scale, "figures": figures,
                              "baseline": baseline, "ratio": ratio, "target": target,
                              "met": met}) + "\n")  # fmt: skip
