/* linux.resources back to JSON (state, `update`), and the merge `update`
 * needs.  Field names are the runtime-spec's. */
#include "cgroups/resources.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void kv_i64(json_gen *g, const char *k, const struct res_i64 *v)
{
	if (v->set)
		json_gen_kv_int(g, k, v->v);
}

static void kv_u64(json_gen *g, const char *k, const struct res_u64 *v)
{
	if (v->set) {
		json_gen_key(g, k);
		json_gen_uint(g, v->v);
	}
}

static void kv_bool(json_gen *g, const char *k, const struct res_bool *v)
{
	if (v->set)
		json_gen_kv_bool(g, k, v->v);
}

static void gen_memory(json_gen *g, const struct spec_memory *m)
{
	json_gen_key(g, "memory");
	json_gen_object_open(g);
	kv_i64(g, "limit", &m->limit);
	kv_i64(g, "reservation", &m->reservation);
	kv_i64(g, "swap", &m->swap);
	kv_i64(g, "kernel", &m->kernel);
	kv_i64(g, "kernelTCP", &m->kernel_tcp);
	kv_u64(g, "swappiness", &m->swappiness);
	kv_bool(g, "disableOOMKiller", &m->disable_oom_killer);
	kv_bool(g, "useHierarchy", &m->use_hierarchy);
	kv_bool(g, "checkBeforeUpdate", &m->check_before_update);
	json_gen_object_close(g);
}

static void gen_cpu(json_gen *g, const struct spec_cpu *c)
{
	json_gen_key(g, "cpu");
	json_gen_object_open(g);
	kv_u64(g, "shares", &c->shares);
	kv_i64(g, "quota", &c->quota);
	kv_u64(g, "burst", &c->burst);
	kv_u64(g, "period", &c->period);
	kv_i64(g, "realtimeRuntime", &c->realtime_runtime);
	kv_u64(g, "realtimePeriod", &c->realtime_period);
	kv_i64(g, "idle", &c->idle);
	if (c->cpus)
		json_gen_kv_string(g, "cpus", c->cpus);
	if (c->mems)
		json_gen_kv_string(g, "mems", c->mems);
	json_gen_object_close(g);
}

static void gen_devnum(json_gen *g, const char *k, int64_t v)
{
	if (v >= 0)
		json_gen_kv_int(g, k, v);
}

static void gen_throttle(json_gen *g, const char *k, const struct spec_throttle_list *l)
{
	if (!l->set)
		return;
	json_gen_key(g, k);
	json_gen_array_open(g);
	for (size_t i = 0; i < l->n; i++) {
		json_gen_object_open(g);
		json_gen_kv_int(g, "major", l->v[i].major);
		json_gen_kv_int(g, "minor", l->v[i].minor);
		json_gen_key(g, "rate");
		json_gen_uint(g, l->v[i].rate);
		json_gen_object_close(g);
	}
	json_gen_array_close(g);
}

static void gen_blkio(json_gen *g, const struct spec_blkio *b)
{
	json_gen_key(g, "blockIO");
	json_gen_object_open(g);
	kv_u64(g, "weight", &b->weight);
	kv_u64(g, "leafWeight", &b->leaf_weight);
	if (b->weight_device_set) {
		json_gen_key(g, "weightDevice");
		json_gen_array_open(g);
		for (size_t i = 0; i < b->n_weight_device; i++) {
			const struct spec_weight_device *w = &b->weight_device[i];

			json_gen_object_open(g);
			json_gen_kv_int(g, "major", w->major);
			json_gen_kv_int(g, "minor", w->minor);
			kv_u64(g, "weight", &w->weight);
			kv_u64(g, "leafWeight", &w->leaf_weight);
			json_gen_object_close(g);
		}
		json_gen_array_close(g);
	}
	gen_throttle(g, "throttleReadBpsDevice", &b->read_bps);
	gen_throttle(g, "throttleWriteBpsDevice", &b->write_bps);
	gen_throttle(g, "throttleReadIOPSDevice", &b->read_iops);
	gen_throttle(g, "throttleWriteIOPSDevice", &b->write_iops);
	json_gen_object_close(g);
}

static void gen_network(json_gen *g, const struct spec_network *n)
{
	json_gen_key(g, "network");
	json_gen_object_open(g);
	kv_u64(g, "classID", &n->class_id);
	if (n->priorities_set) {
		json_gen_key(g, "priorities");
		json_gen_array_open(g);
		for (size_t i = 0; i < n->n_priorities; i++) {
			json_gen_object_open(g);
			json_gen_kv_string(g, "name", n->priorities[i].name);
			json_gen_kv_int(g, "priority", n->priorities[i].priority);
			json_gen_object_close(g);
		}
		json_gen_array_close(g);
	}
	json_gen_object_close(g);
}

