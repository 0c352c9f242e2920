/* Writing sysctls.  A path like "/proc/sys/net/ipv4/ip_forward" is looked
 * up in the container's rootfs, which the image controls: /proc could be a
 * symlink, or a directory of regular files, and a write by name would land
 * wherever they point.  So /proc is opened without following symlinks and
 * checked to be a procfs root (fstatfs PROC_SUPER_MAGIC, the root inode),
 * and each key is opened beneath it with openat2 refusing symlinks and
 * mount crossings. */
#include "namespaces/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"

/* procfs's root directory inode (fs/proc/root.c PROC_ROOT_INO). */
#define PROC_ROOT_INO 1

static int open_container_proc(struct hull_error *err)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	autoclose int fd = (int)syscall(SYS_openat2, AT_FDCWD, "/proc", &how, sizeof(how));
	struct statfs sfs;
	struct stat st;
	char self[32], want[32];
	ssize_t n;

	if (fd < 0)
		return hull_error_errno(err, "linux.sysctl: opening the container's /proc");
	if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0)
		return hull_error_errno(err, "linux.sysctl: stat /proc");
	if (sfs.f_type != PROC_SUPER_MAGIC || st.st_ino != PROC_ROOT_INO)
		return hull_error_set(err, EINVAL,
				      "linux.sysctl: /proc in the container is not a procfs mount (mounts must include one)");
	/* A procfs of another pid namespace (a host /proc bound in) names
	 * us by another pid, or not at all. */
	n = readlinkat(fd, "self", self, sizeof(self) - 1);
	snprintf(want, sizeof(want), "%d", (int)getpid());
	if (n < 0 || (self[n] = '\0', strcmp(self, want) != 0))
		return hull_error_set(err, EINVAL,
				      "linux.sysctl: /proc in the container is not the container's procfs");
	return steal_fd(&fd);
}

static int write_one(int procfd, const char *key, const char *value, struct hull_error *err)
{
	struct open_how how = {
		.flags = O_WRONLY | O_TRUNC | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	char path[PATH_MAX];
	autoclose int fd = -1;
	size_t len = strlen(value);
	int n = snprintf(path, sizeof(path), "sys/%s", key);

	if (n < 0 || (size_t)n >= sizeof(path))
		return hull_error_set(err, ENAMETOOLONG, "linux.sysctl.%s: too long", key);
	/* Keys were checked at parse time: dot-separated names, no "/". */
	for (char *p = path + 4; *p; p++)
		if (*p == '.')
			*p = '/';
	fd = (int)syscall(SYS_openat2, procfd, path, &how, sizeof(how));
	if (fd < 0)
		return hull_error_errno(err, "linux.sysctl.%s: open /proc/%s", key, path);
	for (size_t off = 0; off < len; ) {
		ssize_t w = write(fd, value + off, len - off);

		if (w < 0)
			return hull_error_errno(err, "linux.sysctl.%s: writing \"%s\"", key, value);
		off += (size_t)w;
	}
	return 0;
}

int sysctl_apply(char *const *keys, char *const *values, size_t n, struct hull_error *err)
{
	autoclose int procfd = -1;

	if (n == 0)
		return 0;
	procfd = open_container_proc(err);
	if (procfd < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (write_one(procfd, keys[i], values[i], err) < 0)
			return -1;
	return 0;
}
