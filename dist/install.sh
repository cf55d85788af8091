#!/usr/bin/env bash
# Installs Baton in FHS places:  dist/install.sh [BUILD_DIR]   (make install)
#   $PREFIX/bin/batond, $PREFIX/bin/baton          PREFIX=/usr/local
#   $SYSCONFDIR/baton/baton.conf (kept if present)  SYSCONFDIR=/etc
#   $UNITDIR/batond.service, batond@.service        UNITDIR=/etc/systemd/system
#   $PREFIX/share/doc/baton/*.md, bash completion
# and, unless DESTDIR is set (staging for a package), the system user
# `baton` and a systemd reload. Nothing is started or enabled: see
# docs/deployment.md.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
PREFIX=${PREFIX:-/usr/local}
SYSCONFDIR=${SYSCONFDIR:-/etc}
UNITDIR=${UNITDIR:-/etc/systemd/system}
DESTDIR=${DESTDIR:-}
bindir=$PREFIX/bin
docdir=$PREFIX/share/doc/baton
compdir=$PREFIX/share/bash-completion/completions

for exe in batond baton; do
    if [[ ! -x $build/$exe ]]; then
        echo "install: no $build/$exe: build first (make build)" >&2
        exit 1
    fi
done
if [[ -z $DESTDIR && $(id -u) -ne 0 ]]; then
    echo "install: run as root (or set DESTDIR to stage the files)" >&2
    exit 1
fi

d() { echo "$DESTDIR$1"; }

install -d "$(d "$bindir")" "$(d "$SYSCONFDIR/baton")" "$(d "$UNITDIR")" \
    "$(d "$docdir")" "$(d "$compdir")"
install -m 755 "$build/batond" "$build/baton" "$(d "$bindir")/"

for unit in batond.service batond@.service; do
    sed -e "s|@BINDIR@|$bindir|g" -e "s|@SYSCONFDIR@|$SYSCONFDIR|g" \
        -e "s|@DOCDIR@|$docdir|g" "$src/dist/systemd/$unit.in" \
        >"$(d "$UNITDIR")/$unit"
    chmod 644 "$(d "$UNITDIR")/$unit"
done

for doc in deployment.md ports.md operations.md security.md; do
    [[ -f $src/docs/$doc ]] && install -m 644 "$src/docs/$doc" "$(d "$docdir")/"
done
[[ -f $src/scripts/baton-completion.bash ]] &&
    install -m 644 "$src/scripts/baton-completion.bash" "$(d "$compdir")/baton"

if [[ -z $DESTDIR ]] && ! id -u baton >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/baton \
        --shell /usr/sbin/nologin --comment "Baton runbook automation" baton
    echo "install: created the system user baton"
fi

# The settings may hold a database password: readable by root and baton.
conf=$(d "$SYSCONFDIR/baton/baton.conf")
if [[ -e $conf ]]; then
    echo "install: kept $SYSCONFDIR/baton/baton.conf"
else
    install -m 640 "$src/dist/baton.conf" "$conf"
    [[ -z $DESTDIR ]] && chgrp baton "$conf"
    echo "install: wrote $SYSCONFDIR/baton/baton.conf (edit it, then:" \
         "systemctl enable --now batond)"
fi

if [[ -z $DESTDIR && -d /run/systemd/system ]]; then
    systemctl daemon-reload
fi
echo "install: batond and baton in $bindir, units in $UNITDIR"