void spec_resources_to_json(json_gen *g, const struct spec_resources *r)
{
	json_gen_object_open(g);
	if (r->devices_set) {
		json_gen_key(g, "devices");
		json_gen_array_open(g);
		for (size_t i = 0; i < r->n_devices; i++) {
			const struct spec_device_rule *d = &r->devices[i];
			char t[2] = { d->type, '\0' };

			json_gen_object_open(g);
			json_gen_kv_bool(g, "allow", d->allow);
			json_gen_kv_string(g, "type", t);
			gen_devnum(g, "major", d->major);
			gen_devnum(g, "minor", d->minor);
			json_gen_kv_string(g, "access", d->access);
			json_gen_object_close(g);
		}
		json_gen_array_close(g);
	}
	if (r->memory_set)
		gen_memory(g, &r->memory);
	if (r->cpu_set)
		gen_cpu(g, &r->cpu);
	if (r->pids_set) {
		json_gen_key(g, "pids");
		json_gen_object_open(g);
		kv_i64(g, "limit", &r->pids_limit);
		json_gen_object_close(g);
	}
	if (r->blkio_set)
		gen_blkio(g, &r->blkio);
	if (r->hugepage_set) {
		json_gen_key(g, "hugepageLimits");
		json_gen_array_open(g);
		for (size_t i = 0; i < r->n_hugepage; i++) {
			json_gen_object_open(g);
			json_gen_kv_string(g, "pageSize", r->hugepage[i].page_size);
			json_gen_key(g, "limit");
			json_gen_uint(g, r->hugepage[i].limit);
			json_gen_object_close(g);
		}
		json_gen_array_close(g);
	}
	if (r->network_set)
		gen_network(g, &r->network);
	if (r->rdma_set) {
		json_gen_key(g, "rdma");
		json_gen_object_open(g);
		for (size_t i = 0; i < r->n_rdma; i++) {
			json_gen_key(g, r->rdma[i].device);
			json_gen_object_open(g);
			kv_u64(g, "hcaHandles", &r->rdma[i].hca_handles);
			kv_u64(g, "hcaObjects", &r->rdma[i].hca_objects);
			json_gen_object_close(g);
		}
		json_gen_object_close(g);
	}
	if (r->unified_set) {
		json_gen_key(g, "unified");
		json_gen_object_open(g);
		for (size_t i = 0; i < r->n_unified; i++)
			json_gen_kv_string(g, r->unified_keys[i], r->unified_values[i]);
		json_gen_object_close(g);
	}
	json_gen_object_close(g);
}

/* --- merge --- */

#define MERGE(field) do { if (src->field.set) dst->field = src->field; } while (0)

static int merge_str(char **dst, const char *src, struct hull_error *err)
{
	char *s;

	if (src == NULL)
		return 0;
	s = strdup(src);
	if (s == NULL)
		return hull_error_errno(err, "strdup");
	free(*dst);
	*dst = s;
	return 0;
}

/* Copies n elements of size sz, or returns -1; NULL src gives a 1-element
 * zeroed buffer so "set but empty" stays distinguishable from NULL. */
static void *dup_array(const void *src, size_t n, size_t sz, struct hull_error *err)
{
	void *p = calloc(n ? n : 1, sz);

	if (p == NULL) {
		hull_error_errno(err, "calloc");
		return NULL;
	}
	if (n)
		memcpy(p, src, n * sz);
	return p;
}

static int merge_throttle(struct spec_throttle_list *dst,
			  const struct spec_throttle_list *src, struct hull_error *err)
{
	struct spec_throttle_device *v;

	if (!src->set)
		return 0;
	v = dup_array(src->v, src->n, sizeof(*v), err);
	if (v == NULL)
		return -1;
	free(dst->v);
	dst->v = v;
	dst->n = src->n;
	dst->set = true;
	return 0;
}

static int merge_memory_cpu(struct spec_resources *dst,
			    const struct spec_resources *src, struct hull_error *err)
{
	if (src->memory_set) {
		dst->memory_set = true;
		MERGE(memory.limit);
		MERGE(memory.reservation);
		MERGE(memory.swap);
		MERGE(memory.kernel);
		MERGE(memory.kernel_tcp);
		MERGE(memory.swappiness);
		MERGE(memory.disable_oom_killer);
		MERGE(memory.use_hierarchy);
		MERGE(memory.check_before_update);
	}
	if (src->cpu_set) {
		dst->cpu_set = true;
		MERGE(cpu.shares);
		MERGE(cpu.quota);
		MERGE(cpu.burst);
		MERGE(cpu.period);
		MERGE(cpu.realtime_runtime);
		MERGE(cpu.realtime_period);
		MERGE(cpu.idle);
		if (merge_str(&dst->cpu.cpus, src->cpu.cpus, err) < 0 ||
		    merge_str(&dst->cpu.mems, src->cpu.mems, err) < 0)
			return -1;
	}
	if (src->pids_set) {
		dst->pids_set = true;
		MERGE(pids_limit);
	}
	return 0;
}

