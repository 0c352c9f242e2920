/* images_pull; see pull.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fsutil.h"
#include "images/fsops.h"
#include "images/pull.h"
#include "images/ref.h"

static void emit(const struct pull_opts *o, struct pull_event *ev)
{
	if (o->progress)
		o->progress(o->data, ev);
}

struct fetch_ctx {
	const struct pull_opts *o;
	struct blob_job *jobs;
	size_t *index;           /* job -> layer number */
	size_t n_layers;
	const char *name;
};

static void on_blob(void *data, struct blob_job *j, enum blob_event e)
{
	struct fetch_ctx *x = data;
	size_t k = (size_t)(j - x->jobs);
	struct pull_event ev = {
		.kind = e == BLOB_START ? PULL_LAYER_START : e == BLOB_DONE ? PULL_LAYER_FETCHED : PULL_LAYER_PROGRESS,
		.name = x->name, .digest = j->digest, .layer = x->index[k], .n_layers = x->n_layers,
		.have = j->have, .size = j->size, .resumed_from = j->resumed_from,
	};

	emit(x->o, &ev);
}

int images_unpack_layer(struct image_store *s, const char *blob_path, const char *diff_id,
			uint64_t size, struct unpack_stats *st, struct hull_error *err)
{
	char final[4096], tmp[4200];
	autoclose int bfd = -1;
	autoclose int tfd = -1;
	struct unpack_opts uo = { .diff_id = diff_id, .compressed_size = size };
	struct hull_error ignored = { 0 };
	struct stat sb;

	store_layer_path(s, diff_id, final, sizeof(final));
	if (stat(final, &sb) == 0)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s/layers/.tmp-%s-%d", s->root, diff_id + 7, (int)getpid());
	fs_remove_tree(tmp, &ignored);
	if (mkdir(tmp, 0755) < 0)
		return hull_error_errno(err, "mkdir %s", tmp);
	bfd = open(blob_path, O_RDONLY | O_CLOEXEC);
	tfd = open(tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (bfd < 0 || tfd < 0) {
		hull_error_errno(err, "open %s", bfd < 0 ? blob_path : tmp);
		goto fail;
	}
	if (layer_unpack(bfd, tfd, &uo, st, err) < 0)
		goto fail;
	if (rename(tmp, final) < 0) {
		hull_error_errno(err, "rename %s", tmp);
		goto fail;
	}
	return 0;
fail:
	/* nothing is kept from a layer that failed: no half trees */
	fs_remove_tree(tmp, &ignored);
	return -1;
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

/* Resolves the reference to an image manifest (through an index if the
 * registry has one), storing what it fetched. */
static int resolve(struct image_store *s, struct registry *reg, const struct image_ref *ref,
		   const struct pull_opts *o, struct manifest *m, char digest[72],
		   struct hull_error *err)
{
	autofree char *body = NULL;
	autofree char *ctype = NULL;
	size_t len;
	const char *want = ref->digest ? ref->digest : ref->tag;

	if (registry_get_manifest(reg, want, &body, &len, &ctype, digest, err) < 0)
		return -1;
	if (manifest_parse(body, len, ctype, m, err) < 0)
		return hull_error_prefix(err, "%s", want);
	if (m->kind == MANIFEST_INDEX) {
		int i = manifest_select_platform(m, &o->platform, err);
		autofree char *d = NULL;

		if (i < 0)
			return -1;
		if ((d = strdup(m->entries[i].digest)) == NULL)
			return hull_error_errno(err, "strdup");
		if (store_put_blob(s, digest, body, len, err) < 0)
			return -1;
		manifest_free(m);
		free(body);
		free(ctype);
		body = ctype = NULL;
		if (registry_get_manifest(reg, d, &body, &len, &ctype, digest, err) < 0)
			return -1;
		if (manifest_parse(body, len, ctype, m, err) < 0)
			return hull_error_prefix(err, "%s", d);
		if (m->kind != MANIFEST_IMAGE)
			return hull_error_set(err, EINVAL, "%s: an index inside an index is not supported", d);
	}
	return store_put_blob(s, digest, body, len, err);
}

int images_pull(struct image_store *s, const char *ref_text, const struct pull_opts *o,
		struct image_record *out, struct hull_error *err)
{
	struct image_ref ref;
	struct registry *reg = NULL;
	struct manifest m = { 0 };
	struct image_config cfg = { 0 };
	struct image_record rec = { 0 };
	struct blob_job *jobs = NULL;
	size_t *index = NULL, n_jobs = 0;
	autofree char *cfg_text = NULL;
	size_t cfg_len = 0;
	char mdigest[72], path[4096];
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (image_ref_parse(ref_text, &ref, err) < 0)
		return -1;
	if ((rec.name = image_ref_format(&ref)) == NULL) {
		hull_error_errno(err, "image name");
		goto out;
	}
	if (registry_open(&ref, &o->reg, &reg, err) < 0 ||
	    resolve(s, reg, &ref, o, &m, mdigest, err) < 0)
		goto out;
	{
		struct pull_event ev = { .kind = PULL_RESOLVED, .name = rec.name, .digest = mdigest,
					 .n_layers = m.n_entries };
		emit(o, &ev);
	}
	/* The config: from the store if a previous pull has it. */
	if (store_get_blob(s, m.config.digest, &cfg_text, &cfg_len, &(struct hull_error){ 0 }) < 0) {
		if (registry_get_blob(reg, m.config.digest, m.config.size, &cfg_text, &cfg_len, err) < 0 ||
		    store_put_blob(s, m.config.digest, cfg_text, cfg_len, err) < 0)
			goto out;
	}
	if (image_config_parse(cfg_text, cfg_len, &cfg, err) < 0) {
		hull_error_prefix(err, "config %s", m.config.digest);
		goto out;
	}
	if (cfg.n_diff_ids != m.n_entries) {
		hull_error_set(err, EINVAL, "image %s: the manifest has %zu layers but the config lists %zu diff_ids",
			       rec.name, m.n_entries, cfg.n_diff_ids);
		goto out;
	}
	if (cfg.os && cfg.arch && (strcmp(cfg.os, o->platform.os) || strcmp(cfg.arch, o->platform.arch))) {
		hull_error_set(err, EINVAL, "image %s is for %s/%s, not %s/%s (choose with --platform)",
			       rec.name, cfg.os, cfg.arch, o->platform.os, o->platform.arch);
		goto out;
	}
	/* Layers: fetch only those not already unpacked. */
	jobs = calloc(m.n_entries + 1, sizeof(*jobs));
	index = calloc(m.n_entries + 1, sizeof(*index));
	char (*fpaths)[4096] = calloc(m.n_entries + 1, 2 * 4096);
	if (jobs == NULL || index == NULL || fpaths == NULL) {
		free(fpaths);
		hull_error_errno(err, "calloc");
		goto out;
	}
	for (size_t i = 0; i < m.n_entries; i++) {
		struct stat sb;

		store_layer_path(s, cfg.diff_ids[i], path, sizeof(path));
		if (stat(path, &sb) == 0) {
			struct pull_event ev = { .kind = PULL_LAYER_CACHED, .name = rec.name,
						 .digest = m.entries[i].digest, .layer = i,
						 .n_layers = m.n_entries, .size = m.entries[i].size };
			emit(o, &ev);
			continue;
		}
		store_partial_path(s, m.entries[i].digest, fpaths[2 * i], 4096);
		store_blob_path(s, m.entries[i].digest, fpaths[2 * i + 1], 4096);
		jobs[n_jobs] = (struct blob_job){ .digest = m.entries[i].digest, .size = m.entries[i].size,
						  .partial_path = fpaths[2 * i], .final_path = fpaths[2 * i + 1] };
		index[n_jobs++] = i;
	}
	struct fetch_ctx fx = { .o = o, .jobs = jobs, .index = index, .n_layers = m.n_entries, .name = rec.name };
	if (n_jobs && registry_fetch_blobs(reg, jobs, n_jobs, on_blob, &fx, err) < 0) {
		free(fpaths);
		goto out;
	}
	for (size_t k = 0; k < n_jobs; k++) {
		size_t i = index[k];
		struct unpack_stats st = { 0 };
		struct pull_event ev = { .kind = PULL_LAYER_UNPACKED, .name = rec.name,
					 .digest = m.entries[i].digest, .layer = i, .n_layers = m.n_entries,
					 .size = m.entries[i].size, .unpack = &st };

		if (images_unpack_layer(s, jobs[k].final_path, cfg.diff_ids[i], m.entries[i].size, &st, err) < 0) {
			hull_error_prefix(err, "layer %zu (%s)", i + 1, m.entries[i].digest);
			free(fpaths);
			goto out;
		}
		emit(o, &ev);
	}
	free(fpaths);
	rec.manifest = strdup(mdigest);
	rec.config = strdup(m.config.digest);
	rec.pulled = now_rfc3339();
	{
		char pl[96];
		struct platform p = { 0 };

		snprintf(p.os, sizeof(p.os), "%s", cfg.os ? cfg.os : "");
		snprintf(p.arch, sizeof(p.arch), "%s", cfg.arch ? cfg.arch : "");
		snprintf(p.variant, sizeof(p.variant), "%s", cfg.variant ? cfg.variant : "");
		platform_format(&p, pl, sizeof(pl));
		rec.platform = strdup(pl);
	}
	rec.layers = calloc(m.n_entries + 1, sizeof(*rec.layers));
	if (rec.manifest == NULL || rec.config == NULL || rec.layers == NULL) {
		hull_error_errno(err, "image record");
		goto out;
	}
	for (size_t i = 0; i < m.n_entries; i++) {
		rec.layers[i].digest = strdup(m.entries[i].digest);
		rec.layers[i].diff_id = strdup(cfg.diff_ids[i]);
		rec.layers[i].size = m.entries[i].size;
		rec.n_layers++;
	}
	if (store_save_image(s, &rec, err) < 0)
		goto out;
	{
		struct pull_event ev = { .kind = PULL_DONE, .name = rec.name, .digest = mdigest,
					 .n_layers = m.n_entries };
		emit(o, &ev);
	}
	*out = rec;
	memset(&rec, 0, sizeof(rec));
	rc = 0;
out:
	image_record_free(&rec);
	free(jobs);
	free(index);
	image_config_free(&cfg);
	manifest_free(&m);
	registry_close(reg);
	image_ref_free(&ref);
	return rc;
}
