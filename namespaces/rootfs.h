/* The container's root filesystem, built by the container's first process
 * in its new mount namespace.  The runtime fills a struct rootfs_ctx with
 * plain values it prepared before the clone; nothing here reaches back into
 * the runtime's own structures. */
#ifndef HULL_ROOTFS_H
#define HULL_ROOTFS_H

#include <stdbool.h>

#include "base/error.h"
#include "oci/spec.h"

struct cgroup_manager;

struct rootfs_ctx {
	const struct spec *spec;
	const char *bundle;             /* relative mount sources resolve here */
	int rootfs_fd;                  /* O_PATH on the rootfs; rootfs_prepare
					 * replaces it with the bind mount's */
	struct cgroup_manager *cgroup;  /* for "cgroup" mounts */
	bool no_pivot;
	const char *notify_dir;         /* mounted at /run/notify, or NULL */
	const int *mount_fds;           /* idmapped mounts made before the clone,
					 * per mounts[] index (namespaces/idmap.h) */
	int null_fd;                    /* set by rootfs_prepare: the host's
					 * /dev/null, for maskedPaths */
	const char *mount_label;        /* linux.mountLabel where SELinux is on */
};

int rootfs_prepare(struct rootfs_ctx *l, struct hull_error *err);
int rootfs_pivot(struct rootfs_ctx *l, struct hull_error *err);
int rootfs_finalize(struct rootfs_ctx *l, struct hull_error *err);

#endif
