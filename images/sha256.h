/* SHA-256 for blobs and layers, which hash hundreds of megabytes per pull:
 * OpenSSL's libcrypto (loaded on first use; SHA-NI/AVX2 code, ~8x libmd's
 * portable C on this class of machine) when it loads, libmd otherwise.
 * Contexts are per thread of work; the first init is thread-safe. */
#ifndef HULL_IMAGES_SHA256_H
#define HULL_IMAGES_SHA256_H

#include <sha2.h>
#include <stddef.h>
#include <stdint.h>

struct img_sha256 {
	void *evp;          /* EVP_MD_CTX *, or NULL: md is used */
	SHA2_CTX md;
};

/* Starts a hash (a context already in use is reset). */
void img_sha256_init(struct img_sha256 *h);
void img_sha256_update(struct img_sha256 *h, const void *data, size_t len);
/* Ends it: "sha256:<hex>" into out (72 bytes) and frees the context. */
void img_sha256_final(struct img_sha256 *h, char out[72]);
/* Frees an unfinished context (a no-op on a finished or zeroed one). */
void img_sha256_free(struct img_sha256 *h);

#endif
