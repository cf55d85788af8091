/* Copy File: copies files through a temporary file and a rename, so the
 * destination name only ever holds a complete copy. */
#include "activities/file/fileutil.h"

static int copy_file_run(bt_activity_ctx *ctx) {
    return bt_fileutil_transfer_run(ctx, false);
}

const bt_activity_type bt_activity_copy_file = {
    .name = "copy-file",
    .title = "Copy File",
    .category = "file",
    .description = "Copies a file, or every file a pattern matches, to a "
                   "folder or a new file name.",
    .mode = BT_EXEC_BLOCKING,
    .props = bt_fileutil_transfer_props,
    .published = bt_fileutil_transfer_published,
    .run = copy_file_run,
};
