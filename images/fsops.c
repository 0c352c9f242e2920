/* See fsops.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "images/fsops.h"

int ufs_openat2(int dirfd, const char *path, int flags, uint64_t resolve)
{
	struct open_how how = { .flags = (uint64_t)flags, .resolve = resolve };
	long r;

	do
		r = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	while (r < 0 && errno == EAGAIN);
	return (int)r;
}

int ufs_reopen_dir(int pathfd)
{
	return openat(pathfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int remove_children(int dfd, dev_t dev)
{
	autoclosedir DIR *d = NULL;
	struct dirent *de;
	int fd = dup(dfd);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat s;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dfd, de->d_name, &s, AT_SYMLINK_NOFOLLOW) < 0)
			return -1;
		if (S_ISDIR(s.st_mode)) {
			autoclose int cfd = -1;

			if (s.st_dev != dev) {
				errno = EXDEV;
				return -1;
			}
			cfd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0 || remove_children(cfd, dev) < 0)
				return -1;
			if (unlinkat(dfd, de->d_name, AT_REMOVEDIR) < 0)
				return -1;
		} else if (unlinkat(dfd, de->d_name, 0) < 0) {
			return -1;
		}
	}
	return 0;
}

int ufs_remove_at(int dirfd, const char *name)
{
	struct stat s;
	autoclose int fd = -1;

	if (fstatat(dirfd, name, &s, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISDIR(s.st_mode))
		return unlinkat(dirfd, name, 0);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || remove_children(fd, s.st_dev) < 0)
		return -1;
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}

static int copy_xattrs(int from, int to, const char *name, struct hull_error *err)
{
	char list[8192], val[65536];
	ssize_t n = flistxattr(from, list, sizeof(list));

	if (n < 0)
		return errno == ENOTSUP ? 0 : hull_error_errno(err, "%s: listxattr", name);
	for (char *k = list; k < list + n; k += strlen(k) + 1) {
		ssize_t v;

		if (strncmp(k, "trusted.overlay.", 16) == 0)
			continue;
		v = fgetxattr(from, k, val, sizeof(val));
		if (v < 0)
			return hull_error_errno(err, "%s: getxattr %s", name, k);
		if (fsetxattr(to, k, val, (size_t)v, 0) < 0)
			return hull_error_errno(err, "%s: setxattr %s", name, k);
	}
	return 0;
}

/* Owner, then mode (chown clears setuid), xattrs, times. */
static int copy_meta(int from, int to, const struct stat *s, const char *name,
		     struct hull_error *err)
{
	struct timespec ts[2] = { s->st_atim, s->st_mtim };

	if (fchown(to, s->st_uid, s->st_gid) < 0)
		return hull_error_errno(err, "%s: chown", name);
	if (fchmod(to, s->st_mode & 07777) < 0)
		return hull_error_errno(err, "%s: chmod", name);
	if (copy_xattrs(from, to, name, err) < 0)
		return -1;
	futimens(to, ts);
	return 0;
}

static int copy_file(int sfd, int dfd, const struct stat *s, const char *name,
		     struct hull_error *err)
{
	off_t left = s->st_size;

