/* The monitor's jail (Firecracker's jailer is the model): once the machine
 * is built (guest memory mapped, kernel loaded, disks, consoles and
 * /dev/kvm open as fds) and before any vCPU runs guest code, the monitor
 * gives up everything it no longer needs:
 *
 *   - its root: a fresh, empty, read-only tmpfs pivoted to in its own mount
 *     namespace (the caller cloned it into new mount, pid, ipc and uts
 *     namespaces and the container's network namespace), holding only the
 *     vsock socket's directory, read-only (vsock_dir);
 *   - root: a dedicated unprivileged uid/gid, no supplementary groups;
 *   - capabilities: all five sets empty, the bounding set too;
 *   - no_new_privs, not dumpable, tight rlimits, Landlock (no file system
 *     or TCP access at all, no abstract unix sockets outside the jail)
 *     where the kernel has it;
 *   - system calls: a seccomp allow-list per thread kind, default action
 *     "kill the process" (vmm_jail_filters below).
 *
 * Everything here runs in the monitor's only thread: before vCPU threads
 * exist, so the thread-scoped pieces (capabilities, no_new_privs, filters)
 * reach every thread created afterwards. */
#ifndef HULL_VMM_JAIL_H
#define HULL_VMM_JAIL_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

/* Where the jail's root shows vsock_dir. */
#define VMM_JAIL_VSOCK_DIR "/vsock"

struct vmm_jail {
	bool enabled;
	const char *mount_point;        /* an existing directory; the empty root
					   is mounted over it in the monitor's
					   own mount namespace, so the host never
					   sees it */
	uid_t uid;
	gid_t gid;
	/* --- virtio-vsock, guest -> host --- */
	const char *vsock_dir;          /* NULL, or the host directory of the
					   vsock unix socket: bound read-only
					   (nosuid, nodev, noexec) at
					   VMM_JAIL_VSOCK_DIR in the empty root,
					   so the monitor can connect to the
					   "<uds>_P" listeners there, as under
					   Firecracker's jailer.  It reaches
					   them as the jail's uid: a listener
					   must be writable by it (mode 0666 or
					   0777) and the directory searchable. */
	/* --- end virtio-vsock --- */
	/* NULL, or an AppArmor profile already loaded in the host kernel
	 * (the container's process.apparmorProfile: the monitor is the
	 * container's only process on the host).  Its attr file is opened
	 * while /proc is still reachable and the profile entered right after
	 * the root is built, before the identity drops: engines' profiles
	 * deny mount (podman's containers-default does). */
	const char *apparmor_profile;
	/* Debugging the filters: the I/O thread makes a system call outside
	 * its allow-list right after installing it, so the kernel kills the
	 * monitor.  Set only by HULL_VM_DEBUG_FORBIDDEN_SYSCALL (tests). */
	bool forbidden_syscall_selftest;
};

/* What the rlimits are computed from. */
struct vmm_jail_limits {
	int max_fd;                     /* highest fd the monitor holds */
	unsigned int threads;           /* threads it will start (vCPUs) */
};

/* The three compiled programs: "setup" for the main thread while it starts
 * the vCPU threads (the union of the other two, plus thread creation and
 * seccomp itself), then each vCPU thread and the I/O thread narrow it to
 * their own list. */
struct vmm_jail_filters {
	struct sock_fprog setup, vcpu, io;
};

/* Compile the filters (before the jail: libseccomp allocates). */
int vmm_jail_filters_build(struct vmm_jail_filters *f, struct hull_error *err);
void vmm_jail_filters_free(struct vmm_jail_filters *f);

/* Root, identity, capabilities, rlimits, Landlock (not seccomp). */
int vmm_jail_enter(const struct vmm_jail *j, const struct vmm_jail_limits *lim,
		   struct hull_error *err);

/* Install one program in the calling thread (no_new_privs is set). */
int vmm_jail_install(const struct sock_fprog *prog, struct hull_error *err);

/* The selftest's forbidden call (never returns when the filter works). */
void vmm_jail_forbidden_syscall(void);

#endif
