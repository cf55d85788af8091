#include "server/samples.h"

#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "runbook/runbook.h"

#define SAMPLE_FILE_MAX BT_STORE_TEXT_MAX

/* Checks the file in with the loader the runbook server will use, so a
 * sample that would not run is refused at start-up, not at its first job. */
static int load_one(bt_store *s, const char *name, const char *text,
                    size_t len, const bt_log *log, bt_error *err) {
    bt_diags diags;
    bt_diags_init(&diags);
    bt_runbook *rb = NULL;
    int rc = bt_runbook_load_string(name, text, len, NULL, &rb, &diags);
    if (rc) {
        char first[BT_ERROR_MESSAGE_MAX + 300] = "";
        if (diags.count) bt_error_format(&diags.items[0], first, sizeof first);
        rc = bt_error_set(err, BT_EINVAL,
                          "sample '%s' does not validate (%zu problem%s): %s",
                          name, diags.count, diags.count == 1 ? "" : "s",
                          first);
        bt_diags_free(&diags);
        return rc;
    }
    bt_diags_free(&diags);

    const char *folder = rb->folder && *rb->folder ? rb->folder : "/";
    bt_store_folder f = {0};
    bt_store_runbook r = {0};
    rc = bt_store_folder_get(s, folder, &f, NULL);
    if (rc == -BT_ENOTFOUND) rc = bt_store_folder_create(s, folder, &f, err);
    else if (rc) rc = bt_store_folder_get(s, folder, &f, err); /* for err */
    if (!rc)
        rc = bt_store_runbook_create(s, f.id, rb->name, rb->description, &r,
                                     err);
    int version = 0;
    if (!rc) {
        char *comment = bt_xasprintf("sample %s, loaded by batond", name);
        rc = bt_store_version_add(s, r.id, text, "batond", comment, &version,
                                  err);
        free(comment);
    }
    if (!rc)
        bt_logf(log, BT_LOG_INFO, "samples: loaded %s as %s", name, r.path);
    bt_store_runbook_clear(&r);
    bt_store_folder_clear(&f);
    bt_runbook_free(rb);
    return rc;
}

static int load_dir(bt_store *s, const char *dir, const bt_log *log,
                    size_t *loaded, bt_error *err) {
    glob_t g;
    memset(&g, 0, sizeof g);
    char *yaml = bt_xasprintf("%s/*.runbook.yaml", dir);
    char *json = bt_xasprintf("%s/*.runbook.json", dir);
    int grc = glob(yaml, 0, NULL, &g);
    if (grc == 0 || grc == GLOB_NOMATCH)
        grc = glob(json, g.gl_pathc ? GLOB_APPEND : 0, NULL, &g);
    free(yaml);
    free(json);
    int rc = 0;
    if (grc == GLOB_NOMATCH && !g.gl_pathc)
        rc = bt_error_set(err, BT_ENOTFOUND,
                          "samples_dir '%s' holds no *.runbook.yaml or "
                          "*.runbook.json file",
                          dir);
    else if (grc != 0 && grc != GLOB_NOMATCH)
        rc = bt_error_set(err, BT_EIO, "samples_dir '%s' cannot be read",
                          dir);
    for (size_t i = 0; !rc && i < g.gl_pathc; i++) {
        bt_buf b;
        bt_buf_init(&b, SAMPLE_FILE_MAX);
        rc = bt_buf_read_file(&b, g.gl_pathv[i], err);
        if (!rc)
            rc = load_one(s, g.gl_pathv[i], b.data ? b.data : "", b.len, log,
                          err);
        bt_buf_free(&b);
        if (!rc) ++*loaded;
    }
    globfree(&g);
    return rc;
}

int bt_samples_load(bt_store *s, const char *dir, const bt_log *log,
                    size_t *loaded, bool *skipped, bt_error *err) {
    *loaded = 0;
    *skipped = false;
    /* One transaction: a bad file leaves the database as empty as it was,
     * and a second batond loading at the same moment gets EEXIST instead
     * of a half-loaded catalog. */
    int rc = bt_store_begin(s, err);
    if (rc) return rc;
    bt_store_runbook *items = NULL;
    size_t n = 0;
    rc = bt_store_runbook_list(s, 0, &items, &n, err);
    bt_store_runbook_list_free(items, n);
    if (rc || n) {
        bt_store_rollback(s);
        *skipped = !rc;
        return rc;
    }
    if (dir) {
        rc = load_dir(s, dir, log, loaded, err);
    } else {
        for (size_t i = 0; !rc && i < bt_samples_bundled_count; i++) {
            const bt_sample_file *f = &bt_samples_bundled[i];
            rc = load_one(s, f->name, f->text, f->len, log, err);
            if (!rc) ++*loaded;
        }
    }
    if (!rc) rc = bt_store_commit(s, err);
    if (rc) {
        bt_store_rollback(s);
        *loaded = 0;
    }
    return rc;
}
