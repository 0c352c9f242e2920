/* Idmapped bind mounts (mounts[].options idmap/ridmap, mounts[].uidMappings).
 *
 * Made in the runtime, before the clone: mount_setattr(MOUNT_ATTR_IDMAP)
 * needs privilege over the filesystem's user namespace (the host's), which
 * the container's child no longer has once it is in its own user
 * namespace.  The result is a detached mount per entry, an fd the child
 * inherits and attaches with move_mount (rootfs.c). */
#ifndef HULL_IDMAP_H
#define HULL_IDMAP_H

#include <sys/types.h>

#include "base/error.h"
#include "oci/spec.h"

/* *fds_out gets one fd per s->mounts[] entry (-1 for those not idmapped),
 * or NULL when no mount is idmapped.  Release with idmap_mounts_free. */
int idmap_mounts_prepare(const struct spec *s, const char *bundle, int **fds_out,
			 struct hull_error *err);
void idmap_mounts_free(int *fds, size_t n);
/* Writes /proc/PID/FILE (uid_map or gid_map) from the mappings, in one
 * write as the kernel requires. */
int idmap_write_map(pid_t pid, const char *file, const struct spec_id_mapping *m, size_t n,
		    struct hull_error *err);

#endif
