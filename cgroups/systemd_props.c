/* See systemd_props.h.  Conversions follow runc's systemd driver
 * (libcontainer/cgroups/systemd), so a config behaves the same under both. */
#include "cgroups/systemd_props.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

void sd_props_free(struct sd_props *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].s);
		free(p->v[i].bytes);
	}
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

const struct sd_prop *sd_props_find(const struct sd_props *p, const char *name)
{
	for (size_t i = p->n; i-- > 0;)
		if (strcmp(p->v[i].name, name) == 0)
			return &p->v[i];
	return NULL;
}

struct sd_prop *sd_props_push(struct sd_props *p, const char *name, char type,
			      struct hull_error *err)
{
	struct sd_prop *v = realloc(p->v, (p->n + 1) * sizeof(*v));

	if (v == NULL) {
		hull_error_errno(err, "realloc");
		return NULL;
	}
	p->v = v;
	v = &p->v[p->n];
	memset(v, 0, sizeof(*v));
	if ((v->name = strdup(name)) == NULL) {
		hull_error_errno(err, "strdup");
		return NULL;
	}
	v->type = type;
	p->n++;
	return v;
}

int sd_props_add_str(struct sd_props *p, const char *name, const char *s,
		     struct hull_error *err)
{
	struct sd_prop *v = sd_props_push(p, name, 's', err);

	if (v == NULL)
		return -1;
	if ((v->s = strdup(s)) == NULL)
		return hull_error_errno(err, "strdup");
	return 0;
}

int sd_props_add_bool(struct sd_props *p, const char *name, bool b,
		      struct hull_error *err)
{
	struct sd_prop *v = sd_props_push(p, name, 'b', err);

	if (v == NULL)
		return -1;
	v->b = b;
	return 0;
}

static int push_u64(struct sd_props *p, const char *name, uint64_t u,
		    struct hull_error *err)
{
	struct sd_prop *v = sd_props_push(p, name, 't', err);

	if (v == NULL)
		return -1;
	v->u = u;
	return 0;
}

/* Unit names: systemd's allowed characters, and no '/'. */
static bool unit_chars_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(":-_.\\@", *s))
			return false;
	return true;
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "". */
static int slice_path(const char *slice, char **out, struct hull_error *err)
{
	size_t len = strlen(slice) - strlen(".slice");
	autofree char *acc = NULL;
	size_t cap = 2 * strlen(slice) * (len + 1) + 2, used = 0;

	if (strcmp(slice, "-.slice") == 0) {
		*out = strdup("");
		return *out ? 0 : hull_error_errno(err, "strdup");
	}
	acc = calloc(1, cap);
	if (acc == NULL)
		return hull_error_errno(err, "calloc");
	for (size_t i = 0; i <= len; i++) {
		if (i < len && slice[i] != '-')
			continue;
		if (i == 0 || slice[i - 1] == '-')
			return hull_error_set(err, EINVAL,
					      "linux.cgroupsPath: invalid slice name \"%s\"", slice);
		used += (size_t)snprintf(acc + used, cap - used, "/%.*s.slice", (int)i, slice);
	}
	*out = steal_pointer(&acc);
	return 0;
}

int cgroup_systemd_parse_path(const char *id, const char *cgroups_path,
			      char **slice, char **unit, char **path,
			      struct hull_error *err)
{
	autofree char *copy = NULL, *sl = NULL, *un = NULL, *sp = NULL;
	const char *s, *prefix, *name;
	char *c1, *c2;

	copy = strdup(cgroups_path && *cgroups_path ? cgroups_path : "system.slice:hull:");
	if (copy == NULL)
		return hull_error_errno(err, "strdup");
	c1 = strchr(copy, ':');
	c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (c1 == NULL || c2 == NULL || strchr(c2 + 1, ':'))
		return hull_error_set(err, EINVAL,
				      "linux.cgroupsPath: \"%s\" is not \"slice:prefix:name\" (the systemd driver's format)",
				      cgroups_path);
	*c1 = *c2 = '\0';
	s = *copy ? copy : "system.slice";
	prefix = c1 + 1;
	name = c2[1] ? c2 + 1 : id;
	if (strlen(s) <= strlen(".slice") || strcmp(s + strlen(s) - strlen(".slice"), ".slice") ||
	    !unit_chars_ok(s))
		return hull_error_set(err, EINVAL,
				      "linux.cgroupsPath: slice \"%s\" must be a unit name ending in \".slice\"", s);
	if (strlen(name) > 6 && strcmp(name + strlen(name) - 6, ".slice") == 0)
		return hull_error_set(err, ENOTSUP,
				      "linux.cgroupsPath: a name ending in \".slice\" (a slice per container) is not supported; name a scope");
	if (*prefix ? asprintf(&un, "%s-%s.scope", prefix, name) < 0
		    : asprintf(&un, "%s.scope", name) < 0)
		return hull_error_errno(err, "asprintf");
	if (!unit_chars_ok(un) || strlen(un) > 255)
		return hull_error_set(err, EINVAL,
				      "linux.cgroupsPath: \"%s\" is not a valid systemd unit name", un);
	if (slice_path(s, &sp, err) < 0)
		return -1;
	if ((sl = strdup(s)) == NULL || asprintf(path, "%s/%s", sp, un) < 0)
		return hull_error_errno(err, "strdup");
	*slice = steal_pointer(&sl);
	*unit = steal_pointer(&un);
	return 0;
}

