# Shared by the end-to-end scripts: where baton is, a scratch directory,
# pass/fail counting and JSON assertions in python3.
#
# Run by CTest with BATON_SOURCE_DIR and BATON_BUILD_DIR set; by hand the
# defaults are the source tree two levels up and its build/ folder.
set -uo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=${BATON_SOURCE_DIR:-$(cd "$E2E_DIR/../.." && pwd)}
BUILD=${BATON_BUILD_DIR:-$SRC/build}
BATON=$BUILD/baton
if [[ ! -x $BATON ]]; then
    echo "no baton binary at $BATON (set BATON_BUILD_DIR)" >&2
    exit 2
fi
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 2; }

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/baton-e2e.XXXXXX")

# Processes a script started in the background (batond, helper servers):
# add their pids to BG_PIDS and the EXIT trap ends them, TERM first, KILL
# after 10 s.
BG_PIDS=()
stop_background() {
    local p
    for p in "${BG_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${BG_PIDS[@]}"; do
        for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    return 0
}
trap 'stop_background; rm -rf "$SCRATCH"' EXIT

PASSED=0
FAILED=0

pass() { PASSED=$((PASSED + 1)); echo "ok   $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1"; shift; [[ $# -gt 0 ]] && printf '     %s\n' "$@"; return 0; }

finish() {
    echo "$PASSED passed, $FAILED failed"
    [[ $FAILED -eq 0 ]]
}

# free_ports N: N free TCP ports on 127.0.0.1, on one line.
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# until_true LIMIT CMD...: runs CMD every 0.1 s until it succeeds, at most
# LIMIT*10 times (a slow CMD stretches the wait rather than shortening it).
until_true() {
    local limit=$1 i
    shift
    for ((i = 0; i < limit * 10; i++)); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

# wait_batond LOG PID [LIMIT]: waits until the batond PID logs that it is
# ready in LOG; 1 when it exits first or LIMIT seconds (30) go by.
wait_batond() {
    local log=$1 pid=$2 i
    for ((i = 0; i < ${3:-30} * 10; i++)); do
        grep -q 'batond ready' "$log" && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    grep -q 'batond ready' "$log"
}

# start_batond NAME ARGS...: batond ($BATOND, else the build's) in the
# background with its output in $SCRATCH/NAME.log, until it says it is
# ready (60 s); 1 when it exits or does not get ready.
start_batond() {
    local name=$1
    shift
    : >"$SCRATCH/$name.log"
    "${BATOND:-$BUILD/batond}" "$@" >>"$SCRATCH/$name.log" 2>&1 &
    BG_PIDS+=($!)
    wait_batond "$SCRATCH/$name.log" "${BG_PIDS[-1]}" 60
}

# start_all_roles NAME ARGS...: start_batond as a test's first step; when
# it does not come up, the step fails with the end of its log and the
# test ends there (nothing after it could pass).
start_all_roles() {
    if start_batond "$@"; then
        pass "batond starts with every role"
        return 0
    fi
    fail "batond starts with every role" "$(tail -5 "$SCRATCH/$1.log")"
    finish
    exit 1
}

# console_prereqs BROWSER MODULE: what a console browser test needs:
# batond built, the browser installed (else it skips, 77), and the npm
# MODULE that drives it in the build's console/node_modules (else it
# fails: the console was built without npm). Sets BATOND, NODE_MODULES.
console_prereqs() {
    BATOND=$BUILD/batond
    [[ -x $BATOND ]] || { echo "no batond at $BATOND" >&2; exit 2; }
    if [[ ! -x $1 ]]; then
        echo "SKIP: no $(basename "$1") at $1 (scripts/install-deps.sh test installs it)"
        exit 77
    fi
    NODE_MODULES=$BUILD/console/node_modules
    if [[ ! -d $NODE_MODULES/$2 ]]; then
        echo "FAIL: no $2 in $NODE_MODULES: the console was built without npm (see the build log)"
        exit 1
    fi
}

# run_driver SCRIPT: a browser test's node half; the ok/FAIL lines it
# prints count with this script's.
run_driver() {
    NODE_PATH=$NODE_MODULES node "$1" >"$SCRATCH/browser.out" 2>&1
    local rc=$?
    cat "$SCRATCH/browser.out"
    PASSED=$((PASSED + $(grep -c '^ok ' "$SCRATCH/browser.out")))
    FAILED=$((FAILED + $(grep -c '^FAIL ' "$SCRATCH/browser.out")))
    if [[ $rc != 0 ]] && ! grep -q '^FAIL ' "$SCRATCH/browser.out"; then
        fail "the browser driver ran to the end" "exit $rc"
    fi
}

# fresh_dir NAME: a new empty directory under the scratch directory.
fresh_dir() { mktemp -d "$SCRATCH/$1.XXXXXX"; }

# run_baton OUT_PREFIX ARGS...: runs baton, stdout to OUT_PREFIX.out,
# stderr to OUT_PREFIX.err; sets RC.
run_baton() {
    local out=$1
    shift
    "$BATON" "$@" >"$out.out" 2>"$out.err"
    RC=$?
}

# check_json NAME JSON_FILE <<'PY' ... PY
# Runs the python snippet on stdin with these in scope:
#   doc            the parsed document
#   recs(id)       the activity records of activity id, in finish order
#   rows(id)       every row of every record of id, concatenated
#   field(id, f)   field f of the first row of the first record of id
#   ret            the returned data (a dict)
#   results(id)    the result of each record of id
#   env            os.environ (the test exports what the snippet needs)
# Any failed assert (or exception) fails the test with its message.
check_json() {
    local name=$1 json=$2 msg
    if msg=$(python3 - "$json" 3<&0 <<'PY' 2>&1
import json, os, sys, traceback
path = sys.argv[1]
with open(path) as f:
    text = f.read()
try:
    doc = json.loads(text)
except ValueError as e:
    print("output is not JSON (%s): %.300s" % (e, text))
    sys.exit(1)
acts = doc.get("activities", [])
def recs(i): return [a for a in acts if a["id"] == i]
def rows(i): return [r for a in recs(i) for r in a["rows"]]
def field(i, f):
    rs = rows(i)
    assert rs, "activity %r has no rows" % i
    return rs[0].get(f)
def results(i): return [a["result"] for a in recs(i)]
ret = doc.get("returned", {})
env = os.environ
code = os.fdopen(3).read()
try:
    exec(compile(code, "<check>", "exec"))
except AssertionError as e:
    tb = [t for t in traceback.extract_tb(sys.exc_info()[2])
          if t.filename == "<check>"][-1]
    src = code.splitlines()[tb.lineno - 1].strip()
    print("assertion failed: %s%s" % (src, " -- %s" % e if str(e) else ""))
    sys.exit(1)
except Exception as e:
    print("check raised %s: %s" % (type(e).__name__, e))
    sys.exit(1)
PY
    ); then
        pass "$name"
    else
        fail "$name" "$msg"
    fi
}
