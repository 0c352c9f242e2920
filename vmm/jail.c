/* The monitor's jail: root, identity, capabilities, rlimits, Landlock.
 * See jail.h for what and when; the seccomp filters are jail_seccomp.c. */
#include "vmm/jail.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The empty root.  Its own mount namespace first, with propagation cut,
 * so neither the tmpfs nor the detached old root is seen by the host (and
 * nothing the host mounts later reaches the monitor).  The IPC and UTS
 * namespaces come here too: unlike a pid namespace they apply to the
 * caller itself. */
/* --- virtio-vsock, guest -> host --- */
/* vsock_dir (dir_fd, opened before the tmpfs covered it, which matters
 * when it is the mount point itself) bound at VMM_JAIL_VSOCK_DIR in the
 * new root, the cwd.  Non-recursive, so the tmpfs mounted on it is not in
 * the bind; read-only, yet unix sockets on it can still be connected to
 * (EROFS is only for files, directories and symlinks). */
static int jail_vsock_dir(const char *vsock_dir, int dir_fd, struct hull_error *err)
{
	char src[64];

	snprintf(src, sizeof(src), "/proc/self/fd/%d", dir_fd);
	if (mkdir(VMM_JAIL_VSOCK_DIR + 1, 0111) < 0)
		return hull_error_errno(err, "mkdir %s in the jail's root", VMM_JAIL_VSOCK_DIR);
	if (mount(src, VMM_JAIL_VSOCK_DIR + 1, NULL, MS_BIND, NULL) < 0)
		return hull_error_errno(err, "bind %s at %s", vsock_dir, VMM_JAIL_VSOCK_DIR);
	if (mount(NULL, VMM_JAIL_VSOCK_DIR + 1, NULL,
		  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return hull_error_errno(err, "remount %s read-only", VMM_JAIL_VSOCK_DIR);
	return 0;
}
/* --- end virtio-vsock --- */

static int jail_root(const char *mount_point, const char *vsock_dir, struct hull_error *err)
{
	int dir_fd = -1;

	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
		return hull_error_errno(err, "unshare mount, ipc and uts namespaces");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return hull_error_errno(err, "making / private");
	if (vsock_dir) {
		dir_fd = open(vsock_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dir_fd < 0)
			return hull_error_errno(err, "open %s", vsock_dir);
	}
	/* size/nr_inodes: nothing is created in it but the vsock mount
	 * point; mode: nothing to list. */
	if (mount("hull-vm-jail", mount_point, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=4k,nr_inodes=3,mode=0111") < 0) {
		hull_error_errno(err, "mount tmpfs on %s", mount_point);
		goto fail;
	}
	/* pivot_root(".", "."): the old root ends up stacked over the new one
	 * at "/", and the detaching umount takes it away (runc's trick; no
	 * directory for the old root is needed in an empty root). */
	if (chdir(mount_point) < 0) {
		hull_error_errno(err, "chdir %s", mount_point);
		goto fail;
	}
	if (dir_fd >= 0 && jail_vsock_dir(vsock_dir, dir_fd, err) < 0)
		goto fail;
	if (dir_fd >= 0)
		close(dir_fd);
	dir_fd = -1;
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return hull_error_errno(err, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return hull_error_errno(err, "detaching the host's root");
	if (chdir("/") < 0)
		return hull_error_errno(err, "chdir /");
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0)
		return hull_error_errno(err, "remount the jail's root read-only");
	if (sethostname("hull-vm", 7) < 0)
		return hull_error_errno(err, "sethostname");
	return 0;
fail:
	if (dir_fd >= 0)
		close(dir_fd);
	return -1;
}

static int jail_rlimits(const struct vmm_jail_limits *lim, struct hull_error *err)
{
	const struct { int res; const char *name; rlim_t v; } l[] = {
		/* Every fd it needs is open; queues add an ioeventfd and an
		 * irqfd each when the guest sets them up (a few dozen), and
		 * vsock one per connection (at most 64). */
		{ RLIMIT_NOFILE, "RLIMIT_NOFILE", (rlim_t)lim->max_fd + 1 + 64 + 64 },
		/* Counted per real uid, which is the VM's own: its threads,
		 * and KVM's NX-huge-page recovery worker, which recent kernels
		 * start (as a task of ours) at the first KVM_RUN: without room
		 * for it KVM_RUN fails with EAGAIN forever. */
		{ RLIMIT_NPROC, "RLIMIT_NPROC", (rlim_t)lim->threads + 4 },
		/* No RLIMIT_FSIZE: the console's output may be a regular file
		 * (`hull run > log`) that grows for as long as the VM runs. */
		{ RLIMIT_CORE, "RLIMIT_CORE", 0 },
		{ RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK", 0 },
		{ RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE", 0 },
		{ RLIMIT_LOCKS, "RLIMIT_LOCKS", 0 },
		{ RLIMIT_NICE, "RLIMIT_NICE", 0 },
		{ RLIMIT_RTPRIO, "RLIMIT_RTPRIO", 0 },
	};

	for (size_t i = 0; i < sizeof(l) / sizeof(l[0]); i++) {
		struct rlimit r = { l[i].v, l[i].v }, cur;

		/* Only ever lower: a hard limit the runtime already set lower
		 * (or the host's) stays. */
		if (getrlimit(l[i].res, &cur) == 0 && cur.rlim_max < r.rlim_max)
			r.rlim_cur = r.rlim_max = cur.rlim_max;
		if (setrlimit(l[i].res, &r) < 0)
			return hull_error_errno(err, "setrlimit %s", l[i].name);
	}
	return 0;
}

/* uid/gid and all five capability sets.  The bounding set and the ambient
 * set go while we still hold CAP_SETPCAP; setresuid away from 0 then
 * clears the permitted and effective sets, and capset the inheritable. */
static int jail_identity(const struct vmm_jail *j, struct hull_error *err)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (j->uid == 0 || j->gid == 0)
		return hull_error_set(err, EINVAL, "the jail's uid/gid must not be 0");
	for (int cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return hull_error_errno(err, "dropping capability %d from the bounding set", cap);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return hull_error_errno(err, "clearing ambient capabilities");
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return hull_error_errno(err, "PR_SET_KEEPCAPS");
	if (setgroups(0, NULL) < 0)
		return hull_error_errno(err, "setgroups");
	if (setresgid(j->gid, j->gid, j->gid) < 0)
		return hull_error_errno(err, "setresgid %u", j->gid);
	if (setresuid(j->uid, j->uid, j->uid) < 0)
		return hull_error_errno(err, "setresuid %u", j->uid);
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) < 0)
		return hull_error_errno(err, "capset (clearing every set)");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return hull_error_errno(err, "PR_SET_NO_NEW_PRIVS");
	/* Already implied by the uid change; said again because it is what
	 * keeps other processes of the same uid from ptrace and /proc. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return hull_error_errno(err, "PR_SET_DUMPABLE");
	return 0;
}

/* Landlock, where the kernel has it: a ruleset that handles every file
 * system right it knows (up to ABI 3) and, from ABI 4, TCP bind/connect,
 * from ABI 6 abstract unix sockets, with no rules at all: no path can be
 * opened, no TCP socket bound or connected.  Files opened before (disks, /dev/kvm, consoles) keep their
 * access.  Values from the kernel's uapi, spelled out because the build
 * host's headers may predate them. */
static int jail_landlock(struct hull_error *err)
{
	struct { uint64_t fs, net, scoped; } attr = { 0, 0, 0 };
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U /* VERSION */);
	size_t size = sizeof(uint64_t);
	int fd;

	if (abi < 0)
		return 0;       /* ENOSYS / EOPNOTSUPP: no Landlock here */
	attr.fs = (1ULL << 13) - 1;             /* ABI 1: EXECUTE .. MAKE_SYM */
	if (abi >= 2)
		attr.fs |= 1ULL << 13;          /* REFER */
	if (abi >= 3)
		attr.fs |= 1ULL << 14;          /* TRUNCATE */
	if (abi >= 4) {
		attr.net = (1ULL << 0) | (1ULL << 1);   /* BIND_TCP, CONNECT_TCP */
		size = 2 * sizeof(uint64_t);
	}
	/* From ABI 6: no abstract unix socket outside the jail's own domain
	 * (guest -> host vsock connects only to a path in VMM_JAIL_VSOCK_DIR,
	 * which Landlock's file system rights do not cover). */
	if (abi >= 6) {
		attr.scoped = 1ULL << 0;                /* SCOPE_ABSTRACT_UNIX_SOCKET */
		size = sizeof(attr);
	}
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (fd < 0)
		return hull_error_errno(err, "landlock_create_ruleset (ABI %ld)", abi);
	if (syscall(SYS_landlock_restrict_self, fd, 0) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return hull_error_errno(err, "landlock_restrict_self");
	}
	close(fd);
	return 0;
}

/* This thread's AppArmor attr file (5.8+ stacking path, then the old
 * one), checked to be procfs: the pivot will take /proc away. */
static int jail_apparmor_open(struct hull_error *err)
{
	struct statfs sf;
	int fd = open("/proc/thread-self/attr/apparmor/current", O_WRONLY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		fd = open("/proc/thread-self/attr/current", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return hull_error_errno(err, "AppArmor: opening /proc/thread-self/attr");
	if (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) {
		close(fd);
		return hull_error_set(err, EXDEV, "AppArmor: /proc/thread-self/attr is not procfs");
	}
	return fd;
}

/* "changeprofile": at once, not at an exec (the monitor never execs).
 * Allowed from unconfined even under no_new_privs, set later anyway. */
static int jail_apparmor(int fd, const char *profile, struct hull_error *err)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "changeprofile %s", profile);

	if (n < 0 || (size_t)n >= sizeof(buf))
		return hull_error_set(err, ENAMETOOLONG, "AppArmor profile name too long");
	if (write(fd, buf, (size_t)n) != n)
		return hull_error_errno(err, "entering AppArmor profile \"%s\"", profile);
	return 0;
}

int vmm_jail_enter(const struct vmm_jail *j, const struct vmm_jail_limits *lim,
		   struct hull_error *err)
{
	int aa_fd = -1, r;

	if (j->apparmor_profile && (aa_fd = jail_apparmor_open(err)) < 0)
		return hull_error_prefix(err, "jail");
	/* Order: the root needs CAP_SYS_ADMIN (and mount, which the AppArmor
	 * profile may deny), the rlimits may only go down once we are
	 * unprivileged, Landlock needs no_new_privs. */
	r = jail_root(j->mount_point, j->vsock_dir, err) < 0 ||
	    (aa_fd >= 0 && jail_apparmor(aa_fd, j->apparmor_profile, err) < 0) ||
	    jail_identity(j, err) < 0 || jail_rlimits(lim, err) < 0 || jail_landlock(err) < 0;
	if (aa_fd >= 0)
		close(aa_fd);
	return r ? hull_error_prefix(err, "jail") : 0;
}
