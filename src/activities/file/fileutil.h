/* Shared by the file and text activities: property and path checks, glob
 * expansion, the if_exists policy, temp-file-then-rename writes, capped
 * line reading and line ranges. Everything here may run on the libuv thread
 * pool (the activities are BT_EXEC_BLOCKING), so it keeps no global state
 * and uses only thread-safe libc calls. */
#ifndef BT_FILEUTIL_H
#define BT_FILEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "baton/activity.h"
#include "baton/error.h"
#include "common/buf.h"

/* Caps on what a text activity reads: the whole file, and one line. */
#define BT_FILEUTIL_FILE_CAP ((size_t)64 << 20)
#define BT_FILEUTIL_LINE_CAP ((size_t)1 << 20)
/* Rows one activity instance may publish: each row costs a few hundred
 * bytes in every record that holds it. */
#define BT_FILEUTIL_MAX_ROWS 100000

/* ---- errors ----------------------------------------------------------- */

/* errno as text without strerror's shared buffer. */
const char *bt_fileutil_strerror(int errnum, char *buf, size_t size);
/* Sets "cannot <verb> '<path>': <strerror>" with a code that follows errnum
 * (ENOENT: BT_ENOTFOUND, EEXIST: BT_EEXIST, else BT_EIO); returns -code. */
int bt_fileutil_errno(bt_error *err, int errnum, const char *verb,
                      const char *path);
/* "64 MiB" reads better than 67108864 in a message. */
void bt_fileutil_format_size(size_t n, char *buf, size_t size);
/* "'<path>' is larger than the 64 MiB limit", BT_ETOOBIG. */
int bt_fileutil_file_too_large(bt_error *err, const char *path, size_t cap);
/* Fails the activity with "<type-name>: <err->message>". */
int bt_fileutil_fail(bt_activity_ctx *ctx, const bt_error *err);

/* ---- properties ------------------------------------------------------- */

/* A required absolute path property; fails the activity when it is empty,
 * relative or too long. Relative paths are refused because they would
 * resolve against the daemon's working directory, which nobody chose. */
int bt_fileutil_path_prop(bt_activity_ctx *ctx, const char *prop,
                          const char **out);
/* The same for a property that may hold a glob pattern: wildcards that
 * come from published data arrive escaped (bt_act_pattern), so a file name
 * taken from upstream matches only itself. */
int bt_fileutil_pattern_prop(bt_activity_ctx *ctx, const char *prop,
                             const char **out);
int bt_fileutil_check_path(const char *prop, const char *path,
                           bt_error *err);
/* Octal permission text ("755", "0640"); 0 or -BT_EINVAL. */
int bt_fileutil_parse_mode(const char *text, mode_t *out);
/* "0644"; buf must hold 8 bytes. */
void bt_fileutil_format_mode(mode_t mode, char *buf, size_t size);

/* What to do when a destination already exists. */
typedef enum {
    BT_IF_EXISTS_FAIL,
    BT_IF_EXISTS_OVERWRITE,
    BT_IF_EXISTS_SKIP,
    BT_IF_EXISTS_RENAME
} bt_if_exists;

/* NULL-terminated, in bt_if_exists order: for a bt_prop_spec's choices. */
extern const char *const bt_fileutil_if_exists_names[];
int bt_fileutil_if_exists_prop(bt_activity_ctx *ctx, const char *prop,
                               bt_if_exists *out);

/* ---- paths and globs -------------------------------------------------- */

typedef struct bt_pathlist {
    char **items;
    size_t count;
    bool pattern; /* the text had glob characters */
} bt_pathlist;

/* True when text has a wildcard (*, ? or [) not escaped by a backslash. */
bool bt_fileutil_has_glob(const char *text);
/* A text without wildcards gives itself, escapes removed, existing or not;
 * a pattern gives its sorted matches, possibly none. */
int bt_fileutil_expand(const char *prop, const char *text, bt_pathlist *out,
                       bt_error *err);
void bt_pathlist_free(bt_pathlist *list);

/* Last component and everything before it ("/a/b.txt": "b.txt", "/a").
 * Trailing slashes are ignored. Both are malloc'd. */
char *bt_fileutil_basename(const char *path);
char *bt_fileutil_dirname(const char *path);
char *bt_fileutil_join(const char *dir, const char *name);
/* "/d/report (1).txt" for n = 1: the rename policy's candidate names. */
char *bt_fileutil_numbered(const char *path, unsigned n);

/* Creates path; with parents also its missing ancestors (made with
 * mode | 0300 so the walk can continue). Each directory created gets
 * exactly mode (umask is not applied, since the runbook asked for it).
 * *created says whether path itself was made. */
int bt_fileutil_mkdirs(const char *path, mode_t mode, bool parents,
                       bool *created, bt_error *err);
/* Removes path and, if it is a directory, everything under it, without
 * following symbolic links. */
int bt_fileutil_remove_tree(const char *path, bt_error *err);
/* rename(2) that refuses to replace an existing target (-1, errno EEXIST),
 * also on filesystems without RENAME_NOREPLACE. */
