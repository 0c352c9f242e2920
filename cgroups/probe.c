/* Which cgroup layout does the host have?  Decided from filesystem magics,
 * as systemd and runc do:
 *   /sys/fs/cgroup is cgroup2                      -> pure v2
 *   /sys/fs/cgroup is tmpfs, .../unified is cgroup2 -> hybrid
 *   /sys/fs/cgroup is tmpfs otherwise               -> v1 */
#include "cgroups/cgroup_internal.h"

#include <errno.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <sys/vfs.h>

#include "base/cleanup.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

int cgroup_probe(const char *root, enum cgroup_mode *mode, struct hull_error *err)
{
	struct statfs st;
	autofree char *unified = cg_join(root, "unified");

	if (statfs(root, &st) < 0)
		return hull_error_errno(err, "statfs %s", root);
	if ((unsigned long)st.f_type == CGROUP2_SUPER_MAGIC) {
		*mode = CGROUP_MODE_V2;
		return 0;
	}
	if ((unsigned long)st.f_type != TMPFS_MAGIC)
		return hull_error_set(err, ENOTSUP,
				      "%s is neither cgroup2 nor a tmpfs of v1 hierarchies", root);
	if (unified && statfs(unified, &st) == 0 &&
	    (unsigned long)st.f_type == CGROUP2_SUPER_MAGIC)
		*mode = CGROUP_MODE_HYBRID;
	else
		*mode = CGROUP_MODE_V1;
	return 0;
}

const char *cgroup_mode_name(enum cgroup_mode mode)
{
	switch (mode) {
	case CGROUP_MODE_V2: return "v2";
	case CGROUP_MODE_HYBRID: return "hybrid";
	case CGROUP_MODE_V1: return "v1";
	}
	return "?";
}
