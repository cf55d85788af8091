#!/usr/bin/env bash
# Deploying packs through the management server, as real processes: batond
# (all roles, SQLite) and baton pack register / list / show / upgrade /
# remove. A registered C pack and a command-line pack are loaded by the
# runbook server (its status says so), a runbook using them is checked in
# and runs; a pack built for another ABI is refused at upload; a pack
# that the runbook server cannot load is reported with the reason (its
# status and an event); an upgrade is loaded; a removed pack is gone.
source "${BATON_SOURCE_DIR:-$(dirname "$0")/../../..}/tests/e2e/lib.sh"

BATOND=$BUILD/batond
[[ -x $BATOND ]] || { echo "no batond at $BATOND" >&2; exit 2; }
[[ -f $BUILD/packs/hello/hello.so ]] || { echo "no $BUILD/packs/hello" >&2; exit 2; }
export BATON_ADMIN_PASSWORD=e2e-packs-pw BATON_USER=admin BATON_PASSWORD=e2e-packs-pw
unset BATON_TOKEN BATON_PACK_PATH
export XDG_CONFIG_HOME=$SCRATCH/config

PID= PID2=
cleanup() {
    [[ -n $PID2 ]] && kill -KILL "$PID2" 2>/dev/null && wait "$PID2" 2>/dev/null
    if [[ -n $PID ]] && kill -TERM "$PID" 2>/dev/null; then
        for ((i = 0; i < 100; i++)); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$PID" 2>/dev/null
        wait "$PID" 2>/dev/null
    fi
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

read -r WEB CONSOLE MGMT WEB2 < <(free_ports 4)
DATA=$SCRATCH/data
"$BATOND" --data-dir "$DATA" --bind 127.0.0.1 --web-port "$WEB" \
    --console-port "$CONSOLE" --mgmt-port "$MGMT" --name rbA \
    >"$SCRATCH/batond.log" 2>&1 &
PID=$!
wait_batond "$SCRATCH/batond.log" "$PID" || { cat "$SCRATCH/batond.log"; echo "batond did not start" >&2; exit 1; }
export BATON_URL=http://127.0.0.1:$WEB BATON_MGMT_URL=http://127.0.0.1:$MGMT
O=$SCRATCH/o

# A second batond with the web role only, on the same database: no runbook
# server heartbeat there, so its own timer must pick up what is registered.
"$BATOND" --data-dir "$DATA" --bind 127.0.0.1 --roles web --web-port "$WEB2" \
    >"$SCRATCH/batond2.log" 2>&1 &
PID2=$!
wait_batond "$SCRATCH/batond2.log" "$PID2" || { cat "$SCRATCH/batond2.log"; echo "web-only batond did not start" >&2; exit 1; }

# wait_pack NAME VERSION LOADED(true|false): polls the pack's status on
# rbA (the runbook server syncs at each heartbeat).
wait_pack() {
    for ((i = 0; i < 150; i++)); do
        "$BATON" pack show "$1" --json >"$O.wait.out" 2>/dev/null
        python3 - "$O.wait.out" "$2" "$3" 2>/dev/null <<'PY' && return 0
import json, sys
doc = json.load(open(sys.argv[1]))
s = [x for x in doc.get("servers", []) if x["server"] == "rbA"]
assert s and s[0]["version"] == sys.argv[2] and s[0]["current"]
assert s[0]["loaded"] == (sys.argv[3] == "true")
PY
        sleep 0.2
    done
    return 1
}

run_baton "$O.l0" pack list
[[ $RC -eq 0 ]] && grep -q "no packs are registered" "$O.l0.out" && pass "no packs at first" || fail "empty list" "$(cat "$O.l0.out" "$O.l0.err")"

run_baton "$O.r1" pack register "$BUILD/packs/hello"
[[ $RC -eq 0 ]] && grep -q "pack hello 1.0.0 (c)" "$O.r1.out" && pass "register a C pack (directory)" || fail "register hello" "$(cat "$O.r1.out" "$O.r1.err")"
run_baton "$O.r2" pack register "$SRC/examples/packs/sysinfo/pack.yaml"
[[ $RC -eq 0 ]] && pass "register a command-line pack (its pack.yaml)" || fail "register sysinfo" "$(cat "$O.r2.out" "$O.r2.err")"
wait_pack hello 1.0.0 true && pass "the runbook server loaded hello" || fail "hello not loaded" "$(cat "$O.wait.out")"
wait_pack sysinfo 1.0.0 true && pass "the runbook server loaded sysinfo" || fail "sysinfo not loaded" "$(cat "$O.wait.out")"

# The web-only process lists the pack's activities (the designer's palette)
# without a restart: it re-reads the registered packs every 10 s.
seen=
for ((i = 0; i < 300; i++)); do
    curl -s -u "admin:$BATON_PASSWORD" "http://127.0.0.1:$WEB2/api/activity-types" >"$O.types2.json"
    grep -q '"hello/greet"' "$O.types2.json" && { seen=1; break; }
    sleep 0.2
done
[[ -n $seen ]] && pass "a web-only batond picks up a pack registered elsewhere" || fail "web-only types" "$(head -c 300 "$O.types2.json"; cat "$SCRATCH/batond2.log")"

run_baton "$O.r3" pack register "$BUILD/packs/hello"
[[ $RC -eq 3 ]] && grep -q "registered already" "$O.r3.err" && pass "registering twice is a conflict (exit 3)" || fail "register twice rc $RC" "$(cat "$O.r3.err")"

W=$(fresh_dir work)
cat >"$W/greet.runbook.yaml" <<'YAML'
name: Greet
folder: /
activities:
  - {id: user, type: sysinfo/user-info, properties: {user: root}}
  - {id: greet, type: hello/greet, properties: {name: "{user.home}"}}
  - {id: done, type: return-data, properties: {out: "{greet.greeting}"}}
links:
  - {from: user, to: greet}
  - {from: greet, to: done}
returns: [out]
YAML
run_baton "$O.ci" checkin "$W/greet.runbook.yaml" -m "uses packs"
[[ $RC -eq 0 ]] && pass "a runbook using pack activities is checked in" || fail "checkin" "$(cat "$O.ci.out" "$O.ci.err")"
run_baton "$O.job" start /Greet --wait 60 --json
check_json "the runbook runs the packs' activities" "$O.job.out" <<'PY'
assert doc["status"] == "completed", doc
assert doc["return_data"]["out"] == "Hello, /root!", doc["return_data"]
PY

# Refused at upload: another ABI.
mkdir -p "$W/newabi" && cp "$BUILD/packs/hello/hello.so" "$W/newabi/"
sed -e 's/^abi: 1/abi: 2/' -e '/^checksum/d' "$BUILD/packs/hello/pack.yaml" >"$W/newabi/pack.yaml"
run_baton "$O.abi" pack upgrade "$W/newabi"
[[ $RC -eq 2 || $RC -eq 1 ]] && grep -q "pack 'hello' 1.0.0: built for pack ABI 2, but this Baton supports pack ABI 1" "$O.abi.err" &&
    pass "a pack for another ABI is refused at upload, naming both" || fail "abi rc $RC" "$(cat "$O.abi.err")"

# Accepted at upload, but the runbook server cannot load it: the manifest
# says 1.1.0, the library is 1.0.0.
mkdir -p "$W/bad" && cp "$BUILD/packs/hello/hello.so" "$W/bad/"
sed -e 's/^version: 1.0.0/version: 1.1.0/' "$BUILD/packs/hello/pack.yaml" >"$W/bad/pack.yaml"
run_baton "$O.bad" pack upgrade "$W/bad"
[[ $RC -eq 0 ]] && pass "upgrade to a pack that will not load is stored" || fail "bad upgrade rc $RC" "$(cat "$O.bad.err")"
wait_pack hello 1.1.0 false && pass "the runbook server reports it cannot load it" || fail "bad status" "$(cat "$O.wait.out")"
grep -q "the manifest and the library disagree" "$O.wait.out" && pass "its status says why" || fail "why" "$(cat "$O.wait.out")"
run_baton "$O.pl" pack list
grep -q "NOT LOADED" "$O.pl.out" && pass "pack list shows NOT LOADED" || fail "list not loaded" "$(cat "$O.pl.out")"
run_baton "$O.sv" servers
grep -q "pack hello 1.1.0 NOT LOADED: .*disagree" "$O.sv.out" && pass "the server's status names the pack it cannot load" || fail "servers" "$(cat "$O.sv.out" "$O.sv.err")"
curl -s -u "admin:$BATON_PASSWORD" "$BATON_URL/api/events" >"$O.ev.json"
grep -q "runbook server rbA cannot load pack 'hello' 1.1.0" "$O.ev.json" && pass "an event names the server, pack and version" || fail "event" "$(head -c 2000 "$O.ev.json")"

# A good upgrade: the command-line pack's next version.
mkdir -p "$W/sysinfo2"
sed -e 's/^version: 1.0.0/version: 1.1.0/' "$SRC/examples/packs/sysinfo/pack.yaml" >"$W/sysinfo2/pack.yaml"
(cd "$W/sysinfo2" && tar cf ../sysinfo-1.1.0.tar pack.yaml)
run_baton "$O.up" pack upgrade "$W/sysinfo-1.1.0.tar"
[[ $RC -eq 0 ]] && grep -q "pack sysinfo 1.1.0" "$O.up.out" && pass "upgrade from a tar archive" || fail "upgrade" "$(cat "$O.up.out" "$O.up.err")"
wait_pack sysinfo 1.1.0 true && pass "the runbook server loaded the upgrade" || fail "upgrade not loaded" "$(cat "$O.wait.out")"

run_baton "$O.rm" pack remove sysinfo
[[ $RC -eq 0 ]] && grep -q "removed pack sysinfo" "$O.rm.out" && pass "remove" || fail "remove" "$(cat "$O.rm.out" "$O.rm.err")"
run_baton "$O.rm2" pack show sysinfo
[[ $RC -eq 4 ]] && pass "a removed pack is not found (exit 4)" || fail "show removed rc $RC" "$(cat "$O.rm2.err")"

BATON_USER= BATON_PASSWORD= run_baton "$O.noauth" pack register "$BUILD/packs/hello"
[[ $RC -eq 1 ]] && pass "registering needs credentials" || fail "noauth rc $RC" "$(cat "$O.noauth.err")"

finish
