#!/usr/bin/env bash
# The Orchestration console in a real browser: batond with every role on
# free loopback ports, Debian's chromium driven by playwright-core
# (console/test.cjs). Skips (77) only when chromium is not installed.
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$E2E_DIR/lib.sh"

CHROMIUM=${BATON_CHROMIUM:-/usr/bin/chromium}
console_prereqs "$CHROMIUM" playwright-core

# The designer checks conditions as they are typed with model.js's copy of
# the loader's grammar: for each condition here it must say what
# `baton validate` says (the same sentence, or nothing).
mkdir -p "$SCRATCH/model"
cp "$SRC/console/src/model.js" "$SCRATCH/model/model.mjs"
ln -s "$NODE_MODULES" "$SCRATCH/model/node_modules"
if node --input-type=module -e '
import { spawnSync } from "child_process";
import fs from "fs";
const M = await import(process.argv[1] + "/model.mjs");
const conds = ["{a.status} == success", "{a.status} =! 0", "{a.status} == success and", "", "   ",
    "a is not empty", "a is b", "a is not", "not (a == b or c contains d)", "NOT a Starts With b", "a starts b",
    "a ends with", "(a == b", "a == b)", "a == \"x", "b == '\''x\\'\''", "a not foo", "a not equals b", "x and",
    "a == or", "a == \"or\"", "not not (a", "a <> ", "((((a))))", "a >= 1 and (b < 2 or c<>3)", "a = = b",
    "{a.status} matches \"^s\" or {a.status} not matches x", "a contains b c", "a !b", "\"unclosed", "a == b and or c"];
let bad = 0;
conds.forEach((c, i) => {
    const file = `${process.argv[1]}/c${i}.runbook.yaml`;
    fs.writeFileSync(file, `name: t\nactivities:\n  - {id: a, type: junction}\n  - {id: b, type: junction}\nlinks:\n  - from: a\n    to: b\n    when: ${JSON.stringify(c)}\n`);
    const out = spawnSync(process.argv[2], ["validate", file], { encoding: "utf8" });
    const text = out.stdout + out.stderr;
    const at = text.indexOf(`condition '\''${c}'\'': `);
    const loader = out.status === 0 ? null : at >= 0 ? text.slice(at + c.length + 14).split("\n")[0] : "(" + text.trim() + ")";
    const designer = M.conditionProblem(c);
    if (loader !== designer) {
        bad++;
        console.log(`${JSON.stringify(c)}:\n  loader:   ${loader}\n  designer: ${designer}`);
    }
});
process.exit(bad ? 1 : 0);
 ' "$SCRATCH/model" "$BUILD/baton" >"$SCRATCH/conditions.out" 2>&1; then
    pass "the designer's condition check says what the loader says"
else
    fail "the designer's condition check says what the loader says" "$(cat "$SCRATCH/conditions.out")"
fi

ADMIN_PW=console-e2e-password
export BATON_ADMIN_PASSWORD=$ADMIN_PW
unset BATON_TOKEN BATON_USER BATON_PASSWORD

read -r WEB CONSOLE MGMT DEAD CONSOLE2 CONSOLE3 < <(free_ports 6)
start_all_roles all --data-dir "$SCRATCH/data" --bind 127.0.0.1 --web-port "$WEB" \
    --console-port "$CONSOLE" --mgmt-port "$MGMT" --name rb-console \
    --samples-dir "$E2E_DIR/console"

# the console's own HTTP answers, before the browser
code=$(curl -s -o "$SCRATCH/index.html" -D "$SCRATCH/index.h" -w '%{http_code}' "http://127.0.0.1:$CONSOLE/")
if [[ $code == 200 ]] && grep -q '<title>Baton console</title>' "$SCRATCH/index.html" &&
    grep -qi '^content-security-policy:.*connect-src .*127.0.0.1:'"$WEB" "$SCRATCH/index.h" &&
    grep -qi '^cache-control: no-cache' "$SCRATCH/index.h"; then
    pass "GET / serves the page with a CSP naming the web service"
else
    fail "GET / serves the page with a CSP naming the web service" "HTTP $code" "$(cat "$SCRATCH/index.h")"
fi
asset=$(grep -o 'assets/app-[A-Z0-9]*\.js' "$SCRATCH/index.html" | head -1)
code=$(curl -s -o /dev/null -D "$SCRATCH/asset.h" -w '%{http_code}' "http://127.0.0.1:$CONSOLE/$asset")
etag=$(grep -i '^etag:' "$SCRATCH/asset.h" | cut -d' ' -f2 | tr -d '\r')
code304=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "http://127.0.0.1:$CONSOLE/$asset")
if [[ $code == 200 && $code304 == 304 ]] && grep -qi '^cache-control: public, max-age=31536000, immutable' "$SCRATCH/asset.h" &&
    grep -qi '^content-type: text/javascript' "$SCRATCH/asset.h"; then
    pass "the bundle is cached for good and revalidates with its ETag (304)"
