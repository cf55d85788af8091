#!/usr/bin/env bash
# batond and the CLI's job commands, as real processes on a temporary
# SQLite database and free loopback ports: start-up messages, --samples
# (once), starting a job and waiting for it, a failing job, cancel, clean
# shutdown on SIGTERM, refusing to start on a busy port or a database that
# cannot be opened, and fail-over of a job between two runbook servers
# when the one running it is killed.
source "$(dirname "$0")/lib.sh"

BATOND=$BUILD/batond
[[ -x $BATOND ]] || { echo "no batond at $BATOND" >&2; exit 2; }
TEST_RUNBOOKS=$E2E_DIR/batond
# Authentication is on: batond creates the first admin with this password
# and the CLI logs in as it.
ADMIN_PW=e2e-admin-password
export BATON_ADMIN_PASSWORD=$ADMIN_PW BATON_USER=admin BATON_PASSWORD=$ADMIN_PW
unset BATON_TOKEN

declare -A PIDS=()
STRAYS=() # pid files of programs a killed server left behind

cleanup() {
    local p f
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    for f in "${STRAYS[@]}"; do
        [[ -s $f ]] && kill -KILL "$(cat "$f")" 2>/dev/null
    done
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

# free_ports N: N distinct free loopback ports, space separated.

# until_true SECONDS CMD...: runs CMD every 0.1 s until it succeeds (0) or
# SECONDS pass (1). Waits on a condition, never a fixed sleep.

# gone PID: the process has exited (a zombie not yet reaped counts).
gone() {
    local st
    st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
    [[ -z $st || $st == Z ]]
}
ready() { grep -q 'batond ready' "$SCRATCH/$1.log"; }
alive() { ! gone "${PIDS[$1]}"; }
ready_or_dead() { ready "$1" || ! alive "$1"; }

# start_batond NAME ARGS...: starts batond in the background, log in
# $SCRATCH/NAME.log; 0 once it says it is ready, 1 if it exits first.
start_batond() {
    local name=$1
    shift
    : >"$SCRATCH/$name.log" # before the fork, so `ready` never misses it
    "$BATOND" "$@" >>"$SCRATCH/$name.log" 2>&1 &
    PIDS[$name]=$!
    until_true 30 ready_or_dead "$name"
    ready "$name"
}

# stop_batond NAME SIGNAL: sends SIGNAL and waits (at most 20 s) for the
# exit; sets STOP_RC (exit status, 128+N for a signal) and STOP_SECONDS.
stop_batond() {
    local pid=${PIDS[$1]} t0=$SECONDS
    kill "-$2" "$pid"
    until_true 20 gone "$pid"
    if ! gone "$pid"; then
        kill -KILL "$pid"
        STOP_RC=timeout
    else
        wait "$pid" 2>/dev/null # no "Killed" notice for kill -9
        STOP_RC=$?
    fi
    STOP_SECONDS=$((SECONDS - t0))
    unset "PIDS[$1]"
}

# json FILE EXPR: prints the python expression EXPR over the document `d`.
json() {
    python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if not isinstance(v, (dict, list)) else json.dumps(v))
PY
}

# http_get URL OUT: body to OUT, status printed; as $BATON_USER when set.
http_get() {
    python3 - "$1" "$2" <<'PY'
import base64, os, sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1])
if os.environ.get("BATON_USER"):
    cred = "%s:%s" % (os.environ["BATON_USER"], os.environ.get("BATON_PASSWORD", ""))
    req.add_header("Authorization", "Basic " + base64.b64encode(cred.encode()).decode())
try:
    r = urllib.request.urlopen(req, timeout=10)
    code, body = r.status, r.read()
except urllib.error.HTTPError as e:
    code, body = e.code, e.read()
open(sys.argv[2], "wb").write(body)
print(code)
PY
}

expect() { # NAME CONDITION-COMMAND... ; details from $DETAIL on failure
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name" "${DETAIL:-}"; fi
    DETAIL=
}
has() { grep -q -- "$2" "$1"; }
DETAIL=

