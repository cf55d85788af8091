#!/usr/bin/env bash
# baton ports and baton doctor on loopback, as real processes: the table
# for the configuration (config file < BATON_* < flags, as batond), the
# activities' outbound rows from runbook files and from the database, the
# output formats (JSON parsed; nftables and iptables rules checked by nft
# -c and iptables-restore --test when they are installed), bad input; then
# doctor against a running batond: passing, then failing on a wrong port,
# refused credentials and a stopped service, each naming the row.
source "$(dirname "$0")/lib.sh"

BATOND=$BUILD/batond
[[ -x $BATOND ]] || { echo "no batond at $BATOND" >&2; exit 2; }
FIX=$E2E_DIR/ports
ADMIN_PW=e2e-ports-password
export BATON_ADMIN_PASSWORD=$ADMIN_PW
unset BATON_USER BATON_PASSWORD BATON_TOKEN BATON_URL BATON_MGMT_URL \
    BATON_CONFIG BATON_WEB_PORT BATON_DB BATON_ROLES BATON_CONSOLE_URL
# /etc/baton/baton.conf of the machine must not leak in.
EMPTY_CONF=$SCRATCH/empty.conf
: >"$EMPTY_CONF"

BATOND_PID=
cleanup() {
    [[ -n $BATOND_PID ]] && kill -KILL "$BATOND_PID" 2>/dev/null
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

expect() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name" "${DETAIL:-}"; fi
    DETAIL=
}
has() { grep -q -- "$2" "$1"; }
DETAIL=
P() { run_baton "$SCRATCH/p" ports --config "$EMPTY_CONF" "$@"; }

# ---- the table for the configuration --------------------------------
P --no-runbooks
expect "defaults: web 81, console 82, management 135, SQLite file" \
    bash -c "grep -q '|REST web service (HTTP)|81|' $SCRATCH/p.out &&
             grep -q '|Orchestration console|82|' $SCRATCH/p.out &&
             grep -q '|Management server|135|' $SCRATCH/p.out &&
             grep -q 'SQLite file' $SCRATCH/p.out"

CONF=$SCRATCH/baton.conf
printf 'web_port = 9001\nconsole_port = 9002\nmgmt_port = 9135\ndb = postgresql://baton:s3cret@10.20.0.5:6543/baton\n' >"$CONF"
run_baton "$SCRATCH/c" ports --config "$CONF" --no-runbooks
expect "the config file's ports and database" \
    bash -c "grep -q '|REST web service (HTTP)|9001|' $SCRATCH/c.out &&
             grep -q '|Management server|9135|' $SCRATCH/c.out &&
             grep -q 'PostgreSQL on 10.20.0.5)|6543|' $SCRATCH/c.out"
DETAIL=$(cat "$SCRATCH/c.out")
expect "the database password is masked" \
    bash -c "! grep -q s3cret $SCRATCH/c.out && grep -q 'baton:\*\*\*@' $SCRATCH/c.out"
BATON_WEB_PORT=9050 run_baton "$SCRATCH/e" ports --config "$CONF" --no-runbooks
BATON_WEB_PORT=9050 run_baton "$SCRATCH/f" ports --config "$CONF" \
    --no-runbooks --web-port 9060
expect "environment over the file, flag over the environment" \
    bash -c "grep -q '|REST web service (HTTP)|9050|' $SCRATCH/e.out &&
             grep -q '|REST web service (HTTP)|9060|' $SCRATCH/f.out"
BATON_CONFIG=$CONF run_baton "$SCRATCH/g" ports --no-runbooks
expect "BATON_CONFIG names the file" has "$SCRATCH/g.out" '|9001|'

# ---- the activities' outbound rows -----------------------------------
run_baton "$SCRATCH/r" ports --config "$CONF" --json "$FIX/net.runbook.yaml"
DETAIL=$(cat "$SCRATCH/r.out" "$SCRATCH/r.err")
check_json "outbound rows from a runbook file (JSON)" "$SCRATCH/r.out" <<'PY'
rows = doc["rows"]
def row(target):
    m = [r for r in rows if r["target"] == target]
    assert m, "no row for %r in %s" % (target, [r["target"] for r in rows])
    return m[0]
