/* The image store; see store.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buildid.h"
#include "base/cleanup.h"
#include "base/fsutil.h"
#include "base/hash.h"
#include "base/json.h"
#include "images/fsops.h"
#include "images/ref.h"
#include "images/sha256.h"
#include "images/store.h"

const char *store_default_root(const char *flag)
{
	const char *env = getenv("HULL_STORE");

	if (flag && *flag)
		return flag;
	return env && *env ? env : IMAGE_STORE_DEFAULT;
}

/* Marks containers/ as the top of directory hierarchies (chattr +T), so
 * that ext4's Orlov allocator puts each shard (containers/shard-<x>) in a
 * group of its own instead of containers/'s group, and the containers of a
 * shard then take their inodes from the shard's group.
 * Each container makes ~10 inodes (its directory, marker, config.json,
 * upper/, work/, rootfs/, and the overlay's work/work and probe files); on
 * an ext4 without a journal every new inode skips, one by one, the
 * recently deleted ones of its group (find_inode_bit), and a group that
 * other programs churn made that 8-11 ms per container in
 * bench/images.sh against 0.4-1 ms with the hint.
 * Why shards rather than each container at the top: a directory at the
 * top costs the Orlov search over every group's descriptor, 0.3-0.9 ms on
 * this 252 GB disk (the largest part of an image container's extra setup
 * time), while one made inside a shard's fresh group costs 15-30 us, even
 * in a loop that deletes what it made (bench/README.md).  16 shards, made
 * on first use: the search is paid 16 times per store.
 * Only a hint: file systems without the flag refuse it, and that is fine. */
static void spread_containers(const char *dir)
{
	autoclose int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int flags = 0;

	if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 || (flags & FS_TOPDIR_FL))
		return;
	flags |= FS_TOPDIR_FL;
	(void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
}

int store_peek(const char *root, struct image_store *s)
{
	char real[PATH_MAX];

	memset(s, 0, sizeof(*s));
	s->lock_fd = -1;
	if (root[0] != '/' || realpath(root, real) == NULL || strlen(real) > 1024)
		return -1;
	memcpy(s->root, real, strlen(real) + 1);
	return 0;
}

int store_open(const char *root, struct image_store *s, struct hull_error *err)
{
	static const char *const sub[] = { "blobs", "blobs/sha256", "blobs/partial", "layers",
					   "images", "configs", "containers" };
	char p[4096];

	memset(s, 0, sizeof(*s));
	s->lock_fd = -1;
	if (root[0] != '/')
		return hull_error_set(err, EINVAL, "image store \"%s\": must be an absolute path", root);
	if (strlen(root) > 1024)
		return hull_error_set(err, ENAMETOOLONG, "image store \"%s\": path too long", root);
	/* canonical, so containers' bundle paths (realpath'd by create)
	 * match what the store recorded */
	if (store_peek(root, s) == 0) {
		/* A store with its lock file is made: the lock is created
		 * last, after the directories below. */
		snprintf(p, sizeof(p), "%s/lock", s->root);
		s->lock_fd = open(p, O_RDWR | O_CLOEXEC);
		if (s->lock_fd >= 0)
			goto lock;
	}
	/* 0700: layers keep their setuid files and device-free trees, and
	 * only root may reach them. */
	if (fs_mkdir_p(root, 0700, err) < 0)
		return hull_error_prefix(err, "image store");
	{
		char real[PATH_MAX];

		if (realpath(root, real) == NULL)
			return hull_error_errno(err, "image store %s", root);
		if (strlen(real) > 1024)
			return hull_error_set(err, ENAMETOOLONG, "image store \"%s\": path too long", real);
		memcpy(s->root, real, strlen(real) + 1);
	}
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", s->root, sub[i]);
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return hull_error_errno(err, "image store: mkdir %s", p);
	}
	snprintf(p, sizeof(p), "%s/containers", s->root);
	spread_containers(p);
	snprintf(p, sizeof(p), "%s/lock", s->root);
	s->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0)
		return hull_error_errno(err, "image store: open %s", p);
