#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster for tests.
#   scripts/pg-throwaway.sh start         prints the URL, then the cluster's
#                                         directory (pass it to stop)
#   scripts/pg-throwaway.sh stop DIR      stops the cluster, removes DIR
#   scripts/pg-throwaway.sh restart DIR   restarts the server (fault tests)
#   scripts/pg-throwaway.sh run CMD...    start, run CMD with
#                                         BATON_TEST_STORE_URL and
#                                         BATON_TEST_PG_DIR set, stop
# The cluster listens on 127.0.0.1 only, on a free port, with trust
# authentication and its unix socket inside DIR. PostgreSQL refuses to run
# as root, so as root (CI) the server runs as the user baton-test when it
# exists, else as nobody; DIR is owned by that user. fsync is off: the
# cluster is for tests of Baton's semantics, not of the disk.
# Exit status 77 (ctest's "skipped") when PostgreSQL 15 is not installed.
set -euo pipefail

bin=${BATON_PG_BIN:-/usr/lib/postgresql/15/bin}

pg_user() {
    if [ "$(id -u)" -ne 0 ]; then id -un
    elif id -u baton-test >/dev/null 2>&1; then echo baton-test
    else echo nobody
    fi
}

# Runs a command as the cluster's owner, from a directory it may enter.
as_owner() {
    local dir=$1
    shift
    if [ "$(id -u)" -eq 0 ]; then
        (cd "$dir" && runuser -u "$(pg_user)" -- "$@")
    else
        (cd "$dir" && "$@")
    fi
}

start() {
    if [ ! -x "$bin/initdb" ]; then
        echo "pg-throwaway: PostgreSQL 15 is not installed ($bin/initdb);" \
             "run scripts/install-deps.sh test" >&2
        exit 77
    fi
    local dir
    dir=$(mktemp -d "${TMPDIR:-/tmp}/baton-pg.XXXXXX")
    chmod 700 "$dir"
    [ "$(id -u)" -eq 0 ] && chown "$(pg_user)" "$dir"
    if ! as_owner "$dir" "$bin/initdb" -D "$dir/data" -U baton -A trust \
            -E UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
        echo "pg-throwaway: initdb failed:" >&2
        cat "$dir/initdb.log" >&2
        rm -rf "$dir"
        exit 1
    fi
    # A port that is free now may be taken before the server binds it:
    # try a few.
    local port="" try
    for try in $(seq 1 20); do
        local p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        cat >"$dir/data/postgresql.auto.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $p
unix_socket_directories = '$dir'
max_connections = 60
shared_buffers = 32MB
fsync = off
full_page_writes = off
synchronous_commit = off
EOF
        [ "$(id -u)" -eq 0 ] && chown "$(pg_user)" "$dir/data/postgresql.auto.conf"
        if as_owner "$dir" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
                -w -t 30 start >/dev/null 2>&1; then
            port=$p
            break
        fi
    done
    if [ -z "$port" ]; then
        echo "pg-throwaway: the server did not start; its log:" >&2
        tail -n 20 "$dir/server.log" >&2 || true
        rm -rf "$dir"
        exit 1
    fi
    if ! "$bin/createdb" -h 127.0.0.1 -p "$port" -U baton baton >&2; then
        stop "$dir"
        exit 1
    fi
    echo "postgresql://baton@127.0.0.1:$port/baton"
    echo "$dir"
}

stop() {
    local dir=${1:?usage: pg-throwaway.sh stop DIR}
    case $dir in
    */baton-pg.*) ;;
    *) echo "pg-throwaway: '$dir' is not a throw-away cluster" >&2; exit 2 ;;
    esac
    if [ -d "$dir/data" ]; then
        as_owner "$dir" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop \
            >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

restart() {
    local dir=${1:?usage: pg-throwaway.sh restart DIR}
    case $dir in
    */baton-pg.*) ;;
    *) echo "pg-throwaway: '$dir' is not a throw-away cluster" >&2; exit 2 ;;
    esac
    as_owner "$dir" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
        -m fast -w -t 30 restart >/dev/null
}

run() {
    local out url
    out=$(start) || exit $?
    url=$(sed -n 1p <<<"$out")
    run_dir=$(sed -n 2p <<<"$out")
    trap 'stop "$run_dir"' EXIT
    trap 'exit 130' INT TERM # so that the EXIT trap stops the cluster
    BATON_TEST_STORE_URL=$url BATON_TEST_PG_DIR=$run_dir "$@"
}

case ${1:-} in
start) start ;;
stop) stop "${2:-}" ;;
restart) restart "${2:-}" ;;
run) shift; run "$@" ;;
*) echo "usage: pg-throwaway.sh start | stop DIR | restart DIR | run CMD..." >&2; exit 2 ;;
esac
