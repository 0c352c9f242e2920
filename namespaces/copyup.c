/* tmpcopyup's copy.  The source is inside the container's rootfs, which
 * the image controls: every step is one component relative to a directory
 * fd, opened with O_NOFOLLOW, so a symlink in the tree is copied as a
 * symlink and never followed out of it. */
#include "namespaces/copyup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"

/* Depth bound: a tree deeper than this is not an image directory. */
#define COPYUP_MAX_DEPTH 64

static int copy_tree(int srcfd, int dstfd, int depth, struct hull_error *err);

static int copy_file(int srcdir, int dstdir, const char *name, const struct stat *st,
		     struct hull_error *err)
{
	autoclose int in = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	autoclose int out = -1;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return hull_error_errno(err, "tmpcopyup: open %s", name);
	out = openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     st->st_mode & 07777);
	if (out < 0)
		return hull_error_errno(err, "tmpcopyup: create %s", name);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n; ) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0)
				return hull_error_errno(err, "tmpcopyup: write %s", name);
			off += w;
		}
	if (n < 0)
		return hull_error_errno(err, "tmpcopyup: read %s", name);
	return 0;
}

static int copy_entry(int srcfd, int dstfd, const char *name, int depth,
		      struct hull_error *err)
{
	struct stat st;

	if (fstatat(srcfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return hull_error_errno(err, "tmpcopyup: stat %s", name);
	if (S_ISDIR(st.st_mode)) {
		autoclose int sub = -1;
		autoclose int dsub = -1;

		if (mkdirat(dstfd, name, 0700) < 0)
			return hull_error_errno(err, "tmpcopyup: mkdir %s", name);
		sub = openat(srcfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		dsub = openat(dstfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 || dsub < 0)
			return hull_error_errno(err, "tmpcopyup: open directory %s", name);
		if (copy_tree(sub, dsub, depth + 1, err) < 0)
			return hull_error_prefix(err, "%s", name);
	} else if (S_ISREG(st.st_mode)) {
		if (copy_file(srcfd, dstfd, name, &st, err) < 0)
			return -1;
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(srcfd, name, target, sizeof(target) - 1);

		if (n < 0)
			return hull_error_errno(err, "tmpcopyup: readlink %s", name);
		target[n] = '\0';
		if (symlinkat(target, dstfd, name) < 0)
			return hull_error_errno(err, "tmpcopyup: symlink %s", name);
	} else if (mknodat(dstfd, name, st.st_mode, st.st_rdev) < 0) {
		return hull_error_errno(err, "tmpcopyup: mknod %s", name);
	}
	/* Owner, then mode: chown clears set-id bits. */
	if (fchownat(dstfd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return hull_error_errno(err, "tmpcopyup: chown %s", name);
	if (!S_ISLNK(st.st_mode) && fchmodat(dstfd, name, st.st_mode & 07777, 0) < 0)
		return hull_error_errno(err, "tmpcopyup: chmod %s", name);
	return 0;
}

static int copy_tree(int srcfd, int dstfd, int depth, struct hull_error *err)
{
	autoclosedir DIR *d = NULL;
	int dfd;
	struct dirent *e;

	if (depth > COPYUP_MAX_DEPTH)
		return hull_error_set(err, ELOOP, "tmpcopyup: tree deeper than %d", COPYUP_MAX_DEPTH);
	/* fdopendir takes the fd: give it a copy, the caller closes its own. */
	dfd = fcntl(srcfd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return hull_error_errno(err, "tmpcopyup: dup");
	d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return hull_error_errno(err, "tmpcopyup: opendir");
	}
	while ((errno = 0, e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (copy_entry(dirfd(d), dstfd, e->d_name, depth, err) < 0)
			return -1;
	}
	if (errno != 0)
		return hull_error_errno(err, "tmpcopyup: readdir");
	return 0;
}

int copyup_tree(int srcfd, int dstfd, struct hull_error *err)
{
	/* The top directory keeps the tmpfs's own mode=, uid=, gid=. */
	return copy_tree(srcfd, dstfd, 0, err);
}
