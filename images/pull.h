/* Pulling an image into the store: resolve the reference (an index to the
 * platform's manifest), fetch the config and the layers (in parallel,
 * resumable, verified while streaming), unpack each layer once, and write
 * the image record last, so an interrupted or failed pull leaves no image
 * (only verified blobs, unpacked layers and partial files for the next
 * pull to reuse). */
#ifndef HULL_IMAGES_PULL_H
#define HULL_IMAGES_PULL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "images/manifest.h"
#include "images/registry.h"
#include "images/store.h"
#include "images/unpack.h"

enum pull_event_kind {
	PULL_RESOLVED,       /* manifest digest known, n_layers set */
	PULL_LAYER_START,    /* download starts (resumed_from may be > 0) */
	PULL_LAYER_PROGRESS,
	PULL_LAYER_FETCHED,  /* verified and stored */
	PULL_LAYER_CACHED,   /* already unpacked in the store */
	PULL_LAYER_UNPACKED,
	PULL_DONE,
};

struct pull_event {
	enum pull_event_kind kind;
	const char *name;            /* the image */
	const char *digest;          /* manifest (RESOLVED, DONE) or layer */
	size_t layer, n_layers;
	uint64_t have, size, resumed_from;
	const struct unpack_stats *unpack;
};

struct pull_opts {
	struct registry_opts reg;
	struct platform platform;
	void (*progress)(void *data, const struct pull_event *ev);
	void *data;
};

/* Pulls ref_text into the (open) store and returns its record. */
int images_pull(struct image_store *s, const char *ref_text, const struct pull_opts *o,
		struct image_record *out, struct hull_error *err);

/* Unpacks the blob at blob_path into layers/<diff_id> unless it is there
 * (also used by load). */
int images_unpack_layer(struct image_store *s, const char *blob_path, const char *diff_id,
			uint64_t size, struct unpack_stats *st, struct hull_error *err);

#endif
