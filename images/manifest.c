/* Manifest, index and config parsing; see manifest.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "images/manifest.h"
#include "images/ref.h"

static void descriptor_free(struct descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	free(d->os);
	free(d->arch);
	free(d->variant);
	free(d->ref_name);
	memset(d, 0, sizeof(*d));
}

void manifest_free(struct manifest *m)
{
	descriptor_free(&m->config);
	for (size_t i = 0; i < m->n_entries; i++)
		descriptor_free(&m->entries[i]);
	free(m->entries);
	free(m->media_type);
	memset(m, 0, sizeof(*m));
}

static int descriptor_parse(const json_node *o, const char *path, bool platform,
			    struct descriptor *d, struct hull_error *err)
{
	const json_node *pl = NULL;
	int r;

	if (json_type_of(o) != JSON_OBJECT)
		return hull_error_set(err, EINVAL, "%s: expected an object", path);
	if (json_get_string(o, "mediaType", path, &d->media_type, err) < 0)
		return -1;
	if ((r = json_get_string(o, "digest", path, &d->digest, err)) < 0)
		return -1;
	if (r == 0 || !image_digest_valid(d->digest))
		return json_path_error(err, path, "digest", "%s \"%s\" (only sha256 digests are supported)",
				       r == 0 ? "missing" : "invalid", r ? d->digest : "");
	if ((r = json_get_uint64(o, "size", path, IMAGE_MAX_BLOB_SIZE, &d->size, err)) < 0)
		return -1;
	if (r == 0)
		return json_path_error(err, path, "size", "missing");
	if (!platform)
		return 0;
	{
		const json_node *ann = NULL;
		char sub[256];

		json_path_join(sub, sizeof(sub), path, "annotations");
		if (json_get_object(o, "annotations", path, &ann, err) < 0 ||
		    (ann && json_get_string(ann, "org.opencontainers.image.ref.name", sub, &d->ref_name, err) < 0))
			return -1;
	}
	if ((r = json_get_object(o, "platform", path, &pl, err)) < 0)
		return -1;
	if (r == 0)
		return 0;
	char sub[256];
	json_path_join(sub, sizeof(sub), path, "platform");
	if (json_get_string(pl, "os", sub, &d->os, err) < 0 ||
	    json_get_string(pl, "architecture", sub, &d->arch, err) < 0 ||
	    json_get_string(pl, "variant", sub, &d->variant, err) < 0)
		return -1;
	return 0;
}

static bool is_index_type(const char *mt)
{
	return strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0;
}

static bool is_manifest_type(const char *mt)
{
	return strcmp(mt, MT_OCI_MANIFEST) == 0 || strcmp(mt, MT_DOCKER_MANIFEST) == 0;
}

int manifest_parse(const char *text, size_t len, const char *media_type,
		   struct manifest *out, struct hull_error *err)
{
	json_node *doc = NULL;
	const json_node *arr = NULL, *cfg = NULL;
	char *doc_mt = NULL;
	const char *mt;
	int64_t version = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (memchr(text, '\0', len))
		return hull_error_set(err, EINVAL, "manifest: contains a NUL byte");
	if (json_parse(text, &doc, err) < 0)
		return hull_error_prefix(err, "manifest");
	if (json_type_of(doc) != JSON_OBJECT) {
		hull_error_set(err, EINVAL, "manifest: expected a JSON object");
		goto out;
	}
	if (json_get_int64(doc, "schemaVersion", "", 0, 100, &version, err) < 0 ||
	    json_get_string(doc, "mediaType", "", &doc_mt, err) < 0)
		goto out;
	if (version != 2) {
		hull_error_set(err, EINVAL, "manifest: schemaVersion %lld is not supported (only 2)",
			       (long long)version);
		goto out;
	}
	/* The registry's Content-Type wins over the document; a generic one
	 * (application/json, octet-stream) does not count. */
	mt = media_type && (is_index_type(media_type) || is_manifest_type(media_type)) ? media_type : doc_mt;
	if (mt == NULL)
		mt = json_object_get(doc, "manifests") ? MT_OCI_INDEX : MT_OCI_MANIFEST;
	if (!is_index_type(mt) && !is_manifest_type(mt)) {
		hull_error_set(err, EINVAL, "manifest: media type \"%s\" is not an OCI or Docker schema 2 manifest or index", mt);
		goto out;
	}
	out->kind = is_index_type(mt) ? MANIFEST_INDEX : MANIFEST_IMAGE;
	if ((out->media_type = strdup(mt)) == NULL) {
		hull_error_errno(err, "strdup");
		goto out;
	}
	const char *key = out->kind == MANIFEST_INDEX ? "manifests" : "layers";
	int r = json_get_array(doc, key, "", &arr, err);
	if (r < 0)
		goto out;
	if (r == 0) {
		json_path_error(err, "", key, "missing");
		goto out;
	}
	if (json_array_len(arr) > (out->kind == MANIFEST_INDEX ? 1024 : IMAGE_MAX_LAYERS)) {
		json_path_error(err, "", key, "%zu entries is too many", json_array_len(arr));
		goto out;
	}
	out->entries = calloc(json_array_len(arr) + 1, sizeof(*out->entries));
	if (out->entries == NULL) {
		hull_error_errno(err, "calloc");
		goto out;
	}
	for (size_t i = 0; i < json_array_len(arr); i++) {
		char p[64];

		json_path_index(p, sizeof(p), key, i);
		out->n_entries++;
		if (descriptor_parse(json_array_get(arr, i), p, out->kind == MANIFEST_INDEX,
				     &out->entries[i], err) < 0)
			goto out;
		if (out->kind == MANIFEST_IMAGE) {
			enum layer_compression c;

			if (layer_compression_of(out->entries[i].media_type, &c, err) < 0) {
				hull_error_prefix(err, "%s.mediaType", p);
				goto out;
			}
		}
	}
	if (out->kind == MANIFEST_IMAGE) {
		if ((r = json_get_object(doc, "config", "", &cfg, err)) < 0)
			goto out;
		if (r == 0) {
			json_path_error(err, "", "config", "missing");
			goto out;
		}
		if (descriptor_parse(cfg, "config", false, &out->config, err) < 0)
			goto out;
		if (out->config.size > (16 << 20)) {
			hull_error_set(err, EINVAL, "config.size: %llu bytes is too large for an image config",
				       (unsigned long long)out->config.size);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc < 0)
		manifest_free(out);
	free(doc_mt);
	json_free(doc);
	return rc;
}

