/* OCI layouts and docker-archives; see layout.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fsutil.h"
#include "base/json.h"
#include "images/fsops.h"
#include "images/layout.h"
#include "images/pull.h"
#include "images/ref.h"
#include "images/unpack.h"

static void hex_of(const uint8_t md[SHA256_DIGEST_LENGTH], char out[72])
{
	strcpy(out, "sha256:");
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

/* Opens rel inside root (a layout or an extracted archive: their own
 * paths are untrusted). */
static int open_in(int rootfd, const char *rel, struct hull_error *err)
{
	int fd = ufs_openat2(rootfd, rel, O_RDONLY | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);

	return fd < 0 ? hull_error_errno(err, "open %s", rel) : fd;
}

/* Copies an fd into the store as blob `digest` (NULL: computed, returned
 * in got), hashing as it copies. */
static int import_blob(struct image_store *s, int fd, const char *digest, char got[72],
		       uint64_t *size, struct hull_error *err)
{
	char tmp[4200], final[4200], buf[1 << 16];
	autoclose int out = -1;
	uint8_t md[SHA256_DIGEST_LENGTH];
	SHA2_CTX c;
	ssize_t n;

	*size = 0;
	snprintf(tmp, sizeof(tmp), "%s/blobs/partial/load-%d", s->root, (int)getpid());
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		return hull_error_errno(err, "open %s", tmp);
	SHA256Init(&c);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		SHA256Update(&c, (uint8_t *)buf, (size_t)n);
		if (write(out, buf, (size_t)n) != n) {
			unlink(tmp);
			return hull_error_errno(err, "write %s", tmp);
		}
		*size += (uint64_t)n;
	}
	SHA256Final(md, &c);
	hex_of(md, got);
	if (n < 0 || (digest && strcmp(digest, got) != 0)) {
		unlink(tmp);
		return n < 0 ? hull_error_errno(err, "read")
			     : hull_error_set(err, EINVAL, "blob %s: digest mismatch (the bytes hash to %s): nothing was stored",
					      digest, got);
	}
	store_blob_path(s, got, final, sizeof(final));
	if (rename(tmp, final) < 0) {
		unlink(tmp);
		return hull_error_errno(err, "rename %s", tmp);
	}
	return 0;
}

static int read_small(int fd, char **out, size_t *len, struct hull_error *err)
{
	size_t cap = 1 << 16;
	char *b = malloc(cap + 1);
	ssize_t n;

	*len = 0;
	if (b == NULL)
		return hull_error_errno(err, "malloc");
	while ((n = read(fd, b + *len, cap - *len)) > 0) {
		*len += (size_t)n;
		if (*len == cap) {
			char *nb;

			if (cap >= (16 << 20)) {
				free(b);
				return hull_error_set(err, EFBIG, "file larger than 16 MiB where a manifest or config was expected");
			}
			cap *= 2;
			nb = realloc(b, cap + 1);
			if (nb == NULL) {
				free(b);
				return hull_error_errno(err, "realloc");
			}
			b = nb;
		}
	}
	if (n < 0) {
		free(b);
		return hull_error_errno(err, "read");
	}
	b[*len] = '\0';
	*out = b;
	return 0;
}

static char *now_rfc3339(void)
{
	time_t t = time(NULL);
	struct tm tm;
	char buf[64];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return strdup(buf);
}

/* Stores config + layers given by fds already verified or to verify, and
 * writes the record.  layer_digest[i] NULL means "compute". */
