#!/usr/bin/env bash
# Installs the Debian 12 packages Baton needs, only those missing.
#   scripts/install-deps.sh run    what building and running needs
#   scripts/install-deps.sh test   that plus what the tests need
#                                  (postgresql-15: a throw-away server for
#                                  the store's PostgreSQL tests; gnupg,
#                                  openssh-server, snmpd: keyrings and
#                                  servers the activity tests start;
#                                  chromium, firefox-esr: the console's
#                                  browser tests;
#                                  iproute2, nftables, iptables: the
#                                  multi-host test's namespaces and
#                                  checks of baton ports' rules;
#                                  libfaketime: its clock skew part)
# nodejs and npm build the console (console/) into batond; without them
# batond still builds and serves a placeholder page there.
set -euo pipefail

run_pkgs=(build-essential cmake pkg-config libuv1-dev libyaml-dev
          libjansson-dev libsodium-dev libsqlite3-dev
          libmicrohttpd-dev libcurl4-openssl-dev libpq-dev libxml2-dev
          libarchive-dev libgpgme-dev libssh-dev libsnmp-dev
          libxslt1-dev libmariadb-dev unixodbc-dev libpcre2-dev nodejs npm)
test_pkgs=(libcmocka-dev python3 valgrind postgresql-15
           gnupg openssh-server openssh-client snmpd snmp openssl
           mariadb-server libsqliteodbc chromium firefox-esr
           iproute2 nftables iptables libfaketime)

want=("${run_pkgs[@]}")
[ "${1:-run}" = test ] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
    # Node.js may come from outside Debian (NodeSource, nvm) with its own
    # npm, which conflicts with Debian's npm package: a working command is
    # enough.
    case $p in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
