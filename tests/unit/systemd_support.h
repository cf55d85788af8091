/* A fake `systemctl` (and `shutdown`) first on PATH, for the service and
 * restart tests: it prints what the real `systemctl show` prints, so these
 * tests cover our parsing of its output format and the command lines we
 * run, without a systemd. A unit's state lives in DIR/UNIT.state (active,
 * inactive, failed; absent: systemd has no such unit; "nobus": systemctl
 * cannot reach systemd, as in a container without it; DIR/UNIT.broken:
 * its start fails; DIR/UNIT.oneshot: it is inactive again once started,
 * like a oneshot service that ran). Every call is
 * appended to DIR/calls. Header-only. */
#ifndef BT_SYSTEMD_SUPPORT_H
#define BT_SYSTEMD_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "common/util.h"
#include "harness.h"

typedef struct fake_systemd {
    char *dir;
    char *old_path;
} fake_systemd;

static const char fake_systemctl_script[] =
    "#!/bin/sh\n"
    "dir=$(dirname \"$0\")/..\n"
    "echo \"systemctl $*\" >> \"$dir/calls\"\n"
    "verb=$1\n"
    "for a; do unit=$a; done\n"
    "state=$(cat \"$dir/$unit.state\" 2>/dev/null || echo missing)\n"
    "if [ \"$state\" = nobus ] || [ -f \"$dir/nobus\" ]; then\n"
    "  echo \"System has not been booted with systemd as init system (PID "
    "1). Can't operate.\" >&2\n"
    "  echo 'Failed to connect to bus: Host is down' >&2; exit 1\n"
    "fi\n"
    "case $verb in\n"
    "show)\n"
    "  case $unit in *.*) id=$unit;; *) id=$unit.service;; esac\n"
    "  if [ $state = missing ]; then\n"
    "    printf 'MainPID=0\\nId=%s\\nDescription=%s\\nLoadState=not-found\\n"
    "ActiveState=inactive\\nSubState=dead\\nActiveEnterTimestamp=\\n"
    "UnitFileState=\\n' \"$id\" \"$id\"\n"
    "    exit 0\n"
    "  fi\n"
    "  pid=0; sub=dead; since=\n"
    "  [ $state = failed ] && sub=failed\n"
    "  if [ $state = active ]; then pid=4242; sub=running; "
    "since='Wed 2026-11-25 10:00:00 UTC'; fi\n"
    "  printf 'MainPID=%s\\nId=%s\\nDescription=Fake %s\\n"
    "LoadState=loaded\\nActiveState=%s\\nSubState=%s\\n"
    "ActiveEnterTimestamp=%s\\nUnitFileState=enabled\\n' "
    "$pid \"$id\" \"$unit\" $state $sub \"$since\";;\n"
    "start|restart|stop)\n"
    "  if [ $state = missing ]; then\n"
    "    echo \"Failed to $verb $unit: Unit $unit not found.\" >&2; exit 5\n"
    "  fi\n"
    "  if [ -f \"$dir/$unit.broken\" ]; then\n"
    "    echo \"Job for $unit failed because the control process exited "
    "with error code.\" >&2\n"
    "    echo failed > \"$dir/$unit.state\"; exit 1\n"
    "  fi\n"
    "  if [ $verb = stop ] || [ -f \"$dir/$unit.oneshot\" ]; then\n"
    "    echo inactive > \"$dir/$unit.state\";\n"
    "  else echo active > \"$dir/$unit.state\"; fi;;\n"
    "reboot) ;;\n"
    "*) echo \"Unknown command verb $verb.\" >&2; exit 1;;\n"
    "esac\n";

static const char fake_shutdown_script[] =
    "#!/bin/sh\n"
    "dir=$(dirname \"$0\")/..\n"
    "echo \"shutdown $*\" >> \"$dir/calls\"\n";

static inline void fake_write_exec(const char *path, const char *text) {
    bt_harness_write_file(path, text);
    assert_int_equal(chmod(path, 0755), 0);
}

static inline void fake_systemd_init(fake_systemd *f) {
    f->dir = bt_harness_tmpdir();
    char *bin = bt_harness_path(f->dir, "bin");
    assert_int_equal(mkdir(bin, 0755), 0);
    char *p = bt_harness_path(bin, "systemctl");
    fake_write_exec(p, fake_systemctl_script);
    free(p);
    p = bt_harness_path(bin, "shutdown");
    fake_write_exec(p, fake_shutdown_script);
    free(p);
    const char *old = getenv("PATH");
    f->old_path = bt_xstrdup(old ? old : "/usr/bin:/bin");
    char *path = bt_xasprintf("%s:%s", bin, f->old_path);
    setenv("PATH", path, 1);
    free(path);
    free(bin);
}

/* Sets a unit's state; NULL removes the unit. */
static inline void fake_unit(fake_systemd *f, const char *unit,
                             const char *state) {
    char *name = bt_xasprintf("%s.state", unit);
    char *p = bt_harness_path(f->dir, name);
    if (state) {
        char *text = bt_xasprintf("%s\n", state);
        bt_harness_write_file(p, text);
        free(text);
    } else {
        unlink(p);
    }
    free(p);
    free(name);
}

/* What the fakes were called with, one call a line (malloc'd, "" when
 * none). */
static inline char *fake_calls(fake_systemd *f) {
    char *p = bt_harness_path(f->dir, "calls");
    char *s = bt_harness_read_file(p);
    free(p);
    return s ? s : bt_xstrdup("");
}

static inline void fake_systemd_free(fake_systemd *f) {
    setenv("PATH", f->old_path, 1);
    free(f->old_path);
    bt_harness_rmrf(f->dir);
    free(f->dir);
}

/* Whether the real systemctl can talk to a running systemd. */
static inline bool real_systemd_answers(void) {
    int rc = system("systemctl show --property=Version >/dev/null 2>&1");
    return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

#endif
