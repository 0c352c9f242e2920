/* A registry client for the OCI distribution spec over libcurl: the
 * /v2/ ping and its auth challenge (anonymous, Basic, Bearer tokens per
 * repository scope, retried once on insufficient_scope), manifests, small
 * blobs into memory, and layers into files, several at once, resuming
 * partial files with Range and hashing every byte as it arrives. */
#ifndef HULL_IMAGES_REGISTRY_H
#define HULL_IMAGES_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "images/ref.h"

struct registry;

struct registry_opts {
	bool tls_verify;           /* false: any TLS certificate, and plain HTTP */
	const char *user, *pass;   /* explicit credentials (else auth.json) */
	unsigned parallel;         /* layers at once (default 4) */
};

int registry_open(const struct image_ref *ref, const struct registry_opts *o,
		  struct registry **out, struct hull_error *err);
void registry_close(struct registry *r);

/* reference: a tag or a digest.  *digest_out gets the body's sha256;
 * when reference is a digest the body must match it. */
int registry_get_manifest(struct registry *r, const char *reference, char **body,
			  size_t *len, char **content_type, char digest_out[72],
			  struct hull_error *err);
/* A small blob (a config) into memory, verified against digest. */
int registry_get_blob(struct registry *r, const char *digest, uint64_t size,
		      char **body, size_t *len, struct hull_error *err);

enum blob_event { BLOB_START, BLOB_PROGRESS, BLOB_DONE };
struct blob_job {
	const char *digest;
	uint64_t size;
	const char *partial_path;  /* resumed if it exists */
	const char *final_path;    /* renamed there once verified */
	/* filled in */
	uint64_t resumed_from;     /* bytes already there */
	uint64_t fetched;          /* bytes this run downloaded */
	uint64_t have;             /* bytes in the file */
};
typedef void (*blob_progress_fn)(void *data, struct blob_job *job, enum blob_event ev);

/* Downloads every job (skipping ones whose final_path exists) at most
 * `parallel` at a time.  A digest mismatch deletes the partial file and
 * fails the pull; nothing reaches final_path unverified. */
int registry_fetch_blobs(struct registry *r, struct blob_job *jobs, size_t n,
			 blob_progress_fn progress, void *data, struct hull_error *err);

#endif
