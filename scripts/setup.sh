#!/usr/bin/env bash
# Create .venv and install evalharness with its test extras. Safe to re-run (a no-op when up to date).
# torch is installed first and pinned: the CPU wheel of 2.13.0 is on disk; an unpinned torch pulls a
# multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
# Progress goes to stderr: the first set-up installs ~2 GB and takes minutes; later ones only check.
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv (first run: installing torch and the dependencies takes a few minutes)" >&2
  "$PYTHON" -m venv .venv
fi
# pip's output is kept out of the way unless it fails; then all of it is shown.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
pip_install() {
  if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup: 'pip install $*' failed (output above)" >&2
    exit 1
  fi
}
echo "setup: checking .venv (pip, torch==2.13.0, evalharness and its test extras)…" >&2
pip_install --upgrade pip
pip_install "torch==2.13.0"
pip_install -e ".[test]"
echo "setup: .venv ready" >&2
