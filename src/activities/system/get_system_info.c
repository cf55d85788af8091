/* Get System Info: what a runbook needs to know about the runbook server's
 * computer, read from uname, /etc/os-release, /proc and the interface list,
 * so it works without any tool installed. Blocking (small file reads). A
 * value that cannot be read is published empty rather than failing the
 * activity: a container without /etc/os-release still has a kernel. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "baton/activity.h"
#include "common/buf.h"
#include "common/util.h"

/* The value of `key` in a "key<sep>value" text file (/proc/meminfo with
 * ':', os-release with '='), surrounding blanks and quotes removed. */
static bool file_value(const char *path, const char *key, char sep, char *out,
                       size_t size) {
    FILE *f = fopen(path, "re");
    if (!f) return false;
    char line[512];
    size_t klen = strlen(key);
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) || line[klen] != sep) continue;
        char *v = line + klen + 1;
        v += strspn(v, " \t\"'");
        size_t n = strcspn(v, "\n");
        while (n && strchr(" \t\"'", v[n - 1])) n--;
        snprintf(out, size, "%.*s", (int)n, v);
        found = true;
    }
    fclose(f);
    return found;
}

/* A /proc/meminfo line such as "MemTotal: 16318300 kB", in bytes. */
static void publish_meminfo(bt_activity_ctx *ctx, const char *field,
                            const char *key) {
    char v[64];
    unsigned long long kb;
    if (file_value("/proc/meminfo", key, ':', v, sizeof v) &&
        sscanf(v, "%llu", &kb) == 1)
        bt_act_publishf(ctx, field, "%llu", kb * 1024ULL);
    else
        bt_act_publish(ctx, field, "");
}

static void publish_os(bt_activity_ctx *ctx) {
    static const char *const keys[][2] = {{"os_name", "PRETTY_NAME"},
                                          {"os_id", "ID"},
                                          {"os_version", "VERSION_ID"}};
    /* os-release(5): /etc first, /usr/lib as the fallback. */
    const char *path = access("/etc/os-release", R_OK) == 0
                           ? "/etc/os-release"
                           : "/usr/lib/os-release";
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char v[256] = "";
        file_value(path, keys[i][1], '=', v, sizeof v);
        bt_act_publish(ctx, keys[i][0], v);
    }
}

static void publish_cpu(bt_activity_ctx *ctx) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    bt_act_publishf(ctx, "cpu_count", "%ld", n > 0 ? n : 1);
    char model[256] = "";
    /* x86 says "model name"; ARM kernels may say "Model" or nothing. */
    if (!file_value("/proc/cpuinfo", "model name\t", ':', model, sizeof model))
        file_value("/proc/cpuinfo", "Model\t\t", ':', model, sizeof model);
    bt_act_publish(ctx, "cpu_model", model);
}

static void publish_uptime_load(bt_activity_ctx *ctx) {
    double up = 0, l1 = 0, l5 = 0, l15 = 0;
    FILE *f = fopen("/proc/uptime", "re");
    bool have_up = f && fscanf(f, "%lf", &up) == 1;
    if (f) fclose(f);
    if (have_up) {
        bt_act_publishf(ctx, "uptime_seconds", "%.0f", up);
        char at[40];
        bt_format_time_us(bt_now_us() - (uint64_t)(up * 1e6), at, sizeof at);
        bt_act_publish(ctx, "boot_time", at);
    } else {
        bt_act_publish(ctx, "uptime_seconds", "");
        bt_act_publish(ctx, "boot_time", "");
    }
    f = fopen("/proc/loadavg", "re");
    bool have_load = f && fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3;
    if (f) fclose(f);
    if (have_load) {
        bt_act_publishf(ctx, "load_1", "%.2f", l1);
        bt_act_publishf(ctx, "load_5", "%.2f", l5);
        bt_act_publishf(ctx, "load_15", "%.2f", l15);
    } else {
        bt_act_publish(ctx, "load_1", "");
        bt_act_publish(ctx, "load_5", "");
        bt_act_publish(ctx, "load_15", "");
    }
}

/* Addresses of interfaces that are up, one "iface=address" per entry in
 * `interfaces` and the addresses alone in `ip_addresses` / `ipv4` /
 * `ipv6` (comma-separated). Loopback is left out unless asked for: a
 * runbook wants the address others reach this computer at. */
