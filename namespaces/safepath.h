/* Resolving paths inside the container's rootfs without following symlinks
 * out of it.  Every lookup goes through openat2(RESOLVE_IN_ROOT), so a
 * symlink in the rootfs (even one swapped in by a racing process) resolves
 * as if the rootfs were "/", and mounts then target the returned fd through
 * /proc/self/fd/N, never a path that could change under us. */
#ifndef HULL_SAFEPATH_H
#define HULL_SAFEPATH_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"

/* Opens path (relative to rootfd's tree) as O_PATH. */
int safepath_open(int rootfd, const char *path, int flags, struct hull_error *err);
/* Creates path (a directory, or an empty file when !dir) and any missing
 * parents inside rootfd, then opens it O_PATH. */
int safepath_mkdir_open(int rootfd, const char *path, bool dir, mode_t mode,
			struct hull_error *err);
/* "/proc/self/fd/N" into buf, for mount(2) targets. */
const char *safepath_fdpath(char *buf, size_t size, int fd);

#endif