# Part one runs on SQLite; part two (a web service and two runbook servers
# on one database) runs on BATON_TEST_STORE_URL when it is set, which is
# how test_batond_pg.sh runs it on PostgreSQL.
part_one() {
# ---- start-up with --samples -------------------------------------------
DATA=$(fresh_dir data)
read -r WEB CONSOLE MGMT < <(free_ports 3)
COMMON=(--db "sqlite:$DATA/baton.db" --bind 127.0.0.1 --web-port "$WEB"
        --console-port "$CONSOLE" --mgmt-port "$MGMT")
export BATON_URL=http://127.0.0.1:$WEB

if start_batond one "${COMMON[@]}" --samples --name rb-one; then
    pass "batond starts with every role and --samples"
else
    fail "batond starts with every role and --samples" "$(tail -5 "$SCRATCH/one.log")"
    finish
    exit 1
fi
LOG=$SCRATCH/one.log
DETAIL=$(grep listening "$LOG")
expect "prints where the web service listens" has "$LOG" "web service: listening on 127.0.0.1 port $WEB: http://127.0.0.1:$WEB/api/health"
expect "prints where the management server listens" has "$LOG" "management server: listening on 127.0.0.1 port $MGMT"
expect "prints where the console listens" has "$LOG" "console: listening on 127.0.0.1 port $CONSOLE"
expect "says the runbook server is claiming" has "$LOG" "runbook server: 'rb-one'"
expect "the management role schedules the nightly log purge" has "$LOG" "log purge: daily at 02:00 local time, keeping 500 instances per runbook"
n_samples=$(ls "$SRC"/examples/*.runbook.yaml | wc -l)
DETAIL=$(grep samples "$LOG")
expect "loads the $n_samples bundled samples" has "$LOG" "samples: loaded $n_samples runbooks from the bundled examples"

code=$(http_get "http://127.0.0.1:$MGMT/api/health" "$SCRATCH/mgmt.json")
DETAIL="HTTP $code: $(cat "$SCRATCH/mgmt.json")"
expect "the management server answers on its port" \
    test "$code" = 200 -a "$(json "$SCRATCH/mgmt.json" 'd["status"]')" = ok
code=$(http_get "http://127.0.0.1:$CONSOLE/" "$SCRATCH/console.html")
DETAIL="HTTP $code: $(head -c 300 "$SCRATCH/console.html")"
expect "the console port serves the console page" \
    test "$code" = 200 -a -n "$(grep '<title>Baton console</title>' "$SCRATCH/console.html")"

run_baton "$SCRATCH/rbs" runbooks
DETAIL=$(cat "$SCRATCH/rbs.out" "$SCRATCH/rbs.err")
expect "baton runbooks lists the samples" test "$RC" = 0 -a "$(wc -l <"$SCRATCH/rbs.out")" = "$n_samples"

# ---- start, wait, show ---------------------------------------------------
run_baton "$SCRATCH/hello" start /Hello --param who=e2e --wait 60
DETAIL="exit $RC: $(cat "$SCRATCH/hello.out" "$SCRATCH/hello.err")"
expect "start /Hello --param who=e2e --wait: exit 0" test "$RC" = 0
expect "start --wait prints completed" grep -Eq '^job [0-9]+  /Hello  completed' "$SCRATCH/hello.out"
expect "start --wait prints the returned message" grep -q 'message = Hello, e2e' "$SCRATCH/hello.out"
HELLO_ID=$(sed -n 's/^job \([0-9]*\) .*/\1/p' "$SCRATCH/hello.out")

run_baton "$SCRATCH/hj" start Hello --wait 60 --json
DETAIL="exit $RC: $(cat "$SCRATCH/hj.out" "$SCRATCH/hj.err")"
expect "start by name --json: completed with the default parameter" \
    test "$RC" = 0 -a "$(json "$SCRATCH/hj.out" 'd["status"] + "/" + d["return_data"]["message"]')" = "completed/Hello, world"

run_baton "$SCRATCH/job" job "$HELLO_ID"
DETAIL="exit $RC: $(cat "$SCRATCH/job.out" "$SCRATCH/job.err")"
expect "baton job shows the activities and their data" \
    bash -c "[[ $RC == 0 ]] && grep -q 'greet .*run-program .*success' '$SCRATCH/job.out' && grep -q 'stdout = Hello, e2e' '$SCRATCH/job.out' && grep -q 'who = e2e' '$SCRATCH/job.out'"

run_baton "$SCRATCH/jobs" jobs --status completed --runbook /Hello
DETAIL="exit $RC: $(cat "$SCRATCH/jobs.out" "$SCRATCH/jobs.err")"
expect "baton jobs --status completed --runbook /Hello lists both" \
    test "$RC" = 0 -a "$(grep -c ' completed .*/Hello$' "$SCRATCH/jobs.out")" = 2
run_baton "$SCRATCH/jobsl" jobs --limit 1 --json
DETAIL="exit $RC: $(cat "$SCRATCH/jobsl.out" "$SCRATCH/jobsl.err")"
expect "baton jobs --limit 1 --json" test "$RC" = 0 -a "$(json "$SCRATCH/jobsl.out" 'len(d["items"])')" = 1

run_baton "$SCRATCH/w" wait "$HELLO_ID" 5
DETAIL="exit $RC: $(cat "$SCRATCH/w.out" "$SCRATCH/w.err")"
expect "baton wait on a completed job: exit 0" test "$RC" = 0

# The grouped spelling: baton job start|list|show|wait|cancel.
run_baton "$SCRATCH/gs" job start /Hello --param who=grouped --wait 60
DETAIL="exit $RC: $(cat "$SCRATCH/gs.out" "$SCRATCH/gs.err")"
expect "baton job start /Hello --param who=grouped --wait: completed" \
    bash -c "[[ $RC == 0 ]] && grep -q 'message = Hello, grouped' '$SCRATCH/gs.out'"
GS_ID=$(sed -n 's/^job \([0-9]*\) .*/\1/p' "$SCRATCH/gs.out")
run_baton "$SCRATCH/gl" job list --runbook /Hello --json
DETAIL="exit $RC: $(cat "$SCRATCH/gl.out" "$SCRATCH/gl.err")"
expect "baton job list --runbook /Hello: three jobs" \
    test "$RC" = 0 -a "$(json "$SCRATCH/gl.out" 'len(d["items"])')" = 3
run_baton "$SCRATCH/gsh" job show "$GS_ID"
DETAIL="exit $RC: $(cat "$SCRATCH/gsh.out" "$SCRATCH/gsh.err")"
expect "baton job show ID: the activities and their data" \
    bash -c "[[ $RC == 0 ]] && grep -q 'stdout = Hello, grouped' '$SCRATCH/gsh.out'"
run_baton "$SCRATCH/gw" job wait "$GS_ID" 5
expect "baton job wait ID: exit 0" test "$RC" = 0

# ---- usage and service errors ------------------------------------------
run_baton "$SCRATCH/u1" start /Hello --param nope=1
DETAIL="exit $RC: $(cat "$SCRATCH/u1.err")"
expect "unknown parameter: exit 2 naming it" bash -c "[[ $RC == 2 ]] && grep -q \"no parameter 'nope'\" '$SCRATCH/u1.err'"
run_baton "$SCRATCH/u2" start
expect "start without a runbook: exit 2" test "$RC" = 2
run_baton "$SCRATCH/u3" job 999999
DETAIL="exit $RC: $(cat "$SCRATCH/u3.err")"
expect "unknown job: exit 1, 'no job'" bash -c "[[ $RC == 1 ]] && grep -q 'no job with id 999999' '$SCRATCH/u3.err'"
run_baton "$SCRATCH/u4" start /Nope
DETAIL="exit $RC: $(cat "$SCRATCH/u4.err")"
expect "unknown runbook: exit 1" bash -c "[[ $RC == 1 ]] && grep -q \"no runbook '/Nope'\" '$SCRATCH/u4.err'"
read -r DEAD_PORT < <(free_ports 1)
run_baton "$SCRATCH/u5" jobs --url "http://127.0.0.1:$DEAD_PORT"
DETAIL="exit $RC: $(cat "$SCRATCH/u5.err")"
expect "no service at --url: exit 1, 'cannot reach'" bash -c "[[ $RC == 1 ]] && grep -q 'cannot reach the Baton web service at http://127.0.0.1:$DEAD_PORT' '$SCRATCH/u5.err'"

# ---- authentication ------------------------------------------------------
expect "the first admin is created from BATON_ADMIN_PASSWORD" has "$LOG" "created administrator 'admin' with the password in BATON_ADMIN_PASSWORD"
code=$(BATON_USER= http_get "http://127.0.0.1:$WEB/api/runbooks" "$SCRATCH/anon.json")
DETAIL="HTTP $code: $(cat "$SCRATCH/anon.json")"
expect "no credentials: 401" test "$code" = 401
code=$(BATON_USER= http_get "http://127.0.0.1:$WEB/api/health" "$SCRATCH/health.json")
expect "/api/health needs no credentials" test "$code" = 200
BATON_PASSWORD=wrong run_baton "$SCRATCH/a1" runbooks
DETAIL="exit $RC: $(cat "$SCRATCH/a1.err")"
expect "wrong password: exit 1 with 'invalid user name or password' and how to log in" \
    bash -c "[[ $RC == 1 ]] && grep -q 'invalid user name or password' '$SCRATCH/a1.err' && grep -q BATON_PASSWORD '$SCRATCH/a1.err'"
run_baton "$SCRATCH/a2" jobs --json
DETAIL="exit $RC: $(cat "$SCRATCH/a2.out" "$SCRATCH/a2.err")"
expect "jobs record who started them: admin" \
    test "$RC" = 0 -a "$(json "$SCRATCH/a2.out" 'd["items"][0]["created_by"]')" = admin
printf 'alice-e2e-pass\n' | run_baton "$SCRATCH/a3" user add alice --password-stdin
DETAIL="exit $RC: $(cat "$SCRATCH/a3.out" "$SCRATCH/a3.err")"
expect "baton user add alice" test "$RC" = 0
BATON_USER=alice BATON_PASSWORD=alice-e2e-pass run_baton "$SCRATCH/a4" runbooks
DETAIL="exit $RC: $(cat "$SCRATCH/a4.out" "$SCRATCH/a4.err")"
expect "alice without rights sees no runbooks" test "$RC" = 0 -a ! -s "$SCRATCH/a4.out"
BATON_USER=alice BATON_PASSWORD=alice-e2e-pass run_baton "$SCRATCH/a5" start /Hello
DETAIL="exit $RC: $(cat "$SCRATCH/a5.err")"
expect "alice cannot start /Hello: it does not exist for her" bash -c "[[ $RC == 1 ]] && grep -q \"no runbook '/Hello'\" '$SCRATCH/a5.err'"
run_baton "$SCRATCH/a6" perm grant / --user alice view,start
DETAIL="exit $RC: $(cat "$SCRATCH/a6.out" "$SCRATCH/a6.err")"
expect "baton perm grant / --user alice view,start" test "$RC" = 0
BATON_USER=alice BATON_PASSWORD=alice-e2e-pass run_baton "$SCRATCH/a7" start /Hello --wait 60 --json
DETAIL="exit $RC: $(cat "$SCRATCH/a7.out" "$SCRATCH/a7.err")"
expect "alice starts /Hello now; created_by alice" \
    test "$RC" = 0 -a "$(json "$SCRATCH/a7.out" 'd["created_by"]')" = alice
BATON_USER=alice BATON_PASSWORD=alice-e2e-pass run_baton "$SCRATCH/a8" user list
expect "alice may not list users (admin only): exit 1" test "$RC" = 1
BATON_USER=alice BATON_PASSWORD=alice-e2e-pass run_baton "$SCRATCH/t1" token create --name e2e --expires 7
DETAIL="exit $RC: $(cat "$SCRATCH/t1.out" "$SCRATCH/t1.err")"
TOKEN=$(cat "$SCRATCH/t1.out")
expect "baton token create prints the secret once" bash -c "[[ $RC == 0 && $TOKEN == baton_* ]]"
BATON_USER= BATON_TOKEN=$TOKEN run_baton "$SCRATCH/t2" runbooks
DETAIL="exit $RC: $(cat "$SCRATCH/t2.out" "$SCRATCH/t2.err")"
expect "BATON_TOKEN logs in as alice" test "$RC" = 0 -a "$(wc -l <"$SCRATCH/t2.out")" = "$n_samples"
mkdir -p "$XDG_CONFIG_HOME/baton"
printf 'token = %s\n' "$TOKEN" >"$XDG_CONFIG_HOME/baton/config"
BATON_USER= run_baton "$SCRATCH/t3" token list
DETAIL="exit $RC: $(cat "$SCRATCH/t3.out" "$SCRATCH/t3.err")"
expect "token = in ~/.config/baton/config; token list shows it without the secret" \
    bash -c "[[ $RC == 0 ]] && grep -q ' e2e ' '$SCRATCH/t3.out' && ! grep -q '$TOKEN' '$SCRATCH/t3.out'"
rm "$XDG_CONFIG_HOME/baton/config"
TID=$(BATON_USER= BATON_TOKEN=$TOKEN "$BATON" token list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
run_baton "$SCRATCH/t4" token revoke "$TID"
DETAIL="exit $RC: $(cat "$SCRATCH/t4.out" "$SCRATCH/t4.err")"
expect "an admin revokes alice's token" test "$RC" = 0
BATON_USER= BATON_TOKEN=$TOKEN run_baton "$SCRATCH/t5" runbooks
expect "the revoked token fails: exit 1" test "$RC" = 1
run_baton "$SCRATCH/au" audit --json
DETAIL="exit $RC: $(head -c 600 "$SCRATCH/au.out") $(cat "$SCRATCH/au.err")"
if [[ $RC == 0 ]]; then
    expect "the audit log has the user, permission and token changes, no secrets" \
        bash -c "grep -q user.create '$SCRATCH/au.out' && grep -q permission.set '$SCRATCH/au.out' && grep -q token.revoke '$SCRATCH/au.out' && ! grep -q alice-e2e-pass '$SCRATCH/au.out'"
fi

# A first start without BATON_ADMIN_PASSWORD: a generated password, shown
# once in the log and in DATA_DIR/admin-password (0600), that logs in.
GEN=$(fresh_dir gen)
read -r GEN_PORT < <(free_ports 1)
if BATON_ADMIN_PASSWORD= start_batond gen --data-dir "$GEN" --bind 127.0.0.1 \
    --roles web --web-port "$GEN_PORT"; then
    GEN_PW=$(cat "$GEN/admin-password" 2>/dev/null)
    DETAIL="$(grep -i admin "$SCRATCH/gen.log") mode $(stat -c %a "$GEN/admin-password" 2>&1)"
    expect "generated admin password: logged once, in DATA_DIR/admin-password with mode 600" \
        bash -c "[[ -n '$GEN_PW' && \$(stat -c %a '$GEN/admin-password') == 600 ]] && grep -q 'with password $GEN_PW (shown only this once' '$SCRATCH/gen.log'"
    BATON_PASSWORD=$GEN_PW run_baton "$SCRATCH/g1" runbooks --url "http://127.0.0.1:$GEN_PORT"
    DETAIL="exit $RC: $(cat "$SCRATCH/g1.err")"
    expect "the generated password logs in" test "$RC" = 0
    stop_batond gen TERM
else
    fail "batond starts without BATON_ADMIN_PASSWORD" "$(tail -3 "$SCRATCH/gen.log")"
fi
# --auth off: a warning, and anyone may do anything
OFF=$(fresh_dir off)
read -r OFF_PORT < <(free_ports 1)
if start_batond off --db "sqlite:$OFF/b.db" --bind 127.0.0.1 --roles web \
    --web-port "$OFF_PORT" --auth off; then
    expect "--auth off is logged as a warning" has "$SCRATCH/off.log" "authentication is OFF"
    code=$(BATON_USER= http_get "http://127.0.0.1:$OFF_PORT/api/runbooks" "$SCRATCH/off.json")
    expect "--auth off: no credentials needed" test "$code" = 200
    stop_batond off TERM
else
    fail "batond --auth off starts" "$(tail -3 "$SCRATCH/off.log")"
fi

# ---- refusing to start ----------------------------------------------------
BUSY=$SCRATCH/busy
"$BATOND" --db "sqlite:$(fresh_dir busy)/b.db" --bind 127.0.0.1 --web-port "$WEB" \
    --roles web >"$BUSY.out" 2>"$BUSY.err"
RC=$?
DETAIL="exit $RC: $(cat "$BUSY.err")"
expect "web port in use: nonzero exit naming the port and --web-port" \
    bash -c "[[ $RC != 0 ]] && grep -q 'port $WEB: Address already in use' '$BUSY.err' && grep -q -- '--web-port' '$BUSY.err'"
"$BATOND" --db "sqlite:$(fresh_dir busy)/b.db" --bind 127.0.0.1 --mgmt-port "$MGMT" \
    --roles management >"$BUSY.out" 2>"$BUSY.err"
RC=$?
DETAIL="exit $RC: $(cat "$BUSY.err")"
expect "management port in use: names --mgmt-port" \
    bash -c "[[ $RC != 0 ]] && grep -q 'management server: cannot listen on 127.0.0.1 port $MGMT' '$BUSY.err' && grep -q -- '--mgmt-port' '$BUSY.err'"
"$BATOND" --db "sqlite:$SCRATCH" --web-port "$DEAD_PORT" --roles web >"$BUSY.out" 2>"$BUSY.err"
RC=$?
DETAIL="exit $RC: $(cat "$BUSY.err")"
expect "a directory as the database: nonzero exit, clear message" \
    bash -c "[[ $RC != 0 ]] && grep -q \"cannot open the orchestration database 'sqlite:$SCRATCH'\" '$BUSY.err' && grep -q -- '--db' '$BUSY.err'"
"$BATOND" --throttle lots >"$BUSY.out" 2>"$BUSY.err"
RC=$?
DETAIL="exit $RC: $(cat "$BUSY.err")"
expect "a bad setting: exit 2 naming it" bash -c "[[ $RC == 2 ]] && grep -q -- \"--throttle: 'lots'\" '$BUSY.err'"

# Under systemd (JOURNAL_STREAM names stderr) lines carry a syslog priority.
JLOG=$SCRATCH/journal.log
: >"$JLOG"
JOURNAL_STREAM=$(stat -c '%d:%i' "$JLOG") "$BATOND" --db "sqlite:$SCRATCH" \
    --web-port "$DEAD_PORT" --roles web 2>>"$JLOG"
DETAIL=$(cat "$JLOG")
expect "journald format: '<6>' and '<3>' prefixes, no timestamp" \
    bash -c "grep -q '^<6>batond .* starting' '$JLOG' && grep -q '^<3>cannot open the orchestration database' '$JLOG'"

# The CLI finds the service in ~/.config/baton/config without BATON_URL.
mkdir -p "$XDG_CONFIG_HOME/baton"
printf '# test\nurl = "http://127.0.0.1:%s/"\n' "$WEB" >"$XDG_CONFIG_HOME/baton/config"
BATON_URL= run_baton "$SCRATCH/cfgurl" jobs
DETAIL="exit $RC: $(cat "$SCRATCH/cfgurl.out" "$SCRATCH/cfgurl.err")"
expect "baton reads url from ~/.config/baton/config" bash -c "[[ $RC == 0 ]] && grep -q '/Hello$' '$SCRATCH/cfgurl.out'"
rm "$XDG_CONFIG_HOME/baton/config"

# ---- SIGHUP, SIGTERM, restart ---------------------------------------------
kill -HUP "${PIDS[one]}"
until_true 10 has "$LOG" "SIGHUP ignored"
DETAIL=$(tail -2 "$LOG")
expect "SIGHUP: logged and ignored" bash -c "grep -q 'SIGHUP ignored' '$LOG' && kill -0 ${PIDS[one]}"
stop_batond one TERM
DETAIL="exit $STOP_RC after ${STOP_SECONDS}s: $(tail -3 "$LOG")"
expect "SIGTERM: exit 0 within 5 s" test "$STOP_RC" = 0 -a "$STOP_SECONDS" -le 5
expect "SIGTERM: logs the shutdown" has "$LOG" "batond stopped"

if start_batond two "${COMMON[@]}" --samples --name rb-one; then
    pass "restarts on the same database"
else
    fail "restarts on the same database" "$(tail -5 "$SCRATCH/two.log")"
fi
DETAIL=$(grep samples "$SCRATCH/two.log")
expect "restart with --samples: skipped, says why" has "$SCRATCH/two.log" "samples: not loaded, the database already has runbooks"
run_baton "$SCRATCH/rbs2" runbooks
DETAIL=$(cat "$SCRATCH/rbs2.out")
expect "restart: still $n_samples runbooks" test "$(wc -l <"$SCRATCH/rbs2.out")" = "$n_samples"
run_baton "$SCRATCH/jobs2" jobs
expect "restart: the earlier jobs are still there (alice's too)" test "$(grep -c '/Hello$' "$SCRATCH/jobs2.out")" = 4
stop_batond two TERM

}

export HOME=$SCRATCH XDG_CONFIG_HOME=$SCRATCH/config # no stray config file
if [[ -n ${BATON_TEST_STORE_URL:-} ]]; then
    DB2_URL=$BATON_TEST_STORE_URL
    echo "# part two on $DB2_URL"
else
    part_one
    DB2_URL=sqlite:$(fresh_dir data2)/baton.db
fi

# ---- failing job, cancel, fail-over on a database of test runbooks -------
read -r WEB2 < <(free_ports 1)
export BATON_URL=http://127.0.0.1:$WEB2
DB2=(--db "$DB2_URL" --bind 127.0.0.1)
if start_batond web "${DB2[@]}" --roles web --web-port "$WEB2" --samples-dir "$TEST_RUNBOOKS" &&
    start_batond rb-a "${DB2[@]}" --roles runbook-server --name rb-a &&
    start_batond rb-b "${DB2[@]}" --roles runbook-server --name rb-b; then
    pass "a web service and two runbook servers on one database"
else
    fail "a web service and two runbook servers on one database" \
        "$(tail -3 "$SCRATCH/web.log" "$SCRATCH/rb-a.log" "$SCRATCH/rb-b.log")"
fi
expect "--samples-dir loads the test runbooks" has "$SCRATCH/web.log" "samples: loaded 2 runbooks from $TEST_RUNBOOKS"

run_baton "$SCRATCH/fail" start /Test/Fail --wait 60
DETAIL="exit $RC: $(cat "$SCRATCH/fail.out" "$SCRATCH/fail.err")"
expect "a failing runbook: exit 1, status failed, the reason" \
    bash -c "[[ $RC == 1 ]] && grep -Eq '^job [0-9]+  /Test/Fail  failed' '$SCRATCH/fail.out' && grep -q 'boom failed' '$SCRATCH/fail.out'"

job_status() { # ID: prints the status
    "$BATON" job "$1" --json >"$SCRATCH/st.json" 2>/dev/null && json "$SCRATCH/st.json" 'd["status"]'
}
pid_file_ready() { [[ -s $1 ]]; }

MARK=$SCRATCH/cancel-mark
STRAYS+=("$MARK.pid")
run_baton "$SCRATCH/long" start /Test/Slow --param "marker=$MARK" --json
LONG_ID=$(json "$SCRATCH/long.out" 'd["id"]' 2>/dev/null)
if until_true 30 pid_file_ready "$MARK.pid"; then
    pass "a long job runs its step"
else
    fail "a long job runs its step" "$(cat "$SCRATCH/long.out" "$SCRATCH/long.err")"
fi
run_baton "$SCRATCH/cancel" cancel "$LONG_ID" --wait 30
DETAIL="exit $RC: $(cat "$SCRATCH/cancel.out" "$SCRATCH/cancel.err")"
expect "baton cancel --wait: exit 0, job canceled" \
    bash -c "[[ $RC == 0 ]] && grep -Eq '^job $LONG_ID  /Test/Slow  canceled' '$SCRATCH/cancel.out'"
sleep_pid=$(cat "$MARK.pid" 2>/dev/null)
DETAIL="pid $sleep_pid"
expect "cancel stopped the job's program" until_true 10 gone "$sleep_pid"
run_baton "$SCRATCH/cancel2" cancel "$LONG_ID"
DETAIL="exit $RC: $(cat "$SCRATCH/cancel2.err")"
expect "cancel a finished job: exit 1, says it is already canceled" \
    bash -c "[[ $RC == 1 ]] && grep -q 'already canceled' '$SCRATCH/cancel2.err'"
run_baton "$SCRATCH/wc" wait "$LONG_ID" 5
expect "baton wait on a canceled job: exit 1" test "$RC" = 1

# Fail-over: kill -9 the server running the job; the other takes it over
# when the lease lapses (three 2 s heartbeats) and resumes it.
MARK=$SCRATCH/failover-mark
STRAYS+=("$MARK.pid")
run_baton "$SCRATCH/fo" start /Test/Slow --param "marker=$MARK" --param seconds=300 --json
FO_ID=$(json "$SCRATCH/fo.out" 'd["id"]' 2>/dev/null)
until_true 30 pid_file_ready "$MARK.pid"
"$BATON" job "$FO_ID" --json >"$SCRATCH/fo-job.json"
holder_id=$(json "$SCRATCH/fo-job.json" 'd["server_id"]')
http_get "http://127.0.0.1:$WEB2/api/servers" "$SCRATCH/servers.json" >/dev/null
holder=$(json "$SCRATCH/servers.json" "[s['name'] for s in d['items'] if s['id'] == $holder_id][0]")
case $holder in
rb-a) other=rb-b ;;
rb-b) other=rb-a ;;
*) other= ;;
esac
if [[ -n $other ]]; then
    pass "the long job runs on $holder"
    stop_batond "$holder" KILL
    kill -KILL "$(cat "$MARK.pid")" 2>/dev/null # the killed server's child
    t0=$(date +%s.%N)
    run_baton "$SCRATCH/fo-wait" wait "$FO_ID" 10
    took=$(python3 -c "import time; print('%.1f' % (time.time() - $t0))")
    DETAIL="exit $RC after ${took}s: $(cat "$SCRATCH/fo-wait.out" "$SCRATCH/fo-wait.err")"
    expect "after kill -9 of $holder, $other finishes the job within 10 s" \
        bash -c "[[ $RC == 0 ]] && grep -q 'message = resumed' '$SCRATCH/fo-wait.out'"
    "$BATON" job "$FO_ID" --json >"$SCRATCH/fo-job.json"
    DETAIL=$(cat "$SCRATCH/fo-job.json" | head -c 600)
    expect "the job records one take-over" test "$(json "$SCRATCH/fo-job.json" 'd["takeovers"]')" = 1
