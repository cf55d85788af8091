#!/usr/bin/env bash
# The management server and the designer's CLI as real processes: batond
# on a temporary SQLite database and free loopback ports, then baton ls,
# show, checkout (two users at once), checkin (valid, invalid), history,
# diff, revert, export -> import -> export identical, a hostile import that
# stores nothing, variables (an encrypted one never shown, yet a runbook
# gets its value), counters, schedules, servers, audit, --help everywhere,
# and an unreachable management server.
source "$(dirname "$0")/lib.sh"

BATOND=$BUILD/batond
[[ -x $BATOND ]] || { echo "no batond at $BATOND" >&2; exit 2; }
ADMIN_PW=e2e-admin-password
export BATON_ADMIN_PASSWORD=$ADMIN_PW BATON_USER=admin BATON_PASSWORD=$ADMIN_PW
unset BATON_TOKEN BATON_MGMT_URL
export XDG_CONFIG_HOME=$SCRATCH/config # no operator's config file

PID=
cleanup() {
    if [[ -n $PID ]] && kill -TERM "$PID" 2>/dev/null; then
        for ((i = 0; i < 100; i++)); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$PID" 2>/dev/null
        wait "$PID" 2>/dev/null
    fi
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

read -r WEB CONSOLE MGMT < <(free_ports 3)
DATA=$SCRATCH/data
"$BATOND" --data-dir "$DATA" --bind 127.0.0.1 --web-port "$WEB" \
    --console-port "$CONSOLE" --mgmt-port "$MGMT" --name rbA \
    >"$SCRATCH/batond.log" 2>&1 &
PID=$!
if ! wait_batond "$SCRATCH/batond.log" "$PID"; then
    cat "$SCRATCH/batond.log"
    echo "batond did not start" >&2
    exit 1
fi
export BATON_URL=http://127.0.0.1:$WEB BATON_MGMT_URL=http://127.0.0.1:$MGMT
grep -q "management server: listening on 127.0.0.1 port $MGMT" "$SCRATCH/batond.log" &&
    pass "batond says where the management server listens" ||
    fail "management server log line" "$(cat "$SCRATCH/batond.log")"

O=$SCRATCH/o
W=$(fresh_dir work)
# designers log in as themselves: the audit history names them
PW=designer-pw-1
for u in alice bob carol; do
    printf '%s\n' "$PW" | "$BATON" user add "$u" --password-stdin >"$O.user.out" 2>&1 ||
        fail "user add $u" "$(cat "$O.user.out")"
done
BATON_USER=alice BATON_PASSWORD=$PW run_baton "$O.norights" folder mkdir /Ops
[[ $RC -eq 1 ]] && grep -q "needs the author right on /" "$O.norights.err" &&
    pass "a user without the author right is refused" || fail "no rights rc $RC" "$(cat "$O.norights.err")"
for u in alice bob carol; do
    "$BATON" perm grant / --user "$u" view,author >"$O.perm.out" 2>&1 || fail "perm grant $u" "$(cat "$O.perm.out")"
done
BATON_USER=alice BATON_PASSWORD=$PW run_baton "$O.notadmin" variable set x 1
[[ $RC -eq 1 ]] && grep -q "administrator" "$O.notadmin.err" &&
    pass "global settings need an administrator" || fail "not admin rc $RC" "$(cat "$O.notadmin.err")"
BATON_USER= BATON_PASSWORD= run_baton "$O.noauth" ls
[[ $RC -eq 1 ]] && grep -q "log in" "$O.noauth.err" && pass "no credentials: refused (exit 1)" ||
    fail "no credentials rc $RC" "$(cat "$O.noauth.err")"
BATON_USER=alice BATON_PASSWORD=wrong run_baton "$O.badpw" ls
[[ $RC -eq 1 ]] && grep -q "invalid user name or password" "$O.badpw.err" &&
    pass "a wrong password: refused" || fail "wrong password rc $RC" "$(cat "$O.badpw.err")"
cat >"$W/hello.runbook.yaml" <<'YAML'
name: Hello
folder: /Ops
description: says hi
parameters:
  - {name: who, type: string, default: world}
activities:
  - {id: start, type: initialize-data}
  - id: greet
    type: run-program
    properties: {command: "echo hello {start.who}"}
links:
  - {from: start, to: greet}
YAML
cat >"$W/hello2.runbook.yaml" <<'YAML'
name: Hello
folder: /Ops
description: says hi
parameters:
  - {name: who, type: string, default: world}
activities:
  - {id: start, type: initialize-data}
  - id: greet
    type: run-program
    properties: {command: "echo hi {start.who} {var:greeting} {var:secret_word}"}
  - {id: done, type: return-data, properties: {out: "{greet.stdout}"}}
links:
  - {from: start, to: greet}
  - {from: greet, to: done}
returns: [out]
YAML
printf 'name: Hello\nfolder: /Ops\nactivities:\n  - {id: a, type: nope}\n' >"$W/bad.runbook.yaml"

# ---- ls, checkin (create), show
run_baton "$O.ls0" ls
[[ $RC -eq 0 ]] && pass "ls on an empty tree" || fail "ls empty" "$(cat "$O.ls0.err")"
BATON_USER=alice BATON_PASSWORD=$PW run_baton "$O.ci1" checkin "$W/hello.runbook.yaml" -m "first"
[[ $RC -eq 0 ]] && grep -q "checked in version 1 (new runbook)" "$O.ci1.out" &&
    pass "checkin creates a new runbook" || fail "checkin create" "$(cat "$O.ci1.out" "$O.ci1.err")"
run_baton "$O.ls1" ls /Ops
grep -q "Hello .* v1" "$O.ls1.out" && pass "ls lists the runbook and its version" ||
    fail "ls /Ops" "$(cat "$O.ls1.out")"
run_baton "$O.show" show /Ops/Hello
grep -q "greet .*run-program" "$O.show.out" && grep -q "start -> greet" "$O.show.out" &&
    grep -q "command: echo hello {start.who}" "$O.show.out" &&
    pass "show prints activities, properties and links" || fail "show" "$(cat "$O.show.out")"
run_baton "$O.showy" show /Ops/Hello --yaml
cmp -s "$O.showy.out" "$W/hello.runbook.yaml" && pass "show --yaml is the checked-in file" ||
    fail "show --yaml" "$(diff "$O.showy.out" "$W/hello.runbook.yaml")"
run_baton "$O.showj" show /Ops/Hello --json
check_json "show --json" "$O.showj.out" <<'PY'
assert doc["path"] == "/Ops/Hello"
assert [a["id"] for a in doc["document"]["activities"]] == ["start", "greet"]
PY
run_baton "$O.show404" show /Ops/Nope
[[ $RC -eq 4 ]] && pass "show of a missing runbook exits 4" || fail "show 404 rc $RC"

# ---- check-out rules
BATON_USER=alice BATON_PASSWORD=$PW run_baton "$O.co1" checkout /Ops/Hello
[[ $RC -eq 0 ]] && grep -q "checked out by alice" "$O.co1.out" &&
    pass "alice checks out" || fail "checkout" "$(cat "$O.co1.out" "$O.co1.err")"
BATON_USER=bob BATON_PASSWORD=$PW run_baton "$O.co2" checkout /Ops/Hello
[[ $RC -eq 3 ]] && grep -q "alice" "$O.co2.err" && pass "bob's check-out is refused naming alice (exit 3)" ||
    fail "second checkout rc $RC" "$(cat "$O.co2.err")"
BATON_USER=bob BATON_PASSWORD=$PW run_baton "$O.ci2" checkin "$W/hello2.runbook.yaml" -m "bob's"
[[ $RC -eq 3 ]] && pass "bob cannot check in alice's runbook (exit 3)" || fail "bob checkin rc $RC"
BATON_USER=alice BATON_PASSWORD=$PW run_baton "$O.cibad" checkin "$W/bad.runbook.yaml" -m "broken"
[[ $RC -eq 2 ]] && grep -q "nope" "$O.cibad.err" && pass "an invalid file is refused with its problem (exit 2)" ||
    fail "invalid checkin rc $RC" "$(cat "$O.cibad.err")"
run_baton "$O.h1" history /Ops/Hello --json
check_json "the refused check-ins stored nothing" "$O.h1.out" <<'PY'
assert len(doc["versions"]) == 1, doc["versions"]
assert doc["checked_out_by"] == "alice"
PY
BATON_USER=alice BATON_PASSWORD=$PW run_baton "$O.ci3" checkin "$W/hello2.runbook.yaml" -m "adds done"
[[ $RC -eq 0 ]] && grep -q "checked in version 2" "$O.ci3.out" && pass "alice checks in version 2" ||
    fail "checkin v2" "$(cat "$O.ci3.out" "$O.ci3.err")"
run_baton "$O.h2" history /Ops/Hello
grep -q "^2 .*alice .*adds done" "$O.h2.out" && grep -q "^1 .*alice .*first" "$O.h2.out" &&
    pass "history lists versions with author and comment" || fail "history" "$(cat "$O.h2.out")"
run_baton "$O.diff" diff /Ops/Hello 1 2
grep -q "~ activity greet" "$O.diff.out" && grep -q "properties.command: echo hello" "$O.diff.out" &&
    grep -q "+ activity done (return-data)" "$O.diff.out" && grep -q "+ link greet -> done" "$O.diff.out" &&
    pass "diff shows changed and added activities and links" || fail "diff" "$(cat "$O.diff.out")"
BATON_USER=carol BATON_PASSWORD=$PW run_baton "$O.rev" revert /Ops/Hello 1
[[ $RC -eq 0 ]] && grep -q "version 3" "$O.rev.out" && pass "revert checks in version 1 as 3" ||
    fail "revert" "$(cat "$O.rev.out" "$O.rev.err")"
run_baton "$O.showr" show /Ops/Hello --yaml
cmp -s "$O.showr.out" "$W/hello.runbook.yaml" && pass "the reverted text is version 1's" || fail "revert text"
BATON_USER=alice BATON_PASSWORD=$PW run_baton "$O.co3" checkout /Ops/Hello
BATON_USER=alice BATON_PASSWORD=$PW run_baton "$O.ci4" checkin "$W/hello2.runbook.yaml" -m "back to 2"

# ---- export -> import -> export
mkdir -p "$W/tree"
printf 'name: Deep\nactivities:\n  - {id: s, type: initialize-data}\n' >"$W/deep.runbook.yaml"
BATON_USER=alice BATON_PASSWORD=$PW run_baton "$O.fold" folder mkdir /Ops/Web/Empty
[[ $RC -eq 0 ]] && pass "folder mkdir" || fail "folder mkdir" "$(cat "$O.fold.err")"
run_baton "$O.e1" export / --out "$W/e1"
[[ $RC -eq 0 && -f $W/e1/Ops/Hello.runbook.yaml && -d $W/e1/Ops/Web/Empty ]] &&
    pass "export writes folders and files" || fail "export" "$(cat "$O.e1.out" "$O.e1.err")"
cmp -s "$W/e1/Ops/Hello.runbook.yaml" "$W/hello2.runbook.yaml" && pass "exported file is the checked-in text" ||
    fail "export content"
run_baton "$O.i1" import "$W/e1"
[[ $RC -eq 0 ]] && grep -q "0 created, 0 updated, 1 unchanged" "$O.i1.out" &&
    pass "importing the export changes nothing" || fail "import unchanged" "$(cat "$O.i1.out" "$O.i1.err")"
run_baton "$O.e2" export / --out "$W/e2"
diff -r "$W/e1" "$W/e2" >/dev/null && pass "export -> import -> export gives identical files" ||
    fail "round trip" "$(diff -r "$W/e1" "$W/e2")"
run_baton "$O.i2" import "$W/e1" --folder /Copy -m "copy"
run_baton "$O.e3" export /Copy --out "$W/e3"
diff -r "$W/e1" "$W/e3" >/dev/null && pass "an import elsewhere exports the same tree" ||
    fail "copy round trip" "$(diff -r "$W/e1" "$W/e3")"
run_baton "$O.e3b" export / --out "$W/before"
# hostile: a truncated file beside a good one
cp -r "$W/e1" "$W/bad"
head -c 60 "$W/hello2.runbook.yaml" >"$W/bad/Ops/Hello.runbook.yaml"
cp "$W/deep.runbook.yaml" "$W/bad/Ops/Deep.runbook.yaml"
run_baton "$O.i3" import "$W/bad"
[[ $RC -eq 2 ]] && grep -q "nothing was imported" "$O.i3.err" && grep -q "Ops/Hello.runbook.yaml" "$O.i3.err" &&
    pass "a truncated file fails the whole import (exit 2)" || fail "hostile import rc $RC" "$(cat "$O.i3.err")"
run_baton "$O.e4" export / --out "$W/e4"
[[ ! -e $W/e4/Ops/Deep.runbook.yaml ]] && diff -r "$W/before" "$W/e4" >/dev/null &&
    pass "after the refused import the stored runbooks are untouched" || fail "untouched" "$(diff -r "$W/before" "$W/e4")"

# ---- global settings
run_baton "$O.v1" variable set greeting hello-there
[[ $RC -eq 0 ]] && pass "variable set" || fail "variable set" "$(cat "$O.v1.err")"
export SECRET=pw-$RANDOM-$RANDOM-zz
printf '%s\n' "$SECRET" | "$BATON" variable set secret_word - --encrypted >"$O.v2.out" 2>"$O.v2.err"
grep -q "secret_word = (encrypted)" "$O.v2.out" && pass "encrypted variable set from stdin" ||
    fail "encrypted set" "$(cat "$O.v2.out" "$O.v2.err")"
run_baton "$O.v3" variables
run_baton "$O.v4" variables --json
run_baton "$O.v5" variable get secret_word --json
run_baton "$O.a0" audit --json
if grep -q "$SECRET" "$O.v3.out" "$O.v4.out" "$O.v5.out" "$O.a0.out"; then
    fail "an encrypted value was shown"
else
    pass "no listing, get or audit shows the encrypted value"
fi
grep -q "greeting .* hello-there" "$O.v3.out" && pass "plain variables show their value" || fail "variables" "$(cat "$O.v3.out")"
[[ $(stat -c %a "$DATA/secret.key") == 600 ]] && pass "the key file is 0600" || fail "key mode"
if ! grep -q "$SECRET" "$DATA/baton.db"* 2>/dev/null; then pass "the database holds no plain text of it"; else fail "plain text in db"; fi
run_baton "$O.job" start /Ops/Hello --wait 60 --json
check_json "a runbook gets the encrypted variable's value" "$O.job.out" <<'PY'
assert doc["status"] == "completed", doc["status"]
out = doc["return_data"]["out"]
assert "hello-there" in out and env["SECRET"] in out, out
PY
run_baton "$O.c1" counter set hits 5 && run_baton "$O.c2" counter add hits 2
grep -q "hits = 7" "$O.c2.out" && pass "counter set/add" || fail "counter" "$(cat "$O.c2.out" "$O.c2.err")"
run_baton "$O.s1" schedule set weekdays '{"days": ["mon", "tue"]}'
run_baton "$O.s2" schedules
grep -q '^weekdays  *\/  *{"days":\["mon","tue"\]}' "$O.s2.out" && pass "schedule set and list" || fail "schedules" "$(cat "$O.s2.out" "$O.s2.err")"
run_baton "$O.s3" schedule set weekdays '[1'
[[ $RC -eq 2 ]] && pass "a bad schedule definition is a usage error" || fail "schedule bad rc $RC"

# ---- settings folders (their own tree, not runbook folders)
run_baton "$O.f1" variable set mail_host mx1 --folder /Ops/Mail
grep -q "mail_host = mx1  (folder /Ops/Mail)" "$O.f1.out" && pass "variable set --folder" || fail "set --folder" "$(cat "$O.f1.out" "$O.f1.err")"
run_baton "$O.f2" variables list --folder /Ops/Mail
grep -q "^mail_host  *\/Ops\/Mail " "$O.f2.out" && ! grep -q greeting "$O.f2.out" &&
    pass "variables list --folder shows that folder's only" || fail "variables --folder" "$(cat "$O.f2.out" "$O.f2.err")"
run_baton "$O.f3" counter move hits /Ops/Mail
grep -q "moved hits from / to /Ops/Mail" "$O.f3.out" && pass "counter move" || fail "counter move" "$(cat "$O.f3.out" "$O.f3.err")"
run_baton "$O.f4" counters --folder /Ops/Mail --json
check_json "counters list by folder (JSON)" "$O.f4.out" <<'PY'
items = doc["items"]
assert [(c["name"], c["folder"], c["value"]) for c in items] == [("hits", "/Ops/Mail", 7)], items
PY
run_baton "$O.f5" schedule move weekdays /Hours && run_baton "$O.f6" schedules
grep -q "^weekdays  *\/Hours " "$O.f6.out" && pass "schedule move, shown in the list" || fail "schedule move" "$(cat "$O.f6.out" "$O.f6.err")"
run_baton "$O.f7" variable move nosuch /X
[[ $RC -eq 4 ]] && pass "moving a missing variable exits 4" || fail "move missing rc $RC"
run_baton "$O.f8" variable set x 1 --folder Ops
[[ $RC -eq 2 ]] && grep -q "folder 'Ops' does not start with '/'" "$O.f8.err" &&
    pass "a relative folder is refused naming it" || fail "bad folder rc $RC" "$(cat "$O.f8.err")"
run_baton "$O.f9" audit --json
check_json "moves are audited with the folder before and after" "$O.f9.out" <<'PY'
moves = [a for a in doc["items"] if a["action"].endswith(".move")]
assert [(a["action"], a["object"], a["before"]["folder"], a["after"]["folder"]) for a in moves] == [
    ("counter.move", "hits", "/", "/Ops/Mail"), ("schedule.move", "weekdays", "/", "/Hours")], moves
PY

# ---- servers, preferred servers
run_baton "$O.sv" servers
grep -q "^rbA .*up " "$O.sv.out" && pass "servers lists the runbook server as up" || fail "servers" "$(cat "$O.sv.out")"
run_baton "$O.pref" runbook servers /Ops/Hello rbA rbB
grep -q "servers: rbA rbB" "$O.pref.out" && pass "preferred server order set" || fail "preferred" "$(cat "$O.pref.out" "$O.pref.err")"
run_baton "$O.thr" server throttle rbA 5
[[ $RC -eq 0 ]] && pass "server throttle" || fail "throttle" "$(cat "$O.thr.err")"
run_baton "$O.thr2" server throttle nosuch 5
[[ $RC -eq 4 ]] && pass "throttle of an unknown server exits 4" || fail "throttle unknown rc $RC"

# ---- audit
run_baton "$O.a1" audit --runbook /Ops/Hello
grep -q "alice .*runbook.checkout" "$O.a1.out" && grep -q "carol .*runbook.checkin" "$O.a1.out" &&
    grep -q "runbook.settings" "$O.a1.out" && pass "audit lists who changed the runbook" || fail "audit" "$(cat "$O.a1.out")"
run_baton "$O.a2" audit --since 2999-01-01
grep -q "no audit entries" "$O.a2.out" && pass "audit --since in the future is empty" || fail "audit since"
run_baton "$O.a3" audit --since soon
[[ $RC -eq 2 ]] && pass "audit --since garbage exits 2" || fail "audit since bad rc $RC"

# ---- undo-checkout, concurrent check-outs through the CLI
BATON_USER=alice BATON_PASSWORD=$PW run_baton "$O.uco0" checkout /Ops/Hello
BATON_USER=bob BATON_PASSWORD=$PW run_baton "$O.uco1" undo-checkout /Ops/Hello
[[ $RC -eq 3 ]] && grep -q "alice" "$O.uco1.err" && pass "bob cannot undo alice's check-out (exit 3, names her)" ||
    fail "undo by other rc $RC" "$(cat "$O.uco1.err")"
BATON_USER=alice BATON_PASSWORD=$PW run_baton "$O.uco2" undo-checkout /Ops/Hello
[[ $RC -eq 0 ]] && grep -q "/Ops/Hello is not checked out" "$O.uco2.out" &&
    pass "undo-checkout releases without a new version" || fail "undo-checkout" "$(cat "$O.uco2.out" "$O.uco2.err")"
BATON_USER=alice BATON_PASSWORD=$PW run_baton "$O.uco3" undo-checkout /Ops/Hello
[[ $RC -eq 3 ]] && pass "undo-checkout of a runbook nobody holds exits 3" || fail "undo again rc $RC"
run_baton "$O.uco4" history /Ops/Hello --json
check_json "undo-checkout stored no version" "$O.uco4.out" <<'PY'
assert len(doc["versions"]) == 4, [v["version"] for v in doc["versions"]]
assert doc["checked_out_by"] is None
PY
pids=()
for u in alice bob carol; do
    BATON_USER=$u BATON_PASSWORD=$PW "$BATON" checkout /Ops/Hello >"$O.race.$u.out" 2>"$O.race.$u.err" &
    pids+=($!)
done
won=0 lost=0
for i in 0 1 2; do
    wait "${pids[$i]}"
    case $? in 0) won=$((won + 1)) ;; 3) lost=$((lost + 1)) ;; esac
