/* Layer unpacking; the rules are in unpack.h.
 *
 * Two libarchive readers are chained: the outer one only decompresses
 * (format "raw", any filter), and the inner tar reader pulls the
 * decompressed bytes through read_inner(), which hashes and counts them
 * on the way, so the diff_id is checked on the stream itself and a bomb
 * is stopped by a byte count, with no second pass.
 *
 * Several layers unpack at once (one thread each, while they download), so
 * every buffer is in the per-layer struct chain, nothing is static.
 *
 * Syscalls per entry are what an image of many small files costs, so:
 * the parent directory's fd is kept for the next entry (tar streams list a
 * directory's entries together), forgotten whenever an entry removes
 * something or makes a symlink (either could change what the path
 * resolves to); a file is created with its mode and only chmod'ed for
 * bits creation cannot set; chown is skipped when creation already gave
 * the right owner; a file is truncated only when its data ends in a hole. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/dlib.h"
#include "images/unpack.h"
#include "images/fsops.h"
#include "images/sha256.h"

static DLIB_PTR(archive_read_new);
static DLIB_PTR(archive_read_free);
static DLIB_PTR(archive_read_support_filter_all);
static DLIB_PTR(archive_read_support_format_raw);
static DLIB_PTR(archive_read_support_format_tar);
static DLIB_PTR(archive_read_support_format_empty);
static DLIB_PTR(archive_read_open);
static DLIB_PTR(archive_read_next_header);
static DLIB_PTR(archive_read_data);
static DLIB_PTR(archive_read_data_block);
static DLIB_PTR(archive_error_string);
static DLIB_PTR(archive_entry_pathname);
static DLIB_PTR(archive_entry_filetype);
static DLIB_PTR(archive_entry_perm);
static DLIB_PTR(archive_entry_mode);
static DLIB_PTR(archive_entry_uid);
static DLIB_PTR(archive_entry_gid);
static DLIB_PTR(archive_entry_symlink);
static DLIB_PTR(archive_entry_hardlink);
static DLIB_PTR(archive_entry_size);
static DLIB_PTR(archive_entry_mtime);
static DLIB_PTR(archive_entry_mtime_nsec);
static DLIB_PTR(archive_entry_xattr_reset);
static DLIB_PTR(archive_entry_xattr_next);
static const struct dlib_sym archive_syms[] = {
	DLIB_SYM(archive_read_new), DLIB_SYM(archive_read_free),
	DLIB_SYM(archive_read_support_filter_all), DLIB_SYM(archive_read_support_format_raw),
	DLIB_SYM(archive_read_support_format_tar), DLIB_SYM(archive_read_support_format_empty),
	DLIB_SYM(archive_read_open), DLIB_SYM(archive_read_next_header),
	DLIB_SYM(archive_read_data), DLIB_SYM(archive_read_data_block),
	DLIB_SYM(archive_error_string), DLIB_SYM(archive_entry_pathname),
	DLIB_SYM(archive_entry_filetype), DLIB_SYM(archive_entry_perm), DLIB_SYM(archive_entry_mode),
	DLIB_SYM(archive_entry_uid), DLIB_SYM(archive_entry_gid),
	DLIB_SYM(archive_entry_symlink), DLIB_SYM(archive_entry_hardlink),
	DLIB_SYM(archive_entry_size), DLIB_SYM(archive_entry_mtime),
	DLIB_SYM(archive_entry_mtime_nsec), DLIB_SYM(archive_entry_xattr_reset),
	DLIB_SYM(archive_entry_xattr_next),
};
static struct dlib archive_lib = { .soname = "libarchive.so.13", .package = "libarchive13" };

#define MAX_DEPTH 128

int unpack_split_name(const char *name, char comps[][256], int max, struct hull_error *err)
{
	const char *p = name;
	int n = 0;

	if (name[0] == '/')
		return hull_error_set(err, EINVAL, "layer entry \"%.200s\": absolute names are refused", name);
	if (strlen(name) >= PATH_MAX)
		return hull_error_set(err, ENAMETOOLONG, "layer entry \"%.200s...\": name too long", name);
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 0 || (len == 1 && p[0] == '.')) {
			p += len + (p[len] == '/');
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return hull_error_set(err, EINVAL,
					      "layer entry \"%.200s\": a \"..\" component would escape the layer root", name);
		if (len > 255)
			return hull_error_set(err, ENAMETOOLONG, "layer entry \"%.200s\": component too long", name);
		if (n >= max)
			return hull_error_set(err, ENAMETOOLONG, "layer entry \"%.200s\": more than %d components", name, max);
		memcpy(comps[n], p, len);
		comps[n][len] = '\0';
		n++;
		p += len + (p[len] == '/');
	}
	return n;
}

struct chain {
	layer_read_fn read;
	void *rdata;
	struct archive *outer;
	struct img_sha256 sha;
	uint64_t in, out, max;
	bool too_big;
	uid_t euid;
	gid_t egid;
	mode_t umask;
	/* the last parent directory: its path under the root, an O_PATH fd,
	 * and what a new entry in it gets as its group */
	char ppath[PATH_MAX];
	int pfd;
	gid_t pgid;
	char comps[MAX_DEPTH][256];
	char tcomps[MAX_DEPTH][256];
	char inbuf[128 * 1024];
	char outbuf[256 * 1024];
};

