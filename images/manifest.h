/* Image manifests, indexes and configs (OCI image-spec and Docker schema
 * 2), parsed from JSON text with base/json.h, and platform selection.
 * Pure functions: everything here is untrusted input from a registry or a
 * tarball, so each parser validates what it returns (digests, sizes) and
 * names the JSON path in its errors. */
#ifndef HULL_IMAGES_MANIFEST_H
#define HULL_IMAGES_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
/* Every manifest kind we can read, for the Accept header. */
#define MT_ACCEPT_ALL MT_OCI_INDEX ", " MT_OCI_MANIFEST ", " MT_DOCKER_LIST ", " MT_DOCKER_MANIFEST

/* Layers larger than this are refused before a byte is fetched. */
#define IMAGE_MAX_BLOB_SIZE (64ULL << 30)
#define IMAGE_MAX_LAYERS 127

enum layer_compression { LAYER_TAR, LAYER_GZIP, LAYER_ZSTD };

struct descriptor {
	char *media_type;
	char *digest;
	uint64_t size;
	/* index entries only */
	char *os, *arch, *variant;
	char *ref_name;     /* annotations["org.opencontainers.image.ref.name"] */
};

struct platform {
	char os[32], arch[32], variant[16];
};

enum manifest_kind { MANIFEST_IMAGE, MANIFEST_INDEX };

struct manifest {
	enum manifest_kind kind;
	char *media_type;
	struct descriptor config;        /* MANIFEST_IMAGE */
	struct descriptor *entries;      /* layers, or an index's manifests */
	size_t n_entries;
};

struct image_config {
	char *os, *arch, *variant;
	char **entrypoint, **cmd, **env;
	size_t n_entrypoint, n_cmd, n_env;
	char *working_dir, *user, *stop_signal;
	char **exposed_ports;  size_t n_exposed_ports;
	char **label_keys, **label_values;  size_t n_labels;
	char **diff_ids;  size_t n_diff_ids;
};

/* media_type: the Content-Type the registry sent (may be NULL: then the
 * document's own mediaType, or its shape, decides). */
int manifest_parse(const char *text, size_t len, const char *media_type,
		   struct manifest *out, struct hull_error *err);
void manifest_free(struct manifest *m);
int layer_compression_of(const char *media_type, enum layer_compression *out,
			 struct hull_error *err);

int image_config_parse(const char *text, size_t len, struct image_config *out,
		       struct hull_error *err);
void image_config_free(struct image_config *c);

/* "os/arch[/variant]"; arm64 with no variant means v8 (and so does
 * "arm64/v8" in an index).  */
int platform_parse(const char *text, struct platform *out, struct hull_error *err);
/* The host's: linux and the machine Hull was built for. */
void platform_host(struct platform *out);
void platform_format(const struct platform *p, char *buf, size_t size);
/* Picks the index entry for p (the first exact match; a variant-less
 * entry matches when no variant-specific one does).  Returns its index,
 * or -1 with an error that lists what the index offers. */
int manifest_select_platform(const struct manifest *index, const struct platform *p,
			     struct hull_error *err);

#endif
