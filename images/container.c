/* Bundles from images: `hull bundle` (a copy) and containers' overlay
 * roots in the store; see bundle.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buildid.h"
#include "base/cleanup.h"
#include "base/fsutil.h"
#include "base/json.h"
#include "images/bundle.h"
#include "images/fsops.h"
#include "images/ref.h"

/* A small file of the image (up to 1 MiB), read inside its root (symlinks
 * cannot lead out); NULL when absent. */
static char *read_in_root(int rootfd, const char *path)
{
	autoclose int fd = ufs_openat2(rootfd, path, O_RDONLY | O_CLOEXEC,
				       RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	struct stat st;
	size_t cap;
	char *buf;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	cap = S_ISREG(st.st_mode) && st.st_size < (1 << 20) ? (size_t)st.st_size + 1 : 1 << 20;
	if ((buf = malloc(cap)) == NULL)
		return NULL;
	n = read(fd, buf, cap - 1);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* Writes dirfd/name, which must not exist yet: for the files of a
 * container directory this process has just made (mode 0700, in the
 * root-only store), where no one else can be looking nor have planted
 * anything, so a temporary name and a rename would only cost time. */
static int write_new(int dirfd, const char *name, const char *data, mode_t mode,
		     struct hull_error *err)
{
	autoclose int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	size_t len = strlen(data);

	if (fd < 0)
		return hull_error_errno(err, "create %s", name);
	for (size_t off = 0; off < len; ) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return hull_error_errno(err, "write %s", name);
		off += (size_t)w;
	}
	return 0;
}

/* config.json's text from the image config.  rootfs: the container's
 * root, for a named User's lookup in its /etc/passwd and /etc/group; NULL
 * when the root is not made yet: then returns 1, and no text, for a User
 * that needs the lookup. */
static int config_text(struct image_store *s, const struct image_record *r, const char *rootfs,
		       char **json, struct hull_error *err)
{
	autofree char *text = NULL;
	autofree char *passwd = NULL;
	autofree char *group = NULL;
	autoclose int rfd = -1;
	struct image_config cfg;
	size_t len;
	uint32_t uid, gid;
	int rc;

	*json = NULL;
	if (store_get_blob(s, r->config, &text, &len, err) < 0 ||
	    image_config_parse(text, len, &cfg, err) < 0)
		return hull_error_prefix(err, "image %s", r->name);
	/* no User: root, and nothing to look up; a User that is "uid:gid"
	 * needs none either (a lone uid takes its group from passwd) */
	if (cfg.user && cfg.user[0] && !image_user_is_numeric_pair(cfg.user)) {
		if (rootfs == NULL) {
			image_config_free(&cfg);
			return 1;
		}
		if ((rfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			passwd = read_in_root(rfd, "/etc/passwd");
			group = read_in_root(rfd, "/etc/group");
		}
	}
	rc = image_user_resolve(cfg.user, passwd, group, &uid, &gid, err);
	if (rc == 0)
		rc = image_bundle_config(&cfg, uid, gid, "rootfs", json, err);
	image_config_free(&cfg);
	if (rc < 0)
		return hull_error_prefix(err, "image %s", r->name);
	return 0;
}

/* dir/config.json for `hull bundle`: replaced atomically. */
static int write_config(struct image_store *s, const struct image_record *r, const char *dir,
			const char *rootfs, struct hull_error *err)
{
	autofree char *json = NULL;
	autoclose int dfd = -1;

	if (config_text(s, r, rootfs, &json, err) < 0)
		return -1;
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return hull_error_errno(err, "open %s", dir);
	return fs_write_atomic(dfd, "config.json", json, strlen(json), 0644, err);
}

/* Copies the layers, bottom first, onto the directory path. */
static int copy_layers(const struct image_store *s, const struct image_record *r, const char *path,
		       struct hull_error *err)
{
	autoclose int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return hull_error_errno(err, "open %s", path);
	for (size_t i = 0; i < r->n_layers; i++) {
		char lp[4096];
		autoclose int lfd = -1;

		store_layer_path(s, r->layers[i].diff_id, lp, sizeof(lp));
		lfd = open(lp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lfd < 0)
			return hull_error_errno(err, "layer %s (hull pull the image again)", r->layers[i].diff_id);
		if (ufs_apply_layer(lfd, dfd, err) < 0)
			return hull_error_prefix(err, "copying layer %zu", i + 1);
	}
	return 0;
}

int images_make_bundle(struct image_store *s, const struct image_record *r,
		       const char *dir, struct hull_error *err)
{
	char rootfs[4096];
	struct stat st;

	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
	if (fs_mkdir_p(dir, 0755, err) < 0)
		return -1;
	if (lstat(rootfs, &st) == 0)
		return hull_error_set(err, EEXIST, "%s already exists: hull bundle wants a new directory", rootfs);
	if (mkdir(rootfs, 0755) < 0)
		return hull_error_errno(err, "mkdir %s", rootfs);
	if (copy_layers(s, r, rootfs, err) < 0 || write_config(s, r, dir, rootfs, err) < 0) {
		struct hull_error ignored = { 0 };

		fs_remove_tree(rootfs, &ignored);
		return -1;
	}
	return 0;
}

/* lowerdir=L_top:...:L_bottom (overlayfs lists the top layer first). */
static int overlay_mount(const struct image_store *s, const struct image_record *r, const char *dir,
			 struct hull_error *err)
{
	size_t cap = 256 + r->n_layers * 4200;
	autofree char *opts = malloc(cap + 2 * 4200);
	char mnt[4200];
	size_t off;

	if (opts == NULL)
		return hull_error_errno(err, "malloc");
	off = (size_t)snprintf(opts, cap, "lowerdir=");
	for (size_t i = r->n_layers; i-- > 0; ) {
		char lp[4096];

		store_layer_path(s, r->layers[i].diff_id, lp, sizeof(lp));
		off += (size_t)snprintf(opts + off, cap - off, "%s%s", lp, i ? ":" : "");
	}
	snprintf(opts + off, cap + 2 * 4200 - off, ",upperdir=%s/upper,workdir=%s/work", dir, dir);
	/* The kernel takes one page of options: deep images with long store
	 * paths do not fit, and fall back to the copy. */
	if (strlen(opts) >= 4096) {
		errno = E2BIG;
		return -1;
	}
	snprintf(mnt, sizeof(mnt), "%s/rootfs", dir);
	return mount("overlay", mnt, "overlay", MS_NODEV, opts);
}

int images_container_begin(struct image_store *s, const struct image_record *r,
			   char *config, const char *id, bool force_copy,
			   struct image_container *c, struct hull_error *err)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->r = r;
	c->config = config;
	c->force_copy = force_copy;
	if (strchr(id, '/') || strcmp(id, ".") == 0 || strcmp(id, "..") == 0 || strlen(id) > 1024) {
		images_container_end(c);
		return hull_error_set(err, EINVAL, "container id \"%s\": not usable as a name", id);
	}
	snprintf(c->id, sizeof(c->id), "%s", id);
	if (c->config == NULL && config_text(s, r, NULL, &c->config, err) < 0)
		return -1;
	if (store_container_path(s, id, c->dir, sizeof(c->dir), err) < 0) {
		images_container_end(c);
		return -1;
	}
	return 0;
}

/* Makes dir as a container's root: claimed by its mkdir (a directory
 * already there is someone else's: EEXIST, left alone), then the marker,
 * upper/, work/, rootfs/ and the overlay mount (or the copy), and, with
 * with_config, config.json.  On failure removes what it made. */
static int fill_dir(struct image_container *c, const char *dir, bool spare, bool with_config,
		    struct hull_error *err)
{
	char p[4200];
	struct hull_error ignored = { 0 };
	autofree char *marker = store_record_json(c->r, c->s->root);
	autoclose int dfd = -1;
	bool marked = false;

	if (marker == NULL)
		return hull_error_set(err, ENOMEM, "recording the image of %s", c->id);
	/* The claim: this mkdir is what makes the id ours in the store.  A
	 * directory that is there already is some other container's, and is
	 * left alone. */
	if (mkdir(dir, 0700) < 0)
		return errno == EEXIST
			? hull_error_set(err, EEXIST, "container \"%s\" already has a root in the image store %s",
					 c->id, c->s->root)
			: hull_error_errno(err, "mkdir %s", dir);
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		hull_error_errno(err, "open %s", dir);
		goto fail;
	}
	/* The marker first: whatever fails after it, images_container_remove
	 * recognizes the directory as ours and can undo it.  It also holds
	 * the image's record, which keeps the layers from gc. */
	if (write_new(dfd, STORE_CONTAINER_MARKER, marker, 0600, err) < 0) {
		hull_error_prefix(err, "recording the image of %s", c->id);
		goto fail;
	}
	marked = true;
	/* the container's root directory: 0755 like any root */
	for (int i = 0; i < 3; i++) {
		static const char *const sub[] = { "upper", "work", "rootfs" };

		if (mkdirat(dfd, sub[i], 0755) < 0) {
			hull_error_errno(err, "mkdir %s/%s", dir, sub[i]);
			goto fail;
		}
	}
	snprintf(p, sizeof(p), "%s/rootfs", dir);
	if (c->force_copy || overlay_mount(c->s, c->r, dir, err) < 0) {
		/* overlayfs unavailable (e.g. the store is itself on an
		 * overlay, or no overlay module): copy instead; a spare is
		 * only ever an overlay */
		if (spare || copy_layers(c->s, c->r, p, err) < 0)
			goto fail;
		c->copied = true;
	}
	if (!with_config)
		return 0;
	/* A named User is looked up in the root, which exists only now
	 * (begin left the text for here). */
	if (c->config == NULL && config_text(c->s, c->r, p, &c->config, err) < 0)
		goto fail;
	if (write_new(dfd, "config.json", c->config, 0644, err) < 0)
		goto fail;
	return 0;
fail:
	/* without its marker the directory is not recognizably ours to
	 * images_container_remove: only a partial marker can be in it */
	if (marked) {
		if (spare)
			store_remove_root_dir(dir, &ignored);
		else
			images_container_remove(dir, &ignored);
	} else {
		if (dfd >= 0)
			unlinkat(dfd, STORE_CONTAINER_MARKER, 0);
		rmdir(dir);
	}
	return -1;
}

