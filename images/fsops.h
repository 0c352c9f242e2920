/* File-system primitives for the image store: openat2 confinement,
 * fd-relative removal, and the copy that flattens layers into one tree
 * (the fallback where overlayfs is unavailable, and `hull bundle`). */
#ifndef HULL_IMAGES_FSOPS_H
#define HULL_IMAGES_FSOPS_H

#include <stdint.h>

#include "base/error.h"

int ufs_openat2(int dirfd, const char *path, int flags, uint64_t resolve);
/* A readable O_DIRECTORY fd for the directory an O_PATH fd names. */
int ufs_reopen_dir(int pathfd);
/* Removes dirfd/name, recursively if it is a directory, never following
 * symlinks nor crossing mount points.  -1 with errno. */
int ufs_remove_at(int dirfd, const char *name);

/* Copies the overlay-format layer tree at layer_fd onto dest_fd, applying
 * its whiteouts (0:0 devices remove, trusted.overlay.opaque empties the
 * directory first).  Owners, modes, xattrs, hardlinks within the layer and
 * mtimes are kept; files are cloned (FICLONE) where the file system can. */
int ufs_apply_layer(int layer_fd, int dest_fd, struct hull_error *err);

#endif
