/* `hull load` and `hull save`: images from and to OCI image layouts (a
 * directory, or a tar of one: skopeo's oci: and oci-archive:) and
 * docker-archive tarballs (skopeo's docker-archive:, `docker save`).
 * Everything read is verified like a pull: blobs by digest while they are
 * copied, layers against their diff_id while they unpack. */
#ifndef HULL_IMAGES_LAYOUT_H
#define HULL_IMAGES_LAYOUT_H

#include <stdbool.h>

#include "base/error.h"
#include "images/manifest.h"
#include "images/store.h"

/* Loads every image of src (or, with name, names the one image); *names
 * gets the loaded names (NULL-terminated, strv_free). */
int images_load(struct image_store *s, const char *src, const char *name,
		const struct platform *p, char ***names, struct hull_error *err);

/* Writes r as an OCI layout directory dest (new or empty), or as a
 * docker-archive tarball dest. */
int images_save(struct image_store *s, const struct image_record *r, const char *dest,
		bool docker_archive, struct hull_error *err);

#endif
