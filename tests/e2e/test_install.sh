#!/usr/bin/env bash
# make install's script staged into a scratch DESTDIR: the FHS places, the
# unit files with their paths filled in, baton.conf kept when present and
# readable by batond's config parser.
source "$(dirname "$0")/lib.sh"

STAGE=$(fresh_dir stage)
expect() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name" "${DETAIL:-}"; fi
    DETAIL=
}
DETAIL=

DESTDIR=$STAGE PREFIX=/usr SYSCONFDIR=/etc UNITDIR=/lib/systemd/system \
    bash "$SRC/dist/install.sh" "$BUILD" >"$SCRATCH/i.out" 2>&1
RC=$?
DETAIL=$(cat "$SCRATCH/i.out")
expect "dist/install.sh stages the files (exit 0)" bash -c "[[ $RC -eq 0 ]]"
for f in usr/bin/batond usr/bin/baton etc/baton/baton.conf \
    lib/systemd/system/batond.service lib/systemd/system/batond@.service \
    usr/share/doc/baton/operations.md; do
    expect "installed: /$f" test -e "$STAGE/$f"
done
expect "the executables are executable" test -x "$STAGE/usr/bin/batond"
DETAIL=$(cat "$STAGE/lib/systemd/system/batond.service" 2>&1)
expect "the unit runs /usr/bin/batond with /etc/baton/baton.conf as user baton" \
    bash -c "grep -qx 'ExecStart=/usr/bin/batond --config /etc/baton/baton.conf' $STAGE/lib/systemd/system/batond.service &&
             grep -qx 'User=baton' $STAGE/lib/systemd/system/batond.service &&
             ! grep -q @ $STAGE/lib/systemd/system/batond.service"
expect "the instance unit reads /etc/baton/%i.conf" \
    grep -qx 'ExecStart=/usr/bin/batond --config /etc/baton/%i.conf' \
    "$STAGE/lib/systemd/system/batond@.service"
expect "baton.conf is not world-readable (it may hold the database password)" \
    bash -c "[[ \$(stat -c %a $STAGE/etc/baton/baton.conf) == 640 ]]"
run_baton "$SCRATCH/p" ports --config "$STAGE/etc/baton/baton.conf" --no-runbooks
DETAIL=$(cat "$SCRATCH/p.err")
expect "the shipped baton.conf parses (baton ports reads it as batond)" \
    bash -c "[[ $RC -eq 0 ]] && grep -q '|81|' $SCRATCH/p.out"

echo "db = postgresql://baton@db.example/baton" >"$STAGE/etc/baton/baton.conf"
DESTDIR=$STAGE PREFIX=/usr bash "$SRC/dist/install.sh" "$BUILD" >"$SCRATCH/j.out" 2>&1
expect "a second install keeps the edited baton.conf" \
    bash -c "grep -q db.example $STAGE/etc/baton/baton.conf && grep -q 'kept /etc/baton/baton.conf' $SCRATCH/j.out"

DESTDIR=$STAGE bash "$SRC/dist/install.sh" "$SCRATCH/nowhere" >"$SCRATCH/k.out" 2>&1
RC=$?
expect "no build: says to build first (exit 1)" \
    bash -c "[[ $RC -eq 1 ]] && grep -q 'build first' $SCRATCH/k.out"
finish