else
    fail "the long job runs on a known server" "server_id $holder_id, servers: $(cat "$SCRATCH/servers.json")"
fi
for n in rb-a rb-b; do
    [[ -n ${PIDS[$n]:-} ]] || continue
    stop_batond "$n" TERM
    DETAIL="exit $STOP_RC after ${STOP_SECONDS}s: $(tail -3 "$SCRATCH/$n.log")"
    expect "$n: SIGTERM, exit 0" test "$STOP_RC" = 0
done

# SIGTERM with a job running: the grace runs out, batond exits 0, the job
# stays held, and the same server resumes it when it starts again.
MARK=$SCRATCH/grace-mark
STRAYS+=("$MARK.pid")
start_batond rb-g "${DB2[@]}" --roles runbook-server --name rb-g --grace 1s ||
    fail "rb-g starts" "$(tail -3 "$SCRATCH/rb-g.log")"
run_baton "$SCRATCH/g" start /Test/Slow --param "marker=$MARK" --param seconds=300 --json
G_ID=$(json "$SCRATCH/g.out" 'd["id"]' 2>/dev/null)
until_true 30 pid_file_ready "$MARK.pid"
stop_batond rb-g TERM
DETAIL="exit $STOP_RC after ${STOP_SECONDS}s: $(tail -4 "$SCRATCH/rb-g.log")"
expect "SIGTERM with a job running: exit 0 after the 1 s grace" test "$STOP_RC" = 0 -a "$STOP_SECONDS" -le 6
expect "the job is still held (running) after the shutdown" test "$(job_status "$G_ID")" = running
kill -KILL "$(cat "$MARK.pid")" 2>/dev/null
mv "$SCRATCH/rb-g.log" "$SCRATCH/rb-g.1.log"
start_batond rb-g "${DB2[@]}" --roles runbook-server --name rb-g ||
    fail "rb-g restarts" "$(tail -3 "$SCRATCH/rb-g.log")"
