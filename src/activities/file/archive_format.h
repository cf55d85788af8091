/* Archive formats shared by compress-file and decompress-file. */
#ifndef BT_ARCHIVE_FORMAT_H
#define BT_ARCHIVE_FORMAT_H

#include <stdbool.h>
#include <string.h>

/* The `format` property's choices. */
static const char *const bt_archive_format_names[] = {"auto", "zip",
                                                      "tar.gz", NULL};

static inline bool bt_archive_ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* "zip" or "tar.gz" from the format property and the archive's name; NULL
 * when auto cannot tell. */
static inline const char *bt_archive_pick_format(const char *format,
                                                 const char *path) {
    if (strcmp(format, "zip") == 0 || strcmp(format, "tar.gz") == 0)
        return format;
    if (strcmp(format, "auto") != 0) return NULL;
    if (bt_archive_ends_with(path, ".zip")) return "zip";
    if (bt_archive_ends_with(path, ".tar.gz") ||
        bt_archive_ends_with(path, ".tgz"))
        return "tar.gz";
    return NULL;
}

#endif