assert row("SSH on 10.1.2.3")["port"] == 22
assert row("SSH on hosts set at run time")["port"] == 2222
assert row("SMTP on smtp.example.com")["port"] == 587
assert row("HTTPS on api.example.com")["port"] == 8443
assert row("HTTP on hosts set at run time")["port"] == 80
assert row("PostgreSQL on db.example.com")["port"] == 5432
assert row("MariaDB/MySQL on 10.9.9.9")["port"] == 3307
s = row("syslog on 10.0.0.9"); assert (s["port"], s["protocol"]) == (514, "udp")
t = row("SNMP trap on 10.0.0.10"); assert (t["port"], t["protocol"]) == (162, "udp")
assert row("ping (ICMP echo) on 10.0.0.11")["protocol"] == "icmp"
assert not [r for r in rows if "x.db" in r["target"]], "a SQLite file is no port"
assert row("SSH on 10.1.2.3")["source_roles"] == ["runbook-server"]
assert "ssh in /Ops/Net stuff" in row("SSH on 10.1.2.3")["notes"]
db = [r for r in rows if r["kind"] == "database"][0]
assert db["port"] == 6543 and db["host"] == "10.20.0.5", db
assert "s3cret" not in json.dumps(doc)
PY

run_baton "$SCRATCH/n" ports --config "$CONF" --nftables \
    --host-role runbook-server "$FIX/net.runbook.yaml"
DETAIL=$(cat "$SCRATCH/n.out")
expect "nftables for a runbook server: the database and the targets out, nothing in" \
    bash -c "grep -q 'ip daddr 10.20.0.5 tcp dport 6543 accept' $SCRATCH/n.out &&
             grep -q 'ip daddr 10.1.2.3 tcp dport 22 accept' $SCRATCH/n.out &&
             grep -q 'ip daddr 10.0.0.9 udp dport 514 accept' $SCRATCH/n.out &&
             ! grep -q 'dport 9001' $SCRATCH/n.out"
run_baton "$SCRATCH/w" ports --config "$CONF" --nftables --host-role web,console \
    --no-runbooks
expect "nftables for a web and console host: 9001 and 9002 in, the database out" \
    bash -c "grep -q '^        tcp dport 9001 accept' $SCRATCH/w.out &&
             grep -q '^        tcp dport 9002 accept' $SCRATCH/w.out &&
             grep -q 'dport 6543' $SCRATCH/w.out && ! grep -q 'dport 22 ' $SCRATCH/w.out"
if command -v nft >/dev/null && [[ $(id -u) -eq 0 ]]; then
    DETAIL=$(nft -c -f "$SCRATCH/n.out" 2>&1; nft -c -f "$SCRATCH/w.out" 2>&1)
    expect "nft -c accepts the rules" bash -c "nft -c -f $SCRATCH/n.out && nft -c -f $SCRATCH/w.out"
else
    echo "skip nft -c (needs nft and root)"
fi
run_baton "$SCRATCH/i" ports --config "$CONF" --iptables \
    --host-role runbook-server "$FIX/net.runbook.yaml"
expect "iptables for a runbook server" \
    has "$SCRATCH/i.out" '-A OUTPUT -p tcp -d 10.20.0.5 --dport 6543'
if command -v iptables-restore >/dev/null && [[ $(id -u) -eq 0 ]]; then
    DETAIL=$(iptables-restore --test <"$SCRATCH/i.out" 2>&1)
    expect "iptables-restore --test accepts the rules" \
        bash -c "iptables-restore --test < $SCRATCH/i.out"
else
    echo "skip iptables-restore --test (needs iptables and root)"
fi
run_baton "$SCRATCH/fw" ports --config "$CONF" --firewalld --host-role management \
    --no-runbooks
expect "firewalld opens the management port" \
    has "$SCRATCH/fw.out" 'firewall-cmd --permanent $zone --add-port=9135/tcp'
expect "firewalld script is valid sh" sh -n "$SCRATCH/fw.out"

# ---- bad input -------------------------------------------------------
P --no-runbooks --host-role webb
expect "an unknown host role is named (exit 2)" \
    bash -c "[[ $RC -eq 2 ]] && grep -q \"'webb' is not a host role\" $SCRATCH/p.err"
