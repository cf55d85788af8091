#!/usr/bin/env bash
# Web service benchmark: batond's JSON API and OData endpoint driven by wrk on
# loopback, next to nginx serving static files in the same run (so the
# ratios hold on any machine): the /api/runbooks answer (8 KB, the one
# baseline every GET is compared with) and, for each GET, its own answer
# byte for byte (the like-for-like baseline: the same bytes to move).
#
#   bench/web/run.sh [--build DIR] [--duration 10s] [--threads 2]
#                    [--connections 32] [--rounds 3] [--seed-jobs 200]
#                    [--db-options '?sync=normal'] [--auth on|off] [--keep]
#
# Endpoints: GET /api/runbooks, GET /api/jobs/{id} (a finished 3-activity job),
# GET OData Jobs?$top=50 (Atom), GET /api/health (the HTTP layer's own cost,
# no target), POST /api/jobs (a 2-activity in-process
# runbook; the runbook server runs the jobs in the same batond). The GETs and
# the nginx baseline take turns for --rounds rounds; the middle round of each
# (by requests/s) is reported. Targets (issue): GETs >= 50% of nginx's
# requests/s, judged against both baselines and reported as such;
# POST /api/jobs >= 2,000 jobs/s. --db-options is appended to
# the SQLite URL (store options, docs/store.md). --auth is passed to batond
# (default: batond's own, on); with it on, wrk logs in with HTTP Basic as
# the first administrator. Notes: bench/README.md,
# figures: docs/performance.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

