/* The image store: a directory (default /var/lib/hull, 0700) holding
 *   blobs/sha256/<hex>     verified blobs (manifests, configs, layers)
 *   blobs/partial/<hex>    downloads in progress (resumed by the next pull)
 *   layers/<hex>/          each layer unpacked once, in overlayfs format,
 *                          named by its diff_id
 *   images/<hex of name>   one JSON record per image name
 *   configs/<hex of name>-<build id>
 *                          the container config.json made from that
 *                          image by that build (store_config_cache_get)
 *   containers/shard-<x>/<id>/
 *                          a container's bundle: config.json, rootfs (an
 *                          overlay mount, or a copy), upper/, work/, and
 *                          the marker STORE_CONTAINER_MARKER; <x> is one
 *                          hex digit of the id's hash (store_container_dir);
 *                          containers/ is chattr +T where the file
 *                          system has it (see store.c); stores from before
 *                          the shards may also hold containers/<id>/
 *   spares/<hex of config>-<build id>
 *                          a spare container root for the image with that
 *                          config: the marker, upper/, work/, rootfs (an
 *                          overlay mount) and that build's config.json,
 *                          made after a run (bundle.h: images_spare_make)
 *                          for the next run to take with one rename; gc
 *                          removes those no image uses, other builds' and
 *                          those whose overlay is gone (a reboot)
 *   lock                   flock: pulls, container setup and gc serialize
 *                          (a run that takes a spare takes none: gc renames
 *                          a spare away before it removes it)
 * Nothing here calls the runtime; the runtime hands back a bundle path. */
#ifndef HULL_IMAGES_STORE_H
#define HULL_IMAGES_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define IMAGE_STORE_DEFAULT "/var/lib/hull"

struct image_store {
	char root[2048];
	int lock_fd;
};

struct image_layer_rec {
	char *digest;        /* compressed blob */
	char *diff_id;
	uint64_t size;
};

/* A record file's identity (store_record_stamp): its inode and change
 * time, "" where unknown. */
#define STORE_STAMP_SIZE 64

struct image_record {
	char *name;          /* "registry/repo:tag" */
	char *manifest;      /* digest of the platform manifest */
	char *config;        /* digest of the config (the image id) */
	char *platform;
	char *pulled;        /* RFC 3339 */
	struct image_layer_rec *layers;
	size_t n_layers;
	/* the stamp of the file this was read from, when read by name */
	char stamp[STORE_STAMP_SIZE];
};

/* Creates the layout if needed and takes the store lock (exclusive). */
/* "sha256:<hex>" of data (out: at least 72 bytes). */
void store_digest(const void *data, size_t len, char out[72]);
int store_open(const char *root, struct image_store *s, struct hull_error *err);
/* The store at root, canonical, neither locked nor made: for readers that
 * can do without the lock (run --image taking a spare root, see
 * runtime/run_image.c).  -1 where root does not resolve. */
int store_peek(const char *root, struct image_store *s);
void store_close(struct image_store *s);
/* Unmounts DIR/rootfs (if mounted) and removes DIR: a container's or a
 * spare's root directory, once the caller knows it is the store's. */
int store_remove_root_dir(const char *dir, struct hull_error *err);
/* root: --store, else $HULL_STORE, else the default. */
const char *store_default_root(const char *flag);

void store_blob_path(const struct image_store *s, const char *digest, char *buf, size_t size);
void store_partial_path(const struct image_store *s, const char *digest, char *buf, size_t size);
void store_layer_path(const struct image_store *s, const char *diff_id, char *buf, size_t size);

/* Writes data as blob digest after checking that it hashes to it. */
int store_put_blob(struct image_store *s, const char *digest, const char *data,
		   size_t len, struct hull_error *err);
int store_get_blob(struct image_store *s, const char *digest, char **data,
		   size_t *len, struct hull_error *err);

int store_save_image(struct image_store *s, const struct image_record *r,
		     struct hull_error *err);
