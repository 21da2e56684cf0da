#!/usr/bin/env bash
# The whole test suite (unit, integration against loopback fake servers, CLI, AppTest, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/python -m pytest -q "$@"
