#!/usr/bin/env bash
# The whole test suite: static checks (scripts/lint.sh), then the tests (unit, integration against loopback fake servers, CLI, AppTest, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The whole suite (no arguments) starts with the static checks; a targeted run (arguments) skips them.
if [ "$#" -eq 0 ]; then bash scripts/lint.sh; fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/python -m pytest -q "$@"
