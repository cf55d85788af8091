/* Move File: rename(2) when source and destination share a filesystem,
 * otherwise a safe copy followed by removing the source. */
#include "activities/file/fileutil.h"

static int move_file_run(bt_activity_ctx *ctx) {
    return bt_fileutil_transfer_run(ctx, true);
}

const bt_activity_type bt_activity_move_file = {
    .name = "move-file",
    .title = "Move File",
    .category = "file",
    .description = "Moves a file, or every file a pattern matches, to a "
                   "folder or a new file name.",
    .mode = BT_EXEC_BLOCKING,
    .props = bt_fileutil_transfer_props,
    .published = bt_fileutil_transfer_published,
    .run = move_file_run,
};
