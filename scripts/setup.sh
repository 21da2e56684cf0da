#!/usr/bin/env bash
# Create .venv and install evalharness with its test extras. Safe to re-run (a no-op when up to date).
# torch is installed first and pinned: the CPU wheel of 2.13.0 is on disk; an unpinned torch pulls a
# multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# pip's notes about package folders this machine does not have are noise; its errors still show.
quiet_pip() {
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "$@" 2>&1 \
    | { grep -v -e "^WARNING: Location 'file://" -e "BuildBackendWarning" || true; }
}
quiet_pip --upgrade pip
quiet_pip "torch==2.13.0"
quiet_pip -e ".[test]"
