/* Optional libraries loaded on first use (dlopen), the way systemd loads
 * its optional dependencies.
 *
 * Why: every create/run/exec re-executes Hull from a memfd, so each library
 * linked into the binary is mapped and relocated twice per container.  The
 * libraries only some verbs need (libnftables for NAT and ports, libcurl and
 * libarchive for images, libsystemd for the systemd driver) are therefore
 * not linked: the module that needs one declares typed pointers to the
 * functions it calls and loads them here the first time.  A missing
 * library is an ordinary error naming it and the Debian package.
 *
 * Usage, in the one file that calls the library:
 *
 *     #include <nftables/libnftables.h>
 *     static DLIB_PTR(nft_ctx_new);            // __typeof__(&nft_ctx_new)
 *     static const struct dlib_sym nft_syms[] = { DLIB_SYM(nft_ctx_new) };
 *     static struct dlib nft_lib = { "libnftables.so.1", "libnftables1" };
 *     ...
 *     if (dlib_load(&nft_lib, nft_syms, DLIB_COUNT(nft_syms), err) < 0)
 *             return -1;
 *     struct nft_ctx *ctx = sym_nft_ctx_new(NFT_CTX_DEFAULT);
 */
#ifndef HULL_DLIB_H
#define HULL_DLIB_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

struct dlib {
	const char *soname;     /* e.g. "libnftables.so.1" */
	const char *package;    /* Debian package that ships it, for the error */
	void *handle;           /* set by dlib_load, never closed */
};

struct dlib_sym {
	const char *name;
	void **slot;
};

#define DLIB_PTR(fn) __typeof__(&fn) sym_##fn
#define DLIB_SYM(fn) { #fn, (void **)&sym_##fn }
#define DLIB_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Opens lib (once; later calls return 0 at once) and fills every slot.
 * Fails, naming the library, the missing symbol or the package to install;
 * a failed load leaves no slot set and may be retried. */
int dlib_load(struct dlib *lib, const struct dlib_sym *syms, size_t n,
	      struct hull_error *err);

#endif