BUILD=${BATON_BUILD:-$root/build}
DURATION=10s
WARMUP=2s
THREADS=2
CONNS=32
ROUNDS=3
SEED=200
KEEP=0
DB_OPTS=
AUTH_MODE=
while [[ $# -gt 0 ]]; do
    case $1 in
    --build) BUILD=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --connections) CONNS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --seed-jobs) SEED=$2; shift 2 ;;
    --db-options) DB_OPTS=$2; shift 2 ;;
    --auth) AUTH_MODE=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h | --help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-web: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ $BUILD = /* ]] || BUILD=$PWD/$BUILD

say() { printf 'bench-web: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# ---- tools -------------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx)
command -v curl >/dev/null || need+=(curl)
if ((${#need[@]})); then
    if [[ $(id -u) = 0 ]] && command -v apt-get >/dev/null; then
        say "installing ${need[*]} (apt-get)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null ||
            die "apt-get install ${need[*]} failed"
    else
        die "needs ${need[*]}: run 'sudo apt-get install ${need[*]}' (Debian packages) and try again"
    fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
BATOND=$BUILD/batond
[[ -x $BATOND ]] || die "no $BATOND: build first (cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j2), or pass --build DIR"

# ---- scratch space, clean-up ---------------------------------------------------
T=$(mktemp -d /tmp/baton-bench-web.XXXXXX)
# nginx's workers run as 'nobody' when started as root: they must be able to
# read the document root (the scratch dir holds nothing secret).
chmod 755 "$T"
BATOND_PID= NGINX_PID=
cleanup() {
    [[ -n $BATOND_PID ]] && kill "$BATOND_PID" 2>/dev/null && wait "$BATOND_PID" 2>/dev/null
    [[ -n $NGINX_PID ]] && kill -QUIT "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    if ((KEEP)); then say "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A loopback port nobody listens on (bash's /dev/tcp: no extra tool needed).
free_port() {
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# utime+stime (clock ticks) of the given processes, all their threads.
cpu_ticks() {
    local t=0 pid v
    for pid in "$@"; do
        v=$(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$pid/stat" 2>/dev/null) || v=0
        t=$((t + v))
    done
    echo "$t"
}
HZ=$(getconf CLK_TCK)

# ---- batond ------------------------------------------------------------------
WEB_PORT=$(free_port) || die "no free loopback port"
mkdir -p "$T/runbooks" "$T/data"
cp "$root"/examples/*.runbook.yaml "$T/runbooks/"
# The POST target: finishes at once (no child process), so the benchmark
# measures job creation and the runbook server's bookkeeping, not a program.
cat >"$T/runbooks/bench-quick.runbook.yaml" <<'EOF'
name: Quick
folder: /Bench
parameters:
  - {name: n, type: integer, default: 1}
returns: [n]
activities:
  - {id: start, type: initialize-data}
  - {id: done, type: return-data, properties: {n: "{start.n}"}}
links:
  - {from: start, to: done}
EOF
# If authentication has landed, batond creates an administrator from this;
# an older batond ignores the variable.
ADMIN_USER=${BATON_BENCH_USER:-admin}
ADMIN_PASSWORD=bench-$RANDOM$RANDOM$RANDOM
AUTH_ARGS=()
if [[ -n $AUTH_MODE ]]; then
    "$BATOND" --help 2>&1 | grep -q -- '--auth' || die "this batond has no --auth setting"
    AUTH_ARGS=(--auth "$AUTH_MODE")
fi
BATON_ADMIN_PASSWORD=$ADMIN_PASSWORD "$BATOND" "${AUTH_ARGS[@]}" --roles web,runbook-server \
    --data-dir "$T/data" --db "sqlite:$T/data/baton.db$DB_OPTS" --bind 127.0.0.1 --web-port "$WEB_PORT" \
    --samples --samples-dir "$T/runbooks" --name bench-web --purge-at off \
    >"$T/batond.log" 2>&1 &
BATOND_PID=$!
BASE=http://127.0.0.1:$WEB_PORT
for _ in $(seq 100); do
    curl -fsS -o /dev/null "$BASE/api/health" 2>/dev/null && break
    kill -0 "$BATOND_PID" 2>/dev/null || { cat "$T/batond.log" >&2; die "batond exited"; }
    sleep 0.1
done
curl -fsS -o /dev/null "$BASE/api/health" || { cat "$T/batond.log" >&2; die "batond does not answer on $BASE"; }

AUTH=
CURL_AUTH=()
AUTH_DESC="no credentials asked"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/runbooks")
if [[ $code = 401 ]]; then
    AUTH="Basic $(printf '%s:%s' "$ADMIN_USER" "$ADMIN_PASSWORD" | base64 -w0)"
    CURL_AUTH=(-H "Authorization: $AUTH")
    code=$(curl -s -o /dev/null -w '%{http_code}' "${CURL_AUTH[@]}" "$BASE/api/runbooks")
    [[ $code = 200 ]] || die "batond wants credentials and refused $ADMIN_USER with BATON_ADMIN_PASSWORD (HTTP $code); set BATON_BENCH_USER"
    say "batond wants credentials: sending Basic $ADMIN_USER (every request pays for its check)"
    AUTH_DESC="authentication on, HTTP Basic as $ADMIN_USER"
elif [[ $code != 200 ]]; then
    die "GET /api/runbooks answered HTTP $code"
fi
api() { curl -fsS "${CURL_AUTH[@]}" "$@"; }

ODATA=$BASE/Orchestrator2012/Orchestrator.svc
job_count() { # OData $filter on Status, or all jobs
    local q=
    [[ -n ${1:-} ]] && q="?%24filter=$1"
    api "$ODATA/Jobs/%24count$q"
}
UNFINISHED="Status%20eq%20'Pending'%20or%20Status%20eq%20'Running'"
wait_idle() { # until no job is pending or running; prints the seconds it took
    local t0 n
    t0=$(date +%s.%N)
    for _ in $(seq 6000); do
        n=$(job_count "$UNFINISHED")
        [[ $n = 0 ]] && break
        sleep 0.1
    done
    [[ $n = 0 ]] || die "jobs still unfinished after 600 s: $n"
    echo "$(date +%s.%N) - $t0" | bc -l
}

# Seed: enough finished jobs for a 50-entry feed, and one job of a runbook
# that runs a program, so that GET /api/jobs/{id} carries instances,
# activities and published rows.
say "seeding $SEED jobs"
urls=()
for _ in $(seq "$SEED"); do urls+=("$BASE/api/jobs"); done
api -X POST -H 'Content-Type: application/json' \
    -d '{"runbook": "/Bench/Quick"}' "${urls[@]}" >/dev/null
JOB=$(api -X POST -H 'Content-Type: application/json' \
    -d '{"runbook": "/Hello", "parameters": {"who": "bench"}}' "$BASE/api/jobs" |
    sed -n 's/^{"id": *\([0-9]*\).*/\1/p')
[[ -n $JOB ]] || die "could not start a /Hello job"
wait_idle >/dev/null
api "$BASE/api/jobs/$JOB" | grep -q '"status": *"completed"' ||
    die "job $JOB did not complete: $(api "$BASE/api/jobs/$JOB")"

