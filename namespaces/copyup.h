/* tmpcopyup: a tmpfs mounted over a directory of the rootfs starts with a
 * copy of what that directory held (runc, crun: /etc or /var/lib of an
 * image stay populated under a writable tmpfs). */
#ifndef HULL_COPYUP_H
#define HULL_COPYUP_H

#include "base/error.h"

/* Copies the tree under the directory srcfd (O_RDONLY) into the directory
 * dstfd (O_RDONLY): contents, modes, owners, symlinks, fifos and device
 * nodes.  The top directory keeps the tmpfs's own mode and owner. */
int copyup_tree(int srcfd, int dstfd, struct hull_error *err);

#endif
