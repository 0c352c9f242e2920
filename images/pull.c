/* images_pull; see pull.h.
 *
 * Layers unpack while they download: each layer being fetched has a thread
 * that runs libarchive on the blob file as it grows (the download appends,
 * the unpacker reads what is there and waits for more), into a temporary
 * directory.  The unpacker sees the end of the stream only once the blob's
 * digest has been verified and the blob renamed into place, and its tree
 * is renamed to layers/<diff_id> only then; a failed or mismatched
 * download removes it.  Reading the file rather than a pipe keeps the
 * download from ever waiting on the unpacker, and resumes work as they
 * did: the bytes a previous pull left are unpacked first. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

/* Temporary layer trees a killed pull left (the store lock, which this
 * process holds, shows no one else is unpacking). */
static void remove_stale_tmps(struct image_store *s)
{
	char dir[4096], p[4400];
	struct hull_error ignored = { 0 };
	autoclosedir DIR *d = NULL;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "%s/layers", s->root);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, ".tmp-", 5) != 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		fs_remove_tree(p, &ignored);
	}
}

/* A layer's temporary directory (layers/.tmp-<hex>-<pid>), made empty. */
static int layer_tmp(struct image_store *s, const char *diff_id, char *tmp, size_t size,
		     struct hull_error *err)
{
	struct hull_error ignored = { 0 };