# Orchestrator scripts' reads of one job's results, each timed alone (the
# median of 21 in a row, in ms): what a script polling its job waits for.
# Run at the seeded size and again after the POST run has added thousands
# of jobs, so a read that grows with the table shows.
READS=$T/reads
: >"$READS"
first_id() { grep -o '"Id": *"[0-9a-f-]*"' | head -1 | sed 's/.*"\([0-9a-f-]*\)"$/\1/'; }
median_ms() {
    local url=$1 i
    for i in $(seq 21); do curl -s "${CURL_AUTH[@]}" -o /dev/null -w '%{time_total}\n' "$url"; done |
        sort -g | sed -n 11p | awk '{printf "%.2f", $1 * 1000}'
}
script_reads() { # LABEL: one line per read into $READS
    local j i a r
    # the /Bench/Quick runbook's newest finished job: the POST run's jobs
    r=$(api "$ODATA/Runbooks?%24format=json&%24filter=Name%20eq%20'Quick'" | first_id)
    j=$(api "$ODATA/Runbooks(guid'$r')/Jobs?%24format=json&%24top=1&%24orderby=CreationTime%20desc&%24filter=Status%20eq%20'Completed'" | first_id)
    i=$(api "$ODATA/Jobs(guid'$j')/Instances?%24format=json" | first_id)
    a=$(api "$ODATA/RunbookInstances(guid'$i')/ActivityInstances?%24format=json" | first_id)
    [[ -n $j && -n $i && -n $a && -n $r ]] || die "no finished job with an activity to read ($j/$i/$a/$r)"
    local -a reads=(
        "Jobs(guid'J')|$ODATA/Jobs(guid'$j')"
        "Jobs(guid'J')/Instances|$ODATA/Jobs(guid'$j')/Instances"
        "RunbookInstances(guid'I')/Parameters|$ODATA/RunbookInstances(guid'$i')/Parameters"
        "RunbookInstances(guid'I')/ActivityInstances|$ODATA/RunbookInstances(guid'$i')/ActivityInstances"
        "ActivityInstances(guid'A')/Data|$ODATA/ActivityInstances(guid'$a')/Data"
        "ActivityInstances?\$filter=RunbookInstanceId eq guid'I'|$ODATA/ActivityInstances?%24filter=RunbookInstanceId%20eq%20guid'$i'"
        "Jobs/\$count|$ODATA/Jobs/%24count"
        "Runbooks(guid'R')/Jobs|$ODATA/Runbooks(guid'$r')/Jobs"
        "Runbooks(guid'R')/Instances|$ODATA/Runbooks(guid'$r')/Instances"
        "RunbookInstances?\$filter=Status eq 'InProgress'|$ODATA/RunbookInstances?%24filter=Status%20eq%20'InProgress'"
        "RunbookInstances?\$top=50|$ODATA/RunbookInstances?%24top=50"
        "ActivityInstances?\$top=50|$ODATA/ActivityInstances?%24top=50"
    )
    local r
    for r in "${reads[@]}"; do
        printf '%s|%s|%s\n' "$1" "${r%%|*}" "$(median_ms "${r#*|}")" >>"$READS"
    done
}
script_reads seeded

# ---- nginx -------------------------------------------------------------------
NGINX_PORT=$(free_port) || die "no free loopback port"
N=$T/nginx
mkdir -p "$N/www" "$N/tmp"
chmod 755 "$N" "$N/www"
# The static answers are the service's own, byte for byte: /api/runbooks
# (the common baseline) and each other GET's answer (its like-for-like one).
api -o "$N/www/runbooks.json" "$BASE/api/runbooks"
api -o "$N/www/job.json" "$BASE/api/jobs/$JOB"
api -o "$N/www/odata.xml" "$ODATA/Jobs?%24top=50"
chmod 644 "$N/www/"*
# Workers: one per core (what 'auto' picks), so nginx may use every core,
# as batond's per-connection threads may. keepalive_requests is raised so
# that nginx, like libmicrohttpd, keeps wrk's connections for the whole run
# (its default closes one after 1,000 requests).
NGINX_WORKERS=$(nproc)
cat >"$N/nginx.conf" <<EOF
worker_processes $NGINX_WORKERS;
daemon off;
pid $N/nginx.pid;
error_log $N/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $N/tmp/body;
    proxy_temp_path $N/tmp/proxy;
    fastcgi_temp_path $N/tmp/fastcgi;
    uwsgi_temp_path $N/tmp/uwsgi;
    scgi_temp_path $N/tmp/scgi;
    default_type application/json;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $N/www;
    }
}
EOF
"$NGINX" -p "$N" -e "$N/error.log" -c "$N/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 50); do
    curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/runbooks.json" 2>/dev/null && break
    sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/runbooks.json" ||
    { cat "$N/error.log" >&2; die "nginx does not answer"; }
