#ifndef BERTH_CARCHIVE_SHIM_H
#define BERTH_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
// Layer extraction writes overlay whiteouts and opaque-directory markers as extended attributes.
#include <sys/xattr.h>
#endif