run_baton "$SCRATCH/g-wait" wait "$G_ID" 30
DETAIL="exit $RC: $(cat "$SCRATCH/g-wait.out" "$SCRATCH/g-wait.err")"
expect "restarted, the server resumes its job and completes it" \
    bash -c "[[ $RC == 0 ]] && grep -q 'message = resumed' '$SCRATCH/g-wait.out'"
stop_batond rb-g TERM
DETAIL="exit $STOP_RC after ${STOP_SECONDS}s: $(tail -3 "$SCRATCH/rb-g.log")"
expect "rb-g: SIGTERM, exit 0" test "$STOP_RC" = 0

# A second SIGTERM while the grace runs: exit at once, status 1.
MARK=$SCRATCH/double-mark
STRAYS+=("$MARK.pid")
start_batond rb-h "${DB2[@]}" --roles runbook-server --name rb-h --grace 60s ||
    fail "rb-h starts" "$(tail -3 "$SCRATCH/rb-h.log")"
run_baton "$SCRATCH/h" start /Test/Slow --param "marker=$MARK" --param seconds=300 --json
until_true 30 pid_file_ready "$MARK.pid"
kill -TERM "${PIDS[rb-h]}"
until_true 10 has "$SCRATCH/rb-h.log" "shutting down"
stop_batond rb-h TERM
DETAIL="exit $STOP_RC after ${STOP_SECONDS}s: $(tail -3 "$SCRATCH/rb-h.log")"
expect "a second SIGTERM during the grace: exit 1 at once" test "$STOP_RC" = 1 -a "$STOP_SECONDS" -le 5
kill -KILL "$(cat "$MARK.pid")" 2>/dev/null

