/* OCI hooks: each runs with the container state JSON on stdin, its own
 * args and env, and an optional timeout after which it is killed. */
#ifndef HULL_HOOKS_H
#define HULL_HOOKS_H

#include "base/error.h"
#include "oci/spec.h"

const char *hooks_kind_name(enum spec_hook_kind k);
/* Runs all hooks of kind k in order; the first failure stops the list. */
int hooks_run(const struct spec_hooks *h, enum spec_hook_kind k,
	      const char *state_json, struct hull_error *err);

#endif
