#!/usr/bin/env bash
# The management server over HTTPS with batond's tls_cert / tls_key (the
# web service's), and the CLI trusting a private CA with BATON_CA_FILE or
# `ca_file =` in its config file: a self-signed certificate made here.
source "$(dirname "$0")/lib.sh"

BATOND=$BUILD/batond
[[ -x $BATOND ]] || { echo "no batond at $BATOND" >&2; exit 2; }
command -v openssl >/dev/null || { echo "openssl is not installed: skipped"; exit 0; }
ADMIN_PW=e2e-tls-password
export BATON_ADMIN_PASSWORD=$ADMIN_PW BATON_USER=admin BATON_PASSWORD=$ADMIN_PW
unset BATON_TOKEN BATON_MGMT_URL BATON_URL BATON_CA_FILE
export XDG_CONFIG_HOME=$SCRATCH/config

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

CERT=$SCRATCH/cert.pem KEY=$SCRATCH/key.pem
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$KEY" -out "$CERT" >/dev/null 2>&1 ||
    { echo "openssl could not make a certificate" >&2; exit 1; }

read -r WEB CONSOLE MGMT < <(free_ports 3)
"$BATOND" --data-dir "$SCRATCH/data" --bind 127.0.0.1 --web-port "$WEB" \
    --console-port "$CONSOLE" --mgmt-port "$MGMT" --name rbT \
    --tls-cert "$CERT" --tls-key "$KEY" >"$SCRATCH/batond.log" 2>&1 &
PID=$!
wait_batond "$SCRATCH/batond.log" "$PID" || { cat "$SCRATCH/batond.log"; echo "batond did not start" >&2; exit 1; }
O=$SCRATCH/o
URL=https://127.0.0.1:$MGMT

grep -q "management server: listening on 127.0.0.1 port $MGMT: $URL/api/health" "$SCRATCH/batond.log" &&
    pass "batond says the management server speaks https" || fail "log line" "$(grep management "$SCRATCH/batond.log")"

BATON_CA_FILE=$CERT run_baton "$O.ok" folder mkdir /Secure --mgmt-url "$URL"
[[ $RC -eq 0 ]] && pass "baton over HTTPS with BATON_CA_FILE" || fail "https rc $RC" "$(cat "$O.ok.err")"
BATON_CA_FILE=$CERT run_baton "$O.ls" ls / --mgmt-url "$URL"
grep -q "Secure/" "$O.ls.out" && pass "ls over HTTPS" || fail "ls https" "$(cat "$O.ls.out" "$O.ls.err")"

run_baton "$O.untrusted" ls / --mgmt-url "$URL"
[[ $RC -eq 1 ]] && grep -qi "certificate" "$O.untrusted.err" && grep -q "cannot reach the management server at $URL" "$O.untrusted.err" &&
    pass "an untrusted certificate: exit 1, saying so" || fail "untrusted rc $RC" "$(cat "$O.untrusted.err")"

BATON_CA_FILE=$SCRATCH/nope.pem run_baton "$O.noca" ls / --mgmt-url "$URL"
[[ $RC -eq 2 ]] && grep -q "cannot read the CA file '$SCRATCH/nope.pem'" "$O.noca.err" &&
    pass "a missing CA file is named (exit 2)" || fail "missing CA rc $RC" "$(cat "$O.noca.err")"

run_baton "$O.plain" ls / --mgmt-url "http://127.0.0.1:$MGMT"
[[ $RC -eq 1 ]] && pass "plain HTTP to the HTTPS port fails (exit 1)" || fail "plain rc $RC" "$(cat "$O.plain.err")"

mkdir -p "$XDG_CONFIG_HOME/baton"
printf 'mgmt_url = %s\nca_file = %s\nurl = https://127.0.0.1:%s\n' "$URL" "$CERT" "$WEB" >"$XDG_CONFIG_HOME/baton/config"
run_baton "$O.cfg" ls /
[[ $RC -eq 0 ]] && grep -q "Secure/" "$O.cfg.out" && pass "ca_file and mgmt_url from the config file" ||
    fail "config ca_file rc $RC" "$(cat "$O.cfg.err")"
run_baton "$O.web" runbooks
[[ $RC -eq 0 ]] && pass "the web service's commands trust the same CA file" || fail "web https rc $RC" "$(cat "$O.web.err")"

finish
