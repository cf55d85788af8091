/* Send Journal Message: Orchestrator's Send Event Log Message for Linux.
 * Writes one entry to systemd-journald through its native datagram socket
 * (KEY=VALUE fields; values with a newline in the binary form). */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "activities/notification/syslogmsg.h"
#include "baton/activity.h"
#include "common/buf.h"
#include "common/util.h"

static const bt_prop_spec props[] = {
    {"message", BT_PROP_STRING, true, NULL, "MESSAGE of the entry.", NULL},
    {"priority", BT_PROP_STRING, false, "info",
     "Severity: emerg, alert, crit, err, warning, notice, info, debug.",
     bt_syslog_severities},
    {"identifier", BT_PROP_STRING, false, "baton", "SYSLOG_IDENTIFIER.",
     NULL},
    {"fields", BT_PROP_MAP, false, NULL,
     "Extra fields, NAME: value (NAME in A-Z, 0-9, _; not starting with _).",
     NULL},
    {"socket", BT_PROP_STRING, false, "/run/systemd/journal/socket",
     "journald's native socket.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {"socket", "bytes", NULL};

static bool field_name_ok(const char *k) {
    if (!*k || *k == '_' || isdigit((unsigned char)*k) || strlen(k) > 64)
        return false;
    for (; *k; k++)
        if (!(isupper((unsigned char)*k) || isdigit((unsigned char)*k) ||
              *k == '_'))
            return false;
    return true;
}

/* A value with a newline goes as NAME\n<64-bit LE length><value>\n. */
static void add_field(bt_buf *b, const char *name, const char *value) {
    size_t len = strlen(value);
    if (!memchr(value, '\n', len)) {
        bt_buf_printf(b, "%s=%s\n", name, value);
        return;
    }
    bt_buf_printf(b, "%s\n", name);
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)((uint64_t)len >> (8 * i));
    bt_buf_append(b, le, 8);
    bt_buf_append(b, value, len);
    bt_buf_appendc(b, '\n');
}

static int run(bt_activity_ctx *ctx) {
    const char *message = bt_act_str(ctx, "message", "");
    const char *prio = bt_act_str(ctx, "priority", "info");
    const char *ident = bt_act_str(ctx, "identifier", "baton");
    const char *path = bt_act_str(ctx, "socket", "/run/systemd/journal/socket");
    const char *const *keys, *const *vals;
    size_t nf = bt_act_map(ctx, "fields", &keys, &vals);
    if (bt_act_failed(ctx)) return -BT_EINVAL;
    int p = bt_syslog_index(bt_syslog_severities, prio);
    if (p < 0)
        return bt_act_fail(ctx, "send-journal-message: priority '%.40s' is "
                                "not one of emerg, alert, crit, err, "
                                "warning, notice, info, debug",
                           prio);
    for (size_t i = 0; i < nf; i++)
        if (!field_name_ok(keys[i]))
            return bt_act_fail(ctx,
                               "send-journal-message: field name '%.64s' "
                               "must be A-Z, 0-9 and _, not start with _ or "
                               "a digit",
                               keys[i]);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
        return bt_act_fail(ctx,
                           "send-journal-message: no journald socket at "
                           "'%s' (is systemd-journald running here?)",
                           path);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        return bt_act_fail(ctx, "send-journal-message: socket path '%.100s' "
                                "is too long",
                           path);
    strcpy(sa.sun_path, path);
    bt_buf b;
    bt_buf_init(&b, 0);
    add_field(&b, "MESSAGE", message);
    bt_buf_printf(&b, "PRIORITY=%d\n", p);
    add_field(&b, "SYSLOG_IDENTIFIER", ident);
    for (size_t i = 0; i < nf; i++) add_field(&b, keys[i], vals[i]);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int rc = 0;
    if (fd < 0) {
        rc = bt_act_fail(ctx, "send-journal-message: socket: %s",
                         strerror(errno));
    } else if (sendto(fd, b.data, b.len, 0, (struct sockaddr *)&sa,
                      sizeof sa) < 0) {
        /* journald takes large entries through a passed memfd; entries
         * that big are not messages an operator reads. */
        rc = bt_act_fail(ctx,
                         "send-journal-message: cannot send to '%s': %s%s",
                         path, strerror(errno),
                         errno == EMSGSIZE ? " (entry too large)" : "");
    } else {
        bt_act_publish(ctx, "socket", path);
        bt_act_publishf(ctx, "bytes", "%zu", b.len);
    }
    if (fd >= 0) close(fd);
    bt_buf_free(&b);
    return rc;
}

const bt_activity_type bt_activity_send_journal_message = {
    .name = "send-journal-message",
    .title = "Send Event Log Message",
    .category = "notification",
    .description = "Writes an entry to the systemd journal through "
                   "journald's native socket.",
    .mode = BT_EXEC_BLOCKING,
    .props = props,
    .published = published,
    .run = run,
};
