/* Root disks cached by what the rootfs holds, so that starting the same
 * bundle again skips mkfs.ext4.
 *
 * The key is a SHA-256 (libmd) over every entry of the tree, in walk
 * order: its path, type and mode, owner, size, device number, symlink
 * target, inode, and its mtime and ctime in nanoseconds.  The ctime is what
 * makes this safe without reading file contents: any write, chmod, chown,
 * rename or utimes() of an entry sets it to "now", and no call sets it to
 * a chosen value, so a tree with the same key has not changed since the
 * image was made.  A SHA-256 rather than a cheap hash because the trees
 * come from different users: a rootfs must not be able to collide with
 * another's key and be served its disk.
 *
 * Layout: <cache>/<key>.ext4, made as <key>.ext4.tmp.<pid> and renamed into
 * place (concurrent makers of one key both succeed; one rename wins).  The
 * newest VMM_DISK_CACHE_KEEP images stay; older ones are removed when a
 * new one is added.  A hit touches its image's mtime. */
#include "vmm/guest_image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fsutil.h"

#define VMM_DISK_CACHE_KEEP 8

/* nftw has no user pointer: one walk at a time (the runtime is single
 * threaded while it prepares a container). */
static SHA2_CTX *walk_ctx;
static size_t walk_root_len;

static void hash_u64(SHA2_CTX *c, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	SHA256Update(c, b, sizeof(b));
}

static int hash_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *rel = path + walk_root_len;

	/* The path with its NUL, so "ab"+"c" and "a"+"bc" differ. */
	SHA256Update(walk_ctx, (const uint8_t *)rel, strlen(rel) + 1);
	hash_u64(walk_ctx, st->st_mode);
	hash_u64(walk_ctx, st->st_uid);
	hash_u64(walk_ctx, st->st_gid);
	hash_u64(walk_ctx, (uint64_t)st->st_size);
	hash_u64(walk_ctx, st->st_rdev);
	hash_u64(walk_ctx, st->st_dev);
	hash_u64(walk_ctx, st->st_ino);
	hash_u64(walk_ctx, (uint64_t)st->st_mtim.tv_sec * 1000000000ull + (uint64_t)st->st_mtim.tv_nsec);
	hash_u64(walk_ctx, (uint64_t)st->st_ctim.tv_sec * 1000000000ull + (uint64_t)st->st_ctim.tv_nsec);
	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(path, target, sizeof(target));

		if (n < 0)
			return -1;
		SHA256Update(walk_ctx, (const uint8_t *)target, (size_t)n);
	}
	return 0;
}

static int rootfs_key(const char *rootfs, char key[SHA256_DIGEST_STRING_LENGTH],
		      struct hull_error *err)
{
	SHA2_CTX c;
	int r;

	SHA256Init(&c);
	walk_ctx = &c;
	walk_root_len = strlen(rootfs);
	r = nftw(rootfs, hash_entry, 32, FTW_PHYS);
	walk_ctx = NULL;
	if (r != 0)
		return hull_error_errno(err, "walking %s", rootfs);
	SHA256End(&c, key);
	return 0;
}

struct cached_disk {
	char name[NAME_MAX + 1];
	struct timespec mtime;
};

static int newest_first(const void *a, const void *b)
{
	const struct timespec *x = &((const struct cached_disk *)a)->mtime;
	const struct timespec *y = &((const struct cached_disk *)b)->mtime;

	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? 1 : -1;
	return x->tv_nsec < y->tv_nsec ? 1 : x->tv_nsec > y->tv_nsec ? -1 : 0;
}

/* Keep the newest VMM_DISK_CACHE_KEEP images.  Best effort: a failure
 * here costs disk space, not correctness.  A VM already running from an
 * evicted image keeps its open fd. */
static void evict_old(const char *cache)
{
	autoclosedir DIR *d = opendir(cache);
	autofree struct cached_disk *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		struct stat st;

		if (len < 6 || strcmp(e->d_name + len - 5, ".ext4") != 0 ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (n == cap) {
			struct cached_disk *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (nv == NULL)
				return;
			v = nv;
		}
		snprintf(v[n].name, sizeof(v[n].name), "%s", e->d_name);
		v[n++].mtime = st.st_mtim;
	}
	if (n <= VMM_DISK_CACHE_KEEP)
		return;
	qsort(v, n, sizeof(*v), newest_first);
	for (size_t i = VMM_DISK_CACHE_KEEP; i < n; i++)
		unlinkat(dirfd(d), v[i].name, 0);
}

int vmm_rootfs_cached(const char *rootfs, const char *cache, char *out, size_t n,
		      struct hull_error *err)
{
	char key[SHA256_DIGEST_STRING_LENGTH];
	char tmp[PATH_MAX];

	if (rootfs_key(rootfs, key, err) < 0)
		return -1;
	if ((size_t)snprintf(out, n, "%s/%s.ext4", cache, key) >= n)
		return hull_error_set(err, ENAMETOOLONG, "disk cache path too long");
	if (access(out, R_OK) == 0) {
		utimensat(AT_FDCWD, out, NULL, 0);
		return 0;
	}
	/* The cache (and /var/cache/hull above it) may not exist yet on a
	 * fresh host: made here, private to root, as `mkdir -p -m 0700`.
	 * An error names the directory that could not be made. */
	if (fs_mkdir_p(cache, 0700, err) < 0)
		return hull_error_prefix(err, "vm disk cache");
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", out, (int)getpid());
	unlink(tmp);
	if (vmm_rootfs_image(rootfs, tmp, err) < 0) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, out) < 0) {
		hull_error_errno(err, "rename %s", tmp);
		unlink(tmp);
		return -1;
	}
	evict_old(cache);
	return 0;
}
