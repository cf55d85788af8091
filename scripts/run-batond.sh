#!/usr/bin/env bash
# `make run`: batond with every role on SQLite under ./baton-data, with the
# bundled sample runbooks loaded on first start. As root it uses the
# standard ports (web 81, console 82, management 135); otherwise 8081,
# 8082 and 8135, since ports below 1024 need root. BATON_WEB_PORT,
# BATON_CONSOLE_PORT, BATON_MGMT_PORT and BATON_DATA_DIR override them.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then
    web=81 console=82 mgmt=135
else
    web=8081 console=8082 mgmt=8135
    echo "run-batond: not root, so using ports 8081 (web), 8082 (console) and 8135 (management)" \
         "instead of 81/82/135 (set BATON_WEB_PORT etc. to change them)"
fi
web=${BATON_WEB_PORT:-$web}
console=${BATON_CONSOLE_PORT:-$console}
mgmt=${BATON_MGMT_PORT:-$mgmt}
data=${BATON_DATA_DIR:-$PWD/baton-data}
# Authentication is on: the first start creates the user admin, with
# BATON_ADMIN_PASSWORD when set, else a generated password that batond
# prints once and writes to $data/admin-password.
if [ -n "${BATON_ADMIN_PASSWORD:-}" ]; then
    login="export BATON_USER=admin BATON_PASSWORD=\$BATON_ADMIN_PASSWORD"
else
    login="export BATON_USER=admin BATON_PASSWORD=\$(cat $data/admin-password)   # first start: also printed below"
fi
cat <<MSG
run-batond: data in $data; stop with Ctrl-C. In another terminal:
  export BATON_URL=http://127.0.0.1:$web
  $login
  $build/baton runbooks
  $build/baton start Hello --param who=you --wait
  $build/baton jobs
MSG
exec "$build/batond" --samples --data-dir "$data" \
    --web-port "$web" --console-port "$console" --mgmt-port "$mgmt"