P --no-runbooks --web-port 70000
expect "a bad port is named (exit 2)" \
    bash -c "[[ $RC -eq 2 ]] && grep -q -- \"--web-port: '70000' is not a TCP port\" $SCRATCH/p.err"
P --json --nftables --no-runbooks
expect "two output formats are refused" bash -c "[[ $RC -eq 2 ]]"
P "$SCRATCH/missing.runbook.yaml"
expect "a missing runbook file is named" \
    bash -c "[[ $RC -eq 2 ]] && grep -q missing.runbook.yaml $SCRATCH/p.err"
printf 'activities: [unclosed\n' >"$SCRATCH/bad.yaml"
P "$SCRATCH/bad.yaml"
expect "a runbook that is not YAML is named" \
    bash -c "[[ $RC -eq 2 ]] && grep -q bad.yaml $SCRATCH/p.err"
P --data-dir "$SCRATCH/nowhere"
DETAIL=$(cat "$SCRATCH/p.err")
expect "no database: says so and how to go on (exit 1)" \
    bash -c "[[ $RC -eq 1 ]] && grep -q 'no Baton database at' $SCRATCH/p.err &&
             grep -q -- '--no-runbooks' $SCRATCH/p.err && [[ ! -e $SCRATCH/nowhere ]]"

# ---- from the database, and doctor against a running batond ----------
read -r WEB CONSOLE MGMT < <(free_ports 3)
DATA=$SCRATCH/data
mkdir -p "$DATA"
SET=(--config "$EMPTY_CONF" --data-dir "$DATA" --bind 127.0.0.1 --web-port "$WEB"
     --console-port "$CONSOLE" --mgmt-port "$MGMT")
: >"$SCRATCH/batond.log"
"$BATOND" "${SET[@]}" --samples-dir "$FIX" >>"$SCRATCH/batond.log" 2>&1 &
BATOND_PID=$!
ready() { grep -q 'batond ready' "$SCRATCH/batond.log" || ! kill -0 "$BATOND_PID" 2>/dev/null; }
until_true 30 ready
if ! grep -q 'batond ready' "$SCRATCH/batond.log"; then
    fail "batond starts" "$(tail -5 "$SCRATCH/batond.log")"
    finish
    exit
fi

run_baton "$SCRATCH/s" ports "${SET[@]}"
DETAIL=$(cat "$SCRATCH/s.out" "$SCRATCH/s.err")
expect "the deployed runbooks' rows come from the database" \
    bash -c "grep -q 'SSH on 10.1.2.3|22|' $SCRATCH/s.out &&
             grep -q 'from the 1 runbook(s) in the database' $SCRATCH/s.out"

export BATON_USER=admin BATON_PASSWORD=$ADMIN_PW
run_baton "$SCRATCH/d" doctor "${SET[@]}"
DETAIL=$(cat "$SCRATCH/d.out" "$SCRATCH/d.err")
expect "doctor passes on a healthy one-box (exit 0)" \
    bash -c "[[ $RC -eq 0 ]] && ! grep -q '^FAIL' $SCRATCH/d.out &&
             grep -q \"^PASS .*REST web service (HTTP), TCP $WEB: authenticated GET /api/runbooks: HTTP 200\" $SCRATCH/d.out &&
             grep -q \"^PASS .*Management server, TCP $MGMT: authenticated GET /api/tree\" $SCRATCH/d.out &&
             grep -q '^PASS .*schema version: version' $SCRATCH/d.out"

run_baton "$SCRATCH/d" doctor --config "$EMPTY_CONF" --host-role designer,browser \
    --url "http://127.0.0.1:$WEB" --mgmt-url "http://127.0.0.1:$MGMT" \
    --console-port "$CONSOLE"
DETAIL=$(cat "$SCRATCH/d.out" "$SCRATCH/d.err")
expect "doctor from a designer and browser host passes" \
    bash -c "[[ $RC -eq 0 ]] && grep -q \"^PASS .*TCP $WEB: reachable\" $SCRATCH/d.out &&
             grep -q \"^PASS .*TCP $MGMT: reachable\" $SCRATCH/d.out &&
             grep -q \"^PASS .*TCP $CONSOLE: reachable\" $SCRATCH/d.out"

