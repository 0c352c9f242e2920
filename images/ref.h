/* Image references: `[registry[:port]/]repository[:tag][@sha256:hex]`,
 * parsed the way Docker does (a first component with a '.' or ':', or
 * "localhost", names a registry; otherwise it is Docker Hub, where a
 * one-component name lives under library/).  Pure functions, no I/O. */
#ifndef HULL_IMAGES_REF_H
#define HULL_IMAGES_REF_H

#include <stdbool.h>

#include "base/error.h"

#define IMAGE_DEFAULT_REGISTRY "docker.io"
#define IMAGE_DEFAULT_TAG "latest"

struct image_ref {
	char *registry;     /* "docker.io", "127.0.0.1:5000" */
	char *repository;   /* "library/busybox" */
	char *tag;          /* "latest" unless a digest alone was given */
	char *digest;       /* "sha256:<hex>" or NULL */
};

int image_ref_parse(const char *text, struct image_ref *out, struct hull_error *err);
void image_ref_free(struct image_ref *r);
/* "registry/repository:tag" (or "@digest" when there is no tag); caller frees. */
char *image_ref_format(const struct image_ref *r);
/* The host to connect to: docker.io's API lives at registry-1.docker.io. */
const char *image_ref_api_host(const struct image_ref *r);
/* True for 127.0.0.0/8, ::1 and localhost: plain HTTP is allowed there. */
bool image_registry_is_loopback(const char *registry);

/* "sha256:" followed by exactly 64 lowercase hex digits. */
bool image_digest_valid(const char *digest);

#endif