int cgroup_systemd_cpuset_mask(const char *list, uint8_t **bytes, size_t *n,
			       struct hull_error *err)
{
	autofree uint8_t *b = NULL;
	size_t nb = 0;
	const char *p = list;

	while (*p) {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;

		if (end == p)
			goto bad;
		if (*end == '-') {
			p = end + 1;
			hi = strtoul(p, &end, 10);
			if (end == p || hi < lo)
				goto bad;
		}
		if (hi >= 8192)
			return hull_error_set(err, ERANGE, "cpu set \"%s\": %lu is too large", list, hi);
		if (hi / 8 + 1 > nb) {
			uint8_t *nbuf = realloc(b, hi / 8 + 1);

			if (nbuf == NULL)
				return hull_error_errno(err, "realloc");
			memset(nbuf + nb, 0, hi / 8 + 1 - nb);
			b = nbuf;
			nb = hi / 8 + 1;
		}
		for (unsigned long i = lo; i <= hi; i++)
			b[i / 8] |= (uint8_t)(1u << (i % 8));
		if (*end == ',')
			end++;
		else if (*end != '\0' && *end != '\n')
			goto bad;
		p = *end == '\n' ? end + 1 : end;
	}
	*bytes = steal_pointer(&b);
	*n = nb;
	return 0;
bad:
	return hull_error_set(err, EINVAL, "cpu set \"%s\": expected a list like \"0-3,6\"", list);
}

static int push_mask(struct sd_props *p, const char *name, const char *list,
		     const char *field, struct hull_error *err)
{
	struct sd_prop *v;
	uint8_t *b;
	size_t n;

	if (cgroup_systemd_cpuset_mask(list, &b, &n, err) < 0)
		return hull_error_prefix(err, "linux.resources.cpu.%s", field);
	v = sd_props_push(p, name, 'y', err);
	if (v == NULL) {
		free(b);
		return -1;
	}
	v->bytes = b;
	v->n_bytes = n;
	return 0;
}

static int memory_props(const struct spec_memory *m, struct sd_props *p,
			struct hull_error *err)
{
	if (m->limit.set && m->limit.v != 0 &&
	    push_u64(p, "MemoryMax", m->limit.v < 0 ? UINT64_MAX : (uint64_t)m->limit.v, err) < 0)
		return -1;
	if (m->reservation.set && m->reservation.v > 0 &&
	    push_u64(p, "MemoryLow", (uint64_t)m->reservation.v, err) < 0)
		return -1;
	/* OCI's swap is memory+swap (v1); systemd's MemorySwapMax is swap
	 * alone, as cgroup v2's memory.swap.max. */
	if (m->swap.set && m->swap.v < 0)
		return push_u64(p, "MemorySwapMax", UINT64_MAX, err);
	if (m->swap.set && m->swap.v > 0 && m->limit.set && m->limit.v > 0) {
		if (m->swap.v < m->limit.v)
			return hull_error_set(err, EINVAL,
					      "linux.resources.memory.swap: %" PRId64
					      " is below memory.limit %" PRId64, m->swap.v, m->limit.v);
		return push_u64(p, "MemorySwapMax", (uint64_t)(m->swap.v - m->limit.v), err);
	}
	return 0;
}

static int cpu_props(const struct spec_cpu *c, struct sd_props *p,
		     struct hull_error *err)
{
	if (c->shares.set && c->shares.v != 0 &&
	    push_u64(p, "CPUWeight", cgroup_shares_to_weight(c->shares.v), err) < 0)
		return -1;
	if (c->quota.set) {
		uint64_t period = c->period.set && c->period.v ? c->period.v : 100000;
		uint64_t per_sec = UINT64_MAX;

		if (c->quota.v > 0) {
			per_sec = (uint64_t)c->quota.v * 1000000 / period;
			/* systemd keeps CPUQuota in 10 ms steps: round up, as
			 * runc does; the exact cpu.max is written afterwards. */
			if (per_sec % 10000)
				per_sec = (per_sec / 10000 + 1) * 10000;
		}
		if (push_u64(p, "CPUQuotaPerSecUSec", per_sec, err) < 0)
			return -1;
	}
	if (c->period.set && c->period.v &&
	    push_u64(p, "CPUQuotaPeriodUSec", c->period.v, err) < 0)
		return -1;
	if (c->cpus && *c->cpus && push_mask(p, "AllowedCPUs", c->cpus, "cpus", err) < 0)
		return -1;
	if (c->mems && *c->mems && push_mask(p, "AllowedMemoryNodes", c->mems, "mems", err) < 0)
		return -1;
	return 0;
}

