/* Append Line: adds text to the end of a file with one O_APPEND write, so
 * concurrent appenders never interleave inside a line. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activities/file/fileutil.h"

static const bt_prop_spec append_line_props[] = {
    {"path", BT_PROP_STRING, true, NULL, "Absolute path of the text file",
     NULL},
    {"text", BT_PROP_STRING, true, NULL,
     "Text to append; may hold several lines", NULL},
    {"create", BT_PROP_BOOLEAN, false, "true",
     "Create the file when it does not exist", NULL},
    {"newline", BT_PROP_BOOLEAN, false, "true",
     "Append whole lines: end the text with a newline, and start a new line "
     "first when the file's last line is unterminated",
     NULL},
    {NULL, BT_PROP_STRING, false, NULL, NULL, NULL}};

static const char *const append_line_published[] = {
    "path", "lines_appended", "size", NULL};

/* Opens for appending; *can_read says whether the last byte can be
 * checked (a write-only file still takes appends). */
static int open_for_append(const char *path, bool create, bool *can_read,
                           int *out, bt_error *err) {
    /* O_NONBLOCK: opening a FIFO without a reader fails instead of
     * hanging the thread; it has no effect on regular files. */
    int flags = O_APPEND | O_CLOEXEC | O_NONBLOCK | (create ? O_CREAT : 0);
    *can_read = true;
    int fd = open(path, O_RDWR | flags, 0666);
    if (fd < 0 && errno == EACCES) {
        *can_read = false;
        fd = open(path, O_WRONLY | flags, 0666);
    }
    if (fd >= 0) {
        *out = fd;
        return 0;
    }
    if (errno == ENOENT && !create)
        return bt_error_set(err, BT_ENOTFOUND,
                            "'%s' does not exist (set create: true to create "
                            "it)",
                            path);
    if (errno == EISDIR)
        return bt_error_set(err, BT_EINVAL, "'%s' is a folder, not a file",
                            path);
    return bt_fileutil_errno(err, errno, "write", path);
}

static int append_line_run(bt_activity_ctx *ctx) {
    const char *path;
    bool create, newline;
    if (bt_fileutil_path_prop(ctx, "path", &path) ||
        bt_act_bool(ctx, "create", true, &create) ||
        bt_act_bool(ctx, "newline", true, &newline))
        return -BT_EINVAL;
    const char *text = bt_act_str(ctx, "text", "");
    size_t text_len = strlen(text);
    bool ends_nl = text_len > 0 && text[text_len - 1] == '\n';

    bt_error err = {0};
    bool can_read;
    int fd = -1;
    if (open_for_append(path, create, &can_read, &fd, &err))
        return bt_fileutil_fail(ctx, &err);
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0)
        rc = bt_fileutil_errno(&err, errno, "write", path);
    bool need_sep = false;
    if (!rc && newline && can_read && S_ISREG(st.st_mode) && st.st_size > 0) {
        char c;
        need_sep = pread(fd, &c, 1, st.st_size - 1) == 1 && c != '\n';
    }
    /* One buffer, one write: O_APPEND makes that atomic against other
     * appenders on a local filesystem. */
    bt_buf out;
    bt_buf_init(&out, BT_FILEUTIL_FILE_CAP);
    if (!rc &&
        ((need_sep && bt_buf_appendc(&out, '\n')) ||
         bt_buf_append(&out, text, text_len) ||
         (newline && !ends_nl && bt_buf_appendc(&out, '\n'))))
        rc = bt_error_set(&err, BT_ETOOBIG, "text to append is too large");
    const char *p = bt_buf_str(&out);
    size_t left = out.len;
    while (!rc && left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = bt_fileutil_errno(&err, errno, "write", path);
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    if (!rc && fsync(fd) != 0 && errno != EINVAL)
        rc = bt_fileutil_errno(&err, errno, "write", path);
    /* After an O_APPEND write the offset is the end of our data: the size
     * right after this append, whatever other appenders do next. */
    off_t size = rc ? 0 : lseek(fd, 0, SEEK_CUR);
    if (!rc && size < 0) rc = bt_fileutil_errno(&err, errno, "write", path);
    if (close(fd) != 0 && !rc)
        rc = bt_fileutil_errno(&err, errno, "write", path);
    bt_buf_free(&out);
    if (rc) return bt_fileutil_fail(ctx, &err);

    size_t lines = 0;
    for (size_t i = 0; i < text_len; i++) lines += text[i] == '\n';
    if (!ends_nl && (text_len > 0 || newline)) lines++;
    bt_act_publish(ctx, "path", path);
    bt_act_publishf(ctx, "lines_appended", "%zu", lines);
    bt_act_publishf(ctx, "size", "%" PRIu64, (uint64_t)size);
    return 0;
}

const bt_activity_type bt_activity_append_line = {
    .name = "append-line",
    .title = "Append Line",
    .category = "text",
    .description = "Appends text, as whole lines by default, to a file.",
    .mode = BT_EXEC_BLOCKING,
    .props = append_line_props,
    .published = append_line_published,
    .run = append_line_run,
};
