#!/usr/bin/env bash
# The main job on the embedded default: bundled suites, bundled demo checkpoints, a local DuckDB file
# (evalharness.duckdb), no keys, no network. Prints a score table, then the gate's decision between the
# demo checkpoints (stoney-base as champion; stoney-v2, then stoney-v3-lora as candidates).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/evalharness run "$@"
# The gate's exit code is its decision: 0 advance, 1 revert (both are a decision made), 2 bad input, 3 incomplete.
status=0
.venv/bin/evalharness gate --champion stoney-base --candidate stoney-v2 --candidate stoney-v3-lora \
  --report-md gate-report.md --report-json gate-report.json || status=$?
if [ "$status" -gt 1 ]; then
  exit "$status"
fi
echo "Gate decision recorded (exit code $status); reports: gate-report.md, gate-report.json"