int store_list_images(struct image_store *s, struct image_record **out, size_t *n,
		      struct hull_error *err);
/* By name ("busybox" is normalized like a pull would), by config digest
 * (full or a prefix of 12+ hex digits), or by manifest digest.  Returns 0
 * and fills *out, or -1 with ENOENT. */
int store_find_image(struct image_store *s, const char *what, struct image_record *out,
		     struct hull_error *err);
/* Removes the records that match what (as store_find_image); *removed
 * counts them. */
int store_remove_image(struct image_store *s, const char *what, size_t *removed,
		       struct hull_error *err);
void image_record_free(struct image_record *r);
void image_records_free(struct image_record *r, size_t n);

struct gc_stats {
	size_t blobs, layers, partials;
	uint64_t bytes;
};
/* Removes blobs, layers and partial downloads that no image record and no
 * container of the store uses. */
int store_gc(struct image_store *s, struct gc_stats *st, struct hull_error *err);

/* The config.json text `run --image` made for the image named what (a
 * name, not a digest), cached so that the next container of the image can
 * start its create before the image's record is read and its config
 * generated (runtime/run_image.c).  A hit gives the text, the config blob
 * digest it was made from and the stamp of the record file it was made
 * with (store_record_stamp; "" if none); only a cache this build of Hull
 * wrote counts.  store_save_image and store_remove_image drop a name's
 * entry with its record, under the store's lock, so an entry never
 * outlives the record it was made from; the reader still checks the
 * digest against the record once it has it (or, without the record, the
 * stamp against the record file's), and drops an entry that does not
 * match. */
int store_config_cache_get(struct image_store *s, const char *what, char **text,
			   char config_digest[72], char stamp[STORE_STAMP_SIZE]);
/* The stamp of the record file of the image named what: its inode number
 * and change time, which any rewrite of the record changes (a pull writes
 * a new file and renames it over the old).  -1 where there is none. */
int store_record_stamp(const struct image_store *s, const char *what, char stamp[STORE_STAMP_SIZE]);
void store_config_cache_put(struct image_store *s, const struct image_record *r,
			    const char *text);
void store_config_cache_drop(struct image_store *s, const char *name);

/* STORE/containers/shard-<x>/ID into out: store_container_path only
 * names it; store_container_dir also creates the shard directory if it is
 * missing (not the container's).  store_shards_ready makes all the shard
 * directories and checks that none is a container of a store from before
 * the shards: then a container's directory can be renamed into its shard
 * without store_container_dir's two checks (images_spare_claim). */
int store_container_path(const struct image_store *s, const char *id, char *out, size_t size,
			 struct hull_error *err);
int store_container_dir(const struct image_store *s, const char *id, char *out, size_t size,
			struct hull_error *err);
int store_shards_ready(const struct image_store *s, struct hull_error *err);
/* Whether bundle is the directory store_container_dir names for its last
 * component in the store at root, or one of a store from before the
 * shards (root/containers/ID). */
bool store_is_container_dir(const char *root, const char *bundle);

/* Whether dir/rootfs is a mount point (a spare's overlay is; after a
 * reboot its directory is still there, and its rootfs empty). */
bool store_root_mounted(const char *dir);

/* A container's marker file: JSON, the image record plus "store" (the
 * store's root, so that only this store's own containers are removed).
 * Containers made before it existed have a marker holding the bare store
 * path and their record in containers/ID/image/record; both are read. */
#define STORE_CONTAINER_MARKER ".hull-image-container"
#define STORE_SPARES "spares"
/* The record as JSON text, with "store" when store is not NULL (caller
 * frees; NULL when out of memory). */
char *store_record_json(const struct image_record *r, const char *store);

/* Record files (images/, and containers' markers). */
int store_record_parse(const char *text, struct image_record *r, struct hull_error *err);
int store_write_record(const char *dir, const char *file, const struct image_record *r,
		       struct hull_error *err);
int store_read_records(const char *dir, struct image_record **out, size_t *n,
		       struct hull_error *err);

#endif
