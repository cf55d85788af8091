/* One place for the version every binary and API reports. */
#include "common/version.h"

const char *bt_version(void) { return BATON_VERSION_STRING; }
