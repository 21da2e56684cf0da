#!/usr/bin/env bash
# The main job on the embedded default: bundled suites, bundled demo checkpoints, a local DuckDB file
# (evalharness.duckdb), no keys, no network. Prints a score table, then the gate's decision.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/evalharness run "$@"
