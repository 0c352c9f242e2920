/* The effective device rule list, shared by the v1 (devices.allow/deny)
 * and v2 (eBPF) drivers.  Order as runc: deny everything, the spec's
 * rules, then the devices every container gets (/dev/null and friends,
 * mknod of anything, ptys) and linux.devices, so a spec cannot lock the
 * container out of its own /dev/null. */
#include "cgroups/cgroup_internal.h"

#include <stdlib.h>
#include <string.h>

static const struct spec_device_rule default_allowed[] = {
	{ true, 'c', -1, -1, "m" },    /* mknod of any char device */
	{ true, 'b', -1, -1, "m" },    /* mknod of any block device */
	{ true, 'c', 1, 3, "rwm" },    /* /dev/null */
	{ true, 'c', 1, 5, "rwm" },    /* /dev/zero */
	{ true, 'c', 1, 7, "rwm" },    /* /dev/full */
	{ true, 'c', 1, 8, "rwm" },    /* /dev/random */
	{ true, 'c', 1, 9, "rwm" },    /* /dev/urandom */
	{ true, 'c', 5, 0, "rwm" },    /* /dev/tty */
	{ true, 'c', 5, 1, "rwm" },    /* /dev/console */
	{ true, 'c', 5, 2, "rwm" },    /* /dev/ptmx */
	{ true, 'c', 136, -1, "rwm" }, /* /dev/pts/N */
	{ true, 'c', 10, 200, "rwm" }, /* /dev/net/tun */
};

int cgroup_device_rules(const struct cgroup_manager *m,
			const struct spec_resources *r,
			struct spec_device_rule **out, size_t *n,
			struct hull_error *err)
{
	size_t nd = sizeof(default_allowed) / sizeof(default_allowed[0]);
	size_t ns = r && r->devices_set ? r->n_devices : 0;
	size_t total = 1 + ns + nd + m->n_extra_dev, k = 0;
	struct spec_device_rule *v = calloc(total, sizeof(*v));

	if (v == NULL)
		return hull_error_errno(err, "calloc");
	v[k++] = (struct spec_device_rule){ false, 'a', -1, -1, "rwm" };
	for (size_t i = 0; i < ns; i++)
		v[k++] = r->devices[i];
	for (size_t i = 0; i < nd; i++)
		v[k++] = default_allowed[i];
	for (size_t i = 0; i < m->n_extra_dev; i++)
		v[k++] = m->extra_dev[i];
	*out = v;
	*n = k;
	return 0;
}