	snprintf(tmp, size, "%s/layers/.tmp-%s-%d", s->root, diff_id + 7, (int)getpid());
	fs_remove_tree(tmp, &ignored);
	if (mkdir(tmp, 0755) < 0)
		return hull_error_errno(err, "mkdir %s", tmp);
	return 0;
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
	if (layer_tmp(s, diff_id, tmp, sizeof(tmp), err) < 0)
		return -1;
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

/* One layer unpacking while it downloads. */
struct layer_stream {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t avail;          /* bytes of the blob file in place */
	int end;                 /* 0: downloading, 1: verified, -1: abandoned */
	int fd;                  /* the blob file (partial, then renamed) */
	uint64_t off;            /* the unpacker's read position */
	int tmpfd;
	char tmp[4200];
	const char *diff_id;
	uint64_t size;
	pthread_t thread;
	bool started;
	int rc;
	struct unpack_stats st;
	struct hull_error err;
};

static ssize_t stream_read(void *data, void *buf, size_t len)
{
	struct layer_stream *ls = data;
	uint64_t avail;
	int end;
	ssize_t n;

	pthread_mutex_lock(&ls->mu);
	while (ls->off >= ls->avail && ls->end == 0)
		pthread_cond_wait(&ls->cv, &ls->mu);
	avail = ls->avail;
	end = ls->end;
	pthread_mutex_unlock(&ls->mu);
	if (end < 0) {
		errno = ECANCELED;
		return -1;
	}
	if (ls->off >= avail)
		return 0;        /* verified, and all read */
	if (len > avail - ls->off)
		len = (size_t)(avail - ls->off);
	do
		n = pread(ls->fd, buf, len, (off_t)ls->off);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		ls->off += (uint64_t)n;
	return n;
}

static void *stream_unpack(void *data)
{
	struct layer_stream *ls = data;
	struct unpack_opts uo = { .diff_id = ls->diff_id, .compressed_size = ls->size };

	ls->rc = layer_unpack_stream(stream_read, ls, ls->tmpfd, &uo, &ls->st, &ls->err);
	return NULL;
}

static void stream_update(struct layer_stream *ls, uint64_t avail, int end)
{
	pthread_mutex_lock(&ls->mu);
	ls->avail = avail;
	if (end)
		ls->end = end;
	pthread_cond_broadcast(&ls->cv);
	pthread_mutex_unlock(&ls->mu);
}

struct fetch_ctx {
	const struct pull_opts *o;
	struct blob_job *jobs;
	struct layer_stream *streams;
	size_t *index;           /* job -> layer number */
	size_t n_layers;
	const char *name;
};

static void on_blob(void *data, struct blob_job *j, enum blob_event e)
{
	struct fetch_ctx *x = data;
	size_t k = (size_t)(j - x->jobs);
	struct layer_stream *ls = &x->streams[k];
	struct pull_event ev = {
		.kind = e == BLOB_START ? PULL_LAYER_START : e == BLOB_DONE ? PULL_LAYER_FETCHED : PULL_LAYER_PROGRESS,
		.name = x->name, .digest = j->digest, .layer = x->index[k], .n_layers = x->n_layers,
		.have = j->have, .size = j->size, .resumed_from = j->resumed_from,
	};

	/* BLOB_DONE comes after the digest check and the rename */
	stream_update(ls, e == BLOB_DONE ? j->size : j->have, e == BLOB_DONE);
	/* a thread failing to start is not fatal: the layer unpacks from
	 * the stored blob after the download */
	if (!ls->started && pthread_create(&ls->thread, NULL, stream_unpack, ls) == 0)
		ls->started = true;
	emit(x->o, &ev);
}

/* Prepares streams[k] for jobs[k] (its temporary directory, the blob
 * file's fd, which the registry client then fills). */
static int stream_open(struct image_store *s, struct layer_stream *ls, const struct blob_job *j,
		       const char *diff_id, struct hull_error *err)
{
	struct stat sb;

	ls->fd = ls->tmpfd = -1;
	pthread_mutex_init(&ls->mu, NULL);
	pthread_cond_init(&ls->cv, NULL);
	ls->diff_id = diff_id;
	ls->size = j->size;
	if (layer_tmp(s, diff_id, ls->tmp, sizeof(ls->tmp), err) < 0)
		return -1;
	ls->tmpfd = open(ls->tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ls->tmpfd < 0)
		return hull_error_errno(err, "open %s", ls->tmp);
	if (stat(j->final_path, &sb) == 0)
		ls->fd = open(j->final_path, O_RDONLY | O_CLOEXEC);
	else
		ls->fd = open(j->partial_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (ls->fd < 0)
		return hull_error_errno(err, "open %s", j->partial_path);
	return 0;
}

/* Waits for the unpacker (telling it the download is over, one way or the
 * other); returns its result. */
static int stream_finish(struct layer_stream *ls, bool verified, const char *blob_path)
{
	if (!verified)
		stream_update(ls, ls->avail, -1);
	if (ls->started) {
		pthread_join(ls->thread, NULL);
		ls->started = false;
	} else if (verified && ls->fd >= 0) {
		/* no thread ran: unpack the stored blob here */
		autoclose int bfd = open(blob_path, O_RDONLY | O_CLOEXEC);
		struct unpack_opts uo = { .diff_id = ls->diff_id, .compressed_size = ls->size };

		ls->rc = bfd < 0 ? hull_error_errno(&ls->err, "open %s", blob_path)
			: layer_unpack(bfd, ls->tmpfd, &uo, &ls->st, &ls->err);
	} else {
		ls->rc = -1;
	}
	return ls->rc;
}

static void stream_close(struct layer_stream *ls)
{
	struct hull_error ignored = { 0 };

	if (ls->fd >= 0)
		close(ls->fd);
	if (ls->tmpfd >= 0)
		close(ls->tmpfd);
	if (ls->tmp[0])
		fs_remove_tree(ls->tmp, &ignored);
	pthread_mutex_destroy(&ls->mu);
	pthread_cond_destroy(&ls->cv);
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
	struct layer_stream *streams = NULL;
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
	/* Layers: fetch only those not already unpacked (and each once). */
	if (layer_unpack_init(err) < 0)
		goto out;
	remove_stale_tmps(s);
	jobs = calloc(m.n_entries + 1, sizeof(*jobs));
	index = calloc(m.n_entries + 1, sizeof(*index));
	streams = calloc(m.n_entries + 1, sizeof(*streams));
	char (*fpaths)[4096] = calloc(m.n_entries + 1, 2 * 4096);
	if (jobs == NULL || index == NULL || fpaths == NULL || streams == NULL) {
		free(fpaths);
		hull_error_errno(err, "calloc");
		goto out;
	}
	for (size_t i = 0; i < m.n_entries; i++) {
		struct stat sb;
		bool dup = false;

		for (size_t k = 0; k < n_jobs && !dup; k++)
			dup = strcmp(cfg.diff_ids[index[k]], cfg.diff_ids[i]) == 0;
		store_layer_path(s, cfg.diff_ids[i], path, sizeof(path));
		if (dup || stat(path, &sb) == 0) {
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
		index[n_jobs] = i;
		if (stream_open(s, &streams[n_jobs], &jobs[n_jobs], cfg.diff_ids[i], err) < 0) {
			stream_close(&streams[n_jobs]);
			free(fpaths);
			goto out;
		}
		n_jobs++;
	}
	{
		struct fetch_ctx fx = { .o = o, .jobs = jobs, .streams = streams, .index = index,
					.n_layers = m.n_entries, .name = rec.name };
		int fetched = n_jobs ? registry_fetch_blobs(reg, jobs, n_jobs, on_blob, &fx, err) : 0;
		bool failed = fetched < 0;

		/* Every unpacker is waited for; a layer is kept only when its
		 * blob was verified and its tree matched its diff_id. */
		for (size_t k = 0; k < n_jobs; k++) {
			size_t i = index[k];
			struct layer_stream *ls = &streams[k];
			struct stat sb;
			bool verified = stat(jobs[k].final_path, &sb) == 0;

			if (stream_finish(ls, verified, jobs[k].final_path) == 0) {
				char final[4096];

				store_layer_path(s, cfg.diff_ids[i], final, sizeof(final));
				if (rename(ls->tmp, final) < 0 && !failed) {
					hull_error_errno(err, "rename %s", ls->tmp);
					failed = true;
				} else {
					struct pull_event ev = { .kind = PULL_LAYER_UNPACKED, .name = rec.name,
								 .digest = m.entries[i].digest, .layer = i,
								 .n_layers = m.n_entries, .size = m.entries[i].size,
								 .unpack = &ls->st };

					ls->tmp[0] = '\0';
					emit(o, &ev);
				}
			} else if (!failed) {
				*err = ls->err;
				hull_error_prefix(err, "layer %zu (%s)", i + 1, m.entries[i].digest);
				failed = true;
			}
			stream_close(ls);
		}
		n_jobs = 0;
		if (failed) {
			free(fpaths);
			goto out;
		}
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
	for (size_t k = 0; k < n_jobs; k++) {
		stream_finish(&streams[k], false, NULL);
		stream_close(&streams[k]);
	}
	free(streams);
	free(jobs);
	free(index);
	image_config_free(&cfg);
	manifest_free(&m);
	registry_close(reg);
	image_ref_free(&ref);
	return rc;
}