int bt_fileutil_rename_noreplace(const char *from, const char *to);
/* fsync of a directory, so a rename in it survives a crash. */
int bt_fileutil_sync_dir(const char *dir, bt_error *err);

/* ---- writing through a temporary file ----------------------------------
 * The data goes to a fresh ".<name>.XXXXXX.tmp" next to the final name and
 * is renamed over it only when complete and synced, so a crash never
 * leaves a half-written file under the final name. */

typedef struct bt_tmpfile {
    int fd;      /* -1 once closed */
    char *path;  /* the temporary name; NULL once renamed away */
    char *dir;
    char *final; /* the name it is meant for, used in messages */
} bt_tmpfile;

/* mode is passed to open(2), so the umask applies, as with cp. */
int bt_fileutil_tmp_open(bt_tmpfile *t, const char *final_path, mode_t mode,
                         bt_error *err);
int bt_fileutil_tmp_write(bt_tmpfile *t, const void *data, size_t len,
                          bt_error *err);
/* Copies the rest of fd (regular file) into t; adds bytes to *copied. */
int bt_fileutil_tmp_copy_from(bt_tmpfile *t, int fd, const char *src_path,
                              uint64_t *copied, bt_error *err);
/* fsyncs, closes and renames to target, then syncs the directory. With
 * replace false an existing target is left alone and -BT_EEXIST returned
 * (the temporary file is kept, so the caller may try another name). */
int bt_fileutil_tmp_commit(bt_tmpfile *t, const char *target, bool replace,
                           bt_error *err);
/* Closes and unlinks the temporary file unless it was committed. */
void bt_fileutil_tmp_discard(bt_tmpfile *t);

/* Replaces path's content atomically, keeping its mode (and owner when
 * allowed); a new file gets mode `mode_if_new`. */
int bt_fileutil_rewrite(const char *path, const void *data, size_t len,
                        mode_t mode_if_new, bt_error *err);

/* Opens a file for reading: the fd, or a negative code with "'<path>' does
 * not exist", "is a folder", "cannot read ...: <reason>" in err. Pipes and
 * sockets are refused (they could block the thread for ever). */
int bt_fileutil_open_read(const char *path, struct stat *st, bt_error *err);
/* Reads a whole file through a bt_buf capped at cap bytes. */
int bt_fileutil_read_all(const char *path, size_t cap, bt_buf *out,
                         bt_error *err);

/* ---- lines ------------------------------------------------------------ */

/* Streams a file line by line: '\n' ends a line, a '\r' before it is
 * dropped, a last line without '\n' still counts. Reading stops with an
 * error past BT_FILEUTIL_FILE_CAP bytes or at a line longer than
 * BT_FILEUTIL_LINE_CAP. */
typedef struct bt_line_reader {
    int fd;
    const char *path;
    uint64_t line_number; /* of the line last returned, 1-based */
    uint64_t bytes_read;
    size_t file_cap, line_cap;
    bt_buf line;
    char *chunk;
    size_t chunk_pos, chunk_len;
    bool eof;
} bt_line_reader;

int bt_fileutil_lines_open(bt_line_reader *r, const char *path,
                           bt_error *err);
/* 1 with the next line (valid until the next call), 0 at the end, or a
 * negative code. */
int bt_fileutil_lines_next(bt_line_reader *r, const char **line,
                           size_t *len, bt_error *err);
void bt_fileutil_lines_close(bt_line_reader *r);

/* Line selections: "all", "N", "N-M", "N-END", "END" (the last line) and
 * comma lists of these ("1,3,5-7"). */
typedef struct bt_line_range {
    uint64_t first, last; /* last == UINT64_MAX: to the end */
} bt_line_range;

typedef struct bt_line_ranges {
    bt_line_range *items;
    size_t count;
    bool all;
    bool want_last; /* "END" alone: only known at the end of the file */
} bt_line_ranges;

int bt_fileutil_ranges_parse(const char *text, bt_line_ranges *out,
                             bt_error *err);
bool bt_fileutil_ranges_has(const bt_line_ranges *r, uint64_t line);
/* True when no line after `line` can be selected, so reading can stop. */
bool bt_fileutil_ranges_done(const bt_line_ranges *r, uint64_t line);
void bt_fileutil_ranges_free(bt_line_ranges *r);

/* Calls fn for each selected line of path in file order, stopping early
 * once no later line can be selected, or when fn returns non-zero (which
 * is then returned). "END" is resolved once the file has been read. */
typedef int (*bt_line_fn)(void *ud, uint64_t line_number, const char *line,
                          size_t len, bt_error *err);
int bt_fileutil_each_line(const char *path, const bt_line_ranges *ranges,
                          bt_line_fn fn, void *ud, bt_error *err);

/* ---- copy and move ---------------------------------------------------- */

/* The shared body of copy-file and move-file: same properties, one row
 * per file. */
int bt_fileutil_transfer_run(bt_activity_ctx *ctx, bool move);
extern const bt_prop_spec bt_fileutil_transfer_props[];
extern const char *const bt_fileutil_transfer_published[];

#endif