static void publish_addresses(bt_activity_ctx *ctx, bool loopback) {
    bt_buf all, v4, v6, ifs;
    bt_buf_init(&all, 0);
    bt_buf_init(&v4, 0);
    bt_buf_init(&v6, 0);
    bt_buf_init(&ifs, 0);
    struct ifaddrs *list = NULL;
    if (getifaddrs(&list) == 0) {
        for (struct ifaddrs *i = list; i; i = i->ifa_next) {
            if (!i->ifa_addr || !(i->ifa_flags & IFF_UP)) continue;
            if ((i->ifa_flags & IFF_LOOPBACK) && !loopback) continue;
            int fam = i->ifa_addr->sa_family;
            char a[INET6_ADDRSTRLEN] = "";
            if (fam == AF_INET) {
                inet_ntop(AF_INET,
                          &((struct sockaddr_in *)i->ifa_addr)->sin_addr, a,
                          sizeof a);
            } else if (fam == AF_INET6) {
                const struct in6_addr *in6 =
                    &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
                /* Link-local addresses need a zone to be used at all. */
                if (IN6_IS_ADDR_LINKLOCAL(in6)) continue;
                inet_ntop(AF_INET6, in6, a, sizeof a);
            } else {
                continue;
            }
            bt_buf *one = fam == AF_INET ? &v4 : &v6;
            bt_buf_printf(&all, "%s%s", all.len ? "," : "", a);
            bt_buf_printf(one, "%s%s", one->len ? "," : "", a);
            bt_buf_printf(&ifs, "%s%s=%s", ifs.len ? "," : "", i->ifa_name, a);
        }
        freeifaddrs(list);
    }
    bt_act_publish(ctx, "ip_addresses", bt_buf_str(&all));
    bt_act_publish(ctx, "ipv4_addresses", bt_buf_str(&v4));
    bt_act_publish(ctx, "ipv6_addresses", bt_buf_str(&v6));
    bt_act_publish(ctx, "interfaces", bt_buf_str(&ifs));
    bt_buf_free(&all);
    bt_buf_free(&v4);
    bt_buf_free(&v6);
    bt_buf_free(&ifs);
}

static int run(bt_activity_ctx *ctx) {
    bool loopback;
    if (bt_act_bool(ctx, "include_loopback", false, &loopback))
        return -BT_EINVAL;
    struct utsname u;
    if (uname(&u) != 0)
        return bt_act_fail(ctx, "get-system-info: uname failed");
    bt_act_publish(ctx, "hostname", u.nodename);
    publish_os(ctx);
    bt_act_publish(ctx, "kernel_name", u.sysname);
    bt_act_publish(ctx, "kernel_release", u.release);
    bt_act_publish(ctx, "kernel_version", u.version);
    bt_act_publish(ctx, "architecture", u.machine);
    publish_cpu(ctx);
    publish_meminfo(ctx, "memory_total_bytes", "MemTotal");
    publish_meminfo(ctx, "memory_available_bytes", "MemAvailable");
    publish_meminfo(ctx, "swap_total_bytes", "SwapTotal");
    publish_meminfo(ctx, "swap_free_bytes", "SwapFree");
    publish_uptime_load(ctx);
    publish_addresses(ctx, loopback);
    return 0;
}

static const bt_prop_spec props[] = {
    {"include_loopback", BT_PROP_BOOLEAN, false, "false",
     "Also list loopback addresses (127.0.0.1, ::1).", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {"hostname",
                                        "os_name",
                                        "os_id",
                                        "os_version",
                                        "kernel_name",
                                        "kernel_release",
                                        "kernel_version",
                                        "architecture",
                                        "cpu_count",
                                        "cpu_model",
                                        "memory_total_bytes",
                                        "memory_available_bytes",
                                        "swap_total_bytes",
                                        "swap_free_bytes",
                                        "uptime_seconds",
                                        "boot_time",
                                        "load_1",
                                        "load_5",
                                        "load_15",
                                        "ip_addresses",
                                        "ipv4_addresses",
                                        "ipv6_addresses",
                                        "interfaces",
                                        NULL};

const bt_activity_type bt_activity_get_system_info = {
    .name = "get-system-info",
    .title = "Get System Info",
    .category = "system",
    .description = "Publishes the runbook server computer's host name, "
                   "operating system, kernel, CPUs, memory, uptime, load "
                   "and IP addresses.",
    .mode = BT_EXEC_BLOCKING,
    .props = props,
    .published = published,
    .run = run,
};