int images_container_fill(struct image_container *c, struct hull_error *err)
{
	if (store_container_dir(c->s, c->id, c->dir, sizeof(c->dir), err) < 0)
		return -1;
	if (fill_dir(c, c->dir, false, true, err) < 0)
		return -1;
	c->filled = true;
	return 0;
}

/* --- spare roots --- */

/* spares/<hex of config>-<build id>: config.json in it is the text this
 * build makes from that config, as in the store's config cache. */
static void spare_path(const struct image_store *s, const char *config, char *out, size_t size)
{
	snprintf(out, size, "%s/" STORE_SPARES "/%s-%s", s->root, config + strlen("sha256:"),
		 hull_build_id());
}

int images_spare_claim(struct image_container *c, const char *config)
{
	char sp[4200];
	struct hull_error ignored = { 0 };

	if (c->force_copy || c->config == NULL || !image_digest_valid(config) ||
	    strncmp(config, "sha256:", 7) != 0 || hull_build_id()[0] == '\0')
		return -1;
	spare_path(c->s, config, sp, sizeof(sp));
	/* Its overlay first: after a reboot the directory is there and its
	 * rootfs empty (images_spare_make and gc replace such a one). */
	if (!store_root_mounted(sp))
		return -1;
	/* No mkdir of the shard, nor its check against the older layout:
	 * the spare's maker did both for every shard (store_shards_ready),
	 * and a shard gone since makes the rename fail (ENOENT).  NOREPLACE:
	 * a directory already at the container's name (even an empty one) is
	 * some other container's claim; the fill then says so. */
	if (store_container_path(c->s, c->id, c->dir, sizeof(c->dir), &ignored) < 0 ||
	    renameat2(AT_FDCWD, sp, AT_FDCWD, c->dir, RENAME_NOREPLACE) < 0)
		return -1;
	c->filled = true;
	return 0;
}

