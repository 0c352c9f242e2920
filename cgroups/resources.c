/* Parsing and validation of linux.resources (see resources.h). */
#include "cgroups/resources.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

#define PATH_MAX_JSON 512

/* Small wrappers so each field is one line below. */
static int get_i64(const json_node *o, const char *key, const char *path,
		   int64_t min, int64_t max, struct res_i64 *out,
		   struct hull_error *err)
{
	int r = json_get_int64(o, key, path, min, max, &out->v, err);

	if (r > 0)
		out->set = true;
	return r < 0 ? -1 : 0;
}

static int get_u64(const json_node *o, const char *key, const char *path,
		   uint64_t max, struct res_u64 *out, struct hull_error *err)
{
	int r = json_get_uint64(o, key, path, max, &out->v, err);

	if (r > 0)
		out->set = true;
	return r < 0 ? -1 : 0;
}

static int get_bool(const json_node *o, const char *key, const char *path,
		    struct res_bool *out, struct hull_error *err)
{
	int r = json_get_bool(o, key, path, &out->v, err);

	if (r > 0)
		out->set = true;
	return r < 0 ? -1 : 0;
}

/* Memory values are bytes or -1 (unlimited); anything else negative is a
 * mistake we name rather than pass to the kernel. */
static int get_mem(const json_node *o, const char *key, const char *path,
		   struct res_i64 *out, struct hull_error *err)
{
	return get_i64(o, key, path, -1, INT64_MAX, out, err);
}

static int parse_memory(const json_node *o, const char *path,
			struct spec_memory *m, struct hull_error *err)
{
	if (get_mem(o, "limit", path, &m->limit, err) < 0 ||
	    get_mem(o, "reservation", path, &m->reservation, err) < 0 ||
	    get_mem(o, "swap", path, &m->swap, err) < 0 ||
	    get_mem(o, "kernel", path, &m->kernel, err) < 0 ||
	    get_mem(o, "kernelTCP", path, &m->kernel_tcp, err) < 0 ||
	    get_u64(o, "swappiness", path, 100, &m->swappiness, err) < 0 ||
	    get_bool(o, "disableOOMKiller", path, &m->disable_oom_killer, err) < 0 ||
	    get_bool(o, "useHierarchy", path, &m->use_hierarchy, err) < 0 ||
	    get_bool(o, "checkBeforeUpdate", path, &m->check_before_update, err) < 0)
		return -1;
	if (m->limit.set && m->swap.set && m->limit.v > 0 && m->swap.v > 0 &&
	    m->swap.v < m->limit.v)
		return json_path_error(err, path, "swap",
				       "%" PRId64 " is below memory.limit %" PRId64
				       " (swap counts memory plus swap)",
				       m->swap.v, m->limit.v);
	return 0;
}

/* A cpuset list: "0-3,5,7-8".  Checked here so a typo names the field
 * instead of failing later with the kernel's EINVAL. */
static bool cpuset_list_valid(const char *s)
{
	const char *p = s;

	if (*p == '\0')
		return true;    /* empty means "inherit" */
	for (;;) {
		char *end;
		unsigned long a, b;

		if (*p < '0' || *p > '9')
			return false;
		a = strtoul(p, &end, 10);
		p = end;
		if (*p == '-') {
			p++;
			if (*p < '0' || *p > '9')
				return false;
			b = strtoul(p, &end, 10);
			if (b < a)
				return false;
			p = end;
		}
		if (*p == '\0')
			return true;
		if (*p != ',')
			return false;
		p++;
	}
}

