/* Send Syslog Message: one RFC 5424 message to a syslog server over UDP or
 * TCP (octet-counted, RFC 6587), or to the local syslog socket. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "activities/notification/syslogmsg.h"
#include "baton/activity.h"
#include "common/buf.h"
#include "common/util.h"

static const char *const protocols[] = {"udp", "tcp", NULL};

static const bt_prop_spec props[] = {
    {"message", BT_PROP_STRING, true, NULL, "The message text.", NULL},
    {"host", BT_PROP_STRING, false, NULL,
     "Syslog server; absent or empty: the local syslog socket.", NULL},
    {"port", BT_PROP_INTEGER, false, "514", "Server port.", NULL},
    {"protocol", BT_PROP_STRING, false, "udp", "udp or tcp.", protocols},
    {"facility", BT_PROP_STRING, false, "user", "Syslog facility.",
     bt_syslog_facilities},
    {"severity", BT_PROP_STRING, false, "info", "Syslog severity.",
     bt_syslog_severities},
    {"app_name", BT_PROP_STRING, false, "baton", "APP-NAME field.", NULL},
    {"msgid", BT_PROP_STRING, false, "-", "MSGID field.", NULL},
    {"hostname", BT_PROP_STRING, false, "this host's name",
     "HOSTNAME field.", NULL},
    {"socket", BT_PROP_STRING, false, "/dev/log",
     "The local syslog socket, used when no host is given.", NULL},
    {"timeout", BT_PROP_DURATION, false, "10s",
     "How long connecting and sending may take (TCP).", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {"destination", "priority", "bytes",
                                        NULL};

/* RFC 5424 header fields are printable US-ASCII without spaces. */
static void header_field(bt_buf *b, const char *s, size_t max) {
    size_t n = 0;
    for (; *s && n < max; s++, n++)
        bt_buf_appendc(b, (*s > 32 && *s < 127) ? *s : '_');
    if (n == 0) bt_buf_appendc(b, '-');
}

static int send_local(bt_activity_ctx *ctx, const char *path,
                      const bt_buf *msg) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        return bt_act_fail(ctx, "send-syslog-message: socket path '%.100s' "
                                "is too long",
                           path);
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return bt_act_fail(ctx, "send-syslog-message: socket: %s",
                           strerror(errno));
    ssize_t n = sendto(fd, msg->data, msg->len, 0, (struct sockaddr *)&sa,
                       sizeof sa);
    int e = errno;
    close(fd);
    if (n < 0)
        return bt_act_fail(ctx,
                           "send-syslog-message: cannot send to the local "
                           "syslog socket '%s': %s",
                           path, strerror(e));
    return 0;
}

static int send_net(bt_activity_ctx *ctx, const char *host, int64_t port,
                    bool tcp, uint64_t timeout_ms, const bt_buf *msg) {
    char ports[16];
    snprintf(ports, sizeof ports, "%lld", (long long)port);
    struct addrinfo hints = {.ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM};
    struct addrinfo *ai = NULL;
    int g = getaddrinfo(host, ports, &hints, &ai);
    if (g != 0)
        return bt_act_fail(ctx,
                           "send-syslog-message: cannot resolve '%s': %s",
                           host, gai_strerror(g));
    int err = 0, fd = -1;
    struct timeval tv = {.tv_sec = (time_t)(timeout_ms / 1000),
                         .tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000};
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
                    a->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0)
        return bt_act_fail(ctx,
                           "send-syslog-message: cannot reach %s:%lld over "
                           "%s: %s",
                           host, (long long)port, tcp ? "TCP" : "UDP",
                           strerror(err));
    bt_buf out;
    bt_buf_init(&out, 0);
    if (tcp) bt_buf_printf(&out, "%zu ", msg->len);
    bt_buf_append(&out, msg->data, msg->len);
    size_t off = 0;
    int rc = 0;
    while (off < out.len) {
        ssize_t n = send(fd, out.data + off, out.len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = bt_act_fail(ctx,
                             "send-syslog-message: sending to %s:%lld "
                             "failed: %s",
                             host, (long long)port,
                             errno == EAGAIN ? "timed out" : strerror(errno));
            break;
        }
        off += (size_t)n;
    }
    bt_buf_free(&out);
    close(fd);
    return rc;
}