NGINX_PIDS=("$NGINX_PID" $(pgrep -P "$NGINX_PID"))

# ---- runs --------------------------------------------------------------------
RES=$T/results
: >"$RES"
# run_wrk LABEL URL PIDS-VAR [METHOD BODY]: one measured wrk run (after a
# warm-up for GETs); appends "LABEL BW_RESULT ... cpu_s=" to $RES.
run_wrk() {
    local label=$1 url=$2 pidvar=$3 method=${4:-GET} body=${5:-} out c0 c1
    local -n pids=$pidvar
    export BW_METHOD=$method BW_BODY=$body BW_AUTH=$AUTH
    if [[ $method = GET ]]; then
        wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$here/wrk.lua" "$url" >/dev/null
    fi
    c0=$(cpu_ticks "${pids[@]}")
    # --timeout 10s: a slow answer counts in the latency instead of being
    # dropped as a socket error at wrk's default 2 s
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 10s --latency -s "$here/wrk.lua" "$url")
    c1=$(cpu_ticks "${pids[@]}")
    line=$(grep '^BW_RESULT' <<<"$out") || die "wrk gave no result for $label: $out"
    echo "$label round=${ROUND:-0} ${line#BW_RESULT } cpu_s=$(echo "($c1 - $c0) / $HZ" | bc -l)" >>"$RES"
    say "$label: $(sed 's/.*rps=\([^ ]*\).*p99_ms=\([^ ]*\).*/\1 req\/s, p99 \2 ms/' <<<"$line")"
}
BATOND_PIDS=("$BATOND_PID")

say "$("$BATOND" --version 2>&1 | head -1) on :$WEB_PORT, nginx ($NGINX_WORKERS workers) on :$NGINX_PORT"
say "wrk: $THREADS threads, $CONNS connections, $DURATION per run ($WARMUP warm-up), $ROUNDS rounds"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# CPU busy before the first run (nothing of ours is running then): what the
# rest of the machine takes from the benchmark.
cpu_sample() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat; }
read -r b0 i0 < <(cpu_sample); sleep 2; read -r b1 i1 < <(cpu_sample)
BUSY_BEFORE=$(( 100 * (b1 - b0) / (b1 - b0 + i1 - i0 + 1) ))
NGINX_URL=http://127.0.0.1:$NGINX_PORT
for ROUND in $(seq "$ROUNDS"); do
    run_wrk nginx "$NGINX_URL/runbooks.json" NGINX_PIDS
    run_wrk runbooks "$BASE/api/runbooks" BATOND_PIDS
    run_wrk nginx_job "$NGINX_URL/job.json" NGINX_PIDS
    run_wrk job "$BASE/api/jobs/$JOB" BATOND_PIDS
    run_wrk nginx_odata "$NGINX_URL/odata.xml" NGINX_PIDS
    run_wrk odata "$ODATA/Jobs?%24top=50" BATOND_PIDS
    run_wrk health "$BASE/api/health" BATOND_PIDS
done

# POST: jobs created per second; then whether the runbook server kept up.
jobs_before=$(job_count)
done_before=$(job_count "Status%20eq%20'Completed'")
run_wrk post "$BASE/api/jobs" BATOND_PIDS POST '{"runbook": "/Bench/Quick", "parameters": {"n": 7}}'
jobs_after=$(job_count)
done_after=$(job_count "Status%20eq%20'Completed'")
backlog=$(job_count "$UNFINISHED")
drain_s=$(wait_idle)
failed=$(job_count "Status%20eq%20'Failed'")
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
# The OData feed again, now over a table holding every job of the POST run.
run_wrk odata_big "$ODATA/Jobs?%24top=50" BATOND_PIDS
script_reads after_post

