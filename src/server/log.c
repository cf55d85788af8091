#include "server/log.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

/* systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it connected
 * to the journal; comparing with our stderr tells a redirected stderr
 * (e.g. `batond 2>file` inside a unit) from the journal itself. */
static bool stderr_is_journal(void) {
    const char *js = getenv("JOURNAL_STREAM");
    if (!js || !*js) return false;
    uintmax_t dev, ino;
    if (sscanf(js, "%ju:%ju", &dev, &ino) != 2) return false;
    struct stat st;
    if (fstat(STDERR_FILENO, &st) != 0) return false;
    return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void bt_log_init(bt_log *lg) {
    lg->out = stderr;
    lg->journal = stderr_is_journal();
    lg->max = BT_LOG_INFO;
}

static const char *level_name(bt_log_level level) {
    switch (level) {
    case BT_LOG_ERROR: return "error";
    case BT_LOG_WARNING: return "warning";
    case BT_LOG_NOTICE: return "notice";
    case BT_LOG_INFO: return "info";
    case BT_LOG_DEBUG: return "debug";
    }
    return "info";
}

void bt_vlogf(const bt_log *lg, bt_log_level level, const char *fmt,
              va_list ap) {
    if (!lg || level > lg->max) return;
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    /* One message, one line: journald and grep both depend on it. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    if (lg->journal) {
        fprintf(lg->out, "<%d>%s\n", (int)level, msg);
    } else {
        char ts[40];
        bt_format_time_us(bt_now_us(), ts, sizeof ts);
        fprintf(lg->out, "%s %-7s %s\n", ts, level_name(level), msg);
    }
    fflush(lg->out);
}

void bt_logf(const bt_log *lg, bt_log_level level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    bt_vlogf(lg, level, fmt, ap);
    va_end(ap);
}
