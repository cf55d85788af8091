/* Generate Random Text: passwords, tokens and unique names from
 * libsodium's generator. With count > 1 it publishes one row per text,
 * which is also the simplest way to fan a runbook out over N rows. */
#include <sodium.h>
#include <string.h>

#include "activities/utility/literal.h"
#include "baton/activity.h"
#include "common/buf.h"
#include "common/util.h"

#define LENGTH_MAX 4096
#define COUNT_MAX 10000

static const char *const charsets[] = {"alphanumeric", "letters",   "digits",
                                       "hex",          "lowercase", "uppercase",
                                       "symbols",      "custom",    NULL};

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS "0123456789"

/* In charsets[] order; custom comes from the property. */
static const char *const alphabets[] = {
    UPPER LOWER DIGITS, UPPER LOWER, DIGITS, DIGITS "abcdef", LOWER, UPPER,
    UPPER LOWER DIGITS "!#$%&()*+,-./:;<=>?@[]^_{|}~", NULL};

static const bt_prop_spec props[] = {
    {"length", BT_PROP_INTEGER, false, "8",
     "Characters in each text, 1 to 4096.", NULL},
    {"charset", BT_PROP_STRING, false, "alphanumeric",
     "Characters to draw from; symbols is alphanumeric plus punctuation.",
     charsets},
    {"custom", BT_PROP_STRING, false, NULL,
     "The characters to draw from when charset is custom (UTF-8; a "
     "character listed twice is drawn twice as often).",
     NULL},
    {"count", BT_PROP_INTEGER, false, "1",
     "How many texts, one per published row (1 to 10000).", NULL},
    {NULL, 0, 0, NULL, NULL, NULL}};

static const char *const published[] = {"text", NULL};

/* Splits a UTF-8 alphabet into characters so that a multi-byte character
 * is drawn whole. Returns the count; starts[i] / lens[i] locate each. */
static size_t split_chars(const char *s, size_t *starts, unsigned char *lens,
                          size_t max) {
    size_t n = 0, i = 0, len = strlen(s);
    while (i < len && n < max) {
        unsigned char c = (unsigned char)s[i];
        size_t w = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3
                                               : (c >> 3) == 30 ? 4 : 1;
        if (i + w > len) w = len - i;
        starts[n] = i;
        lens[n] = (unsigned char)w;
        n++;
        i += w;
    }
    return n;
}

/* Literal values out of range fail at load rather than at run. */
static int check(const bt_activity_def *def, const bt_runbook *rb,
                 bt_diags *diags) {
    static const struct {
        const char *name;
        int64_t max;
    } limits[] = {{"length", LENGTH_MAX}, {"count", COUNT_MAX}};
    int rc = 0;
    for (size_t i = 0; i < BT_ARRAY_LEN(limits); i++) {
        const bt_node *n;
        const char *v = bt_utility_literal(def, limits[i].name, &n);
        int64_t x;
        if (v && bt_parse_int64(v, &x) && (x < 1 || x > limits[i].max))
            rc = bt_diags_add(diags, BT_EINVAL, rb->file, n->line, n->column,
                              "generate-random-text '%s': %s %lld is not "
                              "between 1 and %lld",
                              def->id, limits[i].name, (long long)x,
                              (long long)limits[i].max);
    }
    const bt_node *cn;
    const char *charset = bt_utility_literal(def, "charset", &cn);
    const bt_node *custom = bt_node_get(def->properties, "custom");
    if (charset && strcmp(charset, "custom") == 0 &&
        (!custom || (custom->kind == BT_NODE_SCALAR && !custom->str[0]) ||
         custom->kind == BT_NODE_NULL))
        rc = bt_diags_add(diags, BT_EINVAL, rb->file, cn->line, cn->column,
                          "generate-random-text '%s': charset is custom but "
                          "'custom' gives no characters",
                          def->id);
    return rc;
}

static int run(bt_activity_ctx *ctx) {
    int64_t length = 8, count = 1;
    if (bt_act_int(ctx, "length", 8, &length) != 0 ||
        bt_act_int(ctx, "count", 1, &count) != 0)
        return -BT_EINVAL;
    if (length < 1 || length > LENGTH_MAX)
        return bt_act_fail(ctx,
                           "generate-random-text: length %lld is not between "
                           "1 and %d",
                           (long long)length, LENGTH_MAX);
    if (count < 1 || count > COUNT_MAX)
        return bt_act_fail(ctx,
                           "generate-random-text: count %lld is not between "
                           "1 and %d",
                           (long long)count, COUNT_MAX);
    const char *charset = bt_act_str(ctx, "charset", "alphanumeric");
    const char *alphabet = NULL;
    for (size_t i = 0; charsets[i]; i++)
        if (strcmp(charset, charsets[i]) == 0)
            alphabet = alphabets[i] ? alphabets[i]
                                    : bt_act_str(ctx, "custom", "");
    if (bt_act_failed(ctx)) return -BT_EINVAL;
    if (!alphabet)
        return bt_act_fail(ctx,
                           "generate-random-text: charset '%.100s' is not one "
                           "of alphanumeric, letters, digits, hex, lowercase, "
                           "uppercase, symbols, custom",
                           charset);
    size_t max = strlen(alphabet);
    size_t *starts = bt_act_alloc(ctx, (max + 1) * sizeof *starts);
    unsigned char *lens = bt_act_alloc(ctx, max + 1);
    size_t n = split_chars(alphabet, starts, lens, max);
    if (n == 0)
        return bt_act_fail(ctx, "generate-random-text: charset is custom but "
                                "'custom' gives no characters");
    /* Idempotent and thread-safe; only fails if the OS has no entropy. */
    if (sodium_init() < 0)
        return bt_act_fail(ctx, "generate-random-text: libsodium could not "
                                "initialise its random generator");
    bt_buf text;
    bt_buf_init(&text, (size_t)LENGTH_MAX * 4 + 1);
    for (int64_t row = 0; row < count; row++) {
        bt_buf_reset(&text);
        for (int64_t i = 0; i < length; i++) {
            uint32_t k = randombytes_uniform((uint32_t)n);
            bt_buf_append(&text, alphabet + starts[k], lens[k]);
        }
        if (row > 0) bt_act_new_row(ctx);
        bt_act_publishn(ctx, "text", bt_buf_str(&text), text.len);
    }
    bt_buf_free(&text);
    return 0;
}

const bt_activity_type bt_activity_generate_random_text = {
    .name = "generate-random-text",
    .title = "Generate Random Text",
    .category = "utility",
    .description = "Publishes random text, one row per text requested.",
    .mode = BT_EXEC_INLINE,
    .props = props,
    .published = published,
    .check = check,
    .run = run,
};
