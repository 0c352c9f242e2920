/* Placement: where a container's group goes (documented in README.md).
 *   absolute linux.cgroupsPath  -> used as given, below each hierarchy root
 *   relative linux.cgroupsPath  -> below /hull
 *   unset                       -> /hull/<id>
 * Never below the runtime's own cgroup: a runtime started from a shell or
 * a service would otherwise nest containers wherever it happened to run. */
#include "cgroups/cgroup_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cgroup_path_validate(const char *path, struct hull_error *err)
{
	const char *p = path;

	if (strlen(path) > 4000)
		return hull_error_set(err, EINVAL, "linux.cgroupsPath: too long");
	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t len = (size_t)(end - p);

		if ((len == 2 && strncmp(p, "..", 2) == 0) || (len == 1 && *p == '.'))
			return hull_error_set(err, EINVAL,
					      "linux.cgroupsPath: \"%s\" must not contain \"%.*s\" components",
					      path, (int)len, p);
		p = *end ? end + 1 : end;
	}
	if (strchr(path, '\n'))
		return hull_error_set(err, EINVAL, "linux.cgroupsPath: contains a newline");
	return 0;
}

int cgroup_resolve_path(const char *id, const char *cgroups_path, char **out,
			struct hull_error *err)
{
	char *s = NULL;
	int r;

	if (cgroups_path && cgroup_path_validate(cgroups_path, err) < 0)
		return -1;
	if (cgroups_path == NULL || cgroups_path[0] == '\0')
		r = asprintf(&s, "/hull/%s", id);
	else if (cgroups_path[0] == '/')
		r = asprintf(&s, "%s", cgroups_path);
	else
		r = asprintf(&s, "/hull/%s", cgroups_path);
	if (r < 0)
		return hull_error_errno(err, "asprintf");
	/* Normalize: no trailing slash, no doubled slashes. */
	{
		char *w = s;

		for (char *rd = s; *rd; rd++)
			if (!(*rd == '/' && (rd[1] == '/' || rd[1] == '\0')))
				*w++ = *rd;
		*w = '\0';
	}
	if (strcmp(s, "") == 0 || strcmp(s, "/") == 0) {
		free(s);
		return hull_error_set(err, EINVAL,
				      "linux.cgroupsPath: the root cgroup cannot hold a container");
	}
	*out = s;
	return 0;
}
