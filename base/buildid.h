/* This executable's GNU build id (the linker's NT_GNU_BUILD_ID note), as
 * hex: it changes with any change to the code, so it names "the very
 * build that wrote this" for caches that must not outlive the code that
 * made them (images/' config cache).  Read from the loaded program's
 * headers, no file I/O. */
#ifndef HULL_BASE_BUILDID_H
#define HULL_BASE_BUILDID_H

/* The hex id (at most 40 digits for SHA-1 ids, 64 for longer ones), or
 * "" when the binary was linked without one. */
const char *hull_build_id(void);

#endif