else
    fail "the bundle is cached for good and revalidates with its ETag (304)" "$asset: HTTP $code then $code304" "$(cat "$SCRATCH/asset.h")"
fi
curl -s "http://127.0.0.1:$CONSOLE/config.json" >"$SCRATCH/config.json"
if python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert d['web_url'] == 'http://127.0.0.1:$WEB', d
assert d['mgmt_url'] == 'http://127.0.0.1:$MGMT', d
assert d['built'] is True, d
" "$SCRATCH/config.json"; then
    pass "/config.json names the web service and the management server"
else
    fail "/config.json names the web service and the management server" "$(cat "$SCRATCH/config.json")"
fi
c404=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CONSOLE/nope.js")
c405=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$CONSOLE/")
if [[ $c404 == 404 && $c405 == 405 ]]; then
    pass "unknown files are 404, other methods 405"
else
    fail "unknown files are 404, other methods 405" "got $c404 and $c405"
fi

# Other people: a viewer without the start right, and a second designer.
api() { # api SERVICE_URL METHOD PATH [BODY]: as admin; prints the HTTP status
    curl -s -o "$SCRATCH/api.out" -w '%{http_code}' -u "admin:$ADMIN_PW" -X "$2" \
        -H 'Content-Type: application/json' ${4:+--data "$4"} "$1$3"
}
W=http://127.0.0.1:$WEB
M=http://127.0.0.1:$MGMT
codes="$(api "$W" POST /api/users '{"name": "viewer", "password": "viewer-password"}')"
codes+=" $(api "$W" POST /api/users '{"name": "bob", "password": "bob-password-1"}')"
codes+=" $(api "$W" POST /api/permissions '{"folder": "/Console", "user": "viewer", "rights": ["view"]}')"
codes+=" $(api "$W" POST /api/permissions '{"folder": "/Console", "user": "bob", "rights": ["view", "start", "author"]}')"
codes+=" $(api "$M" POST /api/variables '{"name": "greeting", "value": "<b>hi</b>"}')"
codes+=" $(api "$M" POST /api/variables '{"name": "secret", "value": "s3cret-value", "encrypted": true}')"
# admin holds /Console/Sleep checked out: bob's check-out must be refused
codes+=" $(api "$M" POST /api/runbook/checkout '{"runbook": "/Console/Sleep"}')"
# a runbook with 500 activities (a chain of Return Data fan-out)
python3 - "$SCRATCH/big.json" <<'PY'
import json, sys
lines = ["name: Big", "folder: /Console", "activities:", "  - {id: start, type: initialize-data}"]
lines += ["  - {id: a%d, type: junction}" % i for i in range(1, 500)]
lines += ["links:", "  - {from: start, to: a1}"]
lines += ["  - {from: a%d, to: a%d}" % (i, i + 1) for i in range(1, 499)]
json.dump({"yaml": "\n".join(lines) + "\n", "comment": "500 activities"}, open(sys.argv[1], "w"))
PY
codes+=" $(api "$M" POST /api/runbook/checkin "@$SCRATCH/big.json")"
if [[ $codes == "201 201 "*" 201 201 200 201" ]]; then
    pass "users, rights, a check-out and a 500-activity runbook set up"
else
    fail "users, rights, a check-out and a 500-activity runbook set up" "HTTP codes: $codes" "$(cat "$SCRATCH/api.out")"
fi

# A console whose web service is down (web_url names a closed port).
if start_batond down --data-dir "$SCRATCH/data-down" --bind 127.0.0.1 --roles console \
    --console-port "$CONSOLE2" --web-url "http://127.0.0.1:$DEAD" \
    --mgmt-url "http://127.0.0.1:$DEAD/"; then
    pass "a console-only batond starts with web_url and mgmt_url"
else
    fail "a console-only batond starts with web_url and mgmt_url" "$(tail -5 "$SCRATCH/down.log")"
fi

