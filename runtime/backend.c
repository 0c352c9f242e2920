#include "runtime/backend.h"

#include <string.h>

extern const struct backend_ops *const __start_hull_backends[];
extern const struct backend_ops *const __stop_hull_backends[];

const struct backend_ops *backend_find(const char *name)
{
	for (const struct backend_ops *const *b = __start_hull_backends;
	     b < __stop_hull_backends; b++)
		if (strcmp((*b)->name, name) == 0)
			return *b;
	return NULL;
}

/* The default backend: namespaces and cgroups (runtime/spawn.c). */
HULL_BACKEND(backend_linux) = {
	.name = "linux",
	.spawn = container_spawn,
	.cleanup = NULL,
};
