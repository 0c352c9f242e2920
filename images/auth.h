/* Registry authentication inputs: the WWW-Authenticate challenge a
 * registry answers 401 with, and credentials from auth.json files
 * (containers-auth.json(5) and Docker's config.json).  Pure parsing plus
 * one file lookup; the HTTP side is in registry.c. */
#ifndef HULL_IMAGES_AUTH_H
#define HULL_IMAGES_AUTH_H

#include <stddef.h>

#include "base/error.h"

enum auth_scheme { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

struct auth_challenge {
	enum auth_scheme scheme;
	char realm[1024];
	char service[256];
	char scope[512];
	char error[64];      /* e.g. "insufficient_scope" */
};

/* One header value, e.g. `Bearer realm="https://x/token",service="r",
 * scope="repository:a:pull"`.  Unknown schemes are an error. */
int auth_challenge_parse(const char *header, struct auth_challenge *out,
			 struct hull_error *err);

/* Looks registry up in $REGISTRY_AUTH_FILE, /run/containers/0/auth.json,
 * $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json (the first
 * file that has an entry wins).  On success *user and *pass are heap
 * strings; returns 0 when no file has credentials for it. */
int auth_lookup(const char *registry, char **user, char **pass,
		struct hull_error *err);
/* The same, on one file's text (for tests and fuzzing). */
int auth_lookup_text(const char *json_text, const char *registry, char **user,
		     char **pass, struct hull_error *err);

/* RFC 4648 base64; returns a heap buffer (NUL-terminated) or NULL. */
char *base64_decode(const char *in, size_t *out_len);
char *base64_encode(const char *in, size_t len);

#endif
