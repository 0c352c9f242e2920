/* The cgroup verbs behind `update`, `pause`, `resume`, `ps` and `events`:
 * each loads the container (taking its lock), acts on its cgroup manager
 * and, where something changed, saves the state. */
#ifndef HULL_CGROUP_VERBS_H
#define HULL_CGROUP_VERBS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"

struct spec_resources;

int hull_pause(const char *root, const char *id, struct hull_error *err);
int hull_resume(const char *root, const char *id, struct hull_error *err);
/* Applies the fields set in res to the live group and records the merged
 * resources in the state.  A rejected update changes nothing. */
int hull_update(const char *root, const char *id, const struct spec_resources *res,
		struct hull_error *err);
int hull_ps_pids(const char *root, const char *id, pid_t **pids, size_t *n,
		 struct hull_error *err);

struct hull_events_opts {
	bool stats_once;           /* --stats: one stats event, then return */
	unsigned interval_ms;      /* --interval */
	/* Called with one JSON event per line (no newline); nonzero stops. */
	int (*emit)(void *ctx, const char *line);
	void *ctx;
};
/* Streams runc-style events until the container stops. */
int hull_events(const char *root, const char *id, const struct hull_events_opts *o,
		struct hull_error *err);

#endif