	if (ioctl(dfd, FICLONE, sfd) == 0)
		return 0;
	while (left > 0) {
		ssize_t n = copy_file_range(sfd, NULL, dfd, NULL, (size_t)left, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return hull_error_errno(err, "%s: copy", name);
		left -= n;
	}
	return 0;
}

struct link_seen {
	dev_t dev;
	ino_t ino;
	int dirfd;          /* a dup of the destination directory */
	char name[256];
};

struct apply_ctx {
	struct link_seen *links;
	size_t n_links, cap_links;
};

static int apply_dir(struct apply_ctx *x, int sdir, int ddir, const char *path,
		     struct hull_error *err);

static int apply_entry(struct apply_ctx *x, int sdir, int ddir, const char *leaf,
		       const char *path, struct hull_error *err)
{
	struct stat s, d;
	autoclose int sfd = -1;
	autoclose int dfd = -1;
	bool exists;

	if (fstatat(sdir, leaf, &s, AT_SYMLINK_NOFOLLOW) < 0)
		return hull_error_errno(err, "%s: stat", path);
	exists = fstatat(ddir, leaf, &d, AT_SYMLINK_NOFOLLOW) == 0;
	if (S_ISCHR(s.st_mode) && s.st_rdev == makedev(0, 0)) {
		if (exists && ufs_remove_at(ddir, leaf) < 0)
			return hull_error_errno(err, "%s: applying the whiteout", path);
		return 0;
	}
	if (exists && !(S_ISDIR(s.st_mode) && S_ISDIR(d.st_mode)) && ufs_remove_at(ddir, leaf) < 0)
		return hull_error_errno(err, "%s: replacing", path);
	if (S_ISDIR(s.st_mode)) {
		char opq[2];

		if (!(exists && S_ISDIR(d.st_mode)) && mkdirat(ddir, leaf, 0700) < 0)
			return hull_error_errno(err, "%s: mkdir", path);
		sfd = openat(sdir, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		dfd = openat(ddir, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0 || dfd < 0)
			return hull_error_errno(err, "%s: open", path);
		if (fgetxattr(sfd, "trusted.overlay.opaque", opq, sizeof(opq)) == 1 && opq[0] == 'y') {
			struct stat ds;

			/* what lower layers put here disappears */
			if (fstat(dfd, &ds) < 0 || remove_children(dfd, ds.st_dev) < 0)
				return hull_error_errno(err, "%s: emptying the opaque directory", path);
		}
		if (apply_dir(x, sfd, dfd, path, err) < 0)
			return -1;
		return copy_meta(sfd, dfd, &s, path, err);
	}
	if (s.st_nlink > 1 && !S_ISLNK(s.st_mode)) {
		for (size_t i = 0; i < x->n_links; i++)
			if (x->links[i].dev == s.st_dev && x->links[i].ino == s.st_ino) {
				if (linkat(x->links[i].dirfd, x->links[i].name, ddir, leaf, 0) < 0)
					return hull_error_errno(err, "%s: link", path);
				return 0;
			}
	}
	if (S_ISLNK(s.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(sdir, leaf, target, sizeof(target) - 1);
		struct timespec ts[2] = { s.st_atim, s.st_mtim };

		if (n < 0)
			return hull_error_errno(err, "%s: readlink", path);
		target[n] = '\0';
		if (symlinkat(target, ddir, leaf) < 0 ||
		    fchownat(ddir, leaf, s.st_uid, s.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return hull_error_errno(err, "%s: symlink", path);
		utimensat(ddir, leaf, ts, AT_SYMLINK_NOFOLLOW);
		return 0;
	} else if (S_ISREG(s.st_mode)) {
		sfd = openat(sdir, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		dfd = openat(ddir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (sfd < 0 || dfd < 0)
			return hull_error_errno(err, "%s: open", path);
		if (copy_file(sfd, dfd, &s, path, err) < 0)
			return -1;
	} else if (S_ISFIFO(s.st_mode)) {
		if (mknodat(ddir, leaf, S_IFIFO | 0600, 0) < 0)
			return hull_error_errno(err, "%s: mkfifo", path);
		sfd = openat(sdir, leaf, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
		dfd = openat(ddir, leaf, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0 || dfd < 0)
			return hull_error_errno(err, "%s: open", path);
	} else {
		return 0;  /* the unpacker created no other types */
	}
	if (s.st_nlink > 1) {
		if (x->n_links == x->cap_links) {
			size_t cap = x->cap_links ? x->cap_links * 2 : 64;
			struct link_seen *nl = realloc(x->links, cap * sizeof(*nl));

			if (nl == NULL)
				return hull_error_errno(err, "realloc");
			x->links = nl;
			x->cap_links = cap;
		}
		struct link_seen *l = &x->links[x->n_links];
		l->dev = s.st_dev;
		l->ino = s.st_ino;
		l->dirfd = dup(ddir);
		snprintf(l->name, sizeof(l->name), "%s", leaf);
		if (l->dirfd >= 0)
			x->n_links++;
	}
	return copy_meta(sfd, dfd, &s, path, err);
}

static int apply_dir(struct apply_ctx *x, int sdir, int ddir, const char *path,
		     struct hull_error *err)
{
	autoclosedir DIR *d = NULL;
	struct dirent *de;
	int fd = dup(sdir);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return hull_error_errno(err, "%s: opendir", path);
	}
	while ((de = readdir(d)) != NULL) {
		char sub[4096];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (apply_entry(x, sdir, ddir, de->d_name, sub, err) < 0)
			return -1;
	}
	return 0;
}

int ufs_apply_layer(int layer_fd, int dest_fd, struct hull_error *err)
{
	struct apply_ctx x = { 0 };
	struct stat s;
	int rc;

	rc = apply_dir(&x, layer_fd, dest_fd, "", err);
	if (rc == 0 && fstat(layer_fd, &s) == 0)
		rc = copy_meta(layer_fd, dest_fd, &s, "/", err);
	for (size_t i = 0; i < x.n_links; i++)
		close(x.links[i].dirfd);
	free(x.links);
	return rc;
}
