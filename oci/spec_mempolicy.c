/* linux.memoryPolicy (runtime-spec 1.2): the NUMA policy the container's
 * process starts with, applied by set_mempolicy(2) in the child before
 * execve (runtime/process_numa.c).
 *
 * Validation follows the kernel's own checks (mm/mempolicy.c:
 * sanitize_mpol_flags, mpol_new), so that a config the kernel would refuse
 * fails at create, naming the field:
 * - MPOL_DEFAULT and MPOL_LOCAL take no nodes and no flags;
 * - MPOL_BIND, MPOL_INTERLEAVE, MPOL_WEIGHTED_INTERLEAVE and
 *   MPOL_PREFERRED_MANY need nodes; MPOL_PREFERRED may have none (it then
 *   means local allocation);
 * - MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other, and
 *   MPOL_F_NUMA_BALANCING is only for MPOL_BIND and MPOL_PREFERRED_MANY.
 * Whether the nodes exist on this host is the kernel's answer (EINVAL from
 * set_mempolicy, reported with the field). */
#include "oci/spec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

/* linux/mempolicy.h, spelled out: older headers lack the newer modes. */
enum {
	HULL_MPOL_DEFAULT, HULL_MPOL_PREFERRED, HULL_MPOL_BIND, HULL_MPOL_INTERLEAVE,
	HULL_MPOL_LOCAL, HULL_MPOL_PREFERRED_MANY, HULL_MPOL_WEIGHTED_INTERLEAVE,
};
#define HULL_MPOL_F_NUMA_BALANCING (1 << 13)
#define HULL_MPOL_F_RELATIVE_NODES (1 << 14)
#define HULL_MPOL_F_STATIC_NODES (1 << 15)

static const char *const modes[] = {
	[HULL_MPOL_DEFAULT] = "MPOL_DEFAULT",
	[HULL_MPOL_PREFERRED] = "MPOL_PREFERRED",
	[HULL_MPOL_BIND] = "MPOL_BIND",
	[HULL_MPOL_INTERLEAVE] = "MPOL_INTERLEAVE",
	[HULL_MPOL_LOCAL] = "MPOL_LOCAL",
	[HULL_MPOL_PREFERRED_MANY] = "MPOL_PREFERRED_MANY",
	[HULL_MPOL_WEIGHTED_INTERLEAVE] = "MPOL_WEIGHTED_INTERLEAVE",
};

static const struct {
	const char *name;
	int flag;
} mode_flags[] = {
	{ "MPOL_F_NUMA_BALANCING", HULL_MPOL_F_NUMA_BALANCING },
	{ "MPOL_F_RELATIVE_NODES", HULL_MPOL_F_RELATIVE_NODES },
	{ "MPOL_F_STATIC_NODES", HULL_MPOL_F_STATIC_NODES },
};

static int parse_node(const char **s, unsigned long *out)
{
	char *end;

	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	*out = strtoul(*s, &end, 10);
	if (errno || *out >= SPEC_MPOL_NODES)
		return -1;
	*s = end;
	return 0;
}

/* "0-3,5": comma-separated node ids and inclusive ranges, as in cpusets. */
int spec_parse_node_list(const char *list, uint64_t *mask, size_t words)
{
	const char *s = list;

	memset(mask, 0, words * sizeof(*mask));
	if (*s == '\0')
		return 0;
	for (;;) {
		unsigned long lo, hi;

		if (parse_node(&s, &lo) < 0)
			return -1;
		hi = lo;
		if (*s == '-') {
			s++;
			if (parse_node(&s, &hi) < 0 || hi < lo)
				return -1;
		}
		if (hi >= words * 64)
			return -1;
		for (unsigned long n = lo; n <= hi; n++)
			mask[n / 64] |= 1ULL << (n % 64);
		if (*s == '\0')
			return 0;
		if (*s != ',')
			return -1;
		s++;
	}
}

static bool mask_empty(const uint64_t *mask, size_t words)
{
	for (size_t i = 0; i < words; i++)
		if (mask[i])
			return false;
	return true;
}

int spec_parse_memory_policy(const json_node *node, struct spec_linux *l,
			     struct hull_error *err)
{
	static const char where[] = "linux.memoryPolicy";
	const json_node *mp;
	autofree char *mode = NULL;
	autofree char *nodes = NULL;
	char **flags = NULL;
	size_t n_flags = 0, words = sizeof(l->mempolicy_nodes) / sizeof(l->mempolicy_nodes[0]);
	int m = -1, f = 0;
	bool empty;
	int r = json_get_object(node, "memoryPolicy", "linux", &mp, err);

	if (r <= 0)
		return r;
	if (json_get_string(mp, "mode", where, &mode, err) < 0 ||
	    json_get_string(mp, "nodes", where, &nodes, err) < 0)
		return -1;
	if (mode == NULL)
		return json_path_error(err, where, "mode", "missing");
	for (int i = 0; i < (int)(sizeof(modes) / sizeof(modes[0])); i++)
		if (strcmp(mode, modes[i]) == 0)
			m = i;
	if (m < 0)
		return json_path_error(err, where, "mode", "unknown mode \"%s\"", mode);
	if (nodes && spec_parse_node_list(nodes, l->mempolicy_nodes, words) < 0)
		return json_path_error(err, where, "nodes",
				       "\"%s\" is not a list of node ids 0-%d and ranges (e.g. \"0-3,5\")",
				       nodes, SPEC_MPOL_NODES - 1);
	if (json_get_string_array(mp, "flags", where, &flags, &n_flags, err) < 0)
		return -1;
	for (size_t i = 0; i < n_flags; i++) {
		size_t j;

		for (j = 0; j < sizeof(mode_flags) / sizeof(mode_flags[0]); j++)
			if (strcmp(flags[i], mode_flags[j].name) == 0)
				break;
		if (j == sizeof(mode_flags) / sizeof(mode_flags[0])) {
			hull_error_set(err, EINVAL, "%s.flags[%zu]: unknown flag \"%s\"", where, i, flags[i]);
			strv_free(flags);
			return -1;
		}
		f |= mode_flags[j].flag;
	}
	strv_free(flags);
	empty = mask_empty(l->mempolicy_nodes, words);
	if ((m == HULL_MPOL_DEFAULT || m == HULL_MPOL_LOCAL) && !empty)
		return json_path_error(err, where, "nodes", "%s takes no nodes", mode);
	if ((m == HULL_MPOL_DEFAULT || m == HULL_MPOL_LOCAL) && f)
		return json_path_error(err, where, "flags", "%s takes no flags", mode);
	if (empty && m != HULL_MPOL_DEFAULT && m != HULL_MPOL_LOCAL && m != HULL_MPOL_PREFERRED)
		return json_path_error(err, where, "nodes", "%s needs at least one node", mode);
	if ((f & HULL_MPOL_F_STATIC_NODES) && (f & HULL_MPOL_F_RELATIVE_NODES))
		return json_path_error(err, where, "flags",
				       "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other");
	if ((f & HULL_MPOL_F_NUMA_BALANCING) && m != HULL_MPOL_BIND && m != HULL_MPOL_PREFERRED_MANY)
		return json_path_error(err, where, "flags",
				       "MPOL_F_NUMA_BALANCING needs MPOL_BIND or MPOL_PREFERRED_MANY");
	l->mempolicy_mode = m | f;
	l->has_memory_policy = true;
	return 0;
}
