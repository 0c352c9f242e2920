/* From an image to an OCI bundle: config.json from the image config (the
 * image-spec's conversion: Entrypoint + Cmd, Env, WorkingDir, User,
 * ExposedPorts, Labels, StopSignal), and the rootfs, either an overlay of
 * the store's layers plus the container's own upper directory (nothing is
 * copied), or, where overlayfs is unavailable or for `hull bundle`, a copy
 * with the whiteouts applied. */
#ifndef HULL_IMAGES_BUNDLE_H
#define HULL_IMAGES_BUNDLE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "images/manifest.h"
#include "images/store.h"

/* "uid", "uid:gid", "name", "name:group" against the image's passwd and
 * group texts (either may be NULL).  Pure; names that are not in the files
 * are an error naming them. */
int image_user_resolve(const char *spec, const char *passwd, const char *group,
		       uint32_t *uid, uint32_t *gid, struct hull_error *err);

/* config.json text (caller frees); rootfs is root.path. */
int image_bundle_config(const struct image_config *c, uint32_t uid, uint32_t gid,
			const char *rootfs, char **json, struct hull_error *err);

/* `hull bundle`: DIR/config.json and DIR/rootfs (a copy). */
int images_make_bundle(struct image_store *s, const struct image_record *r,
		       const char *dir, struct hull_error *err);

/* A container's bundle in the store (containers/ID), its rootfs an
 * overlay of the layers, or a copy where overlayfs fails or with
 * force_copy (*copied says which). */
int images_container_create(struct image_store *s, const struct image_record *r,
			    const char *id, bool force_copy, char *bundle, size_t size,
			    bool *copied, struct hull_error *err);
/* Undoes images_container_create for a bundle it made (unmount, remove);
 * returns 0 and does nothing for any other bundle, so the runtime may call
 * it for every container it deletes. */
int images_container_remove(const char *bundle, struct hull_error *err);

#endif
