#!/usr/bin/env bash
# Static checks of the library: ruff (lint + format) and mypy (files and settings: pyproject.toml), with the versions pinned in pyproject.toml.
# Fix what ruff can with: .venv/bin/ruff check --fix evalharness && .venv/bin/ruff format evalharness
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/ruff ] || bash scripts/setup.sh
.venv/bin/ruff check evalharness
.venv/bin/ruff format --check evalharness
.venv/bin/mypy