int layer_compression_of(const char *mt, enum layer_compression *out, struct hull_error *err)
{
	static const struct { const char *type; enum layer_compression c; } known[] = {
		{ "application/vnd.oci.image.layer.v1.tar", LAYER_TAR },
		{ "application/vnd.oci.image.layer.v1.tar+gzip", LAYER_GZIP },
		{ "application/vnd.oci.image.layer.v1.tar+zstd", LAYER_ZSTD },
		{ "application/vnd.docker.image.rootfs.diff.tar.gzip", LAYER_GZIP },
		{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", LAYER_GZIP },
		{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", LAYER_GZIP },
	};

	if (mt == NULL)
		return hull_error_set(err, EINVAL, "layer without a mediaType");
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(mt, known[i].type) == 0) {
			*out = known[i].c;
			return 0;
		}
	return hull_error_set(err, EINVAL, "layer media type \"%s\" is not a tar, tar+gzip or tar+zstd layer", mt);
}

void image_config_free(struct image_config *c)
{
	free(c->os);
	free(c->arch);
	free(c->variant);
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	strv_free(c->env);
	free(c->working_dir);
	free(c->user);
	free(c->stop_signal);
	strv_free(c->exposed_ports);
	strv_free(c->label_keys);
	strv_free(c->label_values);
	strv_free(c->diff_ids);
	memset(c, 0, sizeof(*c));
}

/* ExposedPorts is an object whose keys matter ("80/tcp": {}). */
static int get_object_keys(const json_node *o, const char *key, const char *path,
			   char ***out, size_t *n, struct hull_error *err)
{
	const json_node *m = NULL;
	int r = json_get_object(o, key, path, &m, err);

	if (r <= 0)
		return r;
	*out = calloc(json_object_size(m) + 1, sizeof(char *));
	if (*out == NULL)
		return hull_error_errno(err, "calloc");
	for (size_t i = 0; i < json_object_size(m); i++) {
		if (((*out)[i] = strdup(json_object_key(m, i))) == NULL)
			return hull_error_errno(err, "strdup");
		(*n)++;
	}
	return 1;
}

int image_config_parse(const char *text, size_t len, struct image_config *c,
		       struct hull_error *err)
{
	json_node *doc = NULL;
	const json_node *cfg = NULL, *rootfs = NULL;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (memchr(text, '\0', len))
		return hull_error_set(err, EINVAL, "image config: contains a NUL byte");
	if (json_parse(text, &doc, err) < 0)
		return hull_error_prefix(err, "image config");
	if (json_type_of(doc) != JSON_OBJECT) {
		hull_error_set(err, EINVAL, "image config: expected a JSON object");
		goto out;
	}
	if (json_get_string(doc, "os", "", &c->os, err) < 0 ||
	    json_get_string(doc, "architecture", "", &c->arch, err) < 0 ||
	    json_get_string(doc, "variant", "", &c->variant, err) < 0 ||
	    json_get_object(doc, "config", "", &cfg, err) < 0 ||
	    json_get_object(doc, "rootfs", "", &rootfs, err) < 0)
		goto out;
	if (cfg && (json_get_string_array(cfg, "Entrypoint", "config", &c->entrypoint, &c->n_entrypoint, err) < 0 ||
		    json_get_string_array(cfg, "Cmd", "config", &c->cmd, &c->n_cmd, err) < 0 ||
		    json_get_string_array(cfg, "Env", "config", &c->env, &c->n_env, err) < 0 ||
		    json_get_string(cfg, "WorkingDir", "config", &c->working_dir, err) < 0 ||
		    json_get_string(cfg, "User", "config", &c->user, err) < 0 ||
		    json_get_string(cfg, "StopSignal", "config", &c->stop_signal, err) < 0 ||
		    get_object_keys(cfg, "ExposedPorts", "config", &c->exposed_ports, &c->n_exposed_ports, err) < 0 ||
		    json_get_string_map(cfg, "Labels", "config", &c->label_keys, &c->label_values, &c->n_labels, err) < 0))
		goto out;
	if (rootfs == NULL) {
		json_path_error(err, "", "rootfs", "missing");
		goto out;
	}
	if (json_get_string_array(rootfs, "diff_ids", "rootfs", &c->diff_ids, &c->n_diff_ids, err) < 0)
		goto out;
	for (size_t i = 0; i < c->n_diff_ids; i++)
		if (!image_digest_valid(c->diff_ids[i])) {
			hull_error_set(err, EINVAL, "rootfs.diff_ids[%zu]: \"%s\" is not a sha256 digest", i, c->diff_ids[i]);
			goto out;
		}
	rc = 0;
out:
	if (rc < 0)
		image_config_free(c);
	json_free(doc);
	return rc;
}

static bool word_valid(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

int platform_parse(const char *text, struct platform *out, struct hull_error *err)
{
	const char *s1 = strchr(text, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
	size_t n_os, n_arch, n_var;

	memset(out, 0, sizeof(*out));
	if (s1 == NULL)
		return hull_error_set(err, EINVAL, "--platform \"%s\": expected os/arch[/variant]", text);
	n_os = (size_t)(s1 - text);
	n_arch = s2 ? (size_t)(s2 - s1 - 1) : strlen(s1 + 1);
	n_var = s2 ? strlen(s2 + 1) : 0;
	if (!word_valid(text, n_os) || n_os >= sizeof(out->os) || !word_valid(s1 + 1, n_arch) ||
	    n_arch >= sizeof(out->arch) || (s2 && (!word_valid(s2 + 1, n_var) || n_var >= sizeof(out->variant))))
		return hull_error_set(err, EINVAL, "--platform \"%s\": expected os/arch[/variant] in lowercase", text);
	memcpy(out->os, text, n_os);
	memcpy(out->arch, s1 + 1, n_arch);
	if (s2)
		memcpy(out->variant, s2 + 1, n_var);
	if (strcmp(out->arch, "arm64") == 0 && out->variant[0] == '\0')
		strcpy(out->variant, "v8");
	return 0;
}

void platform_host(struct platform *p)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->os, "linux");
#if defined(__x86_64__)
	strcpy(p->arch, "amd64");
#elif defined(__aarch64__)
	strcpy(p->arch, "arm64");
	strcpy(p->variant, "v8");
#elif defined(__i386__)
	strcpy(p->arch, "386");
#else
	strcpy(p->arch, "unknown");
#endif
}

void platform_format(const struct platform *p, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s%s%s", p->os, p->arch, p->variant[0] ? "/" : "", p->variant);
}

static const char *norm_variant(const char *arch, const char *v)
{
	if (strcmp(arch, "arm64") == 0 && (v == NULL || *v == '\0'))
		return "v8";
	return v ? v : "";
}

int manifest_select_platform(const struct manifest *idx, const struct platform *p,
			     struct hull_error *err)
{
	int loose = -1;
	char want[96], have[1024] = "";
	size_t off = 0;

	for (size_t i = 0; i < idx->n_entries; i++) {
		const struct descriptor *d = &idx->entries[i];

		if (d->os == NULL || d->arch == NULL || strcmp(d->os, p->os) || strcmp(d->arch, p->arch))
			continue;
		if (strcmp(norm_variant(d->arch, d->variant), p->variant) == 0)
			return (int)i;
		/* an entry without a variant is a fallback for any variant */
		if ((d->variant == NULL || *d->variant == '\0') && loose < 0)
			loose = (int)i;
	}
	if (loose >= 0)
		return loose;
	platform_format(p, want, sizeof(want));
	for (size_t i = 0; i < idx->n_entries && off < sizeof(have) - 64; i++) {
		const struct descriptor *d = &idx->entries[i];

		if (d->os && d->arch)
			off += (size_t)snprintf(have + off, sizeof(have) - off, "%s%s/%s%s%s", off ? ", " : "",
						d->os, d->arch, d->variant ? "/" : "", d->variant ? d->variant : "");
	}
	return hull_error_set(err, ENOENT, "no image for platform %s in the index (it has: %s)",
			      want, off ? have : "no platforms");
}