static ssize_t fd_reader(void *data, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(*(int *)data, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

static ssize_t read_outer(struct archive *a, void *data, const void **buf)
{
	struct chain *c = data;
	ssize_t n = c->read(c->rdata, c->inbuf, sizeof(c->inbuf));

	(void)a;
	if (n > 0)
		c->in += (uint64_t)n;
	*buf = c->inbuf;
	return n;
}

static ssize_t read_inner(struct archive *a, void *data, const void **buf)
{
	struct chain *c = data;
	la_ssize_t n = sym_archive_read_data(c->outer, c->outbuf, sizeof(c->outbuf));

	(void)a;
	if (n > 0) {
		img_sha256_update(&c->sha, c->outbuf, (size_t)n);
		c->out += (uint64_t)n;
		if (c->out > c->max) {
			c->too_big = true;
			return -1;
		}
	}
	*buf = c->outbuf;
	return n;
}

static void forget_parent(struct chain *c)
{
	if (c->pfd >= 0)
		close(c->pfd);
	c->pfd = -1;
	c->ppath[0] = '\0';
}

/* Directory fd for comps[0..n) under root, creating missing ones (0755,
 * root's owner: an image that names a file before its directory gets the
 * same default as Docker). */
static int open_parent_fd(int rootfd, char comps[][256], int n, const char *path,
			  struct hull_error *err)
{
	int fd;

	fd = ufs_openat2(rootfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : hull_error_errno(err, "opening %s in the layer", path);
	/* Walk it, creating what is missing. */
	fd = dup(rootfd);
	for (int i = 0; i < n && fd >= 0; i++) {
		int next = ufs_openat2(fd, comps[i], O_PATH | O_DIRECTORY | O_CLOEXEC,
				       RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);

		/* The walk resolves each component relative to the previous
		 * directory; RESOLVE_IN_ROOT there still confines symlinks to
		 * that directory, which is inside the layer root. */
		if (next < 0 && errno == ENOENT) {
			if (mkdirat(fd, comps[i], 0755) < 0 && errno != EEXIST) {
				close(fd);
				return hull_error_errno(err, "mkdir %s in the layer", comps[i]);
			}
			next = ufs_openat2(fd, comps[i], O_PATH | O_DIRECTORY | O_CLOEXEC,
					   RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
		}
		close(fd);
		if (next < 0 && (errno == ENOENT || errno == ENOTDIR || errno == EXDEV))
			return hull_error_set(err, errno,
					      "\"%s\" is not a directory in the layer (a symlink that leads out of it or to nothing is not followed)",
					      comps[i]);
		if (next < 0)
			return hull_error_errno(err, "opening %s in the layer", comps[i]);
		fd = next;
	}
	return fd;
}

/* The parent's fd, borrowed from the cache (the caller does not close it). */
static int open_parent(struct chain *c, int rootfd, int n, struct hull_error *err)
{
	char path[PATH_MAX] = ".";
	size_t off = 1;
	struct stat s;
	int fd;

	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(path + off, sizeof(path) - off, "/%s", c->comps[i]);
	if (c->pfd >= 0 && strcmp(path, c->ppath) == 0)
		return c->pfd;
	forget_parent(c);
	if ((fd = open_parent_fd(rootfd, c->comps, n, path, err)) < 0)
		return -1;
	if (fstat(fd, &s) < 0) {
		close(fd);
		return hull_error_errno(err, "stat %s in the layer", path);
	}
	/* a setgid directory gives new entries its group */
	c->pgid = (s.st_mode & S_ISGID) ? s.st_gid : c->egid;
	c->pfd = fd;
	memcpy(c->ppath, path, off + 1);
	return fd;
}

static bool xattr_allowed(const char *name)
{
	return strncmp(name, "user.", 5) == 0 || strcmp(name, "security.capability") == 0 ||
	       strcmp(name, "system.posix_acl_access") == 0 || strcmp(name, "system.posix_acl_default") == 0;
}

/* Applies owner, mode, xattrs and mtime to an open fd (not a symlink). */
/* created: fd is a file this entry just created with mode perm & 0777
 * (minus the umask) in the cached parent, so chown and chmod can be
 * skipped where they would change nothing. */
static int apply_meta(struct chain *c, int fd, struct archive_entry *e, bool created,
		      struct unpack_stats *st, const char *name, struct hull_error *err)
{
	const char *xname;
	const void *xval;
	size_t xlen;
	struct timespec ts[2];
	uid_t uid = (uid_t)sym_archive_entry_uid(e);
	gid_t gid = (gid_t)sym_archive_entry_gid(e);
	mode_t perm = sym_archive_entry_perm(e) & 07777;

	if (c->euid == 0 && !(created && uid == 0 && gid == c->pgid) && fchown(fd, uid, gid) < 0)
		return hull_error_errno(err, "%s: chown", name);
	/* after chown, which clears setuid/setgid */
	if ((!created || (perm & 07000) || (perm & c->umask)) && fchmod(fd, perm) < 0)
		return hull_error_errno(err, "%s: chmod", name);
	sym_archive_entry_xattr_reset(e);
	while (sym_archive_entry_xattr_next(e, &xname, &xval, &xlen) == ARCHIVE_OK) {
		if (!xattr_allowed(xname)) {
			st->skipped_xattrs++;
			continue;
		}
		if (fsetxattr(fd, xname, xval, xlen, 0) < 0)
			return hull_error_errno(err, "%s: setting xattr %s", name, xname);
	}
	ts[0].tv_sec = ts[1].tv_sec = sym_archive_entry_mtime(e);
	ts[0].tv_nsec = ts[1].tv_nsec = sym_archive_entry_mtime_nsec(e);
	if (futimens(fd, ts) < 0)
		return hull_error_errno(err, "%s: utimens", name);
	return 0;
}

/* Replaces what is at name (tar semantics), except a directory by a
 * directory, which is kept (and gets the new metadata). */
static int make_room(struct chain *c, int dirfd, const char *leaf, bool want_dir, const char *name,
		     struct hull_error *err)
{
	struct stat s;

	if (fstatat(dirfd, leaf, &s, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : hull_error_errno(err, "%s: stat", name);
	if (want_dir && S_ISDIR(s.st_mode))
		return 0;
	/* what the cached parent path resolves to may change */
	if (dirfd != c->pfd)
		forget_parent(c);
	else
		c->ppath[0] = '\001';  /* keep dirfd open for the caller, never match */
	if (ufs_remove_at(dirfd, leaf) < 0)
		return hull_error_errno(err, "%s: replacing the existing entry", name);
	return 0;
}

static int write_data(struct archive *in, int fd, int64_t size, const char *name,
		      struct hull_error *err)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int64_t end = 0;
	int r;

	while ((r = sym_archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK) {
		if (off + (int64_t)len > end)
			end = off + (int64_t)len;
		for (size_t done = 0; done < len; ) {
			ssize_t w = pwrite(fd, (const char *)buf + done, len - done, off + (off_t)done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return hull_error_errno(err, "%s: write", name);
			done += (size_t)w;
		}
	}
	if (r != ARCHIVE_EOF)
		return hull_error_set(err, EIO, "%s: %s", name,
				      sym_archive_error_string(in) ?: "truncated or corrupt stream");
	/* sparse files end in a hole */
	if (end != size && ftruncate(fd, size) < 0)
		return hull_error_errno(err, "%s: truncate", name);
	return 0;
}

static int whiteout(struct chain *c, int pfd, const char *leaf, const char *name, struct hull_error *err)
{
	const char *target = leaf + 4;

	if (strcmp(leaf, ".wh..wh..opq") == 0) {
		/* this layer hides everything below it in this directory */
		autoclose int dfd = ufs_reopen_dir(pfd);

		if (dfd < 0)
			return hull_error_errno(err, "%s: open", name);
		if (fsetxattr(dfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
			return hull_error_errno(err, "%s: setting trusted.overlay.opaque", name);
		return 0;
	}
	if (*target == '\0' || strcmp(target, ".") == 0 || strcmp(target, "..") == 0 ||
	    strncmp(target, ".wh.", 4) == 0)
		return hull_error_set(err, EINVAL, "layer entry \"%s\": invalid whiteout", name);
	if (make_room(c, pfd, target, false, name, err) < 0)
		return -1;
	if (mknodat(pfd, target, S_IFCHR | 0, makedev(0, 0)) < 0)
		return hull_error_errno(err, "%s: creating the overlay whiteout", name);
	return 0;
}

static int unpack_entry(struct chain *c, struct archive *in, struct archive_entry *e, int rootfd,
			struct unpack_stats *st, struct hull_error *err)
{
	char (*comps)[256] = c->comps;
	const char *name = sym_archive_entry_pathname(e);
	unsigned type = sym_archive_entry_filetype(e);
	int pfd;
	autoclose int fd = -1;
	const char *leaf;
	int n;

	if (name == NULL)
		return hull_error_set(err, EINVAL, "layer entry without a name");
	if ((n = unpack_split_name(name, comps, MAX_DEPTH, err)) < 0)
		return -1;
	if (n == 0) {
		/* The root itself: never replaced (CVE-2021-29136). */
		if (type != AE_IFDIR)
			return hull_error_set(err, EINVAL,
					      "layer entry \"%s\": the layer root would be replaced by a non-directory", name);
		fd = ufs_reopen_dir(rootfd);
		return fd < 0 ? hull_error_errno(err, "reopening the layer root") : apply_meta(c, fd, e, false, st, name, err);
	}
	leaf = comps[n - 1];
	if ((pfd = open_parent(c, rootfd, n - 1, err)) < 0)
		return hull_error_prefix(err, "layer entry \"%s\"", name);
	if (strncmp(leaf, ".wh.", 4) == 0)
		return whiteout(c, pfd, leaf, name, err);
	if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK) {
		st->skipped_devices++;
		return 0;
	}
	const char *hard = sym_archive_entry_hardlink(e);
	if (hard) {
		char (*tcomps)[256] = c->tcomps;
		char tpath[PATH_MAX] = ".";
		size_t off = 1;
		int tn = unpack_split_name(hard, tcomps, MAX_DEPTH, err);
		autoclose int tfd = -1;
		struct stat s;

		if (tn < 0)
			return hull_error_prefix(err, "hardlink \"%s\"", name);
		if (tn == 0)
			return hull_error_set(err, EINVAL, "hardlink \"%s\": target is the layer root", name);
		for (int i = 0; i < tn; i++)
			off += (size_t)snprintf(tpath + off, sizeof(tpath) - off, "/%s", tcomps[i]);
		tfd = ufs_openat2(rootfd, tpath, O_PATH | O_NOFOLLOW | O_CLOEXEC,
				  RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
		if (tfd < 0)
			return hull_error_errno(err, "hardlink \"%s\" to \"%s\": target not in this layer", name, hard);
		if (fstat(tfd, &s) < 0 || S_ISDIR(s.st_mode))
			return hull_error_set(err, EINVAL, "hardlink \"%s\" to \"%s\": target is a directory", name, hard);
		if (make_room(c, pfd, leaf, false, name, err) < 0)
			return -1;
		if (linkat(tfd, "", pfd, leaf, AT_EMPTY_PATH) < 0)
			return hull_error_errno(err, "hardlink \"%s\" to \"%s\"", name, hard);
		return 0;
	}
	if (type == AE_IFREG) {
		/* most entries are new files: create first, make room only
		 * when something is in the way */
		mode_t mode = sym_archive_entry_perm(e) & 0777;

		fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && errno == EEXIST) {
			if (make_room(c, pfd, leaf, false, name, err) < 0)
				return -1;
			fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		}
		if (fd < 0)
			return hull_error_errno(err, "%s: create", name);
		if (write_data(in, fd, sym_archive_entry_size(e), name, err) < 0)
			return -1;
		return apply_meta(c, fd, e, true, st, name, err);
	}
	if (make_room(c, pfd, leaf, type == AE_IFDIR, name, err) < 0)
		return -1;
	switch (type) {
	case AE_IFDIR:
		if (mkdirat(pfd, leaf, 0700) < 0 && errno != EEXIST)
			return hull_error_errno(err, "%s: mkdir", name);
		fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return hull_error_errno(err, "%s: open", name);
		return apply_meta(c, fd, e, false, st, name, err);
	case AE_IFLNK: {
		const char *target = sym_archive_entry_symlink(e);

		/* The target is stored as it is: it is only ever resolved
		 * inside a root (RESOLVE_IN_ROOT here, the container's root at
		 * run time). */
		/* a later entry's path may now go through it */
		c->ppath[0] = '\001';
		if (target == NULL || symlinkat(target, pfd, leaf) < 0)
			return hull_error_errno(err, "%s: symlink", name);
		if (c->euid == 0 && fchownat(pfd, leaf, (uid_t)sym_archive_entry_uid(e),
					       (gid_t)sym_archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
			return hull_error_errno(err, "%s: lchown", name);
		struct timespec ts[2] = {
			{ sym_archive_entry_mtime(e), sym_archive_entry_mtime_nsec(e) },
			{ sym_archive_entry_mtime(e), sym_archive_entry_mtime_nsec(e) },
		};
		utimensat(pfd, leaf, ts, AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	case AE_IFIFO:
		if (mknodat(pfd, leaf, S_IFIFO | 0600, 0) < 0)
			return hull_error_errno(err, "%s: mkfifo", name);
		fd = openat(pfd, leaf, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return hull_error_errno(err, "%s: open", name);
		return apply_meta(c, fd, e, false, st, name, err);
	default:
		return hull_error_set(err, EINVAL, "layer entry \"%s\": unknown file type 0%o", name, type);
	}
}

static mode_t process_umask;
static pthread_once_t umask_once = PTHREAD_ONCE_INIT;

static void read_umask(void)
{
	/* umask cannot be read without setting it: once, before threads
	 * (the first call is in the process's single-threaded part) */
	process_umask = umask(022);
	umask(process_umask);
}

int layer_unpack_init(struct hull_error *err)
{
	pthread_once(&umask_once, read_umask);
	return dlib_load(&archive_lib, archive_syms, DLIB_COUNT(archive_syms), err);
}

int layer_unpack(int fd, int rootfd, const struct unpack_opts *o,
		 struct unpack_stats *st, struct hull_error *err)
{
	if (layer_unpack_init(err) < 0)
		return -1;
	return layer_unpack_stream(fd_reader, &fd, rootfd, o, st, err);
}

int layer_unpack_stream(layer_read_fn read, void *rdata, int rootfd, const struct unpack_opts *o,
			struct unpack_stats *st, struct hull_error *err)
{
	struct archive *inner = NULL;
	struct archive_entry *e;
	struct chain *c;
	int r, rc = -1;

	memset(st, 0, sizeof(*st));
	if (archive_lib.handle == NULL)
		return hull_error_set(err, EINVAL, "layer_unpack_init was not called");
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return hull_error_errno(err, "calloc");
	c->read = read;
	c->rdata = rdata;
	c->pfd = -1;
	c->euid = geteuid();
	c->egid = getegid();
	c->umask = process_umask;
	c->max = o->max_bytes ? o->max_bytes : o->compressed_size * 256 + (100ULL << 20);
	img_sha256_init(&c->sha);
	c->outer = sym_archive_read_new();
	inner = sym_archive_read_new();
	if (c->outer == NULL || inner == NULL) {
		hull_error_set(err, ENOMEM, "archive_read_new");
		goto out;
	}
	sym_archive_read_support_filter_all(c->outer);
	sym_archive_read_support_format_raw(c->outer);
	sym_archive_read_support_format_tar(inner);
	sym_archive_read_support_format_empty(inner);
	if (sym_archive_read_open(c->outer, c, NULL, read_outer, NULL) != ARCHIVE_OK ||
	    sym_archive_read_next_header(c->outer, &e) != ARCHIVE_OK) {
		const char *why = sym_archive_error_string(c->outer);

		hull_error_set(err, EINVAL, "layer: %s", why ? why : "unreadable stream");
		goto out;
	}
	if (sym_archive_read_open(inner, c, NULL, read_inner, NULL) != ARCHIVE_OK) {
		const char *why = sym_archive_error_string(c->outer);

		if (why == NULL)
			why = sym_archive_error_string(inner);
		hull_error_set(err, EINVAL, "layer: truncated or corrupt stream (%s)", why ? why : "no tar data");
		goto out;
	}
	while ((r = sym_archive_read_next_header(inner, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		st->entries++;
		if (unpack_entry(c, inner, e, rootfd, st, err) < 0) {
			if (c->too_big) {
				/* the bound, not the entry it cut short, is the news */
				hull_error_clear(err);
				hull_error_set(err, EFBIG, "layer: more than %llu bytes once decompressed (a decompression bomb?)",
					       (unsigned long long)c->max);
			}
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		if (c->too_big)
			hull_error_set(err, EFBIG, "layer: more than %llu bytes once decompressed (a decompression bomb?)",
				       (unsigned long long)c->max);
		else {
			/* the inner reader only sees that its input ended; the
			 * decompressor knows why */
			const char *why = sym_archive_error_string(c->outer);

			if (why == NULL)
				why = sym_archive_error_string(inner);
			hull_error_set(err, EIO, "layer: truncated or corrupt stream (%s)", why ? why : "unexpected end");
		}
		goto out;
	}
	/* The diff_id covers the whole tar stream, padding after the end
	 * marker included: drain what the tar reader did not ask for. */
	{
		const void *b;
		while (read_inner(NULL, c, &b) > 0)
			;
		if (c->too_big) {
			hull_error_set(err, EFBIG, "layer: more than %llu bytes once decompressed", (unsigned long long)c->max);
			goto out;
		}
	}
	if (o->diff_id) {
		char hex[72];

		img_sha256_final(&c->sha, hex);
		if (strcmp(hex, o->diff_id) != 0) {
			hull_error_set(err, EINVAL, "layer: uncompressed digest %s does not match the config's diff_id %s",
				       hex, o->diff_id);
			goto out;
		}
	}
	rc = 0;
out:
	st->bytes_in = c->in;
	st->bytes_out = c->out;
	img_sha256_free(&c->sha);
	forget_parent(c);
	if (inner)
		sym_archive_read_free(inner);
	if (c->outer)
		sym_archive_read_free(c->outer);
	free(c);
	return rc;
}

int layer_decompress(int in_fd, int out_fd, uint64_t *len, struct hull_error *err)
{
	struct archive_entry *e;
	struct chain *c;
	int rc = -1;

	*len = 0;
	if (dlib_load(&archive_lib, archive_syms, DLIB_COUNT(archive_syms), err) < 0)
		return -1;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return hull_error_errno(err, "calloc");
	c->read = fd_reader;
	c->rdata = &in_fd;
	c->pfd = -1;
	c->outer = sym_archive_read_new();
	if (c->outer == NULL) {
		free(c);
		return hull_error_set(err, ENOMEM, "archive_read_new");
	}
	sym_archive_read_support_filter_all(c->outer);
	sym_archive_read_support_format_raw(c->outer);
	if (sym_archive_read_open(c->outer, c, NULL, read_outer, NULL) != ARCHIVE_OK ||
	    sym_archive_read_next_header(c->outer, &e) != ARCHIVE_OK) {
		hull_error_set(err, EINVAL, "layer: %s", sym_archive_error_string(c->outer) ?: "unreadable stream");
		goto out;
	}
	for (;;) {
		la_ssize_t n = sym_archive_read_data(c->outer, c->outbuf, sizeof(c->outbuf));

		if (n == 0)
			break;
		if (n < 0) {
			hull_error_set(err, EIO, "layer: %s", sym_archive_error_string(c->outer) ?: "corrupt stream");
			goto out;
		}
		for (la_ssize_t off = 0; off < n; ) {
			ssize_t w = write(out_fd, c->outbuf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				hull_error_errno(err, "write");
				goto out;
			}
			off += w;
		}
		*len += (uint64_t)n;
	}
	rc = 0;
out:
	sym_archive_read_free(c->outer);
	free(c);
	return rc;
}
