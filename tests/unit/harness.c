#include "harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

int bt_harness_run_yaml(const char *yaml, const char *const *params,
                        bt_harness_run *out) {
    memset(out, 0, sizeof *out);
    bt_diags_init(&out->diags);
    out->load_rc = bt_runbook_load_string("test.runbook.yaml", yaml,
                                          strlen(yaml), NULL, &out->rb,
                                          &out->diags);
    if (out->load_rc) {
        bt_diags_print(&out->diags, stderr);
        return out->load_rc;
    }
    size_t n = 0;
    while (params && params[n]) n++;
    bt_param_value *pv = bt_xcalloc(n + 1, sizeof *pv);
    char **copies = bt_xcalloc(n + 1, sizeof *copies);
    for (size_t i = 0; i < n; i++) {
        copies[i] = bt_xstrdup(params[i]);
        char *eq = strchr(copies[i], '=');
        assert_non_null(eq);
        *eq = '\0';
        pv[i].name = copies[i];
        pv[i].value = eq + 1;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    bt_engine *eng;
    bt_engine_new(&loop, NULL, &eng);
    out->start_rc = bt_engine_start(eng, out->rb, pv, n, NULL, &out->inst,
                                    &out->start_err);
    if (out->start_rc == 0) {
        uv_run(&loop, UV_RUN_DEFAULT);
        assert_true(bt_instance_done(out->inst));
    }
    bt_engine_free(eng);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    for (size_t i = 0; i < n; i++) free(copies[i]);
    free(copies);
    free(pv);
    return out->start_rc;
}

void bt_harness_run_free(bt_harness_run *run) {
    if (run->inst) bt_instance_free(run->inst);
    bt_runbook_free(run->rb);
    bt_diags_free(&run->diags);
    memset(run, 0, sizeof *run);
}

const bt_activity_record *bt_harness_record(const bt_harness_run *run,
                                            const char *id, size_t nth) {
    if (!run->inst) return NULL;
    size_t n = bt_instance_record_count(run->inst);
    for (size_t i = 0; i < n; i++) {
        const bt_activity_record *r = bt_instance_record_at(run->inst, i);
        if (strcmp(r->def->id, id) == 0 && nth-- == 0) return r;
    }
    return NULL;
}

size_t bt_harness_record_count(const bt_harness_run *run, const char *id) {
    size_t count = 0;
    while (bt_harness_record(run, id, count)) count++;
    return count;
}

const char *bt_harness_field(const bt_harness_run *run, const char *id,
                             const char *field) {
    const bt_activity_record *r = bt_harness_record(run, id, 0);
    return r && r->n_rows ? bt_row_get(r->rows[0], field) : NULL;
}

int bt_harness_diag_contains(const bt_harness_run *run, const char *text) {
    for (size_t i = 0; i < run->diags.count; i++)
        if (strstr(run->diags.items[i].message, text)) return 1;
    return 0;
}

char *bt_harness_tmpdir(void) {
    const char *base = getenv("TMPDIR");
    char *tmpl = bt_xasprintf("%s/baton-test-XXXXXX", base ? base : "/tmp");
    assert_non_null(mkdtemp(tmpl));
    return tmpl;
}

void bt_harness_rmrf(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char *child = bt_harness_path(path, e->d_name);
            bt_harness_rmrf(child);
            free(child);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

char *bt_harness_path(const char *dir, const char *name) {
    return bt_xasprintf("%s/%s", dir, name);
}

void bt_harness_write_file(const char *path, const char *content) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(content, f);
    assert_int_equal(fclose(f), 0);
}

char *bt_harness_read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    bt_buf b;
    bt_buf_init(&b, 0);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) bt_buf_append(&b, chunk, n);
    fclose(f);
    return bt_buf_detach(&b);
}