static int run(bt_activity_ctx *ctx) {
    const char *message = bt_act_str(ctx, "message", "");
    const char *host = bt_act_str(ctx, "host", "");
    const char *proto = bt_act_str(ctx, "protocol", "udp");
    const char *fac = bt_act_str(ctx, "facility", "user");
    const char *sev = bt_act_str(ctx, "severity", "info");
    const char *app = bt_act_str(ctx, "app_name", "baton");
    const char *msgid = bt_act_str(ctx, "msgid", "-");
    const char *sock = bt_act_str(ctx, "socket", "/dev/log");
    int64_t port = 514;
    uint64_t timeout_ms = 10000;
    if (bt_act_int(ctx, "port", 514, &port) ||
        bt_act_duration(ctx, "timeout", 10000, &timeout_ms))
        return -BT_EINVAL;
    if (bt_act_failed(ctx)) return -BT_EINVAL;
    int f = bt_syslog_index(bt_syslog_facilities, fac);
    int s = bt_syslog_index(bt_syslog_severities, sev);
    if (f < 0)
        return bt_act_fail(ctx, "send-syslog-message: facility '%.40s' is "
                                "not a syslog facility (user, daemon, "
                                "local0 ... local7, ...)",
                           fac);
    if (s < 0)
        return bt_act_fail(ctx, "send-syslog-message: severity '%.40s' is "
                                "not one of emerg, alert, crit, err, "
                                "warning, notice, info, debug",
                           sev);
    bool tcp = strcmp(proto, "tcp") == 0;
    if (!tcp && strcmp(proto, "udp") != 0)
        return bt_act_fail(ctx, "send-syslog-message: protocol '%.20s' is "
                                "not udp or tcp",
                           proto);
    if (*host && (port < 1 || port > 65535))
        return bt_act_fail(ctx, "send-syslog-message: port %lld is not "
                                "between 1 and 65535",
                           (long long)port);
    char hn[256] = "";
    const char *hostname = bt_act_str(ctx, "hostname", NULL);
    if (!hostname) {
        gethostname(hn, sizeof hn - 1);
        hostname = hn;
    }
    int pri = f * 8 + s;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    bt_buf msg;
    bt_buf_init(&msg, 0);
    if (*host) {
        bt_buf_printf(&msg, "<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%06ldZ ",
                      pri, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
        header_field(&msg, hostname, 255);
        bt_buf_appendc(&msg, ' ');
        header_field(&msg, app, 48);
        bt_buf_printf(&msg, " %d ", (int)getpid());
        header_field(&msg, msgid, 32);
        /* No structured data; the message is UTF-8 text as given. */
        bt_buf_appends(&msg, " - ");
    } else {
        /* The local socket's readers (journald, rsyslog's imuxsock) parse
         * the traditional form glibc's syslog() writes, in local time. */
        static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr",
                                          "May", "Jun", "Jul", "Aug",
                                          "Sep", "Oct", "Nov", "Dec"};
        localtime_r(&ts.tv_sec, &tm);
        bt_buf_printf(&msg, "<%d>%s %2d %02d:%02d:%02d ", pri, mon[tm.tm_mon],
                      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        header_field(&msg, app, 48);
        bt_buf_printf(&msg, "[%d]: ", (int)getpid());
    }
    bt_buf_appends(&msg, message);
    int rc;
    const char *dest;
    if (*host) {
        rc = send_net(ctx, host, port, tcp, timeout_ms, &msg);
        char *d = bt_xasprintf("%s://%s:%lld", tcp ? "tcp" : "udp", host,
                               (long long)port);
        dest = bt_act_strdup(ctx, d);
        free(d);
    } else {
        rc = send_local(ctx, sock, &msg);
        dest = sock;
    }
    if (rc == 0) {
        bt_act_publish(ctx, "destination", dest);
        bt_act_publishf(ctx, "priority", "%d", pri);
        bt_act_publishf(ctx, "bytes", "%zu", msg.len);
    }
    bt_buf_free(&msg);
    return rc;
}

const bt_activity_type bt_activity_send_syslog_message = {
    .name = "send-syslog-message",
    .title = "Send Syslog Message",
    .category = "notification",
    .description = "Sends an RFC 5424 syslog message over UDP or TCP, or to "
                   "the local syslog socket.",
    .mode = BT_EXEC_BLOCKING,
    .props = props,
    .published = published,
    .run = run,
};