/* Devices stay with the fs driver's BPF program (cgroups/devices_bpf.c):
 * systemd's DeviceAllow= names device nodes or classes, which cannot say
 * OCI's "b *:* m" or a rule for a node that does not exist on the host, and
 * two programs (systemd's and ours) would both have to allow an access. */
int cgroup_systemd_resource_props(const struct spec_resources *r,
				  struct sd_props *out, struct hull_error *err)
{
	if (r->memory_set && memory_props(&r->memory, out, err) < 0)
		return -1;
	if (r->cpu_set && cpu_props(&r->cpu, out, err) < 0)
		return -1;
	if (r->pids_set && r->pids_limit.set &&
	    push_u64(out, "TasksMax", r->pids_limit.v > 0 ? (uint64_t)r->pids_limit.v : UINT64_MAX,
		     err) < 0)
		return -1;
	if (r->blkio_set && r->blkio.weight.set && r->blkio.weight.v != 0 &&
	    push_u64(out, "IOWeight", cgroup_blkio_weight_to_io(r->blkio.weight.v), err) < 0)
		return -1;
	return 0;
}

static int parse_number(const char *s, bool is_signed, int64_t *i, uint64_t *u)
{
	char *end;

	errno = 0;
	if (is_signed)
		*i = strtoll(s, &end, 0);
	else if (*s == '-')
		return -1;
	else
		*u = strtoull(s, &end, 0);
	return (errno || end == s || *end) ? -1 : 0;
}

int cgroup_systemd_annotation_prop(const char *name, const char *value,
				   struct sd_props *out, struct hull_error *err)
{
	static const struct { const char *word; char type; } typed[] = {
		{ "uint64 ", 't' }, { "int64 ", 'x' }, { "uint32 ", 'u' }, { "int32 ", 'i' },
	};
	size_t len = strlen(value);
	struct sd_prop *v;

	if (!unit_chars_ok(name) || strpbrk(name, ":-.\\@"))
		return hull_error_set(err, EINVAL, "annotations." SD_ANNOTATION_PREFIX "%s: invalid property name", name);
	/* What the driver itself owns: changing these breaks its bookkeeping. */
	if (strcmp(name, "PIDs") == 0 || strcmp(name, "Slice") == 0 || strcmp(name, "Delegate") == 0)
		return hull_error_set(err, EINVAL, "annotations." SD_ANNOTATION_PREFIX "%s: set by Hull, cannot be overridden", name);
	if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
		if ((v = sd_props_push(out, name, 'b', err)) == NULL)
			return -1;
		v->b = value[0] == 't';
		return 0;
	}
	if (len >= 2 && (value[0] == '\'' || value[0] == '"') && value[len - 1] == value[0]) {
		if ((v = sd_props_push(out, name, 's', err)) == NULL)
			return -1;
		if ((v->s = strndup(value + 1, len - 2)) == NULL)
			return hull_error_errno(err, "strndup");
		return 0;
	}
	for (size_t k = 0; k < sizeof(typed) / sizeof(typed[0]); k++) {
		size_t wl = strlen(typed[k].word);
		int64_t i = 0;
		uint64_t u = 0;
		bool sgn = typed[k].type == 'x' || typed[k].type == 'i';

		if (strncmp(value, typed[k].word, wl) != 0)
			continue;
		if (parse_number(value + wl, sgn, &i, &u) < 0 ||
		    (typed[k].type == 'u' && u > UINT32_MAX) ||
		    (typed[k].type == 'i' && (i < INT32_MIN || i > INT32_MAX)))
			break;
		if ((v = sd_props_push(out, name, typed[k].type, err)) == NULL)
			return -1;
		v->u = u;
		v->i = i;
		return 0;
	}
	{
		uint64_t u;
		int64_t i;

		if (isdigit((unsigned char)value[0]) && parse_number(value, false, &i, &u) == 0)
			return push_u64(out, name, u, err);
	}
	return hull_error_set(err, EINVAL,
			      "annotations." SD_ANNOTATION_PREFIX "%s: \"%s\" is not a value Hull can pass (true/false, \"uint64 N\", a number, or a quoted string)",
			      name, value);
}
