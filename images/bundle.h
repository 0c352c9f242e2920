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
/* "uid:gid", both numbers: the one form image_user_resolve needs no
 * passwd or group for. */
bool image_user_is_numeric_pair(const char *spec);

/* config.json text (caller frees); rootfs is root.path. */
int image_bundle_config(const struct image_config *c, uint32_t uid, uint32_t gid,
			const char *rootfs, char **json, struct hull_error *err);

/* `hull bundle`: DIR/config.json and DIR/rootfs (a copy). */
int images_make_bundle(struct image_store *s, const struct image_record *r,
		       const char *dir, struct hull_error *err);

/* A container's bundle in the store (containers/shard-X/ID), its rootfs an
 * overlay of the layers, or a copy where overlayfs fails or with
 * force_copy (copied says which).  In two steps, so that a caller can do
 * its own work while the second runs:
 *   images_container_begin: checks the id, makes config.json's text
 *     (config; NULL while a named User waits for the root's
 *     /etc/passwd) and names the directory (dir).  Writes nothing.  A
 *     config given (the store's cache, store_config_cache_get) is taken
 *     over instead, and r may then be NULL: the caller sets c->r before
 *     the fill.
 *   images_container_fill: claims the id with the directory's mkdir (a
 *     directory already there is another container's: EEXIST, and left
 *     alone), then the marker, the directories, the overlay mount (or
 *     the copy), config.json.  It writes only in the container's own
 *     directory and its shard and reads the store, so it may run on
 *     another thread while the store stays locked; on failure it removes
 *     what it made.
 *   images_container_end: frees.  A filled directory stays: the
 *     container's delete removes it (images_container_remove). */
struct image_container {
	struct image_store *s;           /* read, not changed, by fill */
	const struct image_record *r;
	bool force_copy;
	char id[1025];
	char dir[4096];                  /* the bundle */
	char *config;                    /* config.json's text */
	bool filled, copied;
};

int images_container_begin(struct image_store *s, const struct image_record *r,
			   char *config, const char *id, bool force_copy,
			   struct image_container *c, struct hull_error *err);
int images_container_fill(struct image_container *c, struct hull_error *err);
void images_container_end(struct image_container *c);
/* Spare roots (the store's spares/, one per image config): a root made
 * ahead of time, so that a run needs no fill beside its create.
 *   images_spare_claim: after images_container_begin with the config's
 *     text, takes the spare of config (a digest) as the container's
 *     directory, with one rename that never replaces a directory already
 *     there: the container is then filled as if by
 *     images_container_fill.  -1 (and nothing done) where there is no
 *     spare, its overlay is not mounted, the shard is missing, the name is
 *     taken, or with force_copy.  A spare is this build's (its name ends
 *     in the build id), so its config.json is the text c->config holds, as
 *     the config cache's is.  Needs no lock: gc removes a spare only after
 *     renaming it away, so the claim's rename and gc's cannot both win.
 *   images_spare_make: makes r's spare unless a mounted one is there
 *     (one whose overlay is gone is made again): the shards
 *     (store_shards_ready), the marker, upper/, work/, rootfs/, the
 *     overlay mount and config.json (config, the text this build made
 *     from r) under a temporary name, then renamed into place.  Needs the
 *     store's lock, like a fill. */
int images_spare_claim(struct image_container *c, const char *config);
int images_spare_make(struct image_store *s, const struct image_record *r, const char *config,
		      struct hull_error *err);
/* `hull __spare-refill ROOT WHAT CONFIG` after a run: WHAT's spare, if the
 * store still has WHAT with that config and this build's cached text for
 * it; lock_fd holds the store's lock already (the run took it). */
int images_spare_refill(const char *root, const char *what, const char *config, int lock_fd,
			struct hull_error *err);
/* Undoes images_container_begin + fill for a bundle it made (unmount, remove);
 * returns 0 and does nothing for any other bundle, so the runtime may call
 * it for every container it deletes. */
int images_container_remove(const char *bundle, struct hull_error *err);

#endif
