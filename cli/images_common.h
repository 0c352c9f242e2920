/* Flags and progress output shared by the image verbs (pull, run --image). */
#ifndef HULL_CLI_IMAGES_COMMON_H
#define HULL_CLI_IMAGES_COMMON_H

#include <stdbool.h>

#include "cli/cli.h"
#include "images/pull.h"

struct image_flags {
	const char *store;       /* --store */
	const char *platform;    /* --platform */
	bool tls_verify;         /* --tls-verify[=false] */
	bool quiet;              /* --quiet */
	unsigned parallel;       /* --parallel */
};

/* Handles one of the shared long options (by getopt value); false if c is
 * not one of them. */
#define IMAGE_FLAG_OPTIONS \
	{ "store", required_argument, NULL, 1001 }, \
	{ "platform", required_argument, NULL, 1002 }, \
	{ "tls-verify", optional_argument, NULL, 1003 }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "parallel", required_argument, NULL, 1004 }
bool image_flag(struct image_flags *f, int c, const char *arg, bool *bad);
void image_flags_init(struct image_flags *f);

/* Fills pull options (platform, TLS, progress printer on stderr). */
int image_pull_opts(const struct image_flags *f, struct pull_opts *o, struct hull_error *err);
void image_progress_finish(void);

#define IMAGE_FLAGS_USAGE \
	"  --store DIR             image store (default $HULL_STORE or /var/lib/hull)\n" \
	"  --platform OS/ARCH[/V]  platform to pick from an index (default: this host's)\n" \
	"  --tls-verify=false      accept any TLS certificate, and plain HTTP\n" \
	"  --parallel N            layers downloaded at once (default 4)\n" \
	"  --quiet, -q             no progress output\n"

#endif
