#!/usr/bin/env bash
# test_batond.sh's many-machine part on PostgreSQL: a web service and two
# runbook servers (separate batond processes) on one throw-away cluster;
# failing job, cancel, fail-over after kill -9, shutdown with a job held.
# Passes with a notice when PostgreSQL 15 is not installed.
here=$(cd "$(dirname "$0")" && pwd)
src=${BATON_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
if [[ ! -x ${BATON_PG_BIN:-/usr/lib/postgresql/15/bin}/initdb ]]; then
    echo "skipped: PostgreSQL 15 is not installed (scripts/install-deps.sh test)"
    exit 0
fi
exec bash "$src/scripts/pg-throwaway.sh" run bash "$here/test_batond.sh"
