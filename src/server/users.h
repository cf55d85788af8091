/* batond's side of authentication: the first administrator. */
#ifndef BT_SERVER_USERS_H
#define BT_SERVER_USERS_H

#include "baton/error.h"
#include "server/log.h"
#include "store/store.h"

/* When the store has no users at all, creates the administrator "admin"
 * with the password in $BATON_ADMIN_PASSWORD, or else a random one that is
 * logged once and, when data_dir exists, written to data_dir/admin-password
 * (mode 0600). Another batond creating it at the same moment is no error.
 * With users present it does nothing. */
int bt_users_first_admin(bt_store *s, const char *data_dir, const bt_log *log,
                         bt_error *err);

#endif