# ---- report ------------------------------------------------------------------
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
# ratio of LABEL to the BASELINE run (default nginx) of the same round,
# middle of the rounds
paired_ratio() {
    awk -v k="$1" -v base="${2:-nginx}" '
        { r = ""; v = ""
          for (i = 2; i <= NF; i++) { if ($i ~ /^round=/) r = substr($i, 7); if ($i ~ /^rps=/) v = substr($i, 5) } }
        $1 == base { n[r] = v }
        $1 == k { x[r] = v }
        END { for (r in x) if (n[r] > 0) print x[r] / n[r] }' "$RES" |
        sort -g | awk '{a[NR] = $0} END {print a[int((NR + 1) / 2)]}'
}
# the middle run of LABEL by requests/s
middle() {
    grep "^$1 " "$RES" | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^rps=/) print substr($i, 5), $0}' |
        sort -n | awk '{a[NR] = $0} END {print a[int((NR + 1) / 2)]}' | cut -d' ' -f2-
}
size() { curl -s "${CURL_AUTH[@]}" -o /dev/null -w '%{size_download}' "$1"; }

ngx=$(middle nginx)
ngx_rps=$(field " $ngx" rps)
declare -A SIZE=(
    [nginx]=$(size "$NGINX_URL/runbooks.json")
    [nginx_job]=$(size "$NGINX_URL/job.json")
    [nginx_odata]=$(size "$NGINX_URL/odata.xml")
    [runbooks]=$(size "$BASE/api/runbooks")
    [job]=$(size "$BASE/api/jobs/$JOB")
    [odata]=$(stat -c %s "$N/www/odata.xml") # the page before the POST run
    [odata_big]=$(size "$ODATA/Jobs?%24top=50")
    [health]=$(size "$BASE/api/health")
    [post]=-
)
declare -A NAME=(
    [nginx]="nginx static file (the /api/runbooks answer)"
    [nginx_job]="nginx static file (the job's answer)"
    [nginx_odata]="nginx static file (the OData page)"
    [runbooks]="GET /api/runbooks"
    [job]="GET /api/jobs/$JOB"
    [odata]="GET OData Jobs?\$top=50 ($jobs_before jobs)"
    [odata_big]="GET OData Jobs?\$top=50 ($jobs_after jobs)"
    [health]="GET /api/health (HTTP layer, no target)"
    [post]="POST /api/jobs"
)
echo
echo "Web service benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, CPU busy before the start ${BUSY_BEFORE}%, load average $LOAD_BEFORE before, $LOAD_AFTER after (our own threads count in it)"
echo "$("$BATOND" --version 2>&1 | head -1) (SQLite store${DB_OPTS:+ $DB_OPTS}; $AUTH_DESC), $("$NGINX" -v 2>&1 | sed 's/.*: //') ($NGINX_WORKERS workers), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), Linux $(uname -r)"
pkgs=$(dpkg-query -W -f '${Package} ${Version}, ' libmicrohttpd12 libsqlite3-0 libjansson4 libyaml-0-2 2>/dev/null) && echo "${pkgs%, }"
echo "wrk: $THREADS threads, $CONNS connections, $DURATION per run; GETs: middle of $ROUNDS rounds; vs_nginx = middle of the per-round ratios to nginx serving the 8 KB /api/runbooks answer; vs_same = the same to nginx serving this endpoint's own answer byte for byte; server CPU = the server's own CPU time per request"
echo
# the like-for-like baseline of each GET (the /api/runbooks answer is its own)
declare -A SAME=([runbooks]=nginx [job]=nginx_job [odata]=nginx_odata [odata_big]=nginx_odata)
printf '%-46s %7s %9s %8s %8s %8s %8s %9s %7s\n' endpoint bytes req/s p50_ms p99_ms vs_nginx vs_same cpu_us/req errors
json="{\"date\": \"$(date -u +%FT%TZ)\", \"cpu_busy_before_pct\": $BUSY_BEFORE, \"nginx_workers\": $NGINX_WORKERS, \"threads\": $THREADS, \"connections\": $CONNS, \"duration\": \"$DURATION\""
for k in nginx runbooks nginx_job job nginx_odata odata odata_big health post; do
    l=$(middle "$k")
    [[ -n $l ]] || continue
    rps=$(field " $l" rps) req=$(field " $l" requests)
    ratio=$(paired_ratio "$k")
    [[ -n $ratio ]] || ratio=$(echo "$rps / $ngx_rps" | bc -l)
    same=-
    if [[ -n ${SAME[$k]:-} ]]; then
        same=$(paired_ratio "$k" "${SAME[$k]}")
        # odata_big runs once, after the rounds: its like-for-like figure
        # is against the middle nginx_odata run
        [[ -n $same ]] || same=$(echo "$rps / $(field " $(middle "${SAME[$k]}")" rps)" | bc -l)
        json+=", \"${k}_vs_same\": $(printf '%.3f' "$same")"
        same=$(printf '%.2f' "$same")
    fi
    # a run where no answer came back within wrk's timeout has no per-request figure
    if ((req == 0)); then cpu_us=-1; else cpu_us=$(echo "$(field " $l" cpu_s) * 1000000 / $req" | bc -l); fi
    errs=$(($(field " $l" non2xx) + $(field " $l" sock_errors)))
    printf '%-46s %7s %9.0f %8.2f %8.2f %8.2f %8s %9.0f %7s\n' "${NAME[$k]}" "${SIZE[$k]}" "$rps" \
        "$(field " $l" p50_ms)" "$(field " $l" p99_ms)" "$ratio" "$same" "$cpu_us" "$errs"
    json+=", \"${k}_rps\": $rps, \"${k}_p99_ms\": $(field " $l" p99_ms), \"${k}_vs_nginx\": $(printf '%.3f' "$ratio"), \"${k}_cpu_us_per_req\": $(printf '%.0f' "$cpu_us")"
