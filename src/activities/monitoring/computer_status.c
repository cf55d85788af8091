/* Get Computer/IP Status and Monitor Computer/IP Status: is a host
 * reachable? By ICMP echo (ping) where the server may send it, or by a TCP
 * connection to a port. The check blocks (name lookup, waiting for the
 * reply), so it runs on the thread pool.
 *
 * ICMP without privileges uses Linux's ping sockets (SOCK_DGRAM,
 * IPPROTO_ICMP), which net.ipv4.ping_group_range must allow for one of our
 * groups; otherwise a raw socket, which needs CAP_NET_RAW. With neither,
 * method auto checks the TCP port instead and says so in `note`. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "activities/monitoring/probe.h"
#include "common/util.h"

enum { M_AUTO, M_ICMP, M_TCP };
static const char *const method_names[] = {"auto", "icmp", "tcp", NULL};

typedef struct host_cfg {
    const char *type;
    const char *host;
    int64_t port;
    int method;
    uint64_t timeout_ms;
} host_cfg;

static double ms_since(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static int remaining_ms(const struct timespec *t0, uint64_t timeout_ms) {
    double left = (double)timeout_ms - ms_since(t0);
    return left <= 0 ? 0 : left > 1e9 ? 1000000000 : (int)left + 1;
}

static void numeric(const struct sockaddr *sa, socklen_t len, char *buf,
                    size_t size) {
    if (getnameinfo(sa, len, buf, (socklen_t)size, NULL, 0, NI_NUMERICHOST))
        snprintf(buf, size, "?");
}

/* ---- TCP ---------------------------------------------------------------- */

/* 1 connected, 0 not (reason set), on the first address that answers. */
static int tcp_check(const host_cfg *c, const struct addrinfo *ai,
                     char *addr, size_t addr_size, double *latency,
                     char *reason, size_t reason_size) {
    snprintf(reason, reason_size, "no address");
    for (; ai; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        struct sockaddr_storage ss;
        memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
        if (ss.ss_family == AF_INET)
            ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)c->port);
        else
            ((struct sockaddr_in6 *)&ss)->sin6_port =
                htons((uint16_t)c->port);
        numeric((struct sockaddr *)&ss, ai->ai_addrlen, addr, addr_size);
        int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
                                           SOCK_CLOEXEC, 0);
        if (fd < 0) {
            snprintf(reason, reason_size, "%s", strerror(errno));
            continue;
        }
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int rc = connect(fd, (struct sockaddr *)&ss, ai->ai_addrlen);
        int err = rc == 0 ? 0 : errno;
        if (err == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int n;
            do n = poll(&p, 1, remaining_ms(&t0, c->timeout_ms));
            while (n < 0 && errno == EINTR);
            if (n == 0) {
                err = ETIMEDOUT;
            } else {
                socklen_t len = sizeof err;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                    err = errno;
            }
        }
        *latency = ms_since(&t0);
        close(fd);
        if (err == 0) return 1;
        snprintf(reason, reason_size, "%s",
                 err == ETIMEDOUT ? "timed out" : strerror(err));
    }
    return 0;
}

/* ---- ICMP echo ---------------------------------------------------------- */

static uint16_t checksum(const void *data, size_t len) {
    const uint8_t *p = data;
    uint32_t sum = 0;
    for (; len > 1; len -= 2, p += 2) sum += (uint32_t)(p[0] << 8 | p[1]);
    if (len) sum += (uint32_t)(p[0] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return htons((uint16_t)~sum);
}

/* Opens a ping socket, else a raw one; -1 with errno when neither. */
static int icmp_socket(int family, bool *raw) {
    int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, proto);
    *raw = false;
    if (fd >= 0) return fd;
    int first = errno;
    fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, proto);
    if (fd >= 0) {
        *raw = true;
        return fd;
    }
    errno = first;
    return -1;
}

