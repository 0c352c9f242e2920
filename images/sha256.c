/* img_sha256; see sha256.h. */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/dlib.h"
#include "images/sha256.h"

static DLIB_PTR(EVP_MD_CTX_new);
static DLIB_PTR(EVP_MD_CTX_free);
static DLIB_PTR(EVP_MD_CTX_reset);
static DLIB_PTR(EVP_sha256);
static DLIB_PTR(EVP_DigestInit_ex);
static DLIB_PTR(EVP_DigestUpdate);
static DLIB_PTR(EVP_DigestFinal_ex);
static const struct dlib_sym crypto_syms[] = {
	DLIB_SYM(EVP_MD_CTX_new), DLIB_SYM(EVP_MD_CTX_free), DLIB_SYM(EVP_MD_CTX_reset),
	DLIB_SYM(EVP_sha256), DLIB_SYM(EVP_DigestInit_ex), DLIB_SYM(EVP_DigestUpdate),
	DLIB_SYM(EVP_DigestFinal_ex),
};
static struct dlib crypto_lib = { .soname = "libcrypto.so.3", .package = "libssl3" };
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;
static bool crypto_ok;

static void crypto_load(void)
{
	struct hull_error ignored = { 0 };

	/* optional: without it libmd does the same, slower */
	crypto_ok = dlib_load(&crypto_lib, crypto_syms, DLIB_COUNT(crypto_syms), &ignored) == 0;
}

void img_sha256_init(struct img_sha256 *h)
{
	pthread_once(&crypto_once, crypto_load);
	if (crypto_ok) {
		if (h->evp == NULL)
			h->evp = sym_EVP_MD_CTX_new();
		else
			sym_EVP_MD_CTX_reset(h->evp);
		if (h->evp && sym_EVP_DigestInit_ex(h->evp, sym_EVP_sha256(), NULL) == 1)
			return;
		img_sha256_free(h);
	}
	SHA256Init(&h->md);
}

void img_sha256_update(struct img_sha256 *h, const void *data, size_t len)
{
	if (h->evp)
		sym_EVP_DigestUpdate(h->evp, data, len);
	else
		SHA256Update(&h->md, data, len);
}

void img_sha256_final(struct img_sha256 *h, char out[72])
{
	uint8_t md[32];
	unsigned int n = 0;

	if (h->evp)
		sym_EVP_DigestFinal_ex(h->evp, md, &n);
	else
		SHA256Final(md, &h->md);
	img_sha256_free(h);
	strcpy(out, "sha256:");
	for (int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

void img_sha256_free(struct img_sha256 *h)
{
	if (h->evp)
		sym_EVP_MD_CTX_free(h->evp);
	h->evp = NULL;
}
