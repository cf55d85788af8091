/* The CLI's HTTP client for the Baton web service's JSON API (libcurl).
 * The service's URL comes from --url, else BATON_URL, else `url = ...` in
 * ~/.config/baton/config, else http://127.0.0.1:81. */
#ifndef BT_CLI_CLIENT_H
#define BT_CLI_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "baton/error.h"

#define BT_CLIENT_DEFAULT_URL "http://127.0.0.1:81"
/* Answers larger than this are refused (a job with huge published data). */
#define BT_CLIENT_REPLY_MAX ((size_t)256 << 20)

typedef struct bt_client bt_client;

/* url_flag: the --url value or NULL. */
int bt_client_open(const char *url_flag, bt_client **out, bt_error *err);
void bt_client_close(bt_client *c); /* NULL is a no-op */
const char *bt_client_url(const bt_client *c);

/* Sends method path (path may carry a query) with body (JSON or NULL) and
 * waits up to timeout_s for the answer. 0 when an HTTP answer arrived,
 * whatever its status, with its JSON body in *reply (the caller decrefs).
 * A service that cannot be reached is -BT_EIO: "cannot reach the Baton web
 * service at URL: reason". */
int bt_client_call(bt_client *c, const char *method, const char *path,
                   json_t *body, long timeout_s, long *status, json_t **reply,
                   bt_error *err);

/* Called while a call's body goes out: bytes sent of total (libcurl's
 * progress, several times a second). fn NULL: none. */
typedef void (*bt_client_progress_fn)(void *ud, uint64_t sent, uint64_t total);
void bt_client_set_progress(bt_client *c, bt_client_progress_fn fn, void *ud);
/* What the errors call the server ("the management server"); default "the
 * Baton web service". name is borrowed. */
void bt_client_set_service(bt_client *c, const char *name);

/* Percent-encodes text for a query string (malloc'd). */
char *bt_client_escape(bt_client *c, const char *text);

/* Prints an error answer as "baton CMD: message" and returns the exit
 * status for it: 2 for a 400 (bad input), else 1. */
int bt_client_report(const char *cmd, long status, json_t *reply);

/* Takes "--url URL" or "--url=URL" at argv[*i]; true when it did (then *i
 * is advanced past it). Prints a usage error and sets *bad when the value
 * is missing. */
bool bt_client_url_arg(int argc, char **argv, int *i, const char **url,
                       bool *bad);

#endif