/* Looks up each entry at the top of a new overlay root: a new overlay's
 * dentries are its own, and the first lookup of each name goes to every
 * layer.  The run that takes the spare then finds /proc, /dev, /sys, /bin
 * and the rest in the dentry cache, as a plain bundle's child does. */
static void warm_root(const char *dir)
{
	char p[4300];
	autoclosedir DIR *d = NULL;
	struct dirent *de;
	struct stat st;

	snprintf(p, sizeof(p), "%s/rootfs", dir);
	if ((d = opendir(p)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		(void)fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW);
}

int images_spare_make(struct image_store *s, const struct image_record *r, const char *config,
		      struct hull_error *err)
{
	char sp[4200], tmp[4200];
	struct hull_error ignored = { 0 };
	struct image_container c = { .s = s, .r = r, .config = (char *)config };

	if (!image_digest_valid(r->config) || strncmp(r->config, "sha256:", 7) != 0)
		return hull_error_set(err, EINVAL, "image %s: config digest %s", r->name, r->config);
	/* no build id, no way to tell builds' texts apart: no spare */
	if (hull_build_id()[0] == '\0')
		return 0;
	spare_path(s, r->config, sp, sizeof(sp));
	if (access(sp, F_OK) == 0) {
		if (store_root_mounted(sp))
			return 0;
		/* its overlay is gone (a reboot): made again */
		if (store_remove_root_dir(sp, err) < 0)
			return -1;
	}
	/* the claim renames into the shards without checking them */
	if (store_shards_ready(s, err) < 0)
		return -1;
	snprintf(c.id, sizeof(c.id), "spare of %s", r->name);
	snprintf(tmp, sizeof(tmp), "%s/" STORE_SPARES, s->root);
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return hull_error_errno(err, "mkdir %s", tmp);
	/* made under a temporary name, so a claim never finds half a root;
	 * a leftover one (a refill killed midway) is gc's to remove */
	snprintf(tmp, sizeof(tmp), "%s/" STORE_SPARES "/.new-%d", s->root, (int)getpid());
	if (fill_dir(&c, tmp, true, true, err) < 0)
		return -1;
	warm_root(tmp);
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, sp, RENAME_NOREPLACE) < 0) {
		int e = errno;

		store_remove_root_dir(tmp, &ignored);
		if (e == EEXIST)
			return 0;
		errno = e;
		return hull_error_errno(err, "rename %s to %s", tmp, sp);
	}
	return 0;
}

