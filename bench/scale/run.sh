#!/usr/bin/env bash
# Scale-out benchmark: 1, 2 and 4 runbook servers (separate batond
# processes) on one PostgreSQL, each size draining the same backlog of
# pending jobs. Reported per size: jobs/s, the ratio to the 1-server run of
# the same invocation (the baseline), and the database's share of the CPU
# time (PostgreSQL's processes against the runbook servers', from
# /proc/PID/stat), so the figures read the same on any machine.
#
#   bench/scale/run.sh [--build DIR] [--jobs N] [--sizes "1 2 4"]
#                      [--activities K] [--throttle T]
#
# Jobs: a runbook of K in-process activities (compare-values in a chain),
# created through the web service (a batond with the web and management
# roles) before the runbook servers start, so the measurement is the
# servers' claim + run + commit path alone: from starting the servers to
# the last job completed (read from the jobs table). PostgreSQL is the
# tests' throw-away cluster (scripts/pg-throwaway.sh: loopback, fsync off),
# a fresh database per size. Notes: bench/README.md; figures:
# docs/performance.md. Each server runs at most T jobs at once (default
# 20): with batond's default (1000) the first server to start would claim
# the whole backlog and the others would have nothing to do.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BATON_BUILD:-$root/build}
JOBS=2000
SIZES="1 2 4"
ACTS=5
THROTTLE=20
while [[ $# -gt 0 ]]; do
    case $1 in
    --build) BUILD=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --activities) ACTS=$2; shift 2 ;;
    --throttle) THROTTLE=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--jobs N] [--sizes '1 2 4'] [--activities K] [--throttle T]" >&2; exit 2 ;;
    esac
done
BATOND=$BUILD/batond
[[ -x $BATOND ]] || { echo "no batond at $BATOND (build first)" >&2; exit 2; }
PG_BIN=${BATON_PG_BIN:-/usr/lib/postgresql/15/bin}
[[ -x $PG_BIN/psql ]] || { echo "PostgreSQL 15 is needed (scripts/install-deps.sh test)" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/baton-scale.XXXXXX")
PIDS=()
PG_DIR=
cleanup() {
    set +e # every step, whatever the one before did
    local p
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    [[ -n $PG_DIR ]] && bash "$root/scripts/pg-throwaway.sh" stop "$PG_DIR"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

out=$(bash "$root/scripts/pg-throwaway.sh" start)
BASE_URL=$(sed -n 1p <<<"$out")
PG_DIR=$(sed -n 2p <<<"$out")
PG_HOST=$(sed -E 's|.*@([^:/]+):([0-9]+)/.*|\1|' <<<"$BASE_URL")
PG_PORT=$(sed -E 's|.*@([^:/]+):([0-9]+)/.*|\2|' <<<"$BASE_URL")
psql_q() { "$PG_BIN/psql" -h "$PG_HOST" -p "$PG_PORT" -U baton -d "$1" -Atqc "$2"; }

mkdir -p "$WORK/runbooks"
{
    echo "name: Scale"
    echo "folder: /Bench"
    echo "activities:"
    echo "  - {id: start, type: initialize-data}"
    for ((k = 1; k <= ACTS; k++)); do
        echo "  - {id: a$k, type: compare-values, properties: {left: '$k', operator: greater-or-equal, right: '0', type: number}}"
    done
    echo "links:"
    echo "  - {from: start, to: a1}"
    for ((k = 2; k <= ACTS; k++)); do echo "  - {from: a$((k - 1)), to: a$k}"; done
} >"$WORK/runbooks/scale.runbook.yaml"

free_ports() {
    python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))'
}