done
[[ $won -eq 1 && $lost -eq 2 ]] && pass "three designers check out at once: one wins, two get exit 3" ||
    fail "race won=$won lost=$lost" "$(cat "$O".race.*.err)"
"$BATON" undo-checkout /Ops/Hello --force >/dev/null 2>&1

# ---- folders: rename, move, delete (history kept), ls -R as a tree
run_baton "$O.f0" import "$W/e1" --folder /Tmp
run_baton "$O.f1" folder rename /Tmp/Ops Ops2
[[ $RC -eq 0 ]] && grep -q "^/Tmp/Ops2$" "$O.f1.out" && pass "folder rename" || fail "folder rename" "$(cat "$O.f1.out" "$O.f1.err")"
run_baton "$O.f2" folder mkdir /Tmp/Dest
run_baton "$O.f3" folder mv /Tmp/Ops2 /Tmp/Dest
[[ $RC -eq 0 ]] && grep -q "^/Tmp/Dest/Ops2$" "$O.f3.out" && pass "folder mv" || fail "folder mv" "$(cat "$O.f3.out" "$O.f3.err")"
run_baton "$O.f4" ls /Tmp -R
expect_tree=$'/Tmp\n  Dest/\n    Ops2/\n      Web/\n        Empty/\n      Hello'
[[ $(sed 's/ *v[0-9].*//' "$O.f4.out") == "$expect_tree" ]] && pass "ls -R prints the tree" ||
    fail "ls -R" "$(cat "$O.f4.out")"