read -r WRONG < <(free_ports 1)
run_baton "$SCRATCH/d" doctor "${SET[@]}" --web-port "$WRONG"
DETAIL=$(cat "$SCRATCH/d.out")
expect "a wrong port in the config: doctor names the web service row (exit 1)" \
    bash -c "[[ $RC -eq 1 ]] && grep -q \"^FAIL .*REST web service (HTTP), TCP $WRONG: listening\" $SCRATCH/d.out &&
             grep -q 'fix: .*web_port' $SCRATCH/d.out"

BATON_PASSWORD=wrong-password run_baton "$SCRATCH/d" doctor "${SET[@]}" --host-role web
DETAIL=$(cat "$SCRATCH/d.out")
expect "refused credentials: the authenticated call fails with the fix" \
    bash -c "[[ $RC -eq 1 ]] && grep -q '^FAIL .*authenticated GET /api/runbooks: HTTP 401' $SCRATCH/d.out &&
             grep -q 'fix: the credentials were refused' $SCRATCH/d.out"

kill -TERM "$BATOND_PID"
until_true 20 bash -c "! kill -0 $BATOND_PID 2>/dev/null"
wait "$BATOND_PID" 2>/dev/null
BATOND_PID=
run_baton "$SCRATCH/d" doctor --config "$EMPTY_CONF" --host-role browser \
    --url "http://127.0.0.1:$WEB" --console-port "$CONSOLE" --timeout 2
DETAIL=$(cat "$SCRATCH/d.out")
expect "a stopped service: doctor names the row, refused (exit 1)" \
    bash -c "[[ $RC -eq 1 ]] && grep -q \"^FAIL .*REST web service (HTTP), TCP $WEB: reachable: 127.0.0.1 port $WEB refused\" $SCRATCH/d.out &&
             grep -q 'fix: on 127.0.0.1: run batond with the web role' $SCRATCH/d.out"

# ---- TLS: the handshake checked against the CA given --------------------
if command -v openssl >/dev/null; then
    TLS=$SCRATCH/tls
    mkdir -p "$TLS"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TLS/key.pem" \
        -out "$TLS/cert.pem" -days 2 -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
    read -r TWEB < <(free_ports 1)
    TSET=(--config "$EMPTY_CONF" --db "sqlite:$DATA/baton.db" --bind 127.0.0.1
          --web-port "$TWEB" --tls-cert "$TLS/cert.pem" --tls-key "$TLS/key.pem")
    : >"$SCRATCH/batond.log"
    "$BATOND" "${TSET[@]}" --roles web >>"$SCRATCH/batond.log" 2>&1 &
    BATOND_PID=$!
    until_true 30 ready
    run_baton "$SCRATCH/t" ports "${TSET[@]}" --no-runbooks
    expect "with tls_cert the table says HTTPS" has "$SCRATCH/t.out" "|REST web service (HTTPS)|$TWEB|"
    run_baton "$SCRATCH/d" doctor "${TSET[@]}" --host-role web --ca-file "$TLS/cert.pem"
    DETAIL=$(cat "$SCRATCH/d.out" "$SCRATCH/batond.log")
    expect "doctor: the TLS handshake passes with the server's CA" \
        bash -c "[[ $RC -eq 0 ]] && grep -q \"^PASS .*(HTTPS), TCP $TWEB: TLS handshake: the certificate was accepted\" $SCRATCH/d.out &&
                 grep -q '^PASS .*(HTTPS).*authenticated GET /api/runbooks: HTTP 200' $SCRATCH/d.out"
    run_baton "$SCRATCH/d" doctor "${TSET[@]}" --host-role web
    DETAIL=$(cat "$SCRATCH/d.out")
    expect "doctor: without that CA the TLS handshake fails with the fix" \
        bash -c "[[ $RC -eq 1 ]] && grep -q \"^FAIL .*(HTTPS), TCP $TWEB: TLS handshake: \" $SCRATCH/d.out &&
                 grep -q 'fix: give the CA that signed the certificate' $SCRATCH/d.out"
    kill -TERM "$BATOND_PID"
    wait "$BATOND_PID" 2>/dev/null
    BATOND_PID=
else
    echo "skip the TLS part: openssl is not installed"
fi

finish