# ... and one whose web service accepts connections but never answers
# It binds a port of its own choosing and says which (a port picked ahead
# may be taken meanwhile by another test).
python3 -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
time.sleep(600)' >"$SCRATCH/slow.port" &
BG_PIDS+=($!)
until_true 10 test -s "$SCRATCH/slow.port"
SLOW=$(cat "$SCRATCH/slow.port")
if start_batond slow --data-dir "$SCRATCH/data-slow" --bind 127.0.0.1 --roles console \
    --console-port "$CONSOLE3" --web-url "http://127.0.0.1:$SLOW"; then
    pass "a console-only batond starts with a web service that never answers"
else
    fail "a console-only batond starts with a web service that never answers" "$(tail -5 "$SCRATCH/slow.log")"
fi

export CONSOLE_URL=http://127.0.0.1:$CONSOLE/ DOWN_URL=http://127.0.0.1:$CONSOLE2/ SLOW_URL=http://127.0.0.1:$CONSOLE3/
export WEB_URL=http://127.0.0.1:$WEB MGMT_URL=http://127.0.0.1:$MGMT
export DESIGNED=$SCRATCH/designed.json
export ADMIN_PW CHROMIUM SHOTS=${BATON_CONSOLE_SHOTS:-$SCRATCH/shots}
mkdir -p "$SHOTS"
run_driver "$E2E_DIR/console/test.cjs"

# What the designer checked in, as `baton export` writes it: the boxes
# where the browser drew them, the loop and the declared fields.
if [[ -s $DESIGNED ]]; then
    if BATON_MGMT_URL=$M BATON_USER=admin BATON_PASSWORD=$ADMIN_PW \
        "$BUILD/baton" export /Console --out "$SCRATCH/export" >"$SCRATCH/export.out" 2>&1 &&
        NODE_PATH=$NODE_MODULES node -e '
const fs = require("fs"), path = require("path"), yaml = require("js-yaml");
const want = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const dir = process.argv[2];
const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
const file = walk(dir).find((f) => /^name: Two step$/m.test(fs.readFileSync(f, "utf8")));
if (!file) throw new Error("no Two step in the export");
const doc = yaml.load(fs.readFileSync(file, "utf8"));
const act = (id) => doc.activities.find((a) => a.id === id);
for (const [id, p] of Object.entries(want.positions)) {
    const got = act(id).position;
    if (!got || got.x !== p.x || got.y !== p.y) throw new Error(`${id}: position ${JSON.stringify(got)}, drawn at ${JSON.stringify(p)}`);
}
const r = act("run_program");
if (JSON.stringify(r.retry) !== JSON.stringify({ max: 4, delay: "2s", until: "{run_program.exit_code} == 0" })) throw new Error("retry " + JSON.stringify(r.retry));
if (JSON.stringify(r.publishes) !== JSON.stringify(["sum"])) throw new Error("publishes " + JSON.stringify(r.publishes));
if (act("return_data").properties.total !== "{run_program.sum}") throw new Error("reference " + act("return_data").properties.total);
 ' "$DESIGNED" "$SCRATCH/export" >"$SCRATCH/export.check" 2>&1; then
        pass "baton export writes the designer's positions, retry and published fields"
    else
        fail "baton export writes the designer's positions, retry and published fields" \
            "$(cat "$SCRATCH/export.out" "$SCRATCH/export.check")"
    fi
else
    fail "baton export writes the designer's positions, retry and published fields" "the browser did not get as far as checking them in"
fi
# ... and the link filters, the loop guard and flatten, as the designer
# wrote them (the export above holds the latest version)
if [[ -d $SCRATCH/export ]] && NODE_PATH=$NODE_MODULES node -e '
const fs = require("fs"), path = require("path"), yaml = require("js-yaml");
const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
const file = walk(process.argv[1]).find((f) => /^name: Two step$/m.test(fs.readFileSync(f, "utf8")));
if (!file) throw new Error("no Two step in the export");
const doc = yaml.load(fs.readFileSync(file, "utf8"));
const link = (f, t) => doc.links.find((l) => l.from === f && l.to === t) || {};
const same = (what, got, want) => { if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${what}: ${JSON.stringify(got)}`); };
same("include", link("run_program", "return_data").include, ["{start.who} == designer or {start.who} == admin"]);
same("exclude", link("run_program", "return_data").exclude, ["{start.who} == skip"]);
same("loop_guard", link("return_data", "run_program").loop_guard, 2);
same("flatten", doc.activities.find((a) => a.id === "run_program").flatten, { separator: ", " });
 ' "$SCRATCH/export" >"$SCRATCH/export2.check" 2>&1; then
    pass "baton export writes the designer's link filters, loop guard and flatten"
else
    fail "baton export writes the designer's link filters, loop guard and flatten" "$(cat "$SCRATCH/export2.check" 2>/dev/null)"
fi
finish