run_baton "$O.f5" show /Tmp/Dest/Ops2/Hello --json
TMPID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$O.f5.out")
run_baton "$O.f6" folder rm /Tmp
[[ $RC -eq 3 ]] && grep -qi "not empty" "$O.f6.err" && pass "folder rm of a non-empty folder exits 3" ||
    fail "folder rm rc $RC" "$(cat "$O.f6.err")"
run_baton "$O.f7" folder rm /Tmp --recursive
[[ $RC -eq 0 ]] && pass "folder rm --recursive" || fail "folder rm -r" "$(cat "$O.f7.err")"
run_baton "$O.f8" ls /Tmp
[[ $RC -eq 4 ]] && pass "the deleted folder is gone (exit 4)" || fail "ls deleted rc $RC"
run_baton "$O.f9" history "$TMPID"
[[ $RC -eq 0 ]] && grep -q "(deleted)" "$O.f9.out" && grep -q "^1 " "$O.f9.out" &&
    pass "a deleted folder's runbook keeps its history" || fail "history after rm" "$(cat "$O.f9.out" "$O.f9.err")"

# ---- servers: drain and back; audit with before/after
run_baton "$O.dr1" server drain rbA
[[ $RC -eq 0 ]] && grep -q "^rbA .*draining" "$O.dr1.out" && pass "server drain" || fail "drain" "$(cat "$O.dr1.out" "$O.dr1.err")"
run_baton "$O.dr2" server drain rbA --off
grep -q "^rbA .*up " "$O.dr2.out" && pass "server drain --off" || fail "drain off" "$(cat "$O.dr2.out" "$O.dr2.err")"
run_baton "$O.dr3" runbook servers /Ops/Hello
grep -q "^/Ops/Hello$" "$O.dr3.out" && pass "runbook servers with none: any server" || fail "servers cleared" "$(cat "$O.dr3.out")"
run_baton "$O.au1" audit --runbook /Ops/Hello --since 1h --json
check_json "audit --runbook --since: who, action, before and after" "$O.au1.out" <<'PY'
items = doc["items"]
co = [a for a in items if a["action"] == "runbook.checkout" and a["who"] == "alice"]
assert co, [a["action"] for a in items]
assert co[-1]["before"]["checked_out_by"] is None and co[-1]["after"]["checked_out_by"] == "alice", co[-1]
un = [a for a in items if a["action"] == "runbook.undo_checkout"]
assert un and un[0]["before"]["checked_out_by"] == "alice" and un[0]["after"]["checked_out_by"] is None, un
st = [a for a in items if a["action"] == "runbook.settings"]
assert st and st[-1]["after"]["preferred_servers"] == [], st[-1]
assert all(a["object"] == "/Ops/Hello" for a in items)
PY
run_baton "$O.au2" audit --action server. --since 1h
grep -q "server.drain .*rbA .*-> {\"draining\":false" "$O.au2.out" && pass "audit table: server.drain before -> after" ||
    fail "audit server" "$(cat "$O.au2.out")"
