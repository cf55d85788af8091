#!/usr/bin/env bash
# `baton test` with the activities that use the host's services: counters
# kept in memory for the run, Invoke Runbook running a child runbook file
# (relative to the parent) on the tester's engine and publishing its Return
# Data, a failing child, a runbook that invokes itself, --db with a
# store's counters, schedules and runbooks, and Send Platform Event with
# and without a store.
source "$(dirname "$0")/lib.sh"

D=$(fresh_dir tester)
mkdir -p "$D/lib"
cat >"$D/lib/child.runbook.yaml" <<'Y'
name: Child
parameters: [{name: n, type: integer, required: true}]
returns: [echo, status]
activities:
  - {id: start, type: initialize-data}
  - {id: bump, type: modify-counter, properties: {counter: calls}}
  - {id: done, type: return-data, properties: {echo: "got {start.n}", status: fine}}
links: [{from: start, to: bump}, {from: bump, to: done}]
Y
cat >"$D/parent.runbook.yaml" <<'Y'
name: Parent
returns: [echo, calls]
activities:
  - {id: init, type: modify-counter, properties: {counter: calls, action: set, value: 10}}
  - {id: call, type: invoke-runbook, properties: {runbook: lib/child.runbook.yaml, parameters: {n: "7"}}}
  - {id: again, type: invoke-runbook, properties: {runbook: lib/child.runbook.yaml, parameters: {n: "{call.echo}"}}}
  - {id: count, type: get-counter, properties: {counter: calls}}
  - {id: done, type: return-data, properties: {echo: "{call.echo}", calls: "{count.value}"}}
links:
  - {from: init, to: call}
  - {from: call, to: again}
  - {from: again, to: count, on: any}
  - {from: count, to: done}
Y

run_baton "$SCRATCH/p" test "$D/parent.runbook.yaml" --json
if [[ $RC -eq 1 ]]; then pass "parent with a failing second child exits 1"; else fail "parent exit" "exit $RC" "$(head -5 "$SCRATCH/p.err")"; fi
check_json "child's Return Data published, counters shared" "$SCRATCH/p.out" <<'PY'
assert field("call", "echo") == "got 7", field("call", "echo")
assert field("call", "return_status") == "fine"
assert field("call", "job_status") == "completed"
assert field("call", "job_id") == "1"
assert results("again") == ["failed"]
assert "parameter 'n'" in recs("again")[0]["error"], recs("again")[0]["error"]
assert field("count", "value") == "11", field("count", "value")
assert ret == {"echo": "got 7", "calls": "11"}, ret
inv = doc["invoked"]
assert [(i["runbook"], i["job_id"], i["result"]) for i in inv] == [("Child", 1, "success")], inv
assert inv[0]["returned"] == {"echo": "got 7", "status": "fine"}
PY

cat >"$D/self.runbook.yaml" <<'Y'
name: Self
activities:
  - {id: me, type: invoke-runbook, properties: {runbook: self.runbook.yaml}}
Y
run_baton "$SCRATCH/s" test "$D/self.runbook.yaml" --json
check_json "a runbook invoking itself stops at a depth limit" "$SCRATCH/s.out" <<'PY'
assert results("me") == ["failed"]
assert "more than 16 deep" in recs("me")[0]["error"], recs("me")[0]["error"]
PY

cat >"$D/missing.runbook.yaml" <<'Y'
name: Missing
activities:
  - {id: me, type: invoke-runbook, properties: {runbook: /Ops/Nope}}
  - {id: c, type: get-counter, properties: {counter: nope}}
Y
run_baton "$SCRATCH/m" test "$D/missing.runbook.yaml" --json
check_json "stored runbooks and unknown counters without --db" "$SCRATCH/m.out" <<'PY'
assert "stored runbooks need --db" in recs("me")[0]["error"], recs("me")[0]["error"]
assert "no counter named 'nope'" in recs("c")[0]["error"], recs("c")[0]["error"]
PY

# ---- --db: a store made with the store's own tools (python's sqlite3
# would need the schema); the counters are set by a first run.
cat >"$D/setdb.runbook.yaml" <<'Y'
name: SetDb
activities:
  - {id: set, type: modify-counter, properties: {counter: hits, action: set, value: 41}}
Y
cat >"$D/usedb.runbook.yaml" <<'Y'
name: UseDb
activities:
  - {id: add, type: modify-counter, properties: {counter: hits}}
