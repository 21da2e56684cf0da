#!/usr/bin/env bash
# The main job on the embedded default: bundled suites, bundled demo checkpoints, a local DuckDB file
# (evalharness.duckdb), no keys, no network. Prints a score table, then the gate's decisions between the
# demo checkpoints, ending with a short verdict (the full reports: gate-report.md, gate-report.json).
#
# The demo records its champion (`gate --record`), so what it says about "the champion" is what
# `evalharness champion show` and the dashboard say: on a store with no champion yet, stoney-base is the
# starting champion; on later runs the candidates meet the champion the store holds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/evalharness run "$@"
champion=(--champion stoney-base)
if [ "$(.venv/bin/evalharness champion show --json)" != "null" ]; then
  champion=()
fi
# The gate's exit code is its decision: 0 advance, 1 revert (both are a decision made), 2 bad input, 3 incomplete.
status=0
.venv/bin/evalharness gate --record "${champion[@]}" --candidate stoney-v2 --candidate stoney-v3-lora \
  --report-md gate-report.md --report-json gate-report.json || status=$?
if [ "$status" -gt 1 ]; then
  exit "$status"
fi