lock:
	if (flock(s->lock_fd, LOCK_EX) < 0)
		return hull_error_errno(err, "image store: lock %s", p);
	return 0;
}

#define SHARD_PREFIX "shard-"

static void shard_dir(const char *root, const char *id, char *out, size_t size)
{
	snprintf(out, size, "%s/containers/" SHARD_PREFIX "%x", root,
		 (unsigned)(hull_fnv1a(id) & 0xf));
}

int store_container_path(const struct image_store *s, const char *id, char *out, size_t size,
			 struct hull_error *err)
{
	char shard[4096];

	shard_dir(s->root, id, shard, sizeof(shard));
	if ((size_t)snprintf(out, size, "%s/%s", shard, id) >= size)
		return hull_error_set(err, ENAMETOOLONG, "container \"%s\": name too long", id);
	return 0;
}

/* Makes the shard directory unless it is there, and refuses one that is
 * a container of a store from before the shards, named like a shard:
 * containers are never put inside it. */
static int shard_ready(const char *shard, struct hull_error *err)
{
	char marker[4200];

	if (mkdir(shard, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return hull_error_errno(err, "image store: mkdir %s", shard);
	snprintf(marker, sizeof(marker), "%s/" STORE_CONTAINER_MARKER, shard);
	if (access(marker, F_OK) == 0)
		return hull_error_set(err, EEXIST,
				      "image store: %s is a container of an older layout: delete it first",
				      shard);
	return 0;
}

int store_container_dir(const struct image_store *s, const char *id, char *out, size_t size,
			struct hull_error *err)
{
	char shard[4096];

	shard_dir(s->root, id, shard, sizeof(shard));
	if (shard_ready(shard, err) < 0)
		return -1;
	if ((size_t)snprintf(out, size, "%s/%s", shard, id) >= size)
		return hull_error_set(err, ENAMETOOLONG, "container \"%s\": name too long", id);
	return 0;
}

int store_shards_ready(const struct image_store *s, struct hull_error *err)
{
	for (unsigned x = 0; x < 16; x++) {
		char shard[4096];

		snprintf(shard, sizeof(shard), "%s/containers/" SHARD_PREFIX "%x", s->root, x);
		if (shard_ready(shard, err) < 0)
			return -1;
	}
	return 0;
}

bool store_is_container_dir(const char *root, const char *bundle)
{
	const char *base = strrchr(bundle, '/');
	char want[4200];

	if (base == NULL)
		return false;
	snprintf(want, sizeof(want), "%s/containers/" SHARD_PREFIX "%x%s", root,
		 (unsigned)(hull_fnv1a(base + 1) & 0xf), base);
	if (strcmp(want, bundle) == 0)
		return true;
	snprintf(want, sizeof(want), "%s/containers%s", root, base);
	return strcmp(want, bundle) == 0;
}

void store_close(struct image_store *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	s->lock_fd = -1;
}

void store_blob_path(const struct image_store *s, const char *digest, char *buf, size_t size)
{
	snprintf(buf, size, "%s/blobs/sha256/%s", s->root, digest + 7);
}

void store_partial_path(const struct image_store *s, const char *digest, char *buf, size_t size)
{
	snprintf(buf, size, "%s/blobs/partial/%s", s->root, digest + 7);
}

void store_layer_path(const struct image_store *s, const char *diff_id, char *buf, size_t size)
{
	snprintf(buf, size, "%s/layers/%s", s->root, diff_id + 7);
}

void store_digest(const void *data, size_t len, char out[72])
{
	struct img_sha256 h = { 0 };

	/* Names, records, manifests and configs are small: libmd (linked)
	 * hashes them in microseconds, where loading libcrypto for them
	 * would cost milliseconds (a `run --image` of a local image hashes
	 * only its name). */
	if (len <= 256 * 1024) {
		uint8_t md[SHA256_DIGEST_LENGTH];
		SHA2_CTX c;

		SHA256Init(&c);
		SHA256Update(&c, data, len);
		SHA256Final(md, &c);
		strcpy(out, "sha256:");
		for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
			snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
		return;
	}
	img_sha256_init(&h);
	img_sha256_update(&h, data, len);
	img_sha256_final(&h, out);
}

int store_put_blob(struct image_store *s, const char *digest, const char *data,
		   size_t len, struct hull_error *err)
{
	char got[72], dir[4096];
	autoclose int dfd = -1;

	if (!image_digest_valid(digest))
		return hull_error_set(err, EINVAL, "blob digest \"%s\" is not a sha256 digest", digest);
	store_digest(data, len, got);
	if (strcmp(got, digest) != 0)
		return hull_error_set(err, EINVAL, "blob %s: digest mismatch (the bytes hash to %s)", digest, got);
	snprintf(dir, sizeof(dir), "%s/blobs/sha256", s->root);
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return hull_error_errno(err, "open %s", dir);
	return fs_write_atomic(dfd, digest + 7, data, len, 0600, err);
}

int store_get_blob(struct image_store *s, const char *digest, char **data,
		   size_t *len, struct hull_error *err)
{
	char p[4096];

	if (!image_digest_valid(digest))
		return hull_error_set(err, EINVAL, "blob digest \"%s\" is not a sha256 digest", digest);
	store_blob_path(s, digest, p, sizeof(p));
	return fs_read_file(p, data, len, err);
}

void image_record_free(struct image_record *r)
{
	free(r->name);
	free(r->manifest);
	free(r->config);
	free(r->platform);
	free(r->pulled);
	for (size_t i = 0; i < r->n_layers; i++) {
		free(r->layers[i].digest);
		free(r->layers[i].diff_id);
	}
	free(r->layers);
	memset(r, 0, sizeof(*r));
}

void image_records_free(struct image_record *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		image_record_free(&r[i]);
	free(r);
}

char *store_record_json(const struct image_record *r, const char *store)
{
	json_gen *g = json_gen_new(true);
	char *text;

	if (g == NULL)
		return NULL;
	json_gen_object_open(g);
	if (store)
		json_gen_kv_string(g, "store", store);
	json_gen_kv_string(g, "name", r->name);
	json_gen_kv_string(g, "manifest", r->manifest);
	json_gen_kv_string(g, "config", r->config);
	json_gen_kv_string(g, "platform", r->platform ? r->platform : "");
	json_gen_kv_string(g, "pulled", r->pulled ? r->pulled : "");
	json_gen_key(g, "layers");
	json_gen_array_open(g);
	for (size_t i = 0; i < r->n_layers; i++) {
		json_gen_object_open(g);
		json_gen_kv_string(g, "digest", r->layers[i].digest);
		json_gen_kv_string(g, "diffId", r->layers[i].diff_id);
		json_gen_key(g, "size");
		json_gen_uint(g, r->layers[i].size);
		json_gen_object_close(g);
	}
	json_gen_array_close(g);
	json_gen_object_close(g);
	text = json_gen_finish(g, NULL);
	json_gen_free(g);
	return text;
}

/* Records are written by Hull, but read defensively all the same. */
int store_record_parse(const char *text, struct image_record *r, struct hull_error *err)
{
	json_node *doc = NULL;
	const json_node *layers = NULL;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (json_parse(text, &doc, err) < 0)
		return -1;
	if (json_type_of(doc) != JSON_OBJECT ||
	    json_get_string(doc, "name", "", &r->name, err) < 0 ||
	    json_get_string(doc, "manifest", "", &r->manifest, err) < 0 ||
	    json_get_string(doc, "config", "", &r->config, err) < 0 ||
	    json_get_string(doc, "platform", "", &r->platform, err) < 0 ||
	    json_get_string(doc, "pulled", "", &r->pulled, err) < 0 ||
	    json_get_array(doc, "layers", "", &layers, err) < 0)
		goto out;
	if (r->name == NULL || !image_digest_valid(r->manifest) || !image_digest_valid(r->config) || layers == NULL) {
		hull_error_set(err, EINVAL, "image record: incomplete");
		goto out;
	}
	r->layers = calloc(json_array_len(layers) + 1, sizeof(*r->layers));
	if (r->layers == NULL)
		goto out;
	for (size_t i = 0; i < json_array_len(layers); i++) {
		const json_node *l = json_array_get(layers, i);
		struct image_layer_rec *x = &r->layers[i];

		r->n_layers++;
		if (json_type_of(l) != JSON_OBJECT ||
		    json_get_string(l, "digest", "layers", &x->digest, err) < 0 ||
		    json_get_string(l, "diffId", "layers", &x->diff_id, err) < 0 ||
		    json_get_uint64(l, "size", "layers", UINT64_MAX, &x->size, err) < 0)
			goto out;
		if (!image_digest_valid(x->digest) || !image_digest_valid(x->diff_id)) {
			hull_error_set(err, EINVAL, "image record: layer %zu: bad digest", i);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc < 0)
		image_record_free(r);
	json_free(doc);
	return rc;
}

int store_write_record(const char *dir, const char *file, const struct image_record *r,
		       struct hull_error *err)
{
	autofree char *text = store_record_json(r, NULL);
	autoclose int dfd = -1;

	if (text == NULL)
		return hull_error_set(err, ENOMEM, "image record");
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return hull_error_errno(err, "open %s", dir);
	return fs_write_atomic(dfd, file, text, strlen(text), 0600, err);
}

int store_save_image(struct image_store *s, const struct image_record *r,
		     struct hull_error *err)
{
	char key[72], dir[4096];

	store_config_cache_drop(s, r->name);
	store_digest(r->name, strlen(r->name), key);
	snprintf(dir, sizeof(dir), "%s/images", s->root);
	return store_write_record(dir, key + 7, r, err);
}

int store_read_records(const char *dir, struct image_record **out, size_t *n,
		       struct hull_error *err)
{
	autoclosedir DIR *d = opendir(dir);
	struct dirent *de;
	struct image_record *v = NULL;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (d == NULL)
		return hull_error_errno(err, "opendir %s", dir);
	while ((de = readdir(d)) != NULL) {
		autofree char *text = NULL;
		char p[4096];
		struct hull_error rerr = { 0 };
		struct image_record r, *nv;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		/* a record being replaced or unreadable is skipped, not fatal */
		if (fs_read_file(p, &text, NULL, &rerr) < 0 || store_record_parse(text, &r, &rerr) < 0)
			continue;
		nv = realloc(v, (k + 1) * sizeof(*v));
		if (nv == NULL) {
			image_record_free(&r);
			image_records_free(v, k);
			return hull_error_errno(err, "realloc");
		}
		v = nv;
		v[k++] = r;
	}
	*out = v;
	*n = k;
	return 0;
}

int store_list_images(struct image_store *s, struct image_record **out, size_t *n,
		      struct hull_error *err)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/images", s->root);
	return store_read_records(dir, out, n, err);
}

static bool record_matches(const struct image_record *r, const char *what, const char *norm)
{
	size_t wl = strlen(what);

	if (norm && strcmp(r->name, norm) == 0)
		return true;
	if (strcmp(r->manifest, what) == 0 || strcmp(r->config, what) == 0)
		return true;
	/* an id prefix, as `docker images` shows them */
	if (wl >= 12 && wl <= 64 && strspn(what, "0123456789abcdef") == wl && strncmp(r->config + 7, what, wl) == 0)
		return true;
	return false;
}

static char *normalize(const char *what)
{
	struct image_ref ref;
	struct hull_error ignored = { 0 };
	char *s;

	if (strncmp(what, "sha256:", 7) == 0 || image_ref_parse(what, &ref, &ignored) < 0)
		return NULL;
	s = image_ref_format(&ref);
	image_ref_free(&ref);
	return s;
}

static void stamp_format(char stamp[STORE_STAMP_SIZE], uint64_t ino, int64_t sec, uint32_t nsec)
{
	snprintf(stamp, STORE_STAMP_SIZE, "%llx.%llx.%x", (unsigned long long)ino, (long long)sec, nsec);
}

static void record_path(const struct image_store *s, const char *name, char *p, size_t size)
{
	char key[72];

	store_digest(name, strlen(name), key);
	snprintf(p, size, "%s/images/%s", s->root, key + 7);
}

/* The record saved for a name (store_save_image's file); -1 if none.  Its
 * stamp is the file's that was read (fstat on the same fd). */
static int read_named(struct image_store *s, const char *name, struct image_record *out)
{
	char p[4096], stamp[STORE_STAMP_SIZE];
	autofree char *text = NULL;
	autoclose int fd = -1;
	struct hull_error ignored = { 0 };
	struct stat st;

	record_path(s, name, p, sizeof(p));
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || fs_read_fd(fd, p, &text, NULL, &ignored) < 0 ||
	    store_record_parse(text, out, &ignored) < 0)
		return -1;
	if (strcmp(out->name, name) != 0) {
		image_record_free(out);
		return -1;
	}
	stamp_format(stamp, st.st_ino, st.st_ctim.tv_sec, (uint32_t)st.st_ctim.tv_nsec);
	memcpy(out->stamp, stamp, sizeof(stamp));
	return 0;
}

int store_record_stamp(const struct image_store *s, const char *what, char stamp[STORE_STAMP_SIZE])
{
	autofree char *norm = normalize(what);
	char p[4096];
	struct statx sx;

	if (norm == NULL)
		return -1;
	record_path(s, norm, p, sizeof(p));
	if (statx(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, STATX_INO | STATX_CTIME, &sx) < 0 ||
	    (sx.stx_mask & (STATX_INO | STATX_CTIME)) != (STATX_INO | STATX_CTIME))
		return -1;
	stamp_format(stamp, sx.stx_ino, sx.stx_ctime.tv_sec, sx.stx_ctime.tv_nsec);
	return 0;
}

bool store_root_mounted(const char *dir)
{
	char p[4400];
	struct statx sx;

	snprintf(p, sizeof(p), "%s/rootfs", dir);
	return statx(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, 0, &sx) == 0 &&
	       (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* --- the config cache (store.h) --- */

/* The first line of an entry: "hull-config BUILD-ID DIGEST STAMP", the
 * build that made it (a generator that changes must not read old
 * entries), the config blob it was made from and the stamp of the record
 * file it was made with (none where the record was not read by name). */
static void config_cache_tag(char *tag, size_t size)
{
	snprintf(tag, size, "hull-config %s ", hull_build_id());
}

/* configs/<hex of name>-<build id>: each build its own entry, so two
 * builds that take turns on one store (an upgrade, a bench against an
 * older build) do not keep remaking each other's. */
static void config_cache_file(const char *name, char *file, size_t size)
{
	char key[72];

	store_digest(name, strlen(name), key);
	snprintf(file, size, "%s-%s", key + 7, hull_build_id());
}

static void config_cache_path(const struct image_store *s, const char *name, char *p, size_t size)
{
	char file[160];

	config_cache_file(name, file, sizeof(file));
	snprintf(p, size, "%s/configs/%s", s->root, file);
}

int store_config_cache_get(struct image_store *s, const char *what, char **text,
			   char config_digest[72], char stamp[STORE_STAMP_SIZE])
{
	autofree char *norm = normalize(what);
	autofree char *data = NULL;
	struct hull_error ignored = { 0 };
	char p[4096], t[128], *nl, *d;
	size_t tag;

	*text = NULL;
	stamp[0] = '\0';
	config_cache_tag(t, sizeof(t));
	tag = strlen(t);
	/* no build id, no way to tell builds apart: no cache */
	if (norm == NULL || hull_build_id()[0] == '\0')
		return -1;
	config_cache_path(s, norm, p, sizeof(p));
	if (fs_read_file(p, &data, NULL, &ignored) < 0 || strncmp(data, t, tag) != 0 ||
	    (nl = strchr(data + tag, '\n')) == NULL || nl - (data + tag) < 71)
		return -1;
	d = data + tag;
	if (d[71] == ' ') {
		if (nl - (d + 72) >= STORE_STAMP_SIZE)
			return -1;
		memcpy(stamp, d + 72, (size_t)(nl - (d + 72)));
		stamp[nl - (d + 72)] = '\0';
	} else if (d + 71 != nl) {
		return -1;
	}
	memcpy(config_digest, d, 71);
	config_digest[71] = '\0';
	if (!image_digest_valid(config_digest) || (*text = strdup(nl + 1)) == NULL)
		return -1;
	return 0;
}

void store_config_cache_put(struct image_store *s, const struct image_record *r,
			    const char *text)
{
	autofree char *data = NULL;
	struct hull_error ignored = { 0 };
	char dir[4096], file[160], t[128];
	autoclose int dfd = -1;

	if (hull_build_id()[0] == '\0')
		return;
	config_cache_tag(t, sizeof(t));
	snprintf(dir, sizeof(dir), "%s/configs", s->root);
	/* stores made before the cache have no configs/ */
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return;
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	config_cache_file(r->name, file, sizeof(file));
	if (dfd < 0 || strlen(r->config) != 71 ||
	    asprintf(&data, "%s%s%s%s\n%s", t, r->config, r->stamp[0] ? " " : "", r->stamp, text) < 0)
		return;
	(void)fs_write_atomic(dfd, file, data, strlen(data), 0600, &ignored);
}

/* Unlinks configs/ entries: with a name's hex, that name's entries of
 * every build (and "<hex>", as builds before the per-build names wrote
 * it); without, every entry some other build made. */
static void config_cache_sweep(struct image_store *s, const char *hex)
{
	char dir[4096], mine[160];
	autoclosedir DIR *d = NULL;
	struct dirent *de;
	size_t n = hex ? strlen(hex) : 0;

	snprintf(mine, sizeof(mine), "-%s", hull_build_id());
	snprintf(dir, sizeof(dir), "%s/configs", s->root);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		bool hit;

		if (de->d_name[0] == '.')
			continue;
		if (hex)
			hit = strncmp(de->d_name, hex, n) == 0 &&
			      (de->d_name[n] == '\0' || de->d_name[n] == '-');
		else
			hit = len < strlen(mine) || strcmp(de->d_name + len - strlen(mine), mine) != 0;
		if (hit)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
}

void store_config_cache_drop(struct image_store *s, const char *name)
{
	char key[72];

	store_digest(name, strlen(name), key);
	config_cache_sweep(s, key + 7);
}

int store_find_image(struct image_store *s, const char *what, struct image_record *out,
		     struct hull_error *err)
{
	struct image_record *v = NULL;
	size_t n = 0;
	autofree char *norm = normalize(what);
	int found = -1;

	/* a name is one file away; digests and id prefixes need the list */
	if (norm && read_named(s, norm, out) == 0)
		return 0;
	if (store_list_images(s, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && found < 0; i++)
		if (record_matches(&v[i], what, norm))
			found = (int)i;
	if (found >= 0) {
		*out = v[found];
		memset(&v[found], 0, sizeof(v[found]));
	}
	image_records_free(v, n);
	if (found < 0)
		return hull_error_set(err, ENOENT, "image \"%s\" is not in the store %s (hull pull it first)",
				      what, s->root);
	return 0;
}

int store_remove_image(struct image_store *s, const char *what, size_t *removed,
		       struct hull_error *err)
{
	struct image_record *v = NULL;
	size_t n = 0;
	autofree char *norm = normalize(what);

	*removed = 0;
	if (store_list_images(s, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char key[72], p[4096];

		if (!record_matches(&v[i], what, norm))
			continue;
		store_config_cache_drop(s, v[i].name);
		store_digest(v[i].name, strlen(v[i].name), key);
		snprintf(p, sizeof(p), "%s/images/%s", s->root, key + 7);
		if (unlink(p) < 0 && errno != ENOENT) {
			image_records_free(v, n);
			return hull_error_errno(err, "removing %s", p);
		}
		(*removed)++;
	}
	image_records_free(v, n);
	if (*removed == 0)
		return hull_error_set(err, ENOENT, "image \"%s\" is not in the store %s", what, s->root);
	return 0;
}

/* --- gc --- */

struct keep {
	char **v;
	size_t n;
};

static void keep_add(struct keep *k, const char *hex)
{
	char **nv = realloc(k->v, (k->n + 1) * sizeof(char *));

	if (nv == NULL)
		return;
	k->v = nv;
	k->v[k->n] = strdup(hex);
	if (k->v[k->n])
		k->n++;
}

static bool keep_has(const struct keep *k, const char *hex)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->v[i], hex) == 0)
			return true;
	return false;
}

static void keep_record(struct keep *blobs, struct keep *layers, const struct image_record *r,
			struct image_store *s)
{
	keep_add(blobs, r->manifest + 7);
	keep_add(blobs, r->config + 7);
	for (size_t i = 0; i < r->n_layers; i++) {
		keep_add(blobs, r->layers[i].digest + 7);
		keep_add(layers, r->layers[i].diff_id + 7);
	}
}

static int sweep(const char *dir, const struct keep *k, size_t *count, uint64_t *bytes,
		 struct hull_error *err)
{
	autoclosedir DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return hull_error_errno(err, "opendir %s", dir);
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (k && keep_has(k, de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			*bytes += (uint64_t)st.st_size;
		if (ufs_remove_at(dirfd(d), de->d_name) < 0)
			return hull_error_errno(err, "removing %s/%s", dir, de->d_name);
		(*count)++;
	}
	return 0;
}

/* The image record in containers/ID's marker (one record: *n = 1). */
static int read_marker_record(int containers_fd, const char *id, struct image_record **out, size_t *n)
{
	char p[4200];
	autofree char *text = NULL;
	autoclose int fd = -1;
	struct hull_error ignored = { 0 };
	struct stat st;
	ssize_t len;

	snprintf(p, sizeof(p), "%s/" STORE_CONTAINER_MARKER, id);
	fd = openat(containers_fd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20) ||
	    (text = malloc((size_t)st.st_size + 1)) == NULL)
		return -1;
	len = read(fd, text, (size_t)st.st_size);
	if (len <= 0 || text[0] != '{')
		return -1;
	text[len] = '\0';
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return -1;
	if (store_record_parse(text, *out, &ignored) < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	*n = 1;
	return 0;
}

/* Keeps what the container dir/id uses: the record in its marker, or, made
 * before the marker held it, in its image/ directory.  -1: not a container. */
static int keep_container(struct keep *blobs, struct keep *layers, struct image_store *s,
			  int dfd, const char *dir, const char *id)
{
	char cdir[8500];
	struct image_record *cv = NULL;
	size_t cn = 0;
	struct hull_error ignored = { 0 };

	if (read_marker_record(dfd, id, &cv, &cn) == 0) {
		keep_record(blobs, layers, cv, s);
		image_records_free(cv, cn);
		return 0;
	}
	snprintf(cdir, sizeof(cdir), "%s/%s/image", dir, id);
	if (store_read_records(cdir, &cv, &cn, &ignored) < 0)
		return -1;
	for (size_t i = 0; i < cn; i++)
		keep_record(blobs, layers, &cv[i], s);
	image_records_free(cv, cn);
	return 0;
}

int store_remove_root_dir(const char *dir, struct hull_error *err)
{
	char p[4400];

	snprintf(p, sizeof(p), "%s/rootfs", dir);
	if (umount2(p, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return hull_error_errno(err, "unmounting %s", p);
	return fs_remove_tree(dir, err);
}

/* Removes the spare roots (spares/<hex of config>-<build id>) of configs
 * no image in v has any more, other builds' (as config_cache_sweep does
 * their cached configs), any whose overlay is gone (a reboot), and any
 * half-made one (.new-PID: gc holds the lock, so no refill is making it
 * now).  A run takes a spare without the lock (runtime/run_image.c), so
 * each goes first by a rename to a name no run looks for: exactly one of
 * the two renames wins, and a spare is never taken half removed. */
static void spares_prune(struct image_store *s, const struct image_record *v, size_t n)
{
	char dir[4096];
	autoclosedir DIR *d = NULL;
	struct dirent *de;
	unsigned gone = 0;

	snprintf(dir, sizeof(dir), "%s/" STORE_SPARES, s->root);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char p[4400];
		struct hull_error ignored = { 0 };
		bool used = false;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		/* <hex of config>-<build id>: this build's, of an image here */
		for (size_t i = 0; i < n && !used && de->d_name[0] != '.'; i++) {
			const char *hex = v[i].config + 7;
			size_t h;

			if (strncmp(v[i].config, "sha256:", 7) != 0)
				continue;
			h = strlen(hex);
			used = strncmp(hex, de->d_name, h) == 0 && de->d_name[h] == '-' &&
			       strcmp(de->d_name + h + 1, hull_build_id()) == 0;
		}
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (used && store_root_mounted(p))
			continue;
		if (de->d_name[0] != '.') {
			char q[4400];

			snprintf(q, sizeof(q), "%s/.gone-%d-%u", dir, (int)getpid(), gone++);
			if (renameat2(AT_FDCWD, p, AT_FDCWD, q, RENAME_NOREPLACE) < 0)
				continue;   /* a run took it */
			memcpy(p, q, strlen(q) + 1);
		}
		store_remove_root_dir(p, &ignored);
	}
}

int store_gc(struct image_store *s, struct gc_stats *st, struct hull_error *err)
{
	struct keep blobs = { 0 }, layers = { 0 };
	struct image_record *v = NULL;
	size_t n = 0;
	char dir[4096];
	autoclosedir DIR *cd = NULL;
	struct dirent *de;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (store_list_images(s, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		keep_record(&blobs, &layers, &v[i], s);
	/* before the sweeps: a spare's overlay uses its layers */
	spares_prune(s, v, n);
	image_records_free(v, n);
	/* containers made from images keep their layers (and blobs, so the
	 * image can be saved again) until they are deleted */
	snprintf(dir, sizeof(dir), "%s/containers", s->root);
	cd = opendir(dir);
	while (cd && (de = readdir(cd)) != NULL) {
		char shard[4400];
		autoclosedir DIR *sd = NULL;
		struct dirent *se;

		if (de->d_name[0] == '.')
			continue;
		/* a container of a store from before the shards, or a shard */
		if (keep_container(&blobs, &layers, s, dirfd(cd), dir, de->d_name) == 0 ||
		    strncmp(de->d_name, SHARD_PREFIX, strlen(SHARD_PREFIX)) != 0)
			continue;
		snprintf(shard, sizeof(shard), "%s/%s", dir, de->d_name);
		sd = opendir(shard);
		while (sd && (se = readdir(sd)) != NULL)
			if (strcmp(se->d_name, ".") != 0 && strcmp(se->d_name, "..") != 0)
				keep_container(&blobs, &layers, s, dirfd(sd), shard, se->d_name);
	}
	snprintf(dir, sizeof(dir), "%s/blobs/sha256", s->root);
	if (sweep(dir, &blobs, &st->blobs, &st->bytes, err) < 0)
		goto out;
	snprintf(dir, sizeof(dir), "%s/layers", s->root);
	if (sweep(dir, &layers, &st->layers, &st->bytes, err) < 0)
		goto out;
	snprintf(dir, sizeof(dir), "%s/blobs/partial", s->root);
	if (sweep(dir, NULL, &st->partials, &st->bytes, err) < 0)
		goto out;
	/* other builds' cached configs: a build that runs again remakes its
	 * own on its next container */
	config_cache_sweep(s, NULL);
	rc = 0;
out:
	for (size_t i = 0; i < blobs.n; i++)
		free(blobs.v[i]);
	for (size_t i = 0; i < layers.n; i++)
		free(layers.v[i]);
	free(blobs.v);
	free(layers.v);
	return rc;
}
