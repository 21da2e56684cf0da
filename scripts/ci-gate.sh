#!/usr/bin/env bash
# The gate step of .github/workflows/gate-checkpoint.yml: gate every checkpoint manifest listed in FILE
# against the champion recorded in the team store (EVALHARNESS_DB, from the repository secret).
#
# usage: bash scripts/ci-gate.sh CHANGED_MANIFESTS_FILE [--record]
# Exit: the most serious outcome over all manifests — 2 bad input (including "no champion recorded": CI never
# lets a checkpoint advance without a comparison) and 3 incomplete outrank 1 revert, which outranks 0 advance.
set -uo pipefail
changed="${1:?usage: ci-gate.sh CHANGED_MANIFESTS_FILE [--record]}"
record="${2:-}"
if [ -z "${EVALHARNESS_DB:-}" ]; then
  echo "::error title=gate::no store: set the repository secret EVALHARNESS_STORE_URL to the team store's" \
       "postgresql:// URL (docs/store.md, 'A team store for CI')" >&2
  exit 2
fi
mkdir -p gate-reports
worst=0
while read -r manifest; do
  [ -n "$manifest" ] || continue
  name=$(basename "$manifest" .toml)
  args=(--candidate "$manifest" --require-champion --report-md "gate-reports/$name.md"
        --report-json "gate-reports/$name.json")
  if [ "$record" = "--record" ]; then args+=(--record); fi
  evalharness gate "${args[@]}"   # appends its Markdown report to $GITHUB_STEP_SUMMARY
  code=$?
  echo "::notice title=gate $name::exit code $code (0 advance, 1 revert, 2 bad input, 3 incomplete)"
  if [ "$code" -eq 2 ] || [ "$code" -eq 3 ]; then
    if [ "$worst" -ne 2 ]; then worst=$code; fi
  elif [ "$worst" -eq 0 ]; then
    worst=$code
  fi
done < "$changed"
exit "$worst"
