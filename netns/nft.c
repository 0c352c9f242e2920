/* NAT and port rules through libnftables, loaded on first use.
 *
 * Everything Hull does lives in one table, `inet hull`, with four base
 * chains; nothing else on the host is touched.  Every rule carries a
 * comment whose first word is its owner tag ("<netdir hash>:<key>" for a
 * container, "<netdir hash>:net:<name>" for a network), which is how a
 * container's rules are found again, even after Hull was killed before it
 * could record them. */
#include <errno.h>
#include <stdarg.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/dlib.h"
#include "netns/internal.h"

static DLIB_PTR(nft_ctx_new);
static DLIB_PTR(nft_ctx_buffer_output);
static DLIB_PTR(nft_ctx_buffer_error);
static DLIB_PTR(nft_ctx_get_output_buffer);
static DLIB_PTR(nft_ctx_get_error_buffer);
static DLIB_PTR(nft_ctx_output_set_flags);
static DLIB_PTR(nft_run_cmd_from_buffer);
static const struct dlib_sym nft_syms[] = {
	DLIB_SYM(nft_ctx_new),
	DLIB_SYM(nft_ctx_buffer_output), DLIB_SYM(nft_ctx_buffer_error),
	DLIB_SYM(nft_ctx_get_output_buffer), DLIB_SYM(nft_ctx_get_error_buffer),
	DLIB_SYM(nft_ctx_output_set_flags), DLIB_SYM(nft_run_cmd_from_buffer),
};
static struct dlib nft_lib = { "libnftables.so.1", "libnftables1", NULL };

/* Base chains at the standard NAT/filter priorities.  `add` is idempotent,
 * so every batch can start with these lines: a table deleted by an admin
 * comes back with the next change. */
const char nft_base[] =
	"add table inet hull\n"
	"add chain inet hull prerouting { type nat hook prerouting priority dstnat; }\n"
	"add chain inet hull output { type nat hook output priority -100; }\n"
	"add chain inet hull postrouting { type nat hook postrouting priority srcnat; }\n"
	"add chain inet hull forward { type filter hook forward priority filter; }\n";

/* One context per process, never freed: closing its netlink socket
 * right after a commit sleeps in the kernel until the transaction's
 * objects are freed, an RCU grace period (nft_rcv_nl_event flushes
 * nf_tables' destroy work), 10-20 ms per batch here.  Left open, the
 * socket is closed at exit, by when that work has usually run; and one
 * context lets a listing and the batch built from it share libnftables'
 * cache. */
static struct nft_ctx *nft_shared;

static struct nft_ctx *nft_open(struct hull_error *err)
{
	if (nft_shared)
		return nft_shared;
	if (dlib_load(&nft_lib, nft_syms, DLIB_COUNT(nft_syms), err) < 0)
		return NULL;
	if ((nft_shared = sym_nft_ctx_new(NFT_CTX_DEFAULT)) == NULL) {
		hull_error_set(err, ENOMEM, "nft_ctx_new");
		return NULL;
	}
	sym_nft_ctx_buffer_output(nft_shared);
	sym_nft_ctx_buffer_error(nft_shared);
	return nft_shared;
}

/* Runs cmds; on success *out (if asked) gets a copy of the output. */
static int nft_run(const char *cmds, unsigned int flags, char **out, struct hull_error *err)
{
	struct nft_ctx *ctx = nft_open(err);
	int rc = 0;

	if (ctx == NULL)
		return -1;
	sym_nft_ctx_output_set_flags(ctx, flags);
	if (sym_nft_run_cmd_from_buffer(ctx, cmds) != 0) {
		const char *e = sym_nft_ctx_get_error_buffer(ctx);
		size_t len = strcspn(e ? e : "", "\n");

		rc = hull_error_set(err, strstr(e ? e : "", "No such file") ? ENOENT : EIO,
				    "nftables: %.*s", (int)len, e ? e : "unknown error");
	} else if (out && (*out = strdup(sym_nft_ctx_get_output_buffer(ctx))) == NULL) {
		rc = hull_error_errno(err, "strdup");
	}
	/* Reading the buffers rewinds them for the next command. */
	if (out == NULL)
		sym_nft_ctx_get_output_buffer(ctx);
	sym_nft_ctx_get_error_buffer(ctx);
	return rc;
}

int nft_batch(const char *cmds, struct hull_error *err)
{
	return nft_run(cmds, 0, NULL, err);
}

static int append(char **buf, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int append(char **buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL, *nb;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0 || (nb = realloc(*buf, *len + (size_t)n + 1)) == NULL) {
		free(s);
		return -1;
	}
	memcpy(nb + *len, s, (size_t)n + 1);
	*len += (size_t)n;
	*buf = nb;
	free(s);
	return 0;
}

int nft_delete_tagged(const char *tag, const char *prefix,
		      bool (*stale)(const char *owner, void *arg), void *arg,
		      size_t *deleted, struct hull_error *err)
{
	autofree char *listing = NULL, *batch = NULL;
	json_node *root = NULL;
	const json_node *items;
	size_t blen = 0, n = 0;
	int rc = -1;

	if (nft_run("list table inet hull", NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE,
		    &listing, err) < 0) {
		if (err->code != ENOENT)
			return -1;
		hull_error_clear(err);      /* no table: nothing of ours exists */
		return 0;
	}
	if (json_parse(listing, &root, err) < 0)
		return hull_error_prefix(err, "nft's JSON listing");
	items = json_object_get(root, "nftables");
	for (size_t i = 0; items && i < json_array_len(items); i++) {
		const json_node *rule = json_object_get(json_array_get(items, i), "rule");
		const json_node *c = rule ? json_object_get(rule, "comment") : NULL;
		const json_node *chain = rule ? json_object_get(rule, "chain") : NULL;
		const json_node *h = rule ? json_object_get(rule, "handle") : NULL;
		char owner[128];
		int64_t handle;
		bool match;

		if (c == NULL || chain == NULL || h == NULL || json_type_of(c) != JSON_STRING ||
		    json_number_int64(h, &handle) < 0)
			continue;
		snprintf(owner, sizeof(owner), "%.*s", (int)strcspn(json_string(c), " "),
			 json_string(c));
		if (tag)
			match = strcmp(owner, tag) == 0;
		else
			match = strncmp(owner, prefix, strlen(prefix)) == 0 &&
				stale(owner + strlen(prefix), arg);
		if (!match)
			continue;
		if (append(&batch, &blen, "delete rule inet hull %s handle %lld\n",
			   json_string(chain), (long long)handle) < 0) {
			hull_error_errno(err, "building nft batch");
			goto out;
		}
		n++;
	}
	/* All of the owner's rules go in one transaction: no window where
	 * half of a container's DNAT is gone. */
	if (batch && nft_batch(batch, err) < 0)
		goto out;
	if (deleted)
		*deleted += n;
	rc = 0;
out:
	json_free(root);
	return rc;
}
