/* A whole text file held in memory as lines, for the activities that
 * rewrite a file line by line (delete-line, insert-line). Each line keeps
 * its original ending, so lines the activity does not touch are written
 * back byte for byte (CRLF stays CRLF). */
#ifndef BT_TEXTLINES_H
#define BT_TEXTLINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "activities/file/fileutil.h"

typedef struct bt_textline {
    size_t start; /* offset in data */
    size_t len;   /* the text, without "\n" or "\r\n" */
    size_t size;  /* the text and its line ending */
} bt_textline;

typedef struct bt_textlines {
    bt_buf data;
    bt_textline *lines;
    size_t count;
    bool crlf; /* the first line ends with "\r\n": new lines get it too */
} bt_textlines;

/* Reads path (at most BT_FILEUTIL_FILE_CAP bytes, lines at most
 * BT_FILEUTIL_LINE_CAP) and splits it. */
int bt_textlines_load(const char *path, bt_textlines *out, bt_error *err);
void bt_textlines_free(bt_textlines *t);
/* Whether line n (1-based) of a file of total lines is selected; resolves
 * "END" (the last line). */
bool bt_textlines_selected(const bt_line_ranges *r, uint64_t n,
                           uint64_t total);

#endif