static int merge_blkio(struct spec_blkio *dst, const struct spec_blkio *src,
		       struct hull_error *err)
{
	MERGE(weight);
	MERGE(leaf_weight);
	if (src->weight_device_set) {
		struct spec_weight_device *v = dup_array(src->weight_device,
			src->n_weight_device, sizeof(*v), err);

		if (v == NULL)
			return -1;
		free(dst->weight_device);
		dst->weight_device = v;
		dst->n_weight_device = src->n_weight_device;
		dst->weight_device_set = true;
	}
	if (merge_throttle(&dst->read_bps, &src->read_bps, err) < 0 ||
	    merge_throttle(&dst->write_bps, &src->write_bps, err) < 0 ||
	    merge_throttle(&dst->read_iops, &src->read_iops, err) < 0 ||
	    merge_throttle(&dst->write_iops, &src->write_iops, err) < 0)
		return -1;
	return 0;
}

int spec_resources_merge(struct spec_resources *dst,
			 const struct spec_resources *src, struct hull_error *err)
{
	if (merge_memory_cpu(dst, src, err) < 0)
		return -1;
	if (src->blkio_set) {
		dst->blkio_set = true;
		if (merge_blkio(&dst->blkio, &src->blkio, err) < 0)
			return -1;
	}
	if (src->devices_set) {
		struct spec_device_rule *v = dup_array(src->devices, src->n_devices,
						       sizeof(*v), err);

		if (v == NULL)
			return -1;
		free(dst->devices);
		dst->devices = v;
		dst->n_devices = src->n_devices;
		dst->devices_set = true;
	}
	if (src->hugepage_set) {
		struct spec_hugepage_limit *v = calloc(src->n_hugepage + 1, sizeof(*v));

		if (v == NULL)
			return hull_error_errno(err, "calloc");
		for (size_t i = 0; i < src->n_hugepage; i++) {
			v[i].limit = src->hugepage[i].limit;
			v[i].page_size = strdup(src->hugepage[i].page_size);
		}
		for (size_t i = 0; i < dst->n_hugepage; i++)
			free(dst->hugepage[i].page_size);
		free(dst->hugepage);
		dst->hugepage = v;
		dst->n_hugepage = src->n_hugepage;
		dst->hugepage_set = true;
	}
	if (src->network_set) {
		dst->network_set = true;
		MERGE(network.class_id);
		if (src->network.priorities_set) {
			struct spec_net_priority *v = calloc(src->network.n_priorities + 1,
							     sizeof(*v));

			if (v == NULL)
				return hull_error_errno(err, "calloc");
			for (size_t i = 0; i < src->network.n_priorities; i++) {
				v[i].priority = src->network.priorities[i].priority;
				v[i].name = strdup(src->network.priorities[i].name);
			}
			for (size_t i = 0; i < dst->network.n_priorities; i++)
				free(dst->network.priorities[i].name);
			free(dst->network.priorities);
			dst->network.priorities = v;
			dst->network.n_priorities = src->network.n_priorities;
			dst->network.priorities_set = true;
		}
	}
	if (src->rdma_set) {
		struct spec_rdma *v = calloc(src->n_rdma + 1, sizeof(*v));

		if (v == NULL)
			return hull_error_errno(err, "calloc");
		for (size_t i = 0; i < src->n_rdma; i++) {
			v[i] = src->rdma[i];
			v[i].device = strdup(src->rdma[i].device);
		}
		for (size_t i = 0; i < dst->n_rdma; i++)
			free(dst->rdma[i].device);
		free(dst->rdma);
		dst->rdma = v;
		dst->n_rdma = src->n_rdma;
		dst->rdma_set = true;
	}
	if (src->unified_set) {
		/* Keys merge one by one: an update of memory.high keeps a
		 * configured io.latency. */
		for (size_t i = 0; i < src->n_unified; i++) {
			size_t j;

			for (j = 0; j < dst->n_unified; j++)
				if (strcmp(dst->unified_keys[j], src->unified_keys[i]) == 0)
					break;
			if (j == dst->n_unified) {
				char **k = realloc(dst->unified_keys, (j + 2) * sizeof(*k));
				char **v;

				if (k == NULL)
					return hull_error_errno(err, "realloc");
				dst->unified_keys = k;
				v = realloc(dst->unified_values, (j + 2) * sizeof(*v));
				if (v == NULL)
					return hull_error_errno(err, "realloc");
				dst->unified_values = v;
				k[j] = strdup(src->unified_keys[i]);
				v[j] = NULL;
				k[j + 1] = v[j + 1] = NULL;
				dst->n_unified++;
				if (k[j] == NULL)
					return hull_error_errno(err, "strdup");
			}
			if (merge_str(&dst->unified_values[j], src->unified_values[i], err) < 0)
				return -1;
		}
		dst->unified_set = true;
	}
	return 0;
}
