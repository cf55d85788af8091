/* The console's files, embedded into batond at build time by
 * cmake/build_console.cmake from the bundle `npm run build` makes in
 * console/ (or a placeholder page when npm was not available), so an
 * installed batond serves the console with nothing beside it. */
#ifndef BT_CONSOLE_ASSETS_H
#define BT_CONSOLE_ASSETS_H

#include <stddef.h>

typedef struct bt_console_asset {
  const char *path;         /* "/index.html", "/assets/app-1a2b3c4d.js" */
  const char *content_type; /* "text/javascript; charset=utf-8" */
  const unsigned char *data;
  size_t size;
  const char *etag; /* quoted, from the content's SHA-256 */
  int immutable;    /* the name carries a content hash: cache for good */
} bt_console_asset;

extern const bt_console_asset bt_console_assets[];
extern const size_t bt_console_asset_count;
/* 0 when the build had no npm and the assets are the placeholder page. */
extern const int bt_console_assets_built;

#endif
