/* Resource usage of a container's group, in runc's `events` shape. */
#ifndef HULL_CGROUP_STATS_H
#define HULL_CGROUP_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/json.h"

struct cgroup_blkio_entry {
	uint64_t major, minor;
	char op[16];                 /* "Read", "Write", "Sync", "Async", "Discard", "Total" */
	uint64_t value;
};

struct cgroup_hugetlb_stat {
	char size[16];               /* "2MB" */
	uint64_t usage, max, failcnt;
};

struct cgroup_mem_entry {
	uint64_t limit, usage, max, failcnt;
};

struct cgroup_stats {
	/* cpu, nanoseconds */
	uint64_t cpu_total, cpu_user, cpu_kernel;
	uint64_t *percpu;
	size_t n_percpu;
	uint64_t throttle_periods, throttled_periods, throttled_time;
	/* memory, bytes */
	uint64_t mem_cache;
	struct cgroup_mem_entry mem, swap, kernel, kernel_tcp;
	char **mem_raw_keys;         /* memory.stat, NULL-terminated */
	uint64_t *mem_raw_values;
	size_t n_mem_raw;
	uint64_t oom_kills;          /* memory.events oom_kill (v2), oom_kill (v1) */
	/* pids */
	uint64_t pids_current, pids_limit;
	/* blkio */
	struct cgroup_blkio_entry *io_bytes, *io_ops;
	size_t n_io_bytes, n_io_ops;
	/* hugetlb */
	struct cgroup_hugetlb_stat *hugetlb;
	size_t n_hugetlb;
};

void cgroup_stats_free(struct cgroup_stats *st);
/* The "data" object of runc's {"type":"stats"} event. */
void cgroup_stats_to_json(json_gen *g, const struct cgroup_stats *st);

/* Internal-ish helpers used by the drivers (cgroups/stats.c). */
int cgroup_stats_add_raw(struct cgroup_stats *st, const char *key, uint64_t v);
int cgroup_stats_add_io(struct cgroup_blkio_entry **v, size_t *n, uint64_t major,
			uint64_t minor, const char *op, uint64_t value);
int cgroup_stats_add_hugetlb(struct cgroup_stats *st, const char *size,
			     uint64_t usage, uint64_t max, uint64_t failcnt);

#endif