static int finish_image(struct image_store *s, const char *name, const char *manifest_digest,
			const char *config_digest, const char *cfg_text, size_t cfg_len,
			char **layer_digests, uint64_t *layer_sizes, size_t n, struct hull_error *err)
{
	struct image_config cfg;
	struct image_record rec = { 0 };
	int rc = -1;

	if (image_config_parse(cfg_text, cfg_len, &cfg, err) < 0)
		return -1;
	if (cfg.n_diff_ids != n) {
		image_config_free(&cfg);
		return hull_error_set(err, EINVAL, "%zu layers but %zu diff_ids in the config", n, cfg.n_diff_ids);
	}
	rec.layers = calloc(n + 1, sizeof(*rec.layers));
	if (rec.layers == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char bp[4200];
		struct unpack_stats st;

		store_blob_path(s, layer_digests[i], bp, sizeof(bp));
		if (images_unpack_layer(s, bp, cfg.diff_ids[i], layer_sizes[i], &st, err) < 0) {
			hull_error_prefix(err, "layer %zu", i + 1);
			goto out;
		}
		rec.layers[i].digest = strdup(layer_digests[i]);
		rec.layers[i].diff_id = strdup(cfg.diff_ids[i]);
		rec.layers[i].size = layer_sizes[i];
		rec.n_layers++;
	}
	rec.name = strdup(name);
	rec.manifest = strdup(manifest_digest);
	rec.config = strdup(config_digest);
	rec.pulled = now_rfc3339();
	if (asprintf(&rec.platform, "%s/%s%s%s", cfg.os ? cfg.os : "", cfg.arch ? cfg.arch : "",
		     cfg.variant ? "/" : "", cfg.variant ? cfg.variant : "") < 0)
		rec.platform = NULL;
	rc = store_save_image(s, &rec, err);
out:
	image_record_free(&rec);
	image_config_free(&cfg);
	return rc;
}