BATON_USER= BATON_PASSWORD=$PW run_baton "$O.au3" audit --runbook /Ops/Hello --user alice
[[ $RC -eq 0 ]] && grep -q "runbook.checkout" "$O.au3.out" && pass "--user NAME logs in on authoring commands" ||
    fail "--user rc $RC" "$(cat "$O.au3.err")"
BATON_USER= BATON_PASSWORD=$PW run_baton "$O.au4" audit --user alice
[[ $RC -eq 1 ]] && grep -q "administrator" "$O.au4.err" && pass "the whole audit history needs an administrator" ||
    fail "audit non-admin rc $RC" "$(cat "$O.au4.err")"

# ---- a job runs the version that was latest when it was created
printf 'name: Ver\nfolder: /Ops\nactivities:\n  - {id: s, type: initialize-data}\n  - {id: r, type: return-data, properties: {out: "%s"}}\nlinks:\n  - {from: s, to: r}\nreturns: [out]\n' one >"$W/ver1.runbook.yaml"
sed 's/out: "one"/out: "two"/' "$W/ver1.runbook.yaml" >"$W/ver2.runbook.yaml"
run_baton "$O.jv0" checkin "$W/ver1.runbook.yaml" -m one
run_baton "$O.jv1" server drain rbA
run_baton "$O.jv2" start /Ops/Ver --json
JOBV=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$O.jv2.out" 2>/dev/null)
run_baton "$O.jv3" checkout /Ops/Ver
run_baton "$O.jv4" checkin "$W/ver2.runbook.yaml" -m two
run_baton "$O.jv5" server drain rbA --off
run_baton "$O.jv6" wait "$JOBV" 60 --json
check_json "a job checked in over keeps running the version it was started with" "$O.jv6.out" <<'PY'
assert doc["status"] == "completed", doc["status"]
assert doc["return_data"]["out"] == "one", doc["return_data"]
assert doc["runbook_version"] == 1, doc.get("runbook_version")
PY
run_baton "$O.jv7" start /Ops/Ver --wait 60 --json
check_json "a new job runs the new version" "$O.jv7.out" <<'PY'
assert doc["return_data"]["out"] == "two" and doc["runbook_version"] == 2, doc
PY

