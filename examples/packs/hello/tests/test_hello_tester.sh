#!/usr/bin/env bash
# The example C pack through the command line: baton validate and baton
# test find its activities on BATON_PACK_PATH and run them; without the
# pack the runbook names the unknown type; a pack that cannot be loaded is
# a warning naming it and why.
source "${BATON_SOURCE_DIR:-$(dirname "$0")/../../../..}/tests/e2e/lib.sh"

RB=$SRC/examples/packs/hello/tests/hello.runbook.yaml
export BATON_PACK_PATH=$BUILD/packs

run_baton "$SCRATCH/v" validate "$RB"
[[ $RC -eq 0 ]] && pass "validate with the pack" || fail "validate with the pack" "$(cat "$SCRATCH/v.err")"

run_baton "$SCRATCH/t" test --json "$RB"
if [[ $RC -eq 0 ]] && python3 - "$SCRATCH/t.out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
acts = doc["activities"]
greets = sorted(r["rows"][0]["greeting"] for r in acts if r["id"] == "greet")
words = [r["rows"][0]["words"] for r in acts if r["id"] == "count"]
assert greets == ["Hello, ann!", "Hello, bob!"], greets
assert words == ["2", "2"], words
PY
then pass "baton test runs the pack's activities"
else fail "baton test runs the pack's activities" "$(cat "$SCRATCH/t.out" "$SCRATCH/t.err")"
fi

run_baton "$SCRATCH/a" activities
run_baton "$SCRATCH/a1" activities hello/count-words
if grep -q "^hello/greet  *hello " "$SCRATCH/a.out" && grep -q "text .*required" "$SCRATCH/a1.out" &&
    grep -q "publishes:.* words pid" "$SCRATCH/a1.out"; then
    pass "baton activities lists and shows the pack's activities"
else
    fail "baton activities lists and shows the pack's activities" "$(cat "$SCRATCH/a.out" "$SCRATCH/a1.out" "$SCRATCH/a1.err")"
fi

BATON_PACK_PATH=$SCRATCH/none run_baton "$SCRATCH/n" validate "$RB"
[[ $RC -eq 2 ]] && grep -q "hello/split" "$SCRATCH/n.err" \
    && pass "without the pack the type is unknown" \
    || fail "without the pack the type is unknown" "$(cat "$SCRATCH/n.err")"

BROKEN=$SCRATCH/packs/broken
mkdir -p "$BROKEN"
printf 'name: broken\nversion: 3.1\nabi: 7\nlibrary: broken.so\nactivities: [x]\n' >"$BROKEN/pack.yaml"
BATON_PACK_PATH=$SCRATCH/packs:$BUILD/packs run_baton "$SCRATCH/b" test "$RB"
if [[ $RC -eq 0 ]] && grep -q "warning: pack .*broken/pack.yaml not loaded: pack 'broken' 3.1: built for pack ABI 7" "$SCRATCH/b.err"; then
    pass "a pack that cannot load is named with the reason"
else
    fail "a pack that cannot load is named with the reason" "$(cat "$SCRATCH/b.err")"
fi

finish
