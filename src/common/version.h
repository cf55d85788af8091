#ifndef BT_VERSION_H
#define BT_VERSION_H

#define BATON_VERSION_STRING "0.1.0"

const char *bt_version(void);

#endif
