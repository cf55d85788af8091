#!/usr/bin/env bash
# Runs every bundled sample runbook with the Runbook Tester, with each
# sample's example parameters (a "# example: baton test ... --param" line).
set -uo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/baton-samples.XXXXXX)
trap 'rm -rf "$work"' EXIT
export BATON_SAMPLE_DIR="$work"
failed=0
for f in examples/*.runbook.yaml; do
    args=()
    while read -r p; do args+=(--param "${p//@WORK@/$work}"); done < <(sed -n 's/^# param: //p' "$f")
    echo "=== $f"
    if ! "$build/baton" test "$f" "${args[@]}"; then failed=$((failed + 1)); fi
    echo
done
echo "$(ls examples/*.runbook.yaml | wc -l) sample runbooks run, $failed failed"
