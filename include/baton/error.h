/* Baton error reporting: one struct carries a code, a sentence for the user
 * and, when the problem comes from a runbook file, where in the file it is. */
#ifndef BATON_ERROR_H
#define BATON_ERROR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Functions return 0 or the negative of one of these. */
enum {
    BT_OK = 0,
    BT_EINVAL = 1,    /* invalid argument or input */
    BT_ENOMEM = 2,    /* out of memory */
    BT_EIO = 3,       /* I/O error (errno-based details in the message) */
    BT_ENOTFOUND = 4, /* named thing does not exist */
    BT_ETOOBIG = 5,   /* input over a hard size cap */
    BT_ESYNTAX = 6,   /* malformed text (YAML, condition, template) */
    BT_ETIMEDOUT = 7, /* activity or operation timed out */
    BT_ECANCELED = 8, /* canceled on request */
    BT_EEXIST = 9,    /* already exists */
    BT_ESTATE = 10,   /* operation not valid in the current state */
    BT_EINTERNAL = 11 /* a bug: an invariant did not hold */
};

#define BT_ERROR_MESSAGE_MAX 512
#define BT_ERROR_FILE_MAX 256

typedef struct bt_error {
    int code;                        /* BT_E*, positive; 0 when no error */
    int line;                        /* 1-based; 0 when not from a file */
    int column;                      /* 1-based; 0 when unknown */
    char file[BT_ERROR_FILE_MAX];    /* "" when not from a file */
    char message[BT_ERROR_MESSAGE_MAX];
} bt_error;

/* Fill *err (which may be NULL) and return -code, so callers can write
 * `return bt_error_set(err, BT_EINVAL, "...")`. */
int bt_error_set(bt_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int bt_error_set_at(bt_error *err, int code, const char *file, int line,
                    int column, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
int bt_error_vset_at(bt_error *err, int code, const char *file, int line,
                     int column, const char *fmt, va_list ap);
void bt_error_clear(bt_error *err);

/* "file:line:col: message", or just the message when there is no file. */
void bt_error_format(const bt_error *err, char *out, size_t size);

const char *bt_strerror(int code); /* accepts code or -code */

/* A list of problems: the validator reports every one it finds. */
typedef struct bt_diags {
    bt_error *items;
    size_t count;
    size_t cap;
    size_t limit; /* stop collecting after this many (0: default 200) */
    int dropped;  /* how many were not kept because of the limit */
} bt_diags;

void bt_diags_init(bt_diags *d);
void bt_diags_free(bt_diags *d);
/* Records a problem; always returns -code for convenience. */
int bt_diags_add(bt_diags *d, int code, const char *file, int line, int column,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void bt_diags_add_error(bt_diags *d, const bt_error *err);
/* Sorts by file position, then prints one line per problem. */
void bt_diags_print(bt_diags *d, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
