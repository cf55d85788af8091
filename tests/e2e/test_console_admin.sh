#!/usr/bin/env bash
# The console's administration and settings pages in a real browser:
# users, groups, folder rights and folders managed by an administrator, a
# user with view+start on one folder seeing only that, variables, counters
# and schedules edited and read back with the baton CLI, and a web service
# that answers slowly (a delaying proxy on 127.0.0.1). batond with every
# role on free loopback ports, Debian's chromium driven by playwright-core
# (console/admin.cjs). Skips (77) only when chromium is not installed.
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$E2E_DIR/lib.sh"

CHROMIUM=${BATON_CHROMIUM:-/usr/bin/chromium}
console_prereqs "$CHROMIUM" playwright-core

ADMIN_PW=console-admin-e2e
export BATON_ADMIN_PASSWORD=$ADMIN_PW
unset BATON_TOKEN BATON_USER BATON_PASSWORD



read -r WEB CONSOLE MGMT CONSOLE2 < <(free_ports 4)
start_all_roles all --data-dir "$SCRATCH/data" --bind 127.0.0.1 --web-port "$WEB" \
    --console-port "$CONSOLE" --mgmt-port "$MGMT" --name rb-admin \
    --samples-dir "$E2E_DIR/console" \
    --cors-origins "http://127.0.0.1:$CONSOLE,http://127.0.0.1:$CONSOLE2"

W=http://127.0.0.1:$WEB
M=http://127.0.0.1:$MGMT
api() { # api SERVICE_URL METHOD PATH [BODY]: as admin; prints the HTTP status
    curl -s -o "$SCRATCH/api.out" -w '%{http_code}' -u "admin:$ADMIN_PW" -X "$2" \
        -H 'Content-Type: application/json' ${4:+--data "$4"} "$1$3"
}
# A folder the new user must not see, a second user for a group, and
# settings the browser edits.
hidden='{"yaml": "name: Hidden\nfolder: /Other\nactivities:\n  - {id: start, type: initialize-data}\n", "comment": "not for carol"}'
codes="$(api "$M" POST /api/folders '{"path": "/Other"}')"
codes+=" $(api "$M" POST /api/runbook/checkin "$hidden")"
codes+=" $(api "$W" POST /api/users '{"name": "dave", "password": "dave-password-1"}')"
codes+=" $(api "$M" POST /api/variables '{"name": "colour", "value": "red"}')"
codes+=" $(api "$M" POST /api/variables '{"name": "db_password", "value": "enc-s3cret-XYZ", "encrypted": true}')"
codes+=" $(api "$M" POST /api/counters '{"name": "builds", "value": 1}')"
codes+=" $(api "$M" POST /api/schedules '{"name": "office", "definition": {}}')"
if [[ $codes == "201 201 201 201 201 201 201" ]]; then
    pass "a hidden folder, a second user and settings set up"
else
    fail "a hidden folder, a second user and settings set up" "HTTP codes: $codes" "$(cat "$SCRATCH/api.out")"
fi

# A web service that answers, but only after DELAY seconds (the list of
# completed jobs after LONG, under the console's 15 s limit, so the test
# has time to press Retry), and a console that talks to it (the management
# server is reached directly).
DELAY=5 LONG=11
python3 "$E2E_DIR/console/admin_slow_proxy.py" "$WEB" "$DELAY" "$SCRATCH/proxy.log" \
    status=completed "$LONG" >"$SCRATCH/proxy.port" &
BG_PIDS+=($!)
until_true 10 test -s "$SCRATCH/proxy.port"
PROXY=$(cat "$SCRATCH/proxy.port")
if start_batond slow --data-dir "$SCRATCH/data-slow" --bind 127.0.0.1 --roles console \
    --console-port "$CONSOLE2" --web-url "http://127.0.0.1:$PROXY" --mgmt-url "$M"; then
    pass "a console-only batond starts with a slow web service (a proxy holding answers ${DELAY} s)"
else
    fail "a console-only batond starts with a slow web service" "$(tail -5 "$SCRATCH/slow.log")"
fi

export CONSOLE_URL=http://127.0.0.1:$CONSOLE/ SLOW_URL=http://127.0.0.1:$CONSOLE2/
export WEB_URL=$W MGMT_URL=$M PROXY_URL=http://127.0.0.1:$PROXY PROXY_LOG=$SCRATCH/proxy.log DELAY LONG
export ADMIN_PW CHROMIUM BATON SHOTS=${BATON_CONSOLE_SHOTS:-$SCRATCH/shots}
mkdir -p "$SHOTS"
run_driver "$E2E_DIR/console/admin.cjs"

# What the browser did, seen from the server side: the audit history
# names admin for every change it made.
if BATON_MGMT_URL=$M BATON_USER=admin BATON_PASSWORD=$ADMIN_PW "$BATON" audit --json >"$SCRATCH/audit.json" &&
    python3 - "$SCRATCH/audit.json" <<'PY'
import json, sys
items = json.load(open(sys.argv[1]))["items"]
acts = {(i["who"], i["action"]) for i in items}
for a in ("folder.create", "folder.rename", "folder.move", "folder.delete", "variable.set",
          "variable.move", "variable.delete", "counter.set", "schedule.set"):
    assert ("admin", a) in acts, a
PY
then
    pass "the management server's audit history holds the console's changes, by admin"
else
    fail "the management server's audit history holds the console's changes, by admin" "$(head -c 600 "$SCRATCH/audit.json")"
fi
finish