static int parse_cpu(const json_node *o, const char *path, struct spec_cpu *c,
		     struct hull_error *err)
{
	if (get_u64(o, "shares", path, UINT64_MAX, &c->shares, err) < 0 ||
	    get_i64(o, "quota", path, -1, INT64_MAX, &c->quota, err) < 0 ||
	    get_u64(o, "burst", path, UINT64_MAX, &c->burst, err) < 0 ||
	    get_u64(o, "period", path, UINT64_MAX, &c->period, err) < 0 ||
	    get_i64(o, "realtimeRuntime", path, -1, INT64_MAX, &c->realtime_runtime, err) < 0 ||
	    get_u64(o, "realtimePeriod", path, UINT64_MAX, &c->realtime_period, err) < 0 ||
	    get_i64(o, "idle", path, 0, 1, &c->idle, err) < 0 ||
	    json_get_string(o, "cpus", path, &c->cpus, err) < 0 ||
	    json_get_string(o, "mems", path, &c->mems, err) < 0)
		return -1;
	/* The kernel's own bounds for CFS periods: 1ms .. 1s. */
	if (c->period.set && c->period.v != 0 &&
	    (c->period.v < 1000 || c->period.v > 1000000))
		return json_path_error(err, path, "period",
				       "%" PRIu64 " out of range [1000, 1000000] (microseconds)",
				       c->period.v);
	if (c->quota.set && c->quota.v > 0 && c->quota.v < 1000)
		return json_path_error(err, path, "quota",
				       "%" PRId64 " is below the kernel's minimum of 1000 microseconds",
				       c->quota.v);
	if (c->shares.set && c->shares.v != 0 && (c->shares.v < 2 || c->shares.v > 262144))
		return json_path_error(err, path, "shares",
				       "%" PRIu64 " out of range [2, 262144]", c->shares.v);
	if (c->cpus && !cpuset_list_valid(c->cpus))
		return json_path_error(err, path, "cpus", "malformed CPU list \"%s\"", c->cpus);
	if (c->mems && !cpuset_list_valid(c->mems))
		return json_path_error(err, path, "mems", "malformed memory node list \"%s\"", c->mems);
	return 0;
}

static int get_devnum(const json_node *o, const char *key, const char *path,
		      bool optional, int64_t *out, struct hull_error *err)
{
	int r = json_get_int64(o, key, path, -1, UINT32_MAX, out, err);

	if (r < 0)
		return -1;
	if (r == 0) {
		if (!optional)
			return json_path_error(err, path, key, "required");
		*out = -1;
	}
	return 0;
}

static int parse_device_rule(const json_node *o, const char *path,
			     struct spec_device_rule *d, struct hull_error *err)
{
	autofree char *type = NULL;
	autofree char *access = NULL;
	int r;

	if (json_type_of(o) != JSON_OBJECT)
		return hull_error_set(err, EINVAL, "%s: expected an object", path);
	r = json_get_bool(o, "allow", path, &d->allow, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return json_path_error(err, path, "allow", "required");
	if (json_get_string(o, "type", path, &type, err) < 0 ||
	    json_get_string(o, "access", path, &access, err) < 0 ||
	    get_devnum(o, "major", path, true, &d->major, err) < 0 ||
	    get_devnum(o, "minor", path, true, &d->minor, err) < 0)
		return -1;
	if (type == NULL || strcmp(type, "a") == 0)
		d->type = 'a';
	else if (strcmp(type, "b") == 0 || strcmp(type, "c") == 0)
		d->type = type[0];
	else
		return json_path_error(err, path, "type",
				       "\"%s\" is not a device type (want a, b or c)", type);
	if (access == NULL || access[0] == '\0') {
		strcpy(d->access, "rwm");
	} else {
		bool seen[3] = { false, false, false };
		size_t n = 0;

		for (const char *p = access; *p; p++) {
			const char *at = strchr("rwm", *p);

			if (at == NULL || seen[at - "rwm"])
				return json_path_error(err, path, "access",
						       "\"%s\" is not a subset of \"rwm\"", access);
			seen[at - "rwm"] = true;
		}
		/* Canonical order, so rules compare and print the same. */
		for (int i = 0; i < 3; i++)
			if (seen[i])
				d->access[n++] = "rwm"[i];
		d->access[n] = '\0';
	}
	return 0;
}

static int parse_devices(const json_node *arr, const char *path,
			 struct spec_resources *r, struct hull_error *err)
{
	size_t n = json_array_len(arr);
	char at[PATH_MAX_JSON];