/* 1 replied, 0 no reply (reason set), -1 cannot send ICMP here. */
static int icmp_check(const host_cfg *c, const struct addrinfo *ai,
                      char *addr, size_t addr_size, double *latency,
                      char *reason, size_t reason_size) {
    while (ai && ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
        ai = ai->ai_next;
    if (!ai) {
        snprintf(reason, reason_size, "no address");
        return 0;
    }
    numeric(ai->ai_addr, ai->ai_addrlen, addr, addr_size);
    bool raw;
    int fd = icmp_socket(ai->ai_family, &raw);
    if (fd < 0) {
        snprintf(reason, reason_size, "%s", strerror(errno));
        return -1;
    }
    bool v4 = ai->ai_family == AF_INET;
    /* A ping socket's id is its port, set by the kernel; a raw socket
     * sees every reply, so ours carry an id and sequence to pick ours. */
    uint16_t id = (uint16_t)(getpid() ^ (uintptr_t)&fd);
    uint16_t seq = (uint16_t)(bt_mono_us() & 0xffff);
    uint8_t pkt[64] = {0};
    pkt[0] = v4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
    memcpy(pkt + 4, &(uint16_t){htons(id)}, 2);
    memcpy(pkt + 6, &(uint16_t){htons(seq)}, 2);
    memcpy(pkt + 8, "baton-ping", 10);
    if (v4) {
        uint16_t sum = checksum(pkt, sizeof pkt);
        memcpy(pkt + 2, &sum, 2);
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (sendto(fd, pkt, sizeof pkt, 0, ai->ai_addr, ai->ai_addrlen) < 0) {
        snprintf(reason, reason_size, "cannot send: %s", strerror(errno));
        close(fd);
        return 0;
    }
    int result = 0;
    snprintf(reason, reason_size, "no reply within %llu ms",
             (unsigned long long)c->timeout_ms);
    for (;;) {
        int wait = remaining_ms(&t0, c->timeout_ms);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = wait ? poll(&p, 1, wait) : 0;
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        uint8_t buf[1500];
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        ssize_t got = recvfrom(fd, buf, sizeof buf, 0,
                               (struct sockaddr *)&from, &flen);
        if (got < 0) continue;
        const uint8_t *icmp = buf;
        size_t len = (size_t)got;
        if (raw && v4) { /* raw IPv4 sockets include the IP header */
            size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
            if (len < ihl) continue;
            icmp += ihl;
            len -= ihl;
        }
        if (len < 8) continue;
        uint8_t want = v4 ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
        uint16_t rid, rseq;
        memcpy(&rid, icmp + 4, 2);
        memcpy(&rseq, icmp + 6, 2);
        if (icmp[0] != want || ntohs(rseq) != seq) continue;
        if (raw && ntohs(rid) != id) continue;
        *latency = ms_since(&t0);
        result = 1;
        break;
    }
    close(fd);
    return result;
}

static void host_probe(const void *vc, bt_probe_result *r) {
    const host_cfg *c = vc;
    bt_probe_set(r, "host", "%s", c->host);
    bt_probe_set(r, "address", "%s", "");
    bt_probe_set(r, "port", "%s", "");
    bt_probe_set(r, "note", "%s", "");
    bt_probe_set(r, "latency_ms", "%s", "");
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int g = getaddrinfo(c->host, NULL, &hints, &ai);
    char addr[INET6_ADDRSTRLEN + 8] = "", reason[160] = "";
    double latency = 0;
    int up = 0;
    const char *method = c->method == M_TCP ? "tcp" : "icmp";
    if (g != 0) {
        snprintf(reason, sizeof reason, "cannot resolve the name: %s",
                 gai_strerror(g));
    } else if (c->method == M_TCP) {
        up = tcp_check(c, ai, addr, sizeof addr, &latency, reason,
                       sizeof reason);
    } else {
        up = icmp_check(c, ai, addr, sizeof addr, &latency, reason,
                        sizeof reason);
        if (up < 0 && c->method == M_ICMP) {
            bt_probe_error(r,
                           "%s: cannot send ICMP echo to '%s': %s (allow "
                           "our group in net.ipv4.ping_group_range, give "
                           "CAP_NET_RAW, or use method: tcp)",
                           c->type, c->host, reason);
        } else if (up < 0) {
            bt_probe_set(r, "note",
                         "ICMP echo is not permitted here (%s; see "
                         "net.ipv4.ping_group_range); checked TCP port "
                         "%lld instead",
                         reason, (long long)c->port);
            method = "tcp";
            up = tcp_check(c, ai, addr, sizeof addr, &latency, reason,
                           sizeof reason);
        }
    }
    if (ai) freeaddrinfo(ai);
    if (up > 0) reason[0] = '\0';
    bt_probe_set(r, "method", "%s", method);
    bt_probe_set(r, "address", "%s", addr);
    if (!strcmp(method, "tcp")) bt_probe_set(r, "port", "%lld",
                                             (long long)c->port);
    bt_probe_set(r, "reachable", "%s", up > 0 ? "true" : "false");
    if (up > 0) bt_probe_set(r, "latency_ms", "%.3f", latency);
    bt_probe_set(r, "reason", "%s", reason);
    bt_probe_state(r, up > 0 ? "up" : "down");
}

static const bt_probe_ops host_ops = {.blocking = host_probe};

static int read_cfg(bt_activity_ctx *ctx, const char *type, host_cfg *c) {
    c->type = type;
    c->host = bt_act_str(ctx, "host", "");
    const char *m = bt_act_str(ctx, "method", "auto");
    if (bt_act_int(ctx, "port", 22, &c->port) ||
        bt_act_duration(ctx, "timeout", 5000, &c->timeout_ms))
        return -BT_EINVAL;
    if (!*c->host) return bt_act_fail(ctx, "%s: 'host' is empty", type);
    c->method = 0;
    while (method_names[c->method] && strcmp(method_names[c->method], m))
        c->method++;
    if (!method_names[c->method])
        return bt_act_fail(ctx, "%s: method '%s' is not one of auto, icmp, "
                                "tcp",
                           type, m);
    if (c->port < 1 || c->port > 65535)
        return bt_act_fail(ctx, "%s: port %lld for host '%s' is not between "
                                "1 and 65535",
                           type, (long long)c->port, c->host);
    if (c->timeout_ms == 0) c->timeout_ms = 1;
    return 0;
}

static int get_run(bt_activity_ctx *ctx) {
    host_cfg c = {0};
    bool fail_if;
    if (read_cfg(ctx, "get-computer-status", &c) ||
        bt_act_bool(ctx, "fail_if_unreachable", true, &fail_if))
        return -BT_EINVAL;
    bt_probe_result r = {0};
    host_probe(&c, &r);
    if (r.error) {
        bt_act_fail(ctx, "%s", r.error);
    } else {
        bt_probe_publish(ctx, &r);
        if (*bt_probe_get(&r, "note"))
            bt_act_warn(ctx, "get-computer-status: %s",
                        bt_probe_get(&r, "note"));
        if (fail_if && !strcmp(r.state, "down")) {
            const char *port = bt_probe_get(&r, "port");
            bt_act_fail(ctx,
                        "get-computer-status: host '%s'%s%s is not "
                        "reachable%s: %s",
                        c.host, *port ? " port " : "", port,
                        !strcmp(bt_probe_get(&r, "method"), "icmp")
                            ? " by ICMP echo"
                            : "",
                        bt_probe_get(&r, "reason"));
        }
    }
    bt_probe_clear(&r);
    return bt_act_failed(ctx) ? -BT_EINVAL : 0;
}

static const bt_pollmon_trigger host_triggers[] = {
    {"change", NULL, false},
    {"down", "down", true},
    {"up", "up", true},
    {NULL, NULL, false}};

static int monitor_run(bt_activity_ctx *ctx) {
    host_cfg *c = bt_act_alloc(ctx, sizeof *c);
    if (read_cfg(ctx, "monitor-computer-status", c)) return -BT_EINVAL;
    bt_pollmon_cfg *pc = bt_act_alloc(ctx, sizeof *pc);
    *pc = (bt_pollmon_cfg){.type = "monitor-computer-status",
                           .ops = &host_ops,
                           .cfg = c,
                           .triggers = host_triggers,
                           .default_interval_ms = 30000};
    return bt_pollmon_start(ctx, pc);
}

#define HOST_PROPS                                                           \
    {"host", BT_PROP_STRING, true, NULL, "Host name or IP address.", NULL}, \
    {"method", BT_PROP_STRING, false, "auto",                               \
     "icmp (echo), tcp (connect to port), or auto: ICMP where permitted, "  \
     "else TCP.", method_names},                                            \
    {"port", BT_PROP_INTEGER, false, "22",                                  \
     "TCP port for method tcp (and auto's fallback).", NULL},               \
    {"timeout", BT_PROP_DURATION, false, "5s",                              \
     "How long to wait for the reply or the connection.", NULL}

static const bt_prop_spec get_props[] = {
    HOST_PROPS,
    {"fail_if_unreachable", BT_PROP_BOOLEAN, false, "true",
     "Fail when the host does not answer (otherwise publish reachable: "
     "false).",
     NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};
#define HOST_PUBLISHED                                                       \
    "host", "address", "method", "port", "reachable", "latency_ms",         \
        "reason", "note"
static const char *const get_published[] = {HOST_PUBLISHED, NULL};

const bt_activity_type bt_activity_get_computer_status = {
    .name = "get-computer-status",
    .title = "Get Computer/IP Status",
    .category = "monitoring",
    .description = "Checks whether a host answers ICMP echo or accepts a "
                   "TCP connection, and how fast.",
    .mode = BT_EXEC_BLOCKING,
    .props = get_props,
    .published = get_published,
    .run = get_run,
};

static const char *const trigger_choices[] = {"change", "down", "up", NULL};
static const bt_prop_spec monitor_props[] = {
    HOST_PROPS,
    {"trigger_on", BT_PROP_STRING, false, "change",
     "change: fire when the host goes down or comes back; down; up.",
     trigger_choices},
    BT_POLLMON_PROPS("30s"),
    {NULL, 0, 0, NULL, NULL, NULL}};
static const char *const monitor_published[] = {HOST_PUBLISHED,
                                                BT_POLLMON_PUBLISHED, NULL};

const bt_activity_type bt_activity_monitor_computer_status = {
    .name = "monitor-computer-status",
    .title = "Monitor Computer/IP Status",
    .category = "monitoring",
    .description = "Starts a new runbook instance when a host stops or "
                   "starts answering.",
    .mode = BT_EXEC_ASYNC,
    .props = monitor_props,
    .published = monitor_published,
    .run = monitor_run,
    .cancel = bt_pollmon_cancel,
    .monitor = true,
};
