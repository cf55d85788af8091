/* The example integration pack: three activities that show the SDK's
 * parts. Only baton/pack.h is included; build it as a shared library
 * (examples/packs/CMakeLists.txt) and deploy it with its pack.yaml.
 *
 *   hello/greet        ASYNC with a timer: waits `delay`, then publishes a
 *                      greeting. Validates `style` when it is written out.
 *   hello/count-words  ASYNC with a child process: feeds `text` to wc -w.
 *   hello/split        BLOCKING: one row per item of `text`. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/pack.h"

BT_PACK_DEFINE();

/* ---- greet -------------------------------------------------------------- */

typedef struct greeting {
    const char *text;
} greeting;

/* Callbacks get the host's table through their user data. */
static void greet_now(bt_pack_ctx *ctx, void *ud) {
    const bt_pack_api *api = ud;
    greeting *g = api->state(ctx);
    api->publish(ctx, "greeting", g->text, (size_t)-1);
    api->log(ctx, BT_PACK_LOG_DEBUG, "greeted");
    api->complete(ctx);
}

static int greet_execute(const bt_pack_api *api, bt_pack_ctx *ctx) {
    const char *name = api->str(ctx, "name", "world");
    const char *style = api->str(ctx, "style", "plain");
    uint64_t delay = 0;
    if (api->duration(ctx, "delay", 0, &delay) != 0)
        return -BT_PACK_EINVAL;
    if (!*name)
        return api->fail(ctx, "greet: 'name' is empty");
    size_t len = strlen(name) + 16;
    char *text = api->alloc(ctx, len);
    snprintf(text, len, "Hello, %s!", name);
    if (!strcmp(style, "shout"))
        for (char *p = text; *p; p++)
            *p = (char)toupper((unsigned char)*p);
    greeting *g = api->alloc(ctx, sizeof *g);
    g->text = text;
    api->set_state(ctx, g, NULL);
    api->publish(ctx, "name", name, (size_t)-1);
    if (!delay) {
        greet_now(ctx, (void *)api);
        return 0;
    }
    return api->timer(ctx, delay, greet_now, (void *)api);
}

/* A name written out is checked when the runbook is loaded; one taken
 * from published data can only be checked when it runs. (`style` needs no
 * code: its choices in the schema are checked by the host.) */
static int greet_validate(const bt_pack_api *api, bt_pack_check *chk) {
    const char *name = api->check_literal(chk, "name");
    if (name && !*name)
        return api->check_error(chk, "name", "must not be empty");
    return 0;
}

static const char *const styles[] = {"plain", "shout", NULL};

static const bt_pack_prop greet_props[] = {
    {"name", BT_PACK_STRING, 0, "world", "Who to greet.", NULL},
    {"style", BT_PACK_STRING, 0, "plain", "plain or shout (upper case).",
     styles},
    {"delay", BT_PACK_DURATION, 0, "0s", "How long to wait first.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const greet_published[] = {"greeting", "name", NULL};

/* ---- count-words -------------------------------------------------------- */

static void counted(bt_pack_ctx *ctx, const bt_pack_process *proc, void *ud) {
    const bt_pack_api *api = ud;
    if (api->canceled(ctx)) {
        api->complete(ctx);
        return;
    }
    if (proc->start_error) {
        char msg[256];
        snprintf(msg, sizeof msg, "count-words: cannot run wc: %s",
                 proc->start_error_text);
        api->fail(ctx, msg);
    } else if (proc->exit_code != 0) {
        api->fail(ctx, "count-words: wc failed");
    } else {
        long n = strtol(proc->out, NULL, 10);
        char buf[32];
        snprintf(buf, sizeof buf, "%ld", n);
        api->publish(ctx, "words", buf, (size_t)-1);
        snprintf(buf, sizeof buf, "%d", proc->pid);
        api->publish(ctx, "pid", buf, (size_t)-1);
    }
    api->complete(ctx);
}

static int count_execute(const bt_pack_api *api, bt_pack_ctx *ctx) {
    const char *text = api->str(ctx, "text", "");
    const char *program = api->str(ctx, "program", "wc");
    const char **argv = api->alloc(ctx, 3 * sizeof *argv);
    argv[0] = program;
    argv[1] = "-w";
    argv[2] = NULL;
    bt_pack_spawn opts = {
        .argv = argv, .input = text, .input_len = strlen(text)};
    return api->spawn(ctx, &opts, counted, (void *)api);
}

static const bt_pack_prop count_props[] = {
    {"text", BT_PACK_STRING, 1, NULL, "The text whose words are counted.",
     NULL},
    {"program", BT_PACK_STRING, 0, "wc", "The word counter to run.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const count_published[] = {"words", "pid", NULL};

/* ---- split -------------------------------------------------------------- */

static int split_execute(const bt_pack_api *api, bt_pack_ctx *ctx) {
    const char *text = api->str(ctx, "text", "");
    const char *sep = api->str(ctx, "separator", ",");
    if (!*sep)
        return api->fail(ctx, "split: 'separator' is empty");
    size_t n = 0, seplen = strlen(sep);
    for (const char *p = text;; n++) {
        const char *end = strstr(p, sep);
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (n)
            api->new_row(ctx);
        char num[32];
        snprintf(num, sizeof num, "%zu", n + 1);
        api->publish(ctx, "index", num, (size_t)-1);
        api->publish(ctx, "item", p, len);
        if (!end)
            break;
        p = end + seplen;
    }
    return 0;
}

static const bt_pack_prop split_props[] = {
    {"text", BT_PACK_STRING, 1, NULL, "The text to split.", NULL},
    {"separator", BT_PACK_STRING, 0, ",", "What separates the items.", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const split_published[] = {"index", "item", NULL};

/* ---- the pack ------------------------------------------------------------ */

static const bt_pack_activity activities[] = {
    {"greet", "Greet", "Publishes a greeting, after an optional delay.",
     BT_PACK_ASYNC, greet_props, greet_published, greet_validate, greet_execute,
     NULL},
    {"count-words", "Count Words",
     "Counts the words of a text with wc, in a child process.", BT_PACK_ASYNC,
     count_props, count_published, NULL, count_execute, NULL},
    {"split", "Split Text", "Publishes one row per item of a text.",
     BT_PACK_BLOCKING, split_props, split_published, NULL, split_execute, NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL}};

static const bt_pack_descriptor descriptor = {BT_PACK_ABI_VERSION, "hello",
                                              "1.0.0", activities};

const bt_pack_descriptor *bt_pack_init(const bt_pack_api *api) {
    if (api->abi_version != BT_PACK_ABI_VERSION)
        return NULL;
    return &descriptor;
}