	r->devices = calloc(n ? n : 1, sizeof(*r->devices));
	if (r->devices == NULL)
		return hull_error_errno(err, "calloc");
	r->devices_set = true;
	for (size_t i = 0; i < n; i++) {
		json_path_index(at, sizeof(at), path, i);
		if (parse_device_rule(json_array_get(arr, i), at, &r->devices[i], err) < 0)
			return -1;
		r->n_devices = i + 1;
	}
	return 0;
}

static int parse_throttle(const json_node *blk, const char *key, const char *path,
			  struct spec_throttle_list *l, struct hull_error *err)
{
	const json_node *arr;
	char base[PATH_MAX_JSON], at[PATH_MAX_JSON];
	int r = json_get_array(blk, key, path, &arr, err);
	size_t n;

	if (r <= 0)
		return r;
	json_path_join(base, sizeof(base), path, key);
	n = json_array_len(arr);
	l->v = calloc(n ? n : 1, sizeof(*l->v));
	if (l->v == NULL)
		return hull_error_errno(err, "calloc");
	l->set = true;
	for (size_t i = 0; i < n; i++) {
		const json_node *e = json_array_get(arr, i);
		struct spec_throttle_device *t = &l->v[i];

		json_path_index(at, sizeof(at), base, i);
		if (json_type_of(e) != JSON_OBJECT)
			return hull_error_set(err, EINVAL, "%s: expected an object", at);
		if (get_devnum(e, "major", at, false, &t->major, err) < 0 ||
		    get_devnum(e, "minor", at, false, &t->minor, err) < 0)
			return -1;
		if (json_get_uint64(e, "rate", at, UINT64_MAX, &t->rate, err) <= 0)
			return err->set ? -1 : json_path_error(err, at, "rate", "required");
		l->n = i + 1;
	}
	return 0;
}

static int parse_blkio(const json_node *o, const char *path, struct spec_blkio *b,
		       struct hull_error *err)
{
	const json_node *arr;
	char base[PATH_MAX_JSON], at[PATH_MAX_JSON];
	int r;

	if (get_u64(o, "weight", path, 10000, &b->weight, err) < 0 ||
	    get_u64(o, "leafWeight", path, 10000, &b->leaf_weight, err) < 0)
		return -1;
	if (b->weight.set && b->weight.v != 0 && b->weight.v < 10)
		return json_path_error(err, path, "weight",
				       "%" PRIu64 " out of range [10, 1000]", b->weight.v);
	r = json_get_array(o, "weightDevice", path, &arr, err);
	if (r < 0)
		return -1;
	if (r > 0) {
		size_t n = json_array_len(arr);

		json_path_join(base, sizeof(base), path, "weightDevice");
		b->weight_device = calloc(n ? n : 1, sizeof(*b->weight_device));
		if (b->weight_device == NULL)
			return hull_error_errno(err, "calloc");
		b->weight_device_set = true;
		for (size_t i = 0; i < n; i++) {
			const json_node *e = json_array_get(arr, i);
			struct spec_weight_device *w = &b->weight_device[i];

			json_path_index(at, sizeof(at), base, i);
			if (json_type_of(e) != JSON_OBJECT)
				return hull_error_set(err, EINVAL, "%s: expected an object", at);
			if (get_devnum(e, "major", at, false, &w->major, err) < 0 ||
			    get_devnum(e, "minor", at, false, &w->minor, err) < 0 ||
			    get_u64(e, "weight", at, 10000, &w->weight, err) < 0 ||
			    get_u64(e, "leafWeight", at, 10000, &w->leaf_weight, err) < 0)
				return -1;
			b->n_weight_device = i + 1;
		}
	}
	if (parse_throttle(o, "throttleReadBpsDevice", path, &b->read_bps, err) < 0 ||
	    parse_throttle(o, "throttleWriteBpsDevice", path, &b->write_bps, err) < 0 ||
	    parse_throttle(o, "throttleReadIOPSDevice", path, &b->read_iops, err) < 0 ||
	    parse_throttle(o, "throttleWriteIOPSDevice", path, &b->write_iops, err) < 0)
		return -1;
	return 0;
}

/* "2MB", "1GB", "64KB": digits and a unit, as the hugetlb files are named. */
static bool page_size_valid(const char *s)
{
	size_t i = 0;

	while (s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0)
		return false;
	return strcmp(s + i, "KB") == 0 || strcmp(s + i, "MB") == 0 ||
	       strcmp(s + i, "GB") == 0;
}

static int parse_hugepages(const json_node *arr, const char *path,
			   struct spec_resources *r, struct hull_error *err)
{
	size_t n = json_array_len(arr);
	char at[PATH_MAX_JSON];

