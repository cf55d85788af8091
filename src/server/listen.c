#include "server/listen.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* "mgmt_port" -> "--mgmt-port" and "BATON_MGMT_PORT". */
static void setting_names(const char *key, char *flag, char *env,
                          size_t size) {
    size_t i = 0;
    snprintf(flag, size, "--");
    snprintf(env, size, "BATON_");
    for (; key[i] && i + 8 < size; i++) {
        flag[2 + i] = key[i] == '_' ? '-' : key[i];
        env[6 + i] = (char)toupper((unsigned char)key[i]);
    }
    flag[2 + i] = '\0';
    env[6 + i] = '\0';
}

int bt_listen_tcp(const bt_listen_spec *spec, int *fd_out, uint16_t *port_out,
                  bt_error *err) {
    const char *addr = spec->bind && *spec->bind ? spec->bind : NULL;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    socklen_t sl;
    int family;
    if (addr && strchr(addr, ':')) {
        family = a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(spec->port);
        sl = sizeof *a6;
        if (inet_pton(AF_INET6, addr, &a6->sin6_addr) != 1) family = -1;
    } else {
        family = a4->sin_family = AF_INET;
        a4->sin_port = htons(spec->port);
        sl = sizeof *a4;
        if (!addr)
            a4->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (inet_pton(AF_INET, addr, &a4->sin_addr) != 1)
            family = -1;
    }
    if (family < 0)
        return bt_error_set(err, BT_EINVAL,
                            "%s: '%s' is not an IP address (change it with "
                            "--bind, BATON_BIND or bind in the config file)",
                            spec->service, addr);
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return bt_error_set(err, BT_EIO, "%s: socket: %s", spec->service,
                            strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 128)) {
        int e = errno;
        close(fd);
        char flag[48], env[48];
        setting_names(spec->setting, flag, env, sizeof flag);
        return bt_error_set(
            err, BT_EIO,
            "%s: cannot listen on %s port %u: %s (change it with %s, %s or "
            "%s in the config file%s)",
            spec->service, addr ? addr : "all addresses",
            (unsigned)spec->port, strerror(e), flag, env, spec->setting,
            e == EACCES && spec->port && spec->port < 1024
                ? "; ports below 1024 need root or CAP_NET_BIND_SERVICE"
                : "");
    }
    struct sockaddr_storage bound;
    socklen_t bl = sizeof bound;
    getsockname(fd, (struct sockaddr *)&bound, &bl);
    *port_out = ntohs(family == AF_INET6
                          ? ((struct sockaddr_in6 *)&bound)->sin6_port
                          : ((struct sockaddr_in *)&bound)->sin_port);
    *fd_out = fd;
    return 0;
}

void bt_listen_url(const char *bind, uint16_t port, char *out, size_t size) {
    const char *host = "127.0.0.1";
    bool v6 = false;
    if (bind && *bind && strcmp(bind, "0.0.0.0")) {
        host = bind;
        v6 = strchr(bind, ':') != NULL;
        if (!strcmp(bind, "::")) host = "::1";
    }
    snprintf(out, size, "http://%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
             (unsigned)port);
}
