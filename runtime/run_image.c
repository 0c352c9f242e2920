/* hull_run_image; see run_image.h. */
#include <stdlib.h>

#include "images/bundle.h"
#include "images/store.h"
#include "runtime/run_image.h"

int hull_run_image(struct run_image_opts *io, struct create_opts *o, bool detach,
		   int *status, struct hull_error *err)
{
	struct image_store s;
	struct image_record r;
	char bundle[4096];
	bool copied = false;
	int rc;

	if (store_open(io->store, &s, err) < 0)
		return -1;
	if (store_find_image(&s, io->image, &r, err) < 0) {
		hull_error_clear(err);
		if (images_pull(&s, io->image, io->pull, &r, err) < 0) {
			store_close(&s);
			return hull_error_prefix(err, "pulling %s", io->image);
		}
	}
	rc = images_container_create(&s, &r, o->id, io->force_copy, bundle, sizeof(bundle),
				     &copied, err);
	image_record_free(&r);
	/* the store lock is for setup only, not for the container's life */
	store_close(&s);
	if (rc < 0)
		return -1;
	if (copied && io->on_copied)
		io->on_copied(io->data, o->id);
	o->bundle = bundle;
	rc = hull_run(o, detach, status, err);
	if (rc < 0) {
		struct hull_error ignored = { 0 };
		char *state = NULL;

		/* no state means create failed: the runtime's delete never saw
		 * the root, so it is removed here */
		if (hull_state(o->root, o->id, &state, &ignored) < 0)
			images_container_remove(bundle, &ignored);
		free(state);
	}
	o->bundle = NULL;
	return rc;
}
