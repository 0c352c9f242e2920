/* Host directories (and files) bind-mounted into a VM container, through
 * virtio-fs: one virtiofsd per VM serves a private tree that holds every
 * shared bind mount, read-only ones read-only on the host side.  The
 * guest agent mounts the tree once and bind-mounts each entry onto its
 * destination (vmm/guest/agent_fs.c). */
#ifndef HULL_BACKEND_VM_FS_H
#define HULL_BACKEND_VM_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/launch.h"
#include "runtime/state.h"

#define VM_FS_TAG "hullfs"
#define VM_FS_VIRTIOFSD "/usr/lib/qemu/virtiofsd"
#define VM_FS_MAX_MOUNTS 64

struct vm_fs {
	pid_t pid;      /* virtiofsd (our child), or 0 */
	int sock;       /* the monitor's connected vhost-user socket, or -1 */
};

/* A mount the VM shares from the host (a bind mount). */
bool vm_fs_is_shared(const struct spec_mount *m);
/* Refuse by name what a shared mount cannot honour (before anything starts). */
int vm_fs_check(const struct spec *s, struct hull_error *err);
/* Agent config lines for the shared mounts ("fs", "bind"), appended to buf. */
int vm_fs_agent_config(const struct spec *s, char *buf, size_t cap, struct hull_error *err);
/* Resolve and check every source, then start virtiofsd in the container's
 * cgroup.  No shared mounts: fs->pid stays 0, fs->sock -1. */
int vm_fs_start(struct launch *l, struct vm_fs *fs, struct hull_error *err);
/* After the monitor has its copy of the socket: close ours. */
void vm_fs_release(struct vm_fs *fs);
/* A failed create: kill and reap virtiofsd, close the socket. */
void vm_fs_abort(struct vm_fs *fs);
/* `delete`: stop a virtiofsd still running (recorded pid, start time
 * checked), remove its files. */
void vm_fs_cleanup(struct container *c);

#endif
