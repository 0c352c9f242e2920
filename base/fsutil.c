#include "base/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"

int fs_mkdir_p(const char *path, mode_t mode, struct hull_error *err)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return hull_error_set(err, EINVAL, "invalid path \"%s\"", path);
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;

			*p = '\0';
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return hull_error_errno(err, "mkdir %s", buf);
			*p = saved;
			if (saved == '\0')
				break;
		}
	}
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

int fs_write_atomic(int dirfd, const char *name, const char *data, size_t len,
		    mode_t mode, struct hull_error *err)
{
	char tmp[PATH_MAX];
	autoclose int fd = -1;

	/* The directory may be the caller's (--pid-file), where whoever can
	 * write could plant a symlink at a predictable temporary name and
	 * have root write through it: an unpredictable name, made new
	 * (O_EXCL) and never followed (O_NOFOLLOW).  renameat() then replaces
	 * `name` itself, a symlink included, without following it. */
	for (int tries = 0; fd < 0; tries++) {
		uint64_t r = 0;

		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
			r ^= ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^ (uint64_t)tries;
		snprintf(tmp, sizeof(tmp), ".%s.%016llx.tmp", name, (unsigned long long)r);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && (errno != EEXIST || tries >= 100))
			return hull_error_errno(err, "create %s", tmp);
	}
	if (write_all(fd, data, len) < 0) {
		unlinkat(dirfd, tmp, 0);
		return hull_error_errno(err, "write %s", tmp);
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		unlinkat(dirfd, tmp, 0);
		return hull_error_errno(err, "rename %s", name);
	}
	return 0;
}

int fs_write_file(const char *path, const char *data, size_t len,
		  struct hull_error *err)
{
	autoclose int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return hull_error_errno(err, "open %s", path);
	if (write_all(fd, data, len) < 0)
		return hull_error_errno(err, "write %s", path);
	return 0;
}

int fs_read_file(const char *path, char **out, size_t *len,
		 struct hull_error *err)
{
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return hull_error_errno(err, "open %s", path);
	return fs_read_fd(fd, path, out, len, err);
}

int fs_read_fd(int fd, const char *path, char **out, size_t *len,
	       struct hull_error *err)
{
	size_t cap = 4096, n = 0;
	char *buf;

	buf = malloc(cap + 1);
	if (buf == NULL)
		return hull_error_errno(err, "malloc");
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb = realloc(buf, cap * 2 + 1);

			if (nb == NULL) {
				free(buf);
				return hull_error_errno(err, "realloc");
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return hull_error_errno(err, "read %s", path);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

static int remove_at(int parent, const char *name, dev_t dev,
		     struct hull_error *err)
{
	struct stat st;
	autoclose int fd = -1;
	autoclosedir DIR *d = NULL;
	struct dirent *e;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : hull_error_errno(err, "stat %s", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
			return hull_error_errno(err, "unlink %s", name);
		return 0;
	}
	if (st.st_dev != dev)
		return hull_error_set(err, EBUSY, "%s: is a mount point, not removing", name);
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return hull_error_errno(err, "open %s", name);
	d = fdopendir(fd);
	if (d == NULL)
		return hull_error_errno(err, "fdopendir %s", name);
	fd = -1; /* owned by d now */
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (remove_at(dirfd(d), e->d_name, dev, err) < 0)
			return -1;
	}
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return hull_error_errno(err, "rmdir %s", name);
	return 0;
}

int fs_remove_tree(const char *path, struct hull_error *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : hull_error_errno(err, "stat %s", path);
	return remove_at(AT_FDCWD, path, st.st_dev, err);
}

int fs_write_pid_file(const char *path, pid_t pid, struct hull_error *err)
{
	char buf[32], dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	autoclose int dfd = -1;
	int n = snprintf(buf, sizeof(buf), "%d", pid);

	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
	} else if (slash == path) {
		snprintf(dir, sizeof(dir), "/");
	} else {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return hull_error_errno(err, "pid file %s: open %s", path, dir);
	if (fs_write_atomic(dfd, slash ? slash + 1 : path, buf, (size_t)n, 0644, err) < 0)
		return hull_error_prefix(err, "pid file %s", path);
	return 0;
}
