/* The container's root filesystem, built in the child's new mount
 * namespace: propagation, the rootfs bind, every config mount, /dev, then
 * pivot_root and the read-only / masked paths.
 *
 * Ordering constraints (each explained where it happens):
 *   1. "/" becomes rslave (or linux.rootfsPropagation) before any mount, so
 *      nothing we mount propagates back to the host.
 *   2. The rootfs is bind-mounted onto itself: pivot_root needs new_root to
 *      be a mount point.
 *   3. Config mounts go in order: later entries may mount inside earlier
 *      ones (/dev then /dev/pts).
 *   4. Devices come after the /dev mount they live in.
 *   5. Masked and read-only paths, sysctls and root.readonly come after
 *      pivot_root, against the container's own /proc and /sys. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "namespaces/copyup.h"
#include "namespaces/safepath.h"
#include "namespaces/sysctl.h"
#include "base/cleanup.h"
#include "base/fsutil.h"
#include "namespaces/rootfs.h"

static bool in_userns(const struct rootfs_ctx *l)
{
	return l->spec->linux.ns[NS_USER].enabled;
}

/* Mount attributes on the mount at fd and every mount below it: the
 * r* options (rro, rnosuid, ...), which mount(2) cannot apply to
 * submounts.  Kernel >= 5.12. */
static int set_attr_recursive(int fd, uint64_t set, uint64_t clr, const char *what,
			      struct hull_error *err)
{
	struct mount_attr a = { .attr_set = set, .attr_clr = clr };

	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
		return hull_error_errno(err, "%s: setting recursive mount attributes", what);
	return 0;
}

/* Makes the rootfs's parent mount private: pivot_root(2) refuses a
 * new_root whose parent mount is shared, and the host's / usually is. */
static int make_parent_private(const char *rootfs, struct hull_error *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", rootfs);
	for (;;) {
		if (mount(NULL, path, NULL, MS_PRIVATE, NULL) == 0)
			return 0;
		if (errno != EINVAL)
			return hull_error_errno(err, "making %s private", path);
		/* EINVAL: not a mount point; walk up. */
		char *slash = strrchr(path, '/');

		if (slash == NULL || slash == path) {
			if (mount(NULL, "/", NULL, MS_PRIVATE, NULL) < 0)
				return hull_error_errno(err, "making / private");
			return 0;
		}
		*slash = '\0';
	}
}

/* Attaches the bind mount's source on dstfd: the idmapped clone the
 * runtime made (treefd), or the source itself. */