	r->hugepage = calloc(n ? n : 1, sizeof(*r->hugepage));
	if (r->hugepage == NULL)
		return hull_error_errno(err, "calloc");
	r->hugepage_set = true;
	for (size_t i = 0; i < n; i++) {
		const json_node *e = json_array_get(arr, i);
		struct spec_hugepage_limit *h = &r->hugepage[i];

		json_path_index(at, sizeof(at), path, i);
		r->n_hugepage = i + 1;
		if (json_type_of(e) != JSON_OBJECT)
			return hull_error_set(err, EINVAL, "%s: expected an object", at);
		if (json_get_string(e, "pageSize", at, &h->page_size, err) <= 0)
			return err->set ? -1 : json_path_error(err, at, "pageSize", "required");
		if (!page_size_valid(h->page_size))
			return json_path_error(err, at, "pageSize",
					       "\"%s\" is not a page size like \"2MB\"", h->page_size);
		if (json_get_uint64(e, "limit", at, UINT64_MAX, &h->limit, err) <= 0)
			return err->set ? -1 : json_path_error(err, at, "limit", "required");
	}
	return 0;
}

static int parse_network(const json_node *o, const char *path,
			 struct spec_network *net, struct hull_error *err)
{
	const json_node *arr;
	char base[PATH_MAX_JSON], at[PATH_MAX_JSON];
	int r;

	if (get_u64(o, "classID", path, UINT32_MAX, &net->class_id, err) < 0)
		return -1;
	r = json_get_array(o, "priorities", path, &arr, err);
	if (r <= 0)
		return r;
	json_path_join(base, sizeof(base), path, "priorities");
	net->n_priorities = 0;
	net->priorities = calloc(json_array_len(arr) + 1, sizeof(*net->priorities));
	if (net->priorities == NULL)
		return hull_error_errno(err, "calloc");
	net->priorities_set = true;
	for (size_t i = 0; i < json_array_len(arr); i++) {
		const json_node *e = json_array_get(arr, i);
		struct spec_net_priority *p = &net->priorities[i];
		uint64_t prio = 0;

		json_path_index(at, sizeof(at), base, i);
		net->n_priorities = i + 1;
		if (json_type_of(e) != JSON_OBJECT)
			return hull_error_set(err, EINVAL, "%s: expected an object", at);
		if (json_get_string(e, "name", at, &p->name, err) <= 0)
			return err->set ? -1 : json_path_error(err, at, "name", "required");
		if (json_get_uint64(e, "priority", at, UINT32_MAX, &prio, err) < 0)
			return -1;
		p->priority = (uint32_t)prio;
	}
	return 0;
}

static int parse_rdma(const json_node *o, const char *path,
		      struct spec_resources *r, struct hull_error *err)
{
	size_t n = json_object_size(o);
	char at[PATH_MAX_JSON];

