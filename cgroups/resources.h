/* linux.resources of the runtime-spec, parsed and validated.
 *
 * Every optional scalar carries a `set` flag: "absent" and "zero" mean
 * different things (a zero cpu quota is not an unset one), and `update`
 * merges only what the caller gave.  Arrays are replaced whole on merge,
 * as runc does.  Parsing checks types, ranges and syntax; what needs the
 * host (does this `unified` key name a real interface file?) is checked by
 * cgroup_manager_create() / cgroup_update(), before anything is written. */
#ifndef HULL_CGROUP_RESOURCES_H
#define HULL_CGROUP_RESOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/json.h"

struct res_i64 { bool set; int64_t v; };
struct res_u64 { bool set; uint64_t v; };
struct res_bool { bool set; bool v; };

struct spec_memory {
	struct res_i64 limit;          /* bytes, -1 = unlimited */
	struct res_i64 reservation;
	struct res_i64 swap;           /* memory+swap, as in v1 */
	struct res_i64 kernel;         /* deprecated: parsed, ignored */
	struct res_i64 kernel_tcp;
	struct res_u64 swappiness;     /* 0..100 */
	struct res_bool disable_oom_killer;
	struct res_bool use_hierarchy;
	struct res_bool check_before_update;
};

struct spec_cpu {
	struct res_u64 shares;
	struct res_i64 quota;          /* -1 or 0 = unlimited */
	struct res_u64 burst;
	struct res_u64 period;
	struct res_i64 realtime_runtime;
	struct res_u64 realtime_period;
	struct res_i64 idle;           /* 0 or 1 */
	char *cpus;
	char *mems;
};

/* Device numbers: -1 is the wildcard '*'. */
struct spec_device_rule {
	bool allow;
	char type;                     /* 'a', 'b' or 'c' */
	int64_t major, minor;
	char access[4];                /* subset of "rwm", NUL-terminated */
};

struct spec_weight_device {
	int64_t major, minor;
	struct res_u64 weight;         /* 10..1000 (v1), 1..10000 accepted */
	struct res_u64 leaf_weight;
};

struct spec_throttle_device {
	int64_t major, minor;
	uint64_t rate;
};

struct spec_throttle_list {
	bool set;
	struct spec_throttle_device *v;
	size_t n;
};

struct spec_blkio {
	struct res_u64 weight;
	struct res_u64 leaf_weight;
	bool weight_device_set;
	struct spec_weight_device *weight_device;
	size_t n_weight_device;
	struct spec_throttle_list read_bps, write_bps, read_iops, write_iops;
};

struct spec_hugepage_limit {
	char *page_size;               /* "2MB", "1GB", "64KB" */
	uint64_t limit;
};

struct spec_net_priority {
	char *name;
	uint32_t priority;
};

struct spec_network {
	struct res_u64 class_id;       /* uint32 */
	bool priorities_set;
	struct spec_net_priority *priorities;
	size_t n_priorities;
};

struct spec_rdma {
	char *device;
	struct res_u64 hca_handles;    /* uint32 */
	struct res_u64 hca_objects;
};

struct spec_resources {
	bool memory_set, cpu_set, pids_set, blkio_set, network_set;
	struct spec_memory memory;
	struct spec_cpu cpu;
	struct res_i64 pids_limit;     /* <= 0: unlimited */
	struct spec_blkio blkio;

	bool hugepage_set;
	struct spec_hugepage_limit *hugepage;
	size_t n_hugepage;

	struct spec_network network;

	bool rdma_set;
	struct spec_rdma *rdma;
	size_t n_rdma;

	bool unified_set;
	char **unified_keys;           /* NULL-terminated, parallel arrays */
	char **unified_values;
	size_t n_unified;

	bool devices_set;
	struct spec_device_rule *devices;
	size_t n_devices;
};

/* node = the linux.resources object; path = "linux.resources". */
int spec_resources_parse(const json_node *node, const char *path,
			 struct spec_resources **out, struct hull_error *err);
void spec_resources_free(struct spec_resources *r);
/* Emits the object with the spec's field names (absent fields left out). */
void spec_resources_to_json(json_gen *g, const struct spec_resources *r);
/* For update: every field set in src overrides dst (arrays whole). */
int spec_resources_merge(struct spec_resources *dst,
			 const struct spec_resources *src,
			 struct hull_error *err);
/* An empty resources object (all unset). */
struct spec_resources *spec_resources_new(struct hull_error *err);

/* Parses one device rule string "c 1:3 rwm" / "a" / "b *:* m" as written by
 * v1's devices.list; used by tests and by `update` flags. */
int spec_device_rule_parse(const char *s, bool allow,
			   struct spec_device_rule *out, struct hull_error *err);

/* cpu.weight (v2) from cpu.shares (v1), as runc and crun convert:
 * 1 + ((shares - 2) * 9999) / 262142; 0 means "unset". */
uint64_t cgroup_shares_to_weight(uint64_t shares);
/* io.weight (v2, 1..10000) from blkio.weight (v1, 10..1000). */
uint64_t cgroup_blkio_weight_to_io(uint64_t weight);

#endif