static int attach_bind_source(struct rootfs_ctx *l, const struct spec_mount *m, int treefd,
			      int dstfd, struct hull_error *err)
{
	char src[PATH_MAX], sbuf[64], dbuf[64];
	autoclose int srcfd = -1;
	unsigned long flags = MS_BIND | (m->recursive ? MS_REC : 0);

	if (m->source[0] == '/')
		snprintf(src, sizeof(src), "%s", m->source);
	else
		snprintf(src, sizeof(src), "%s/%s", l->bundle, m->source);
	if (treefd >= 0) {
		if (move_mount(treefd, "", dstfd, "",
			       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return hull_error_errno(err, "attaching the idmapped mount of %s on %s",
						src, m->destination);
		return 0;
	}
	/* The source is on the host side, chosen by whoever wrote the config
	 * (trusted); open it once and mount from the fd so the object we
	 * checked is the object we mount. */
	srcfd = open(src, O_PATH | O_CLOEXEC);
	if (srcfd < 0)
		return hull_error_errno(err, "mounts: bind source %s", src);
	if (mount(safepath_fdpath(sbuf, sizeof(sbuf), srcfd),
		  safepath_fdpath(dbuf, sizeof(dbuf), dstfd), NULL, flags, NULL) < 0)
		return hull_error_errno(err, "bind mount %s on %s", src, m->destination);
	return 0;
}

static int mount_bind(struct rootfs_ctx *l, const struct spec_mount *m, int treefd,
		      int dstfd, struct hull_error *err)
{
	autoclose int topfd = -1;
	char dbuf[64];

	if (attach_bind_source(l, m, treefd, dstfd, err) < 0)
		return -1;
	if (!m->need_remount)
		return 0;
	/* A bind mount takes flags only through a second, remount call, and
	 * that call must name the new mount, so re-resolve the target. */
	topfd = safepath_open(l->rootfs_fd, m->destination, O_PATH, err);
	if (topfd < 0)
		return -1;
	if (mount(NULL, safepath_fdpath(dbuf, sizeof(dbuf), topfd), NULL,
		  MS_REMOUNT | MS_BIND | (m->flags & ~(unsigned long)(MS_REMOUNT | MS_BIND | MS_REC)),
		  NULL) < 0)
		return hull_error_errno(err, "remounting %s with its options", m->destination);
	return 0;
}

/* The cgroup module mounts a tree (v1: a tmpfs, then one bind per
 * controller inside it), so its target must be a path that walks into the
 * new tmpfs once mounted, which /proc/self/fd/N of the mountpoint does not.
 * Give it "<parent fd>/<name>": the parent is resolved inside the rootfs,
 * and the last component is checked to be a real directory, not a link. */
static int mount_cgroup(struct rootfs_ctx *l, const struct spec_mount *m,
			unsigned long flags, struct hull_error *err)
{
	char parent[PATH_MAX], target[PATH_MAX];
	const char *name = strrchr(m->destination, '/');
	autoclose int pfd = -1;
	struct stat st;

	snprintf(parent, sizeof(parent), "%.*s", (int)(name - m->destination), m->destination);
	name++;
	pfd = safepath_open(l->rootfs_fd, parent[0] ? parent : "/", O_PATH | O_DIRECTORY, err);
	if (pfd < 0)
		return -1;
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return hull_error_set(err, ENOTDIR, "mounting cgroup at %s: not a directory",
				      m->destination);
	snprintf(target, sizeof(target), "/proc/self/fd/%d/%s", pfd, name);
	if (cgroup_mount_in_container(l->cgroup, target, flags, err) < 0)
		return hull_error_prefix(err, "mounting cgroup at %s", m->destination);
	return 0;
}

static int mount_special(struct rootfs_ctx *l, const struct spec_mount *m,
			 int dstfd, struct hull_error *err)
{
	char dbuf[64];
	const char *type = m->type;
	unsigned long flags = m->flags & ~(unsigned long)MS_REMOUNT;
	autofree char *data = NULL;

	/* tmpcopyup fills the tmpfs first; mount_one makes it read-only after. */
	if (m->tmpcopyup)
		flags &= ~(unsigned long)MS_RDONLY;
	safepath_fdpath(dbuf, sizeof(dbuf), dstfd);
	if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0)
		return mount_cgroup(l, m, flags, err);
	/* linux.mountLabel: the files of a new filesystem get the label as
	 * context= (runc's rule: not proc, sysfs or mqueue, whose labels the
	 * policy decides). */
	if (l->mount_label && strcmp(type, "proc") != 0 && strcmp(type, "sysfs") != 0 &&
	    strcmp(type, "mqueue") != 0 &&
	    asprintf(&data, "%s%scontext=\"%s\"", m->data ? m->data : "", m->data ? "," : "",
		     l->mount_label) < 0)
		return hull_error_errno(err, "asprintf");
	if (mount(m->source ? m->source : type, dbuf, type, flags, data ? data : m->data) == 0)
		return 0;
	/* sysfs can only be mounted by the owner of the network namespace;
	 * without a new one, bind the host's, as runc does (read-only, below). */
	if (strcmp(type, "sysfs") == 0 && (errno == EPERM || errno == EBUSY) &&
	    !l->spec->linux.ns[NS_NET].enabled) {
		autoclose int topfd = -1;

		if (mount("/sys", dbuf, NULL, MS_BIND | MS_REC, NULL) < 0)
			return hull_error_errno(err, "binding the host's /sys on %s (sysfs fallback)",
						m->destination);
		/* The host's /sys, with every submount under it: read-only
		 * all the way down, or the container writes host sysfs. */
		topfd = safepath_open(l->rootfs_fd, m->destination, O_PATH, err);
		if (topfd < 0)
			return -1;
		return set_attr_recursive(topfd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					  MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0,
					  m->destination, err);
	}
	return hull_error_errno(err, "mount %s (%s) on %s", m->source ? m->source : type,
				type, m->destination);
}

static bool is_file_source(const struct rootfs_ctx *l, const struct spec_mount *m)
{
	char src[PATH_MAX];
	struct stat st;

	if (!m->bind)
		return false;
	if (m->source[0] == '/')
		snprintf(src, sizeof(src), "%s", m->source);
	else
		snprintf(src, sizeof(src), "%s/%s", l->bundle, m->source);
	return stat(src, &st) == 0 && !S_ISDIR(st.st_mode);
}

static int mount_one(struct rootfs_ctx *l, const struct spec_mount *m, int treefd,
		     struct hull_error *err)
{
	autoclose int dstfd = -1;
	autoclose int copyfd = -1;
	autoclose int topfd = -1;
	char dbuf[64];

	dstfd = safepath_mkdir_open(l->rootfs_fd, m->destination,
				    !is_file_source(l, m), 0755, err);
	if (dstfd < 0)
		return -1;
	/* tmpcopyup: keep a handle on the directory the tmpfs will cover;
	 * it stays readable through the fd once hidden. */
	if (m->tmpcopyup) {
		copyfd = openat(dstfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (copyfd < 0)
			return hull_error_errno(err, "tmpcopyup: open %s", m->destination);
	}
	if (m->bind) {
		if (mount_bind(l, m, treefd, dstfd, err) < 0)
			return -1;
	} else if (mount_special(l, m, dstfd, err) < 0) {
		return -1;
	}
	if (!m->propagation && !m->rec_attr_set && !m->rec_attr_clr && copyfd < 0)
		return 0;
	/* dstfd is the directory under the new mount: the steps below need
	 * the mount itself, so resolve the target again. */
	topfd = safepath_open(l->rootfs_fd, m->destination,
			      copyfd >= 0 ? O_RDONLY | O_DIRECTORY : O_PATH, err);
	if (topfd < 0)
		return -1;
	/* Copy before the attributes: rro would refuse the copy. */
	if (copyfd >= 0 && copyup_tree(copyfd, topfd, err) < 0)
		return hull_error_prefix(err, "%s", m->destination);
	if (copyfd >= 0 && (m->flags & MS_RDONLY) &&
	    mount(NULL, safepath_fdpath(dbuf, sizeof(dbuf), topfd), NULL,
		  MS_REMOUNT | MS_BIND | (m->flags & ~(unsigned long)MS_REMOUNT), NULL) < 0)
		return hull_error_errno(err, "tmpcopyup: remounting %s read-only", m->destination);
	if ((m->rec_attr_set || m->rec_attr_clr) &&
	    set_attr_recursive(topfd, m->rec_attr_set, m->rec_attr_clr, m->destination, err) < 0)
		return -1;
	if (m->propagation &&
	    mount(NULL, safepath_fdpath(dbuf, sizeof(dbuf), topfd), NULL, m->propagation, NULL) < 0)
		return hull_error_errno(err, "setting propagation of %s", m->destination);
	return 0;
}

struct default_dev {
	const char *path;
	mode_t mode;
	unsigned int major, minor;
};

static const struct default_dev default_devs[] = {
	{ "/dev/null", 0666, 1, 3 },   { "/dev/zero", 0666, 1, 5 },
	{ "/dev/full", 0666, 1, 7 },   { "/dev/random", 0666, 1, 8 },
	{ "/dev/urandom", 0666, 1, 9 }, { "/dev/tty", 0666, 5, 0 },
};

static int make_device(struct rootfs_ctx *l, const char *path, char type,
		       unsigned int major, unsigned int minor, mode_t perm,
		       uid_t uid, gid_t gid, struct hull_error *err)
{
	autoclose int pfd = -1;
	autoclose int fd = -1;
	char parent[PATH_MAX], dbuf[64];
	const char *name = strrchr(path, '/');
	mode_t fmt = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;

	snprintf(parent, sizeof(parent), "%.*s", (int)(name - path), path);
	name++;
	pfd = safepath_mkdir_open(l->rootfs_fd, parent[0] ? parent : "/", true, 0755, err);
	if (pfd < 0)
		return -1;
	close(pfd);
	pfd = safepath_open(l->rootfs_fd, parent[0] ? parent : "/", O_PATH | O_DIRECTORY, err);
	if (pfd < 0)
		return -1;
	if (in_userns(l) && type != 'p') {
		autoclose int srcfd = -1;
		char sbuf[64];
		struct stat st;

		/* mknod is not allowed in a user namespace: bind the host's
		 * node at the same path instead, as runc does (the whole path:
		 * /dev/net/tun is not /dev/tun).  We are still before
		 * pivot_root, so `path` names the host's node.  It must be
		 * the device the config declares, not whatever file the
		 * path names: checked on an fd, and that fd is mounted. */
		srcfd = open(path, O_PATH | O_CLOEXEC);
		if (srcfd < 0)
			return hull_error_errno(err, "device %s: opening the host's node", path);
		if (fstat(srcfd, &st) < 0)
			return hull_error_errno(err, "device %s: stat", path);
		if ((st.st_mode & S_IFMT) != fmt || major(st.st_rdev) != major ||
		    minor(st.st_rdev) != minor)
			return hull_error_set(err, EINVAL,
					      "device %s: the host's %s is not the %s device %u:%u the config declares",
					      path, path, fmt == S_IFBLK ? "block" : "character",
					      major, minor);
		fd = safepath_mkdir_open(l->rootfs_fd, path, false, 0644, err);
		if (fd < 0)
			return -1;
		if (mount(safepath_fdpath(sbuf, sizeof(sbuf), srcfd),
			  safepath_fdpath(dbuf, sizeof(dbuf), fd), NULL, MS_BIND, NULL) < 0)
			return hull_error_errno(err, "bind mounting device %s", path);
		return 0;
	}
	unlinkat(pfd, name, 0);
	if (mknodat(pfd, name, fmt | perm, makedev(major, minor)) < 0)
		return hull_error_errno(err, "mknod %s", path);
	/* mknod's mode went through the umask; set it exactly. */
	if (fchmodat(pfd, name, perm, 0) < 0)
		return hull_error_errno(err, "chmod %s", path);
	if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return hull_error_errno(err, "chown %s", path);
	return 0;
}

static bool dev_is_mounted(const struct spec *s)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (strcmp(s->mounts[i].destination, "/dev") == 0)
			return true;
	return false;
}

static int setup_dev(struct rootfs_ctx *l, struct hull_error *err)
{
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
		{ "pts/ptmx", "ptmx" },
	};
	const struct spec_linux *lx = &l->spec->linux;
	autoclose int devfd = -1;

	/* Default devices only when /dev is ours (a tmpfs from the config);
	 * a bind-mounted host /dev already has them. */
	if (dev_is_mounted(l->spec)) {
		for (size_t i = 0; i < sizeof(default_devs) / sizeof(default_devs[0]); i++) {
			const struct default_dev *d = &default_devs[i];

			if (make_device(l, d->path, 'c', d->major, d->minor, d->mode,
					0, 0, err) < 0)
				return -1;
		}
		devfd = safepath_open(l->rootfs_fd, "/dev", O_PATH | O_DIRECTORY, err);
		if (devfd < 0)
			return -1;
		for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
			unlinkat(devfd, links[i][1], 0);
			if (symlinkat(links[i][0], devfd, links[i][1]) < 0 && errno != EEXIST)
				return hull_error_errno(err, "symlink /dev/%s", links[i][1]);
		}
	}
	for (size_t i = 0; i < lx->n_devices; i++) {
		const struct spec_device *d = &lx->devices[i];
		char t = d->type == 'u' ? 'c' : d->type;

		if (make_device(l, d->path, t, (unsigned int)d->major, (unsigned int)d->minor,
				d->has_mode ? d->file_mode & 07777 : 0666,
				d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, err) < 0)
			return hull_error_prefix(err, "linux.devices[%zu]", i);
	}
	return 0;
}

