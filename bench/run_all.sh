#!/usr/bin/env bash
# Run every benchmark in turn (about 30-60 minutes on a 2-core machine; the admin import
# baseline at 100k rows is the longest). Each one creates its own database
# pbo_bench_<name> on $BENCH_PG (default postgres://postgres@127.0.0.1:5432) and drops it
# at the end; generated CSV files go to /tmp/pbo_bench. Results are printed and appended
# to bench/results/<name>.jsonl (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
$PY bench/bench_import.py --rows 1000000
$PY bench/bench_retention.py --contacts 1000000
$PY bench/bench_export.py --interactions 10000
$PY bench/bench_admin_changelist.py --contacts 1000000
$PY bench/bench_admin_import.py --rows 100000 --small-rows 10000
$PY bench/bench_evidence.py --events 10000