static char *name_for(const char *ref_name, const char *dir, const char *override)
{
	struct image_ref r;
	struct hull_error ignored = { 0 };
	const char *base = strrchr(dir, '/');
	char *s = NULL;

	if (override)
		ref_name = override;
	if (ref_name && (strchr(ref_name, '/') || strchr(ref_name, ':'))) {
		if (image_ref_parse(ref_name, &r, &ignored) < 0)
			return NULL;
		s = image_ref_format(&r);
		image_ref_free(&r);
		return s;
	}
	/* a bare tag, as skopeo's oci:DIR:TAG writes: localhost/DIR:TAG */
	base = base ? base + 1 : dir;
	if (asprintf(&s, "localhost/%s:%s", base, ref_name ? ref_name : "latest") < 0)
		return NULL;
	for (char *p = s + 10; *p && *p != ':'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (image_ref_parse(s, &r, &ignored) < 0) {
		free(s);
		return NULL;
	}
	image_ref_free(&r);
	return s;
}

static int load_manifest(struct image_store *s, int root, const char *digest, const char *name,
			 const struct platform *p, struct hull_error *err)
{
	char rel[128];
	autofree char *text = NULL;
	autofree char *cfg_text = NULL;
	autoclose int fd = -1;
	struct manifest m;
	char got[72];
	size_t len, cfg_len;
	uint64_t sz;
	int rc = -1;

	snprintf(rel, sizeof(rel), "blobs/sha256/%s", digest + 7);
	if ((fd = open_in(root, rel, err)) < 0 || read_small(fd, &text, &len, err) < 0)
		return -1;
	if (store_put_blob(s, digest, text, len, err) < 0 || manifest_parse(text, len, NULL, &m, err) < 0)
		return -1;
	if (m.kind == MANIFEST_INDEX) {
		int i = manifest_select_platform(&m, p, err);

		if (i >= 0)
			rc = load_manifest(s, root, m.entries[i].digest, name, p, err);
		manifest_free(&m);
		return rc;
	}
	char **digests = calloc(m.n_entries + 1, sizeof(char *));
	uint64_t *sizes = calloc(m.n_entries + 1, sizeof(uint64_t));
	if (digests == NULL || sizes == NULL) {
		hull_error_errno(err, "calloc");
		goto out;
	}
	close(fd);
	snprintf(rel, sizeof(rel), "blobs/sha256/%s", m.config.digest + 7);
	if ((fd = open_in(root, rel, err)) < 0 || read_small(fd, &cfg_text, &cfg_len, err) < 0 ||
	    store_put_blob(s, m.config.digest, cfg_text, cfg_len, err) < 0)
		goto out;
	for (size_t i = 0; i < m.n_entries; i++) {
		autoclose int lfd = -1;

		digests[i] = m.entries[i].digest;
		snprintf(rel, sizeof(rel), "blobs/sha256/%s", m.entries[i].digest + 7);
		if ((lfd = open_in(root, rel, err)) < 0 || import_blob(s, lfd, m.entries[i].digest, got, &sz, err) < 0)
			goto out;
		sizes[i] = sz;
	}
	rc = finish_image(s, name, digest, m.config.digest, cfg_text, cfg_len, digests, sizes, m.n_entries, err);
out:
	free(digests);
	free(sizes);
	manifest_free(&m);
	return rc;
}

static int load_oci(struct image_store *s, int root, const char *src, const char *name,
		    const struct platform *p, char ***names, struct hull_error *err)
{
	autofree char *text = NULL;
	autoclose int fd = -1;
	struct manifest idx;
	size_t len, k = 0;
	int rc = -1;

	if ((fd = open_in(root, "index.json", err)) < 0 || read_small(fd, &text, &len, err) < 0)
		return hull_error_prefix(err, "%s", src);
	if (manifest_parse(text, len, MT_OCI_INDEX, &idx, err) < 0)
		return hull_error_prefix(err, "%s/index.json", src);
	if (name && idx.n_entries != 1) {
		manifest_free(&idx);
		return hull_error_set(err, EINVAL, "%s holds %zu images: --name needs exactly one", src, idx.n_entries);
	}
	*names = calloc(idx.n_entries + 1, sizeof(char *));
	for (size_t i = 0; *names && i < idx.n_entries; i++) {
		char *n = name_for(idx.entries[i].ref_name, src, name);

		if (n == NULL) {
			hull_error_set(err, EINVAL, "%s: index entry %zu: no usable name (give --name)", src, i);
			goto out;
		}
		(*names)[k++] = n;
		if (load_manifest(s, root, idx.entries[i].digest, n, p, err) < 0) {
			hull_error_prefix(err, "%s", n);
			goto out;
		}
	}
	rc = *names ? 0 : hull_error_errno(err, "calloc");
out:
	manifest_free(&idx);
	return rc;
}

/* docker-archive: manifest.json = [{"Config", "RepoTags", "Layers"}]. */
static int load_docker(struct image_store *s, int root, const char *src, const char *name,
		       char ***names, struct hull_error *err)
{
	autofree char *text = NULL;
	autoclose int fd = -1;
	json_node *doc = NULL;
	size_t len;
	int rc = -1;

	if ((fd = open_in(root, "manifest.json", err)) < 0 || read_small(fd, &text, &len, err) < 0 ||
	    json_parse(text, &doc, err) < 0)
		return hull_error_prefix(err, "%s: not an OCI layout nor a docker-archive", src);
	if (json_type_of(doc) != JSON_ARRAY || json_array_len(doc) == 0 || json_array_len(doc) > 256) {
		json_free(doc);
		return hull_error_set(err, EINVAL, "%s: manifest.json: expected an array of images", src);
	}
	*names = calloc(json_array_len(doc) + 1, sizeof(char *));
	if (*names == NULL)
		goto out;
	for (size_t i = 0; i < json_array_len(doc); i++) {
		const json_node *e = json_array_get(doc, i);
		char path[64], got[72], cdigest[72];
		autofree char *cfg_name = NULL;
		autofree char *cfg_text = NULL;
		char **tags = NULL, **layers = NULL;
		size_t nt = 0, nl = 0, cfg_len;
		autoclose int cfd = -1;

		json_path_index(path, sizeof(path), "manifest.json", i);
		if (json_type_of(e) != JSON_OBJECT || json_get_string(e, "Config", path, &cfg_name, err) < 0 ||
		    json_get_string_array(e, "RepoTags", path, &tags, &nt, err) < 0 ||
		    json_get_string_array(e, "Layers", path, &layers, &nl, err) < 0 || cfg_name == NULL) {
			hull_error_set(err, EINVAL, "%s: %s: expected Config, RepoTags, Layers", src, path);
			strv_free(tags);
			strv_free(layers);
			goto out;
		}
		char *n = name_for(nt ? tags[0] : NULL, src, name);
		char **digests = calloc(nl + 1, sizeof(char *));
		uint64_t *sizes = calloc(nl + 1, sizeof(uint64_t));
		int r = -1;

		if (n == NULL || digests == NULL || sizes == NULL) {
			hull_error_set(err, EINVAL, "%s: %s: no usable name (give --name)", src, path);
			goto next;
		}
		(*names)[i] = n;
		if ((cfd = open_in(root, cfg_name, err)) < 0 || read_small(cfd, &cfg_text, &cfg_len, err) < 0)
			goto next;
		{
			uint8_t md[SHA256_DIGEST_LENGTH];
			SHA2_CTX c;

			SHA256Init(&c);
			SHA256Update(&c, (uint8_t *)cfg_text, cfg_len);
			SHA256Final(md, &c);
			hex_of(md, cdigest);
		}
		if (store_put_blob(s, cdigest, cfg_text, cfg_len, err) < 0)
			goto next;
		for (size_t l = 0; l < nl; l++) {
			autoclose int lfd = open_in(root, layers[l], err);

			if (lfd < 0 || import_blob(s, lfd, NULL, got, &sizes[l], err) < 0)
				goto next;
			digests[l] = strdup(got);
		}
		/* a manifest for the record, so `save` and `inspect` see one */
		{
			json_gen *g = json_gen_new(false);
			char *mtext, mdigest[72];

			json_gen_object_open(g);
			json_gen_kv_int(g, "schemaVersion", 2);
			json_gen_kv_string(g, "mediaType", MT_OCI_MANIFEST);
			json_gen_key(g, "config");
			json_gen_object_open(g);
			json_gen_kv_string(g, "mediaType", MT_OCI_CONFIG);
			json_gen_kv_string(g, "digest", cdigest);
			json_gen_kv_int(g, "size", (int64_t)cfg_len);
			json_gen_object_close(g);
			json_gen_key(g, "layers");
			json_gen_array_open(g);
			for (size_t l = 0; l < nl; l++) {
				json_gen_object_open(g);
				json_gen_kv_string(g, "mediaType", "application/vnd.oci.image.layer.v1.tar");
				json_gen_kv_string(g, "digest", digests[l]);
				json_gen_kv_int(g, "size", (int64_t)sizes[l]);
				json_gen_object_close(g);
			}
			json_gen_array_close(g);
			json_gen_object_close(g);
			mtext = json_gen_finish(g, NULL);
			json_gen_free(g);
			if (mtext == NULL) {
				hull_error_set(err, ENOMEM, "manifest");
				goto next;
			}
			{
				uint8_t md[SHA256_DIGEST_LENGTH];
				SHA2_CTX c;

				SHA256Init(&c);
				SHA256Update(&c, (uint8_t *)mtext, strlen(mtext));
				SHA256Final(md, &c);
				hex_of(md, mdigest);
			}
			r = store_put_blob(s, mdigest, mtext, strlen(mtext), err);
			if (r == 0)
				r = finish_image(s, n, mdigest, cdigest, cfg_text, cfg_len, digests, sizes, nl, err);
			free(mtext);
		}
next:
		for (size_t l = 0; digests && l < nl; l++)
			free(digests[l]);
		free(digests);
		free(sizes);
		strv_free(tags);
		strv_free(layers);
		if (r < 0)
			goto out;
	}
	rc = 0;
out:
	json_free(doc);
	return rc;
}

int images_load(struct image_store *s, const char *src, const char *name,
		const struct platform *p, char ***names, struct hull_error *err)
{
	struct stat st;
	char tmp[4200];
	autoclose int root = -1;
	struct hull_error ignored = { 0 };
	int rc;

	*names = NULL;
	if (stat(src, &st) < 0)
		return hull_error_errno(err, "%s", src);
	tmp[0] = '\0';
	if (S_ISDIR(st.st_mode)) {
		root = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else {
		/* a tarball: unpacked (with the layer unpacker's rules, so
		 * its names cannot escape) into a scratch directory */
		autoclose int in = open(src, O_RDONLY | O_CLOEXEC);
		struct unpack_opts uo = { .max_bytes = (uint64_t)st.st_size * 2 + (1 << 20) };
		struct unpack_stats us;

		snprintf(tmp, sizeof(tmp), "%s/layers/.load-%d", s->root, (int)getpid());
		fs_remove_tree(tmp, &ignored);
		if (in < 0 || mkdir(tmp, 0700) < 0)
			return hull_error_errno(err, "%s", in < 0 ? src : tmp);
		root = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root < 0 || layer_unpack(in, root, &uo, &us, err) < 0) {
			hull_error_prefix(err, "%s", src);
			fs_remove_tree(tmp, &ignored);
			return -1;
		}
	}
	if (root < 0)
		return hull_error_errno(err, "open %s", src);
	if (faccessat(root, "oci-layout", F_OK, 0) == 0 && faccessat(root, "index.json", F_OK, 0) == 0)
		rc = load_oci(s, root, src, name, p, names, err);
	else
		rc = load_docker(s, root, src, name, names, err);
	if (tmp[0])
		fs_remove_tree(tmp, &ignored);
	return rc;
}

/* --- save --- */

static int copy_fd(int in, int out, struct hull_error *err)
{
	char buf[1 << 16];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return hull_error_errno(err, "write");
	return n < 0 ? hull_error_errno(err, "read") : 0;
}

static int save_blob(struct image_store *s, int blobs_fd, const char *digest, struct hull_error *err)
{
	char p[4200];
	autoclose int in = -1;
	autoclose int out = -1;

	store_blob_path(s, digest, p, sizeof(p));
	in = open(p, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return hull_error_errno(err, "blob %s (gc'd? pull the image again)", digest);
	out = openat(blobs_fd, digest + 7, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return hull_error_errno(err, "create %s", digest + 7);
	return copy_fd(in, out, err);
}

static int save_oci(struct image_store *s, const struct image_record *r, const char *dest,
		    struct hull_error *err)
{
	char p[4200];
	autoclose int bfd = -1;
	autoclose int dfd = -1;
	autofree char *mtext = NULL;
	autofree char *idx = NULL;
	size_t mlen;
	struct manifest m;
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";

	snprintf(p, sizeof(p), "%s/blobs/sha256", dest);
	if (fs_mkdir_p(p, 0755, err) < 0)
		return -1;
	bfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	dfd = open(dest, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (bfd < 0 || dfd < 0)
		return hull_error_errno(err, "open %s", dest);
	if (store_get_blob(s, r->manifest, &mtext, &mlen, err) < 0 ||
	    manifest_parse(mtext, mlen, NULL, &m, err) < 0)
		return -1;
	int rc = save_blob(s, bfd, r->manifest, err);
	if (rc == 0)
		rc = save_blob(s, bfd, r->config, err);
	for (size_t i = 0; rc == 0 && i < r->n_layers; i++)
		rc = save_blob(s, bfd, r->layers[i].digest, err);
	if (rc == 0 && asprintf(&idx, "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[{\"mediaType\":\"%s\","
				 "\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"org.opencontainers.image.ref.name\":\"%s\"}}]}",
				 MT_OCI_INDEX, m.media_type, r->manifest, mlen, r->name) < 0)
		rc = hull_error_errno(err, "asprintf");
	manifest_free(&m);
	if (rc == 0)
		rc = fs_write_atomic(dfd, "index.json", idx, strlen(idx), 0644, err);
	if (rc == 0)
		rc = fs_write_atomic(dfd, "oci-layout", layout, strlen(layout), 0644, err);
	return rc;
}

/* A ustar header for a regular file (names here are short and ours). */
static int tar_header(int fd, const char *name, uint64_t size, struct hull_error *err)
{
	char h[512];
	unsigned sum = 0;

	if (strlen(name) >= 100 || size >= (1ULL << 33))
		return hull_error_set(err, EFBIG, "docker-archive: %s too large for a ustar entry", name);
	memset(h, 0, sizeof(h));
	memcpy(h, name, strlen(name));
	snprintf(h + 100, 8, "%07o", 0644);
	snprintf(h + 108, 8, "%07o", 0);
	snprintf(h + 116, 8, "%07o", 0);
	snprintf(h + 124, 12, "%011llo", (unsigned long long)size);
	snprintf(h + 136, 12, "%011o", 0);
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	return write(fd, h, 512) == 512 ? 0 : hull_error_errno(err, "write");
}

static int tar_pad(int fd, uint64_t size, struct hull_error *err)
{
	static const char zero[512];
	size_t pad = (size_t)((512 - size % 512) % 512);

	return pad == 0 || write(fd, zero, pad) == (ssize_t)pad ? 0 : hull_error_errno(err, "write");
}

static int tar_add(int fd, const char *name, const char *data, size_t len, struct hull_error *err)
{
	if (tar_header(fd, name, len, err) < 0 || write(fd, data, len) != (ssize_t)len)
		return hull_error_set(err, EIO, "docker-archive: writing %s", name);
	return tar_pad(fd, len, err);
}

static int save_docker(struct image_store *s, const struct image_record *r, const char *dest,
		       struct hull_error *err)
{
	autofree char *cfg = NULL;
	autofree char *manifest = NULL;
	autoclose int out = -1;
	size_t clen, off;
	char name[128];
	static const char zero[1024];

	if (store_get_blob(s, r->config, &cfg, &clen, err) < 0)
		return -1;
	out = open(dest, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0)
		return hull_error_errno(err, "create %s", dest);
	snprintf(name, sizeof(name), "%s.json", r->config + 7);
	if (tar_add(out, name, cfg, clen, err) < 0)
		goto fail;
	manifest = malloc(512 + r->n_layers * 80 + strlen(r->name) * 2);
	if (manifest == NULL)
		goto fail;
	off = (size_t)sprintf(manifest, "[{\"Config\":\"%s.json\",\"RepoTags\":[\"%s\"],\"Layers\":[", r->config + 7, r->name);
	for (size_t i = 0; i < r->n_layers; i++) {
		char bp[4200];
		autoclose int in = -1;
		off_t hdr;
		uint64_t len;

		off += (size_t)sprintf(manifest + off, "%s\"%s.tar\"", i ? "," : "", r->layers[i].diff_id + 7);
		store_blob_path(s, r->layers[i].digest, bp, sizeof(bp));
		in = open(bp, O_RDONLY | O_CLOEXEC);
		if (in < 0) {
			hull_error_errno(err, "blob %s", r->layers[i].digest);
			goto fail;
		}
		/* the size is known only once decompressed: write a header
		 * now and rewrite it after */
		snprintf(name, sizeof(name), "%s.tar", r->layers[i].diff_id + 7);
		hdr = lseek(out, 0, SEEK_CUR);
		if (tar_header(out, name, 0, err) < 0 || layer_decompress(in, out, &len, err) < 0 ||
		    tar_pad(out, len, err) < 0 || lseek(out, hdr, SEEK_SET) < 0 ||
		    tar_header(out, name, len, err) < 0 || lseek(out, 0, SEEK_END) < 0)
			goto fail;
	}
	sprintf(manifest + off, "]}]");
	if (tar_add(out, "manifest.json", manifest, strlen(manifest), err) < 0 ||
	    write(out, zero, sizeof(zero)) != sizeof(zero))
		goto fail;
	return 0;
fail:
	hull_error_set(err, EIO, "writing %s", dest);
	unlink(dest);
	return -1;
}

int images_save(struct image_store *s, const struct image_record *r, const char *dest,
		bool docker_archive, struct hull_error *err)
{
	return docker_archive ? save_docker(s, r, dest, err) : save_oci(s, r, dest, err);
}