done
post=$(middle post)
post_s=$(field " $post" duration_s)
created=$((jobs_after - jobs_before))
created_rps=$(echo "$created / $post_s" | bc -l)
ran_during=$((done_after - done_before))
ran_rps=$(echo "$ran_during / $post_s" | bc -l)
overall=$(echo "($created) / ($post_s + $drain_s)" | bc -l)
echo
printf 'POST /api/jobs: %d jobs created in %.1f s = %.0f jobs/s (%d refused)\n' \
    "$created" "$post_s" "$created_rps" "$(field " $post" non2xx)"
printf 'runbook server: %d completed during the run (%.0f jobs/s), %d pending or running when it ended, drained in %.1f s; %.0f jobs/s from first POST to last completion; %d failed\n' \
    "$ran_during" "$ran_rps" "$backlog" "$drain_s" "$overall" "$failed"
json+=", \"jobs_created\": $created, \"jobs_created_per_s\": $(printf '%.0f' "$created_rps"), \"jobs_completed_during_post_per_s\": $(printf '%.0f' "$ran_rps"), \"backlog_at_end\": $backlog, \"drain_s\": $(printf '%.2f' "$drain_s"), \"jobs_failed\": $failed"
echo
echo
printf '%-52s %14s %14s\n' "OData read (median of 21, ms)" "$jobs_before jobs" "$jobs_after jobs"
while IFS='|' read -r label what ms; do
    [[ $label = seeded ]] || continue
    after=$(awk -F'|' -v w="$what" '$1 == "after_post" && $2 == w {print $3}' "$READS")
    printf '%-52s %14s %14s\n' "$what" "$ms" "$after"
    key=$(tr -c 'A-Za-z0-9\n' _ <<<"$what" | tr -s _ | sed 's/_$//')
    json+=", \"read_${key}_ms\": [$ms, ${after:-null}]"
done <"$READS"
echo
verdict() { if [[ $(echo "$1 >= 0.5" | bc -l) = 1 ]]; then echo met; else echo MISSED; fi; }
for k in runbooks job odata; do
    r=$(paired_ratio "$k") same=$(paired_ratio "$k" "${SAME[$k]}")
    printf 'target %s >= 50%% of nginx: %s against the 8 KB file (%.2f), %s against the same bytes (%.2f)\n' \
        "${NAME[$k]}" "$(verdict "$r")" "$r" "$(verdict "$same")" "$same"
done
if [[ $(echo "$created_rps >= 2000" | bc -l) = 1 ]]; then echo "target POST /api/jobs >= 2,000 jobs/s: met"; else echo "target POST /api/jobs >= 2,000 jobs/s: MISSED"; fi
echo "$json}"
exit 0