int images_spare_refill(const char *root, const char *what, const char *config, int lock_fd,
			struct hull_error *err)
{
	struct image_store s = { .lock_fd = lock_fd };
	struct image_record r;
	autofree char *text = NULL;
	char cached[72], stamp[STORE_STAMP_SIZE];
	int rc = 0;

	if (strlen(root) >= sizeof(s.root))
		return hull_error_set(err, ENAMETOOLONG, "image store %s", root);
	snprintf(s.root, sizeof(s.root), "%s", root);
	/* the image may be gone or re-pulled since the run: a spare only for
	 * the image as the store has it now, with this build's text for it */
	if (store_find_image(&s, what, &r, err) < 0)
		return -1;
	if (strcmp(r.config, config) == 0 && store_config_cache_get(&s, what, &text, cached, stamp) == 0 &&
	    strcmp(cached, config) == 0)
		rc = images_spare_make(&s, &r, text, err);
	image_record_free(&r);
	return rc;
}

void images_container_end(struct image_container *c)
{
	free(c->config);
	c->config = NULL;
}

/* The store a container directory's marker names: the "store" of its JSON,
 * or, from before the marker held the record, the whole text. */
static char *marker_store(const char *path)
{
	autofree char *text = NULL;
	json_node *doc = NULL;
	char *store = NULL;
	struct hull_error ignored = { 0 };

	if (fs_read_file(path, &text, NULL, &ignored) < 0)
		return NULL;
	if (text[0] != '{')
		return strdup(text);
	if (json_parse(text, &doc, &ignored) == 0 && json_type_of(doc) == JSON_OBJECT)
		json_get_string(doc, "store", "", &store, &ignored);
	json_free(doc);
	return store;
}

int images_container_remove(const char *bundle, struct hull_error *err)
{
	char p[4200];
	struct stat st;

	if (bundle == NULL)
		return 0;
	snprintf(p, sizeof(p), "%s/" STORE_CONTAINER_MARKER, bundle);
	if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;   /* not a bundle made from an image */
	{
		/* Only the directory of container ID in STORE whose marker
		 * names STORE is ours to unmount and remove: a marker copied
		 * into some other bundle does not make Hull delete that
		 * bundle. */
		autofree char *store = marker_store(p);

		if (store == NULL || !store_is_container_dir(store, bundle))
			return 0;
	}
	return store_remove_root_dir(bundle, err);
}