Y
run_baton "$SCRATCH/d1" test "$D/setdb.runbook.yaml" --db "sqlite:$D/store.db"
run_baton "$SCRATCH/d2" test "$D/usedb.runbook.yaml" --json --db="sqlite:$D/store.db"
check_json "--db: counters persist in the store" "$SCRATCH/d2.out" <<'PY'
assert field("add", "value") == "42", field("add", "value")
PY
# A variable and a schedule put in the store by hand (the tables of
# docs/store.md), read with --db.
python3 - "$D/store.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT INTO variables (name, value, encrypted, updated_us) VALUES ('greeting', CAST('hello' AS BLOB), 0, 0)")
db.execute("INSERT INTO schedules (name, definition, updated_us) VALUES ('weekdays', '{\"days_of_week\": [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"], \"timezone\": \"utc\"}', 0)")
db.commit()
PY
cat >"$D/vars.runbook.yaml" <<'Y'
name: Vars
activities:
  - {id: say, type: compare-values, properties: {left: "{var:greeting}", right: hello}}
  - {id: wed, type: check-schedule, properties: {schedule: weekdays, time: "2026-11-25T12:00:00Z"}}
  - {id: sat, type: check-schedule, properties: {schedule: weekdays, time: "2026-11-28T12:00:00Z"}}
Y
run_baton "$SCRATCH/d5" test "$D/vars.runbook.yaml" --json --db "sqlite:$D/store.db"
check_json "--db: {var:...} and stored schedules" "$SCRATCH/d5.out" <<'PY'
assert field("say", "left") == "hello", field("say", "left")
assert field("wed", "conforms") == "true"
assert field("sat", "conforms") == "false"
PY

# A stored runbook, loaded into the store by batond (--samples-dir), then
# invoked by path from a runbook file run with --db.
BATOND=$BUILD/batond
mkdir -p "$D/stored"
cat >"$D/stored/child.runbook.yaml" <<'Y'
name: StoredChild
folder: /Lib
returns: [hits]
activities:
  - {id: get, type: get-counter, properties: {counter: hits}}
  - {id: done, type: return-data, properties: {hits: "{get.value}"}}
links: [{from: get, to: done}]
Y
cat >"$D/callstored.runbook.yaml" <<'Y'
name: CallStored
activities:
  - {id: call, type: invoke-runbook, properties: {runbook: /Lib/StoredChild}}
Y
: >"$SCRATCH/batond.log" # before the fork, so the wait never misses it
"$BATOND" --db "sqlite:$D/store.db" --roles runbook-server --name t1 \
    --samples-dir "$D/stored" >"$SCRATCH/batond.log" 2>&1 &
BPID=$!
wait_batond "$SCRATCH/batond.log" "$BPID"
kill -TERM $BPID 2>/dev/null
wait $BPID
if grep -q "samples: loaded 1 runbook" "$SCRATCH/batond.log"; then
    run_baton "$SCRATCH/d4" test "$D/callstored.runbook.yaml" --json --db "sqlite:$D/store.db"
    check_json "--db: invoke-runbook runs a stored runbook by path" "$SCRATCH/d4.out" <<'PY'
assert results("call") == ["success"], recs("call")
assert field("call", "hits") == "42", field("call", "hits")
PY
else
    fail "batond loads the stored child" "$(tail -5 "$SCRATCH/batond.log")"
fi

# Send Platform Event: printed without a store, into its events with --db.
cat >"$D/event.runbook.yaml" <<'Y'
name: Event
activities:
  - {id: ev, type: send-platform-event, properties: {summary: "disk low on db1", details: "3% free", severity: warning}}
Y
run_baton "$SCRATCH/e1" test "$D/event.runbook.yaml" --json
check_json "send-platform-event without a store: not stored" "$SCRATCH/e1.out" <<'PY'
assert results("ev") == ["success"], recs("ev")
assert field("ev", "stored") == "false"
assert field("ev", "source") == "runbook Event"
PY
if grep -q "baton test: event (warning) from runbook Event: disk low on db1" "$SCRATCH/e1.err"; then
    pass "send-platform-event without a store: printed on stderr"
else
    fail "event printed" "$(cat "$SCRATCH/e1.err")"
fi
run_baton "$SCRATCH/e2" test "$D/event.runbook.yaml" --json --db "sqlite:$D/store.db"
check_json "send-platform-event with --db: stored" "$SCRATCH/e2.out" <<'PY'
assert field("ev", "stored") == "true", recs("ev")
PY
python3 - "$D/store.db" >"$SCRATCH/e2.rows" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for row in db.execute("SELECT severity, source, message FROM events WHERE source = 'runbook Event'"):
    print(repr(row))
PY
if grep -qF "(1, 'runbook Event', 'disk low on db1\n3% free')" "$SCRATCH/e2.rows"; then
    pass "send-platform-event with --db: in the store's events"
else
    fail "event in the store" "$(cat "$SCRATCH/e2.rows")"
fi

run_baton "$SCRATCH/d3" test "$D/usedb.runbook.yaml" --db "sqlite:/nonexistent/dir/x.db"
if [[ $RC -eq 2 ]] && grep -q -- "--db" "$SCRATCH/d3.err"; then pass "--db that cannot open exits 2"; else fail "--db bad" "exit $RC" "$(cat "$SCRATCH/d3.err")"; fi

finish