# ---- long imports show progress; hostile and huge files store nothing
mkdir -p "$W/many/Bulk"
for ((i = 0; i < 250; i++)); do
    printf 'name: R%d\nactivities:\n  - {id: s, type: initialize-data}\n' "$i" >"$W/many/Bulk/r$i.runbook.yaml"
done
run_baton "$O.pg" import "$W/many" --progress
[[ $RC -eq 0 ]] && grep -q "250 created" "$O.pg.out" && grep -q "^reading: 200 runbook files" "$O.pg.err" &&
    grep -q "^read 250 runbook files in 1 folder" "$O.pg.err" && grep -q "^sending: 100% of" "$O.pg.err" &&
    pass "import --progress: files read, upload, then the result" || fail "progress rc $RC" "$(cat "$O.pg.out" "$O.pg.err")"
run_baton "$O.pg2" import "$W/many"
[[ $RC -eq 0 && ! -s $O.pg2.err ]] && grep -q "250 unchanged" "$O.pg2.out" &&
    pass "no progress when standard error is not a terminal" || fail "quiet import" "$(cat "$O.pg2.err")"
run_baton "$O.hb" export / --out "$W/before-ois"
cat >"$W/bomb.ois_export" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE ExportData [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<ExportData><Policies><Folder><Name>&d;</Name></Folder></Policies></ExportData>
XML
run_baton "$O.bomb" import "$W/bomb.ois_export"
[[ $RC -eq 2 ]] && grep -q "nothing was imported" "$O.bomb.err" && grep -qi "entit" "$O.bomb.err" &&
    pass "an .ois_export with entity expansion is refused (exit 2) naming it" || fail "bomb rc $RC" "$(cat "$O.bomb.err")"
head -c 3000 "$SRC/tests/fixtures/ois/operations.ois_export" >"$W/cut.ois_export"
run_baton "$O.cut" import "$W/cut.ois_export"
[[ $RC -eq 2 ]] && grep -q "nothing was imported" "$O.cut.err" && pass "a truncated .ois_export is refused (exit 2)" ||
    fail "truncated ois rc $RC" "$(cat "$O.cut.err")"
head -c $((17 << 20)) /dev/zero | tr '\0' 'x' >"$W/huge.ois_export"
run_baton "$O.huge" import "$W/huge.ois_export"
[[ $RC -eq 2 ]] && grep -q "huge.ois_export': file is larger than the 16777216 byte limit; nothing was sent" "$O.huge.err" &&
    pass "a huge file is refused before sending (exit 2) naming it" || fail "huge rc $RC" "$(cat "$O.huge.err")"
mkdir -p "$W/hugetree/X"
{ printf 'name: Big\ndescription: "'; head -c $((17 << 20)) /dev/zero | tr '\0' 'y'; printf '"\nactivities:\n  - {id: s, type: initialize-data}\n'; } >"$W/hugetree/X/big.runbook.yaml"
run_baton "$O.huge2" import "$W/hugetree"
[[ $RC -eq 2 ]] && grep -q "larger than" "$O.huge2.err" && pass "a huge runbook file in a tree: refused (exit 2)" ||
    fail "huge tree rc $RC" "$(cat "$O.huge2.err")"
run_baton "$O.ha" export / --out "$W/after-ois"
diff -r "$W/before-ois" "$W/after-ois" >/dev/null && pass "after the refused files the stored runbooks are untouched" ||
    fail "untouched after hostile" "$(diff -r "$W/before-ois" "$W/after-ois" | head)"

# ---- the console calls the management server from the browser (CORS)
curl -s -o /dev/null -D "$O.cors.h" -X OPTIONS "http://127.0.0.1:$MGMT/api/runbook/checkout" \
    -H "Origin: http://127.0.0.1:$CONSOLE" -H "Access-Control-Request-Method: POST" \
    -H "Access-Control-Request-Headers: authorization, content-type"
grep -qi "^HTTP/1.1 204" "$O.cors.h" && grep -qi "^Access-Control-Allow-Origin: http://127.0.0.1:$CONSOLE" "$O.cors.h" &&
    grep -qi "^Access-Control-Allow-Headers: .*Authorization" "$O.cors.h" &&
    pass "a preflight from the console's origin is answered without credentials" || fail "preflight" "$(cat "$O.cors.h")"
curl -s -o /dev/null -D "$O.cors2.h" -u "admin:$ADMIN_PW" "http://127.0.0.1:$MGMT/api/tree" -H "Origin: http://127.0.0.1:$CONSOLE"
grep -qi "^Access-Control-Allow-Origin: http://127.0.0.1:$CONSOLE" "$O.cors2.h" && pass "answers to the console's origin carry CORS" ||
    fail "cors get" "$(cat "$O.cors2.h")"
curl -s -o /dev/null -D "$O.cors3.h" "http://127.0.0.1:$MGMT/api/health" -H "Origin: http://evil.example"
! grep -qi "^Access-Control-Allow-Origin" "$O.cors3.h" && pass "another origin gets no CORS headers" || fail "cors evil"

# ---- tab completion of folder and runbook paths from the server
(
    source "$SRC/scripts/baton-completion.bash"
    comp() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _baton 2>/dev/null; printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '; }
    PATH=$BUILD:$PATH
    got=$(comp baton show /O)
    [[ $got == "/Ops/ " ]] && echo "ok1" || echo "bad1 $got"
    got=$(comp baton checkout /Ops/)
    [[ $got == "/Ops/Hello /Ops/Ver /Ops/Web/ " ]] && echo "ok2" || echo "bad2 $got"
    got=$(comp baton audit --runbook /Ops/H)
    [[ $got == "/Ops/Hello " ]] && echo "ok3" || echo "bad3 $got"
) >"$O.comp" 2>&1
grep -q ok1 "$O.comp" && grep -q ok2 "$O.comp" && grep -q ok3 "$O.comp" &&
    pass "completion offers folders and runbooks from the management server" || fail "remote completion" "$(cat "$O.comp")"

# ---- every command has --help; bad usage exits 2; unreachable exits 1
ok=1
for c in ls show checkout checkin undo-checkout history diff revert export import folder runbook \
    audit variable variables counter schedule schedules server servers; do
    "$BATON" "$c" --help >"$O.help" 2>&1 && grep -q "^usage: baton $c" "$O.help" || { ok=0; echo "no help: $c"; }
done
[[ $ok -eq 1 ]] && pass "--help on every authoring command" || fail "--help"
run_baton "$O.u1" checkin
[[ $RC -eq 2 ]] && pass "a missing argument exits 2" || fail "usage rc $RC"
BATON_MGMT_URL=http://127.0.0.1:1 run_baton "$O.unr" ls
[[ $RC -eq 1 ]] && grep -q "management server at http://127.0.0.1:1" "$O.unr.err" &&
    pass "an unreachable management server: exit 1 and where" || fail "unreachable rc $RC" "$(cat "$O.unr.err")"
mkdir -p "$XDG_CONFIG_HOME/baton"
echo "mgmt_url = http://127.0.0.1:$MGMT" >"$XDG_CONFIG_HOME/baton/config"
BATON_MGMT_URL= run_baton "$O.cfg" ls /
[[ $RC -eq 0 ]] && pass "mgmt_url from the config file" || fail "config mgmt_url" "$(cat "$O.cfg.err")"
run_baton "$O.rm" runbook rm /Copy/Ops/Hello
run_baton "$O.hist" history "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$O.showj.out")"
[[ $RC -eq 0 ]] && pass "history still there for the live runbook" || fail "history by id"

finish