# cpu_ticks PID...: utime+stime of the processes, in clock ticks.
cpu_ticks() {
    local p t=0 f
    for p in "$@"; do
        f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        f=${f##*) }
        set -- $f
        t=$((t + ${12} + ${13}))
    done
    echo "$t"
}
# PostgreSQL's processes: the postmaster and its children (backends).
pg_pids() {
    local pm
    pm=$(head -1 "$PG_DIR/data/postmaster.pid")
    echo "$pm" $(pgrep -P "$pm")
}

echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
export BATON_ADMIN_PASSWORD=scale-bench-password
declare -A RATE SHARE
for n in $SIZES; do
    db=scale$n
    psql_q baton "CREATE DATABASE $db" >/dev/null
    URL=${BASE_URL%/baton}/$db
    read -r WEB MGMT < <(free_ports)
    "$BATOND" --config /dev/null --db "$URL" --roles web,management --bind 127.0.0.1 \
        --web-port "$WEB" --mgmt-port "$MGMT" --data-dir "$WORK/web$n" \
        --samples-dir "$WORK/runbooks" >"$WORK/web$n.log" 2>&1 &
    WEB_PID=$!
    PIDS+=("$WEB_PID")
    for ((i = 0; i < 300; i++)); do
        grep -q 'batond ready' "$WORK/web$n.log" && break
        kill -0 "$WEB_PID" 2>/dev/null || break
        sleep 0.1
    done
    grep -q 'batond ready' "$WORK/web$n.log" || { cat "$WORK/web$n.log" >&2; exit 1; }
    # The backlog, through the web service (one keep-alive connection).
    python3 - "$WEB" "$JOBS" <<'PY'
import base64, http.client, json, os, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
auth = base64.b64encode(("admin:" + os.environ["BATON_ADMIN_PASSWORD"]).encode()).decode()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
body = json.dumps({"runbook": "/Bench/Scale"})
for i in range(n):
    c.request("POST", "/api/jobs", body, {"Authorization": "Basic " + auth,
                                          "Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status != 201 and r.status != 200:
        sys.exit("POST /api/jobs answered %d" % r.status)
PY
    kill -TERM "$WEB_PID" 2>/dev/null || true
    wait "$WEB_PID" 2>/dev/null || true
    pending=$(psql_q "$db" "SELECT count(*) FROM jobs WHERE status = 0")
    [[ $pending -eq $JOBS ]] || { echo "expected $JOBS pending jobs, found $pending" >&2; exit 1; }

    pg_before=$(cpu_ticks $(pg_pids))
    t0=$(date +%s.%N)
    RB=()
    for ((s = 1; s <= n; s++)); do
        "$BATOND" --config /dev/null --db "$URL" --roles runbook-server \
            --name "rb$s" --throttle "$THROTTLE" --data-dir "$WORK/rb$n-$s" \
            >"$WORK/rb$n-$s.log" 2>&1 &
        RB+=($!)
        PIDS+=($!)
    done
    # Polled 4 times a second: each look is a psql process and a backend,
    # load the servers would otherwise not have.
    while :; do
        read -r done_n failed < <(psql_q "$db" "SELECT count(*) FILTER (WHERE status = 2), count(*) FILTER (WHERE status IN (3, 4)) FROM jobs" | tr '|' ' ')
        [[ $done_n -ge $JOBS ]] && break
        [[ $failed -eq 0 ]] || { echo "$failed jobs failed or were canceled" >&2; exit 1; }
        sleep 0.25
    done
    t1=$(date +%s.%N)
    rb_ticks=$(cpu_ticks "${RB[@]}")
    pg_ticks=$(($(cpu_ticks $(pg_pids)) - pg_before))
    for p in "${RB[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${RB[@]}"; do wait "$p" 2>/dev/null || true; done
    RATE[$n]=$(python3 -c "print('%.0f' % ($JOBS / ($t1 - $t0)))")
    SHARE[$n]=$(python3 -c "t=$pg_ticks+$rb_ticks; print('%.0f' % (100.0 * $pg_ticks / t if t else 0))")
    printf '%d runbook server(s): %d jobs of %d activities in %.2f s = %s jobs/s; CPU: PostgreSQL %d ticks, runbook servers %d ticks (database share %s%%)\n' \
        "$n" "$JOBS" "$ACTS" "$(python3 -c "print($t1 - $t0)")" "${RATE[$n]}" \
        "$pg_ticks" "$rb_ticks" "${SHARE[$n]}"
done

echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
first=${SIZES%% *}
json="{\"jobs\": $JOBS, \"activities\": $ACTS, \"throttle\": $THROTTLE, \"cores\": $(nproc)"
for n in $SIZES; do
    ratio=$(python3 -c "print('%.2f' % (${RATE[$n]} / ${RATE[$first]}))")
    echo "$n server(s): ${RATE[$n]} jobs/s, ${ratio}x the $first-server run, database ${SHARE[$n]}% of the CPU"
    json+=", \"servers_$n\": {\"jobs_per_s\": ${RATE[$n]}, \"vs_$first\": $ratio, \"db_cpu_share_pct\": ${SHARE[$n]}}"
done
echo "$json}"
