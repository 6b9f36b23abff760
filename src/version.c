#include "remotes.h"

/* Compiled into the library, so these report the library's version even when a program was
 * built against another header: that difference is exactly what they exist to reveal. */
int rmt_version(void) { return RMT_VERSION; }

const char *rmt_version_string(void) { return RMT_VERSION_STRING; }
