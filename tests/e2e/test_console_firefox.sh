#!/usr/bin/env bash
# The Orchestration console in Firefox: batond with every role on free
# loopback ports, Debian's firefox-esr driven headless over WebDriver BiDi
# by puppeteer-core (console/firefox.cjs). Skips (77) only when
# firefox-esr is not installed; without puppeteer-core it fails.
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$E2E_DIR/lib.sh"

FIREFOX=${BATON_FIREFOX:-/usr/bin/firefox-esr}
console_prereqs "$FIREFOX" puppeteer-core
echo "     ($("$FIREFOX" --version 2>/dev/null))"

ADMIN_PW=console-e2e-password
export BATON_ADMIN_PASSWORD=$ADMIN_PW
unset BATON_TOKEN BATON_USER BATON_PASSWORD

read -r WEB CONSOLE MGMT CONSOLE2 DEAD < <(free_ports 5)
start_all_roles batond --data-dir "$SCRATCH/data" --bind 127.0.0.1 --web-port "$WEB" \
    --console-port "$CONSOLE" --mgmt-port "$MGMT" --name rb-firefox \
    --samples-dir "$E2E_DIR/console"

# A console whose web service and management server are down (web_url and
# mgmt_url name a closed port)
if start_batond down --data-dir "$SCRATCH/data-down" --bind 127.0.0.1 --roles console \
    --console-port "$CONSOLE2" --web-url "http://127.0.0.1:$DEAD" \
    --mgmt-url "http://127.0.0.1:$DEAD"; then
    pass "a console-only batond starts with its web service down"
else
    fail "a console-only batond starts with its web service down" "$(tail -5 "$SCRATCH/down.log")"
fi

# A runbook that sends a platform event, for the events page to show live
python3 - "$SCRATCH/notify.json" <<'PY'
import json, sys
yaml = """name: Notify
folder: /Console
parameters:
  - {name: summary, type: string, required: true}
activities:
  - {id: start, type: initialize-data}
  - {id: tell, type: send-platform-event, properties: {summary: "{start.summary}", severity: warning}}
links:
  - {from: start, to: tell}
"""
json.dump({"yaml": yaml, "comment": "sends an event"}, open(sys.argv[1], "w"))
PY
code=$(curl -s -o "$SCRATCH/api.out" -w '%{http_code}' -u "admin:$ADMIN_PW" -X POST \
    -H 'Content-Type: application/json' --data "@$SCRATCH/notify.json" \
    "http://127.0.0.1:$MGMT/api/runbook/checkin")
if [[ $code == 201 ]]; then
    pass "a runbook that sends an event checked in"
else
    fail "a runbook that sends an event checked in" "HTTP $code" "$(cat "$SCRATCH/api.out")"
fi

# Firefox keeps its profile and caches under HOME: a scratch one, so the
# test needs no home directory and leaves nothing behind.
mkdir -p "$SCRATCH/home"
export HOME=$SCRATCH/home XDG_CACHE_HOME=$SCRATCH/home/.cache
export CONSOLE_URL=http://127.0.0.1:$CONSOLE/ WEB_URL=http://127.0.0.1:$WEB ADMIN_PW FIREFOX
export DOWN_URL=http://127.0.0.1:$CONSOLE2/ DEAD_URL=http://127.0.0.1:$DEAD
export SHOTS=${BATON_CONSOLE_SHOTS:-$SCRATCH/shots}
mkdir -p "$SHOTS"
run_driver "$E2E_DIR/console/firefox.cjs"
if [[ $FAILED != 0 ]]; then
    echo "     batond's log:"
    tail -20 "$SCRATCH/batond.log" | sed 's/^/     /'
fi
finish
