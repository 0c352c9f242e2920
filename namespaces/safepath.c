#include "namespaces/safepath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"

static int openat2_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

int safepath_open(int rootfd, const char *path, int flags, struct hull_error *err)
{
	int fd = openat2_in_root(rootfd, path, flags);

	if (fd < 0)
		return hull_error_errno(err, "open %s in rootfs", path);
	return fd;
}

/* Splits "a/b/c" at its last component. */
static void split_last(const char *path, char *parent, size_t psize,
		       const char **last)
{
	const char *slash;

	while (*path == '/')
		path++;
	slash = strrchr(path, '/');
	if (slash == NULL) {
		snprintf(parent, psize, ".");
		*last = path;
	} else {
		snprintf(parent, psize, "%.*s", (int)(slash - path), path);
		*last = slash + 1;
	}
}

/* The symlinks a lookup may expand, as the kernel's MAXSYMLINKS. */
#define SAFEPATH_MAX_LINKS 40

static int mkdir_open(int rootfd, const char *path, bool dir, mode_t mode,
		      int links, struct hull_error *err);

/* `last` in pfd is a symlink that does not resolve (inside the root): create
 * what it points to instead, as a path lookup would find it.  The target is
 * joined to the link's parent as text and resolved in the root again, so an
 * absolute or "../.." target still cannot leave the rootfs.  Returns -2
 * when `last` is not a symlink. */
static int mkdir_open_link_target(int rootfd, int pfd, const char *parent,
				  const char *last, bool dir, mode_t mode,
				  int links, struct hull_error *err)
{
	char target[PATH_MAX], joined[PATH_MAX];
	ssize_t n = readlinkat(pfd, last, target, sizeof(target) - 1);
	int w;

	if (n < 0)
		return -2; /* not a symlink: the caller reports its ENOENT */
	target[n] = '\0';
	if (links >= SAFEPATH_MAX_LINKS)
		return hull_error_set(err, ELOOP, "open %s/%s in rootfs: too many symlinks",
				      parent, last);
	if (target[0] == '/')
		w = snprintf(joined, sizeof(joined), "%s", target);
	else
		w = snprintf(joined, sizeof(joined), "%s/%s", parent, target);
	if (w < 0 || (size_t)w >= sizeof(joined))
		return hull_error_set(err, ENAMETOOLONG, "%s/%s: symlink target too long",
				      parent, last);
	return mkdir_open(rootfd, joined, dir, mode, links + 1, err);
}

int safepath_mkdir_open(int rootfd, const char *path, bool dir, mode_t mode,
			struct hull_error *err)
{
	return mkdir_open(rootfd, path, dir, mode, 0, err);
}

static int mkdir_open(int rootfd, const char *path, bool dir, mode_t mode,
		      int links, struct hull_error *err)
{
	char parent[PATH_MAX];
	const char *last;
	autoclose int pfd = -1;
	int fd;

	fd = openat2_in_root(rootfd, path, O_PATH);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return hull_error_errno(err, "open %s in rootfs", path);
	if (strlen(path) >= sizeof(parent))
		return hull_error_set(err, ENAMETOOLONG, "%s: path too long", path);
	split_last(path, parent, sizeof(parent), &last);
	if (*last == '\0' || strcmp(last, "..") == 0 || strcmp(last, ".") == 0)
		return hull_error_set(err, EINVAL, "%s: invalid mount target", path);
	/* Parents are always directories; create them first, recursively,
	 * each step confined to the rootfs. */
	if (strcmp(parent, ".") != 0) {
		pfd = mkdir_open(rootfd, parent, true, 0755, links, err);
		if (pfd < 0)
			return -1;
		close(pfd);
	}
	pfd = openat2_in_root(rootfd, parent, O_PATH | O_DIRECTORY);
	if (pfd < 0)
		return hull_error_errno(err, "open %s in rootfs", parent);
	/* mkdirat/mknodat on the parent fd never follow `last` if it is a
	 * dangling symlink: they fail with EEXIST, and the open below
	 * resolves it inside the root. */
	if (dir) {
		if (mkdirat(pfd, last, mode) < 0 && errno != EEXIST)
			return hull_error_errno(err, "mkdir %s in rootfs", path);
	} else {
		if (mknodat(pfd, last, S_IFREG | 0644, 0) < 0 && errno != EEXIST)
			return hull_error_errno(err, "create %s in rootfs", path);
	}
	fd = openat2_in_root(rootfd, path, O_PATH);
	if (fd < 0 && errno == ENOENT) {
		/* A dangling symlink (say /etc -> /host/etc, absent from the
		 * rootfs): create its target inside the root. */
		fd = mkdir_open_link_target(rootfd, pfd, parent, last, dir, mode, links, err);
		if (fd != -2)
			return fd;
		errno = ENOENT;
	}
	if (fd < 0)
		return hull_error_errno(err, "open %s in rootfs", path);
	return fd;
}

const char *safepath_fdpath(char *buf, size_t size, int fd)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
	return buf;
}