# PostgreSQL restarted while a job's step runs: the runbook server and
# the web service reconnect, the step's record is committed on the new
# connection, and nothing committed before the restart is lost.
if [[ -n ${BATON_TEST_PG_DIR:-} ]]; then
    MARK=$SCRATCH/pgrestart-mark
    STRAYS+=("$MARK.pid")
    start_batond rb-p "${DB2[@]}" --roles runbook-server --name rb-p ||
        fail "rb-p starts" "$(tail -3 "$SCRATCH/rb-p.log")"
    run_baton "$SCRATCH/p" start /Test/Slow --param "marker=$MARK" --param seconds=4 --json
    P_ID=$(json "$SCRATCH/p.out" 'd["id"]' 2>/dev/null)
    until_true 30 pid_file_ready "$MARK.pid"
    if bash "$SRC/scripts/pg-throwaway.sh" restart "$BATON_TEST_PG_DIR"; then
        pass "PostgreSQL restarted while the step runs"
    else
        fail "PostgreSQL restarted while the step runs"
    fi
    run_baton "$SCRATCH/p-wait" job wait "$P_ID" 60
    DETAIL="exit $RC: $(cat "$SCRATCH/p-wait.out" "$SCRATCH/p-wait.err"; tail -5 "$SCRATCH/rb-p.log")"
    expect "after the restart the job completes" \
        bash -c "[[ $RC == 0 ]] && grep -Eq '^job $P_ID  /Test/Slow  completed' '$SCRATCH/p-wait.out'"
    "$BATON" job "$P_ID" --json >"$SCRATCH/p-job.json"
    DETAIL=$(head -c 800 "$SCRATCH/p-job.json")
    expect "every activity instance is recorded once (start, step, done)" \
        test "$(json "$SCRATCH/p-job.json" '",".join(a["activity"] for i in d["instances"] for a in i["activities"])')" = "start,step,done"
    stop_batond rb-p TERM
    DETAIL="exit $STOP_RC after ${STOP_SECONDS}s: $(tail -3 "$SCRATCH/rb-p.log")"
    expect "rb-p: SIGTERM, exit 0" test "$STOP_RC" = 0
fi

stop_batond web TERM
DETAIL="exit $STOP_RC after ${STOP_SECONDS}s: $(tail -3 "$SCRATCH/web.log")"
expect "web: SIGTERM, exit 0" test "$STOP_RC" = 0

finish