	r->rdma = calloc(n ? n : 1, sizeof(*r->rdma));
	if (r->rdma == NULL)
		return hull_error_errno(err, "calloc");
	r->rdma_set = true;
	for (size_t i = 0; i < n; i++) {
		const json_node *e = json_object_value(o, i);
		struct spec_rdma *d = &r->rdma[i];

		json_path_join(at, sizeof(at), path, json_object_key(o, i));
		d->device = strdup(json_object_key(o, i));
		if (d->device == NULL)
			return hull_error_errno(err, "strdup");
		r->n_rdma = i + 1;
		if (json_type_of(e) != JSON_OBJECT)
			return hull_error_set(err, EINVAL, "%s: expected an object", at);
		if (strpbrk(d->device, " \n=") != NULL)
			return hull_error_set(err, EINVAL, "%s: malformed device name", at);
		if (get_u64(e, "hcaHandles", at, UINT32_MAX, &d->hca_handles, err) < 0 ||
		    get_u64(e, "hcaObjects", at, UINT32_MAX, &d->hca_objects, err) < 0)
			return -1;
	}
	return 0;
}

/* Syntax of a `unified` key: "<controller>.<file>", one path component.
 * Whether the file exists is the driver's check, against the host. */
static int check_unified(const struct spec_resources *r, const char *path,
			 struct hull_error *err)
{
	char where[PATH_MAX_JSON];

	json_path_join(where, sizeof(where), path, "unified");
	for (size_t i = 0; i < r->n_unified; i++) {
		const char *k = r->unified_keys[i];
		const char *dot = strchr(k, '.');

		if (dot == NULL || dot == k || dot[1] == '\0' || strchr(k, '/') ||
		    strcmp(k, "cgroup.procs") == 0 || strcmp(k, "cgroup.threads") == 0 ||
		    strcmp(k, "cgroup.subtree_control") == 0 || strcmp(k, "cgroup.type") == 0 ||
		    strcmp(k, "cgroup.kill") == 0)
			return hull_error_set(err, EINVAL,
					      "%s: \"%s\" is not a settable cgroup v2 interface file",
					      where, k);
		if (strchr(r->unified_values[i], '\n') != NULL &&
		    strchr(r->unified_values[i], '\n')[1] != '\0')
			return hull_error_set(err, EINVAL, "%s.%s: value spans several lines",
					      where, k);
	}
	return 0;
}

struct spec_resources *spec_resources_new(struct hull_error *err)
{
	struct spec_resources *r = calloc(1, sizeof(*r));

	if (r == NULL)
		hull_error_errno(err, "calloc");
	return r;
}

int spec_resources_parse(const json_node *node, const char *path,
			 struct spec_resources **out, struct hull_error *err)
{
	struct spec_resources *r;
	const json_node *o;
	char at[PATH_MAX_JSON];
	int ret;

	if (json_type_of(node) != JSON_OBJECT)
		return hull_error_set(err, EINVAL, "%s: expected an object, got %s",
				      path, json_type_name(json_type_of(node)));
	r = spec_resources_new(err);
	if (r == NULL)
		return -1;

#define SECTION(key, flag, fn, ...)                                            \
	do {                                                                   \
		ret = json_get_object(node, key, path, &o, err);               \
		if (ret < 0)                                                   \
			goto fail;                                             \
		if (ret > 0) {                                                 \
			r->flag = true;                                        \
			json_path_join(at, sizeof(at), path, key);             \
			if (fn(o, at, __VA_ARGS__, err) < 0)                   \
				goto fail;                                     \
		}                                                              \
	} while (0)

	SECTION("memory", memory_set, parse_memory, &r->memory);
	SECTION("cpu", cpu_set, parse_cpu, &r->cpu);
	SECTION("blockIO", blkio_set, parse_blkio, &r->blkio);
	SECTION("network", network_set, parse_network, &r->network);
#undef SECTION

	ret = json_get_object(node, "pids", path, &o, err);
	if (ret < 0)
		goto fail;
	if (ret > 0) {
		json_path_join(at, sizeof(at), path, "pids");
		r->pids_set = true;
		if (json_get_int64(o, "limit", at, INT64_MIN, INT64_MAX,
				   &r->pids_limit.v, err) <= 0) {
			if (!err->set)
				json_path_error(err, at, "limit", "required");
			goto fail;
		}
		r->pids_limit.set = true;
	}