/* The /dev/null that masks files: the host's, checked to be the null
 * device itself.  The container's /dev/null is whatever the rootfs holds,
 * or what a racing container swapped in (runc's CVE-2025-31133: a symlink
 * to a procfs file turned masking into exposing), so masked paths never
 * bind a name.  pivot_root detaches the host's mounts and mount(2) cannot
 * bind from a mount outside our namespace: what we keep is a detached
 * clone (open_tree), which can be attached after pivot_root. */
static int clone_host_dev_null(struct hull_error *err)
{
	autoclose int fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	autoclose int tree = -1;
	struct stat st;

	if (fd < 0)
		return hull_error_errno(err, "linux.maskedPaths: open the host's /dev/null");
	tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0)
		return hull_error_errno(err, "linux.maskedPaths: cloning the host's /dev/null");
	if (fstat(tree, &st) < 0)
		return hull_error_errno(err, "linux.maskedPaths: stat /dev/null");
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return hull_error_set(err, EPERM,
				      "linux.maskedPaths: the host's /dev/null is not the null device (char 1:3)");
	return steal_fd(&tree);
}

int rootfs_prepare(struct rootfs_ctx *l, struct hull_error *err)
{
	const struct spec *s = l->spec;
	unsigned long prop = s->linux.rootfs_propagation ? s->linux.rootfs_propagation
							  : MS_SLAVE | MS_REC;
	struct stat st;

	l->null_fd = -1;
	if (s->linux.n_masked_paths) {
		l->null_fd = clone_host_dev_null(err);
		if (l->null_fd < 0)
			return -1;
	}
	/* (1) No mount event may leak to the host: make our copy of the
	 * tree slave (or what the config asks) before mounting anything. */
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return hull_error_errno(err, "setting / propagation");
	if (stat(s->root_path, &st) < 0 || !S_ISDIR(st.st_mode))
		return hull_error_errno(err, "root.path %s", s->root_path);
	if (make_parent_private(s->root_path, err) < 0)
		return -1;
	/* (2) pivot_root needs the new root to be a mount point. */
	if (mount(s->root_path, s->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return hull_error_errno(err, "bind mounting rootfs %s", s->root_path);
	/* Reopen: the fd must name the new bind mount, not the dentry under it. */
	if (l->rootfs_fd >= 0)
		close(l->rootfs_fd);
	l->rootfs_fd = open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (l->rootfs_fd < 0)
		return hull_error_errno(err, "open rootfs %s", s->root_path);
	/* (3) Config mounts, in order. */
	for (size_t i = 0; i < s->n_mounts; i++)
		if (mount_one(l, &s->mounts[i], l->mount_fds ? l->mount_fds[i] : -1, err) < 0)
			return hull_error_prefix(err, "mounts[%zu]", i);
	if (l->notify_dir) {
		struct spec_mount nm = {
			.destination = (char *)"/run/notify", .source = (char *)l->notify_dir,
			.bind = true,
		};

		if (mount_one(l, &nm, -1, err) < 0)
			return hull_error_prefix(err, "NOTIFY_SOCKET");
	}
	/* (4) Devices live inside the /dev mount made above. */
	return setup_dev(l, err);
}

static int pivot_root_fd(struct rootfs_ctx *l, struct hull_error *err)
{
	/* pivot_root(".", ".") stacks the old root on top of the new one;
	 * it is then detached.  The old root first goes rslave so that the
	 * detach does not propagate unmounts to the host. */
	if (fchdir(l->rootfs_fd) < 0)
		return hull_error_errno(err, "chdir to rootfs");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return hull_error_errno(err, "pivot_root");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return hull_error_errno(err, "making old root slave");
	if (umount2(".", MNT_DETACH) < 0)
		return hull_error_errno(err, "detaching old root");
	if (chdir("/") < 0)
		return hull_error_errno(err, "chdir /");
	return 0;
}

static int move_root(struct rootfs_ctx *l, struct hull_error *err)
{
	/* --no-pivot (for ramfs roots, where pivot_root fails): move the
	 * rootfs mount over "/" and chroot into it. */
	if (fchdir(l->rootfs_fd) < 0)
		return hull_error_errno(err, "chdir to rootfs");
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return hull_error_errno(err, "moving rootfs to /");
	if (chroot(".") < 0)
		return hull_error_errno(err, "chroot");
	if (chdir("/") < 0)
		return hull_error_errno(err, "chdir /");
	return 0;
}

int rootfs_pivot(struct rootfs_ctx *l, struct hull_error *err)
{
	int r = l->no_pivot ? move_root(l, err) : pivot_root_fd(l, err);

	close(l->rootfs_fd);
	l->rootfs_fd = -1;
	return r;
}

/* Opens path inside root (after pivot_root, "/"), confined to it; -2
 * with err untouched when it does not exist. */
static int open_in_root(int rootfd, const char *path, const char *what,
			struct hull_error *err)
{
	struct hull_error e = { 0 };
	int fd = safepath_open(rootfd, path, O_PATH, &e);

	if (fd >= 0)
		return fd;
	if (e.code == ENOENT)
		return -2;
	*err = e;
	return hull_error_prefix(err, "%s", what);
}

static int mask_path(int rootfd, int nullfd, bool *null_attached, const char *path,
		     struct hull_error *err)
{
	autoclose int fd = open_in_root(rootfd, path, "linux.maskedPaths", err);
	char src[64], dst[64];
	struct stat st;

	if (fd == -2)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		return fd < 0 ? -1 : hull_error_errno(err, "linux.maskedPaths: %s", path);
	safepath_fdpath(dst, sizeof(dst), fd);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", dst, "tmpfs", MS_RDONLY, "size=0k") < 0)
			return hull_error_errno(err, "linux.maskedPaths: masking %s", path);
		return 0;
	}
	/* nullfd is a detached mount: the first file gets it attached, and
	 * from then on it is a mount of ours that others bind from. */
	if (!*null_attached) {
		if (move_mount(nullfd, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return hull_error_errno(err, "linux.maskedPaths: masking %s", path);
		*null_attached = true;
		return 0;
	}
	if (mount(safepath_fdpath(src, sizeof(src), nullfd), dst, NULL, MS_BIND, NULL) < 0)
		return hull_error_errno(err, "linux.maskedPaths: masking %s", path);
	return 0;
}

static int readonly_path(int rootfd, const char *path, struct hull_error *err)
{
	autoclose int fd = open_in_root(rootfd, path, "linux.readonlyPaths", err);
	autoclose int topfd = -1;
	char buf[64];

	if (fd == -2)
		return 0;
	if (fd < 0)
		return -1;
	safepath_fdpath(buf, sizeof(buf), fd);
	if (mount(buf, buf, NULL, MS_BIND | MS_REC, NULL) < 0)
		return hull_error_errno(err, "linux.readonlyPaths: %s", path);
	/* The remount must name the new mount, not the one under it. */
	topfd = open_in_root(rootfd, path, "linux.readonlyPaths", err);
	if (topfd < 0)
		return topfd == -2 ? hull_error_set(err, ENOENT, "linux.readonlyPaths: %s vanished", path)
				   : -1;
	safepath_fdpath(buf, sizeof(buf), topfd);
	if (mount(NULL, buf, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
		  MS_NODEV | MS_NOEXEC, NULL) < 0 &&
	    mount(NULL, buf, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return hull_error_errno(err, "linux.readonlyPaths: remounting %s", path);
	return 0;
}

int rootfs_finalize(struct rootfs_ctx *l, struct hull_error *err)
{
	const struct spec_linux *lx = &l->spec->linux;
	autoclose int rootfd = -1;
	autoclose int nullfd = steal_fd(&l->null_fd);
	bool null_attached = false;

	if (lx->rootfs_propagation &&
	    mount(NULL, "/", NULL, lx->rootfs_propagation, NULL) < 0)
		return hull_error_errno(err, "linux.rootfsPropagation");
	/* Before readonlyPaths: /proc/sys goes read-only there. */
	if (sysctl_apply(lx->sysctl_keys, lx->sysctl_values, lx->n_sysctl, err) < 0)
		return -1;
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return hull_error_errno(err, "open /");
	for (size_t i = 0; i < lx->n_readonly_paths; i++)
		if (readonly_path(rootfd, lx->readonly_paths[i], err) < 0)
			return -1;
	for (size_t i = 0; i < lx->n_masked_paths; i++)
		if (mask_path(rootfd, nullfd, &null_attached, lx->masked_paths[i], err) < 0)
			return -1;
	if (l->spec->root_readonly &&
	    mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return hull_error_errno(err, "root.readonly: remounting / read-only");
	return 0;
}
