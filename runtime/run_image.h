/* `run --image`: a container whose root the image store makes (an overlay
 * of the image's layers, or a copy), pulled first if the store lacks the
 * image.  The runtime's delete removes that root again
 * (images_container_remove); a create that fails before the container
 * exists is undone here, so the store keeps nothing of it. */
#ifndef HULL_RUNTIME_RUN_IMAGE_H
#define HULL_RUNTIME_RUN_IMAGE_H

#include <stdbool.h>

#include "base/error.h"
#include "images/pull.h"
#include "runtime/lifecycle.h"

struct run_image_opts {
	const char *store;              /* the store's root directory */
	const char *image;              /* a reference or digest */
	const struct pull_opts *pull;   /* for a missing image */
	bool force_copy;                /* --copy: no overlay */
	/* called before the run when overlayfs was unavailable and the
	 * layers were copied (the CLI warns); may be NULL */
	void (*on_copied)(void *data, const char *id);
	void *data;
};

/* o->bundle must be NULL; it points at the store's bundle while this
 * runs.  Otherwise as hull_run. */
int hull_run_image(struct run_image_opts *io, struct create_opts *o, bool detach,
		   int *status, struct hull_error *err);

#endif