	ret = json_get_array(node, "devices", path, &o, err);
	if (ret < 0)
		goto fail;
	json_path_join(at, sizeof(at), path, "devices");
	if (ret > 0 && parse_devices(o, at, r, err) < 0)
		goto fail;

	ret = json_get_array(node, "hugepageLimits", path, &o, err);
	if (ret < 0)
		goto fail;
	json_path_join(at, sizeof(at), path, "hugepageLimits");
	if (ret > 0 && parse_hugepages(o, at, r, err) < 0)
		goto fail;

	ret = json_get_object(node, "rdma", path, &o, err);
	if (ret < 0)
		goto fail;
	json_path_join(at, sizeof(at), path, "rdma");
	if (ret > 0 && parse_rdma(o, at, r, err) < 0)
		goto fail;

	ret = json_get_string_map(node, "unified", path, &r->unified_keys,
				  &r->unified_values, &r->n_unified, err);
	if (ret < 0)
		goto fail;
	if (ret > 0) {
		r->unified_set = true;
		if (check_unified(r, path, err) < 0)
			goto fail;
	}
	*out = r;
	return 0;
fail:
	spec_resources_free(r);
	return -1;
}

static void throttle_free(struct spec_throttle_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->set = false;
}

void spec_resources_free(struct spec_resources *r)
{
	if (r == NULL)
		return;
	free(r->cpu.cpus);
	free(r->cpu.mems);
	free(r->devices);
	free(r->blkio.weight_device);
	throttle_free(&r->blkio.read_bps);
	throttle_free(&r->blkio.write_bps);
	throttle_free(&r->blkio.read_iops);
	throttle_free(&r->blkio.write_iops);
	for (size_t i = 0; i < r->n_hugepage; i++)
		free(r->hugepage[i].page_size);
	free(r->hugepage);
	for (size_t i = 0; i < r->network.n_priorities; i++)
		free(r->network.priorities[i].name);
	free(r->network.priorities);
	for (size_t i = 0; i < r->n_rdma; i++)
		free(r->rdma[i].device);
	free(r->rdma);
	strv_free(r->unified_keys);
	strv_free(r->unified_values);
	free(r);
}

uint64_t cgroup_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cgroup_blkio_weight_to_io(uint64_t weight)
{
	if (weight == 0)
		return 0;
	if (weight < 10)
		weight = 10;
	if (weight > 1000)
		weight = 1000;
	return 1 + ((weight - 10) * 9999) / 990;
}

int spec_device_rule_parse(const char *s, bool allow,
			   struct spec_device_rule *out, struct hull_error *err)
{
	char type, acc[8] = "rwm";
	char maj[16] = "*", min[16] = "*";
	int n;

	memset(out, 0, sizeof(*out));
	out->allow = allow;
	if (strcmp(s, "a") == 0) {
		out->type = 'a';
		out->major = out->minor = -1;
		strcpy(out->access, "rwm");
		return 0;
	}
	n = sscanf(s, "%c %15[0-9*]:%15[0-9*] %7s", &type, maj, min, acc);
	if (n != 4 || strchr("abc", type) == NULL)
		return hull_error_set(err, EINVAL, "malformed device rule \"%s\"", s);
	out->type = type;
	out->major = strcmp(maj, "*") == 0 ? -1 : strtoll(maj, NULL, 10);
	out->minor = strcmp(min, "*") == 0 ? -1 : strtoll(min, NULL, 10);
	if (strspn(acc, "rwm") != strlen(acc) || strlen(acc) > 3)
		return hull_error_set(err, EINVAL, "malformed device rule \"%s\"", s);
	memcpy(out->access, acc, strlen(acc) + 1);  /* at most 3 chars, checked above */
	return 0;
}
