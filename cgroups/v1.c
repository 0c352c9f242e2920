/* The cgroup v1 driver, also used on hybrid hosts: the group is made in
 * every mounted v1 hierarchy (name=systemd included), and on hybrid hosts
 * in the cgroup2 hierarchy too, which holds whatever controllers the host
 * moved there (hugetlb on the project's machines). */
#include "cgroups/cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"

/* Does hierarchy `h` carry controller `ctl` ("memory", "name=systemd")? */
static bool hier_has(const struct cgroup_hier *h, const char *ctl)
{
	size_t l = strlen(ctl);

	for (const char *p = h->name; p && *p;) {
		if (strncmp(p, ctl, l) == 0 && (p[l] == ',' || p[l] == '\0'))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

static struct cgroup_hier *hier(const struct cgroup_manager *m, const char *ctl)
{
	for (size_t i = 0; i < m->nh; i++)
		if (hier_has(&m->h[i], ctl))
			return &m->h[i];
	return NULL;
}

static const char *dir_of(const struct cgroup_manager *m, const char *ctl)
{
	struct cgroup_hier *h = hier(m, ctl);

	return h ? h->dir : NULL;
}

/* Keeps the controller names (and name=) from a super-options string. */
static char *controllers_of(const char *opts)
{
	static const char *const skip[] = { "rw", "ro", "xattr", "noprefix",
		"clone_children", "cpuset_v2_mode", "favordynmods", "nsdelegate", NULL };
	autofree char *copy = strdup(opts);
	char *out = calloc(1, strlen(opts) + 1);
	size_t len = 0;

	if (copy == NULL || out == NULL) {
		free(out);
		return NULL;
	}
	for (char *t = strtok(copy, ","); t; t = strtok(NULL, ",")) {
		bool drop = strncmp(t, "release_agent=", 14) == 0;

		for (int i = 0; skip[i] && !drop; i++)
			drop = strcmp(t, skip[i]) == 0;
		if (!drop)
			len += (size_t)sprintf(out + len, "%s%s", len ? "," : "", t);
	}
	return out;
}

/* The v1 hierarchies mounted under root, from /proc/self/mountinfo. */
static int discover(struct cgroup_manager *m, struct hull_error *err)
{
	autofclose FILE *f = fopen("/proc/self/mountinfo", "re");
	autofree char *line = NULL;
	size_t cap = 0;
	size_t rl = strlen(m->root);

	if (f == NULL)
		return hull_error_errno(err, "open /proc/self/mountinfo");
	while (getline(&line, &cap, f) > 0) {
		char mnt[4096], fstype[64], src[256], opts[1024];
		char *dash = strstr(line, " - ");
		struct cgroup_hier *nh;

		if (dash == NULL ||
		    sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s %255s %1023s", fstype, src, opts) != 3)
			continue;
		if (strncmp(mnt, m->root, rl) != 0 || mnt[rl] != '/')
			continue;
		if (strcmp(fstype, "cgroup2") == 0) {
			if (m->mode != CGROUP_MODE_HYBRID || m->unified)
				continue;
			m->unified = calloc(1, sizeof(*m->unified));
			if (m->unified == NULL || (m->unified->name = strdup("")) == NULL ||
			    (m->unified->mount = strdup(mnt)) == NULL)
				return hull_error_errno(err, "calloc");
			continue;
		}
		if (strcmp(fstype, "cgroup") != 0)
			continue;
		nh = realloc(m->h, (m->nh + 1) * sizeof(*nh));
		if (nh == NULL)
			return hull_error_errno(err, "realloc");
		m->h = nh;
		memset(&m->h[m->nh], 0, sizeof(*nh));
		m->h[m->nh].name = controllers_of(opts);
		m->h[m->nh].mount = strdup(mnt);
		m->nh++;
		if (m->h[m->nh - 1].name == NULL || m->h[m->nh - 1].mount == NULL)
			return hull_error_errno(err, "strdup");
	}
	if (m->nh == 0)
		return hull_error_set(err, ENOENT, "no cgroup v1 hierarchy is mounted under %s", m->root);
	return 0;
}

/* A new cpuset group starts with empty cpus and mems, and a task cannot
 * join it until both are set: copy them from the parent on the way down. */
static int cpuset_inherit(const char *parent, const char *dir, void *ctx,
			  struct hull_error *err)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

	for (int i = 0; i < 2; i++) {
		autofree char *cur = NULL, *up = NULL;

		if (cg_read(dir, files[i], &cur, err) < 0)
			return -1;
		if (cur[0] != '\n' && cur[0] != '\0')
			continue;
		if (cg_read(parent, files[i], &up, err) < 0 ||
		    cg_write(dir, files[i], up, err) < 0)
			return -1;
	}
	return 0;
}

static int make_group(struct cgroup_manager *m, struct cgroup_hier *h,
		      struct hull_error *err)
{
	int (*on_dir)(const char *, const char *, void *, struct hull_error *) = NULL;
	const char *name = h->name[0] ? h->name : "unified";

	if (h == m->unified)
		on_dir = cg_v2_enable_controllers;
	else if (hier_has(h, "cpuset"))
		on_dir = cpuset_inherit;
	if (cg_mkdir_path(h->mount, m->path, &h->created, on_dir, NULL, err) < 0)
		return hull_error_prefix(err, "in the %s hierarchy", name);
	/* A group that was there before is not Hull's: join it only if it is
	 * empty (as runc does), and never empty or remove it later. */
	if (h->created == 0 && cg_check_unused(h->dir, err) < 0)
		return hull_error_prefix(err, "in the %s hierarchy", name);
	return 0;
}

static int plan_group(struct cgroup_manager *m, struct cgroup_hier *h,
		      struct hull_error *err)
{
	h->dir = cg_join(h->mount, m->path);
	if (h->dir == NULL)
		return hull_error_errno(err, "asprintf");
	h->created = cg_missing_tail(h->mount, m->path);
	return 0;
}

static int v1_plan(struct cgroup_manager *m, struct hull_error *err)
{
	if (discover(m, err) < 0)
		return -1;
	for (size_t i = 0; i < m->nh; i++)
		if (plan_group(m, &m->h[i], err) < 0)
			return -1;
	if (m->unified && plan_group(m, m->unified, err) < 0)
		return -1;
	return 0;
}

static int v1_create(struct cgroup_manager *m, struct hull_error *err)
{
	size_t total = m->nh + (m->unified ? 1 : 0), i;

	for (i = 0; i < total; i++)
		if (make_group(m, i < m->nh ? &m->h[i] : m->unified, err) < 0)
			goto fail;
	return 0;
fail:
	/* The groups not reached yet were only planned, not made; the caller
	 * destroys the ones that were. */
	for (size_t k = i + 1; k < total; k++)
		(k < m->nh ? &m->h[k] : m->unified)->created = 0;
	return -1;
}

/* The unified group of a hybrid host can take a controller? */
static bool unified_has(const struct cgroup_manager *m, const char *ctl)
{
	autofree char *parent = NULL;
	autofree char *list = NULL;
	struct hull_error ignored = { 0 };
	char *slash;
	size_t l = strlen(ctl);

	if (m->unified == NULL || m->unified->dir == NULL)
		return false;
	parent = strdup(m->unified->dir);
	if (parent == NULL || (slash = strrchr(parent, '/')) == NULL)
		return false;
	*slash = '\0';
	if (cg_read(parent, "cgroup.subtree_control", &list, &ignored) < 0)
		return false;
	for (char *p = strstr(list, ctl); p; p = strstr(p + 1, ctl))
		if ((p == list || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\n' || p[l] == '\0'))
			return true;
	return false;
}

static int need(const struct cgroup_manager *m, const char *ctl, const char *field,
		struct hull_error *err)
{
	if (hier(m, ctl))
		return 0;
	return hull_error_set(err, ENOTSUP,
			      "linux.resources.%s: the %s controller is not mounted under %s",
			      field, ctl, m->root);
}

static int working_set(const char *dir, uint64_t *out, struct hull_error *err)
{
	autofree char *stat = NULL;
	uint64_t usage, inactive = 0;

	if (cg_read_u64(dir, "memory.usage_in_bytes", &usage, err) < 0)
		return -1;
	if (cg_read(dir, "memory.stat", &stat, err) == 0)
		cg_keyed_u64(stat, "total_inactive_file", &inactive);
	hull_error_clear(err);
	*out = usage > inactive ? usage - inactive : 0;
	return 0;
}

static int validate_memory(struct cgroup_manager *m, const struct spec_memory *mem,
			   bool update, struct hull_error *err)
{
	const char *dir;

	if (!(mem->limit.set || mem->reservation.set || mem->swap.set ||
	      mem->swappiness.set || mem->disable_oom_killer.set))
		return 0;
	if (need(m, "memory", "memory", err) < 0)
		return -1;
	dir = dir_of(m, "memory");
	if (mem->swap.set && mem->swap.v > 0 && !cg_exists(dir, "memory.memsw.limit_in_bytes") &&
	    !(mem->limit.set && mem->swap.v == mem->limit.v))
		return hull_error_set(err, ENOTSUP,
				      "linux.resources.memory.swap: swap accounting is not enabled on this host");
	if (update && mem->limit.set && mem->limit.v > 0) {
		uint64_t ws;

		if (working_set(dir, &ws, err) < 0)
			return -1;
		if ((uint64_t)mem->limit.v < ws)
			return hull_error_set(err, EBUSY,
					      "linux.resources.memory.limit: %" PRId64
					      " is below the container's current usage (%" PRIu64 " bytes)",
					      mem->limit.v, ws);
	}
	return 0;
}

static int validate_unified(const struct cgroup_manager *m, const struct spec_resources *r,
			    struct hull_error *err)
{
	for (size_t i = 0; i < r->n_unified; i++) {
		const char *k = r->unified_keys[i];
		char ctl[64];

		snprintf(ctl, sizeof(ctl), "%.*s", (int)strcspn(k, "."), k);
		if (m->unified == NULL)
			return hull_error_set(err, ENOTSUP,
					      "linux.resources.unified: unknown key \"%s\": this host has no cgroup v2 hierarchy",
					      k);
		if (strcmp(ctl, "cgroup") != 0 && !unified_has(m, ctl))
			return hull_error_set(err, EINVAL,
					      "linux.resources.unified: unknown key \"%s\": controller \"%s\" is not on this host's cgroup v2 hierarchy",
					      k, ctl);
		if (!cg_exists(m->unified->dir, k))
			return hull_error_set(err, EINVAL,
					      "linux.resources.unified: unknown key \"%s\": no such interface file in %s",
					      k, m->unified->dir);
	}
	return 0;
}

static int v1_validate(struct cgroup_manager *m, const struct spec_resources *r,
		       bool update, struct hull_error *err)
{
	const struct spec_cpu *cpu = &r->cpu;

	if (r->memory_set && validate_memory(m, &r->memory, update, err) < 0)
		return -1;
	if (r->cpu_set) {
		if ((cpu->shares.set || cpu->quota.set || cpu->period.set || cpu->burst.set ||
		     cpu->idle.set || cpu->realtime_runtime.set || cpu->realtime_period.set) &&
		    need(m, "cpu", "cpu", err) < 0)
			return -1;
		if ((cpu->cpus || cpu->mems) && need(m, "cpuset", "cpu.cpus", err) < 0)
			return -1;
		if (cpu->burst.set && cpu->burst.v && !cg_exists(dir_of(m, "cpu"), "cpu.cfs_burst_us"))
			return hull_error_set(err, ENOTSUP, "linux.resources.cpu.burst: not supported by this kernel");
		if (cpu->idle.set && cpu->idle.v && !cg_exists(dir_of(m, "cpu"), "cpu.idle"))
			return hull_error_set(err, ENOTSUP, "linux.resources.cpu.idle: not supported by this kernel");
	}
	if (r->pids_set && need(m, "pids", "pids", err) < 0)
		return -1;
	if (r->blkio_set && need(m, "blkio", "blockIO", err) < 0)
		return -1;
	for (size_t i = 0; i < r->n_hugepage; i++) {
		char f[64], f2[64];
		const char *h = dir_of(m, "hugetlb");

		snprintf(f, sizeof(f), "hugetlb.%s.limit_in_bytes", r->hugepage[i].page_size);
		snprintf(f2, sizeof(f2), "hugetlb.%s.max", r->hugepage[i].page_size);
		if (!(h && cg_exists(h, f)) &&
		    !(unified_has(m, "hugetlb") && cg_exists(m->unified->dir, f2)))
			return hull_error_set(err, ENOTSUP,
					      "linux.resources.hugepageLimits[%zu]: no hugetlb controller for page size \"%s\" on this host",
					      i, r->hugepage[i].page_size);
	}
	if (r->network_set) {
		if (r->network.class_id.set && need(m, "net_cls", "network.classID", err) < 0)
			return -1;
		if (r->network.n_priorities && need(m, "net_prio", "network.priorities", err) < 0)
			return -1;
	}
	if (r->n_rdma && need(m, "rdma", "rdma", err) < 0)
		return -1;
	if (validate_unified(m, r, err) < 0)
		return -1;
	if (r->devices_set && r->n_devices && need(m, "devices", "devices", err) < 0)
		return -1;
	return 0;
}

static int write_limit(const char *dir, const char *file, int64_t v, struct hull_error *err)
{
	return cg_writef(err, dir, file, "%" PRId64, v < 0 ? (int64_t)-1 : v);
}

static int apply_memory(struct cgroup_manager *m, const struct spec_memory *mem,
			struct hull_error *err)
{
	const char *dir = dir_of(m, "memory");
	int64_t limit = mem->limit.set ? mem->limit.v : 0;
	int64_t swap = mem->swap.set ? mem->swap.v : 0;
	bool memsw = cg_exists(dir, "memory.memsw.limit_in_bytes");

	if (dir == NULL)
		return 0;
	if (limit == -1 && swap == 0 && memsw)
		swap = -1;   /* unlimited memory means unlimited memory+swap */
	if (!memsw)
		swap = 0;
	/* memsw >= limit at every moment, or the kernel says EINVAL: raise
	 * memsw first when growing, lower the limit first when shrinking. */
	if (limit != 0 && swap != 0) {
		uint64_t cur = 0;

		if (cg_read_u64(dir, "memory.limit_in_bytes", &cur, err) < 0)
			return -1;
		if (swap == -1 || (uint64_t)swap > cur) {
			if (write_limit(dir, "memory.memsw.limit_in_bytes", swap, err) < 0 ||
			    write_limit(dir, "memory.limit_in_bytes", limit, err) < 0)
				return -1;
		} else if (write_limit(dir, "memory.limit_in_bytes", limit, err) < 0 ||
			   write_limit(dir, "memory.memsw.limit_in_bytes", swap, err) < 0) {
			return -1;
		}
	} else {
		if (limit != 0 && write_limit(dir, "memory.limit_in_bytes", limit, err) < 0)
			return -1;
		if (swap != 0 && write_limit(dir, "memory.memsw.limit_in_bytes", swap, err) < 0)
			return -1;
	}
	if (mem->reservation.set && mem->reservation.v != 0 &&
	    write_limit(dir, "memory.soft_limit_in_bytes", mem->reservation.v, err) < 0)
		return -1;
	if (mem->swappiness.set &&
	    cg_writef(err, dir, "memory.swappiness", "%" PRIu64, mem->swappiness.v) < 0)
		return -1;
	if (mem->disable_oom_killer.set &&
	    cg_write(dir, "memory.oom_control", mem->disable_oom_killer.v ? "1" : "0", err) < 0)
		return -1;
	return 0;
}

static int apply_cpu(struct cgroup_manager *m, const struct spec_cpu *cpu,
		     struct hull_error *err)
{
	const char *dir = dir_of(m, "cpu");
	const char *cs = dir_of(m, "cpuset");

	if (cpu->shares.set && cpu->shares.v != 0 &&
	    cg_writef(err, dir, "cpu.shares", "%" PRIu64, cpu->shares.v) < 0)
		return -1;
	/* The kernel checks quota against period on every write; if the
	 * period cannot go first, the quota can. */
	if (cpu->period.set && cpu->period.v != 0) {
		struct hull_error first = { 0 };

		if (cg_writef(&first, dir, "cpu.cfs_period_us", "%" PRIu64, cpu->period.v) < 0) {
			if (!cpu->quota.set)
				return hull_error_set(err, first.code, "%s", first.msg);
			if (write_limit(dir, "cpu.cfs_quota_us", cpu->quota.v > 0 ? cpu->quota.v : -1, err) < 0 ||
			    cg_writef(err, dir, "cpu.cfs_period_us", "%" PRIu64, cpu->period.v) < 0)
				return -1;
		}
	}
	if (cpu->quota.set &&
	    write_limit(dir, "cpu.cfs_quota_us", cpu->quota.v > 0 ? cpu->quota.v : -1, err) < 0)
		return -1;
	if (cpu->burst.set && cpu->burst.v &&
	    cg_writef(err, dir, "cpu.cfs_burst_us", "%" PRIu64, cpu->burst.v) < 0)
		return -1;
	if (cpu->idle.set && cpu->idle.v &&
	    cg_writef(err, dir, "cpu.idle", "%" PRId64, cpu->idle.v) < 0)
		return -1;
	if (cpu->realtime_period.set && cpu->realtime_period.v != 0 &&
	    cg_writef(err, dir, "cpu.rt_period_us", "%" PRIu64, cpu->realtime_period.v) < 0)
		return -1;
	if (cpu->realtime_runtime.set && cpu->realtime_runtime.v != 0 &&
	    write_limit(dir, "cpu.rt_runtime_us", cpu->realtime_runtime.v, err) < 0)
		return -1;
	if (cpu->cpus && cpu->cpus[0] && cg_write(cs, "cpuset.cpus", cpu->cpus, err) < 0)
		return -1;
	if (cpu->mems && cpu->mems[0] && cg_write(cs, "cpuset.mems", cpu->mems, err) < 0)
		return -1;
	return 0;
}

static int apply_throttle(const char *dir, const char *file,
			  const struct spec_throttle_list *l, struct hull_error *err)
{
	for (size_t i = 0; i < l->n; i++)
		if (cg_writef(err, dir, file, "%" PRId64 ":%" PRId64 " %" PRIu64,
			      l->v[i].major, l->v[i].minor, l->v[i].rate) < 0)
			return -1;
	return 0;
}

static int apply_blkio(struct cgroup_manager *m, const struct spec_blkio *b,
		       struct hull_error *err)
{
	const char *dir = dir_of(m, "blkio");
	/* Kernels without CFQ only have BFQ's files. */
	bool bfq = !cg_exists(dir, "blkio.weight") && cg_exists(dir, "blkio.bfq.weight");
	const char *wf = bfq ? "blkio.bfq.weight" : "blkio.weight";
	const char *wdf = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";

	if (b->weight.set && b->weight.v &&
	    cg_writef(err, dir, wf, "%" PRIu64, b->weight.v) < 0)
		return -1;
	if (b->leaf_weight.set && b->leaf_weight.v && cg_exists(dir, "blkio.leaf_weight") &&
	    cg_writef(err, dir, "blkio.leaf_weight", "%" PRIu64, b->leaf_weight.v) < 0)
		return -1;
	for (size_t i = 0; i < b->n_weight_device; i++) {
		const struct spec_weight_device *w = &b->weight_device[i];

		if (w->weight.set && cg_writef(err, dir, wdf, "%" PRId64 ":%" PRId64 " %" PRIu64,
					       w->major, w->minor, w->weight.v) < 0)
			return -1;
	}
	if (apply_throttle(dir, "blkio.throttle.read_bps_device", &b->read_bps, err) < 0 ||
	    apply_throttle(dir, "blkio.throttle.write_bps_device", &b->write_bps, err) < 0 ||
	    apply_throttle(dir, "blkio.throttle.read_iops_device", &b->read_iops, err) < 0 ||
	    apply_throttle(dir, "blkio.throttle.write_iops_device", &b->write_iops, err) < 0)
		return -1;
	return 0;
}

static int apply_devices(struct cgroup_manager *m, const struct spec_resources *r,
			 struct hull_error *err)
{
	const char *dir = dir_of(m, "devices");
	autofree struct spec_device_rule *rules = NULL;
	size_t n;

	if (dir == NULL)
		return 0;
	if (cgroup_device_rules(m, r, &rules, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct spec_device_rule *d = &rules[i];
		const char *file = d->allow ? "devices.allow" : "devices.deny";
		char maj[24] = "*", min[24] = "*";

		if (d->type == 'a') {
			/* v1 takes "a" alone; partial-access "a" rules become
			 * both c and b wildcards. */
			if (strcmp(d->access, "rwm") == 0) {
				if (cg_write(dir, file, "a", err) < 0)
					return -1;
				continue;
			}
			if (cg_writef(err, dir, file, "c *:* %s", d->access) < 0 ||
			    cg_writef(err, dir, file, "b *:* %s", d->access) < 0)
				return -1;
			continue;
		}
		if (d->major >= 0)
			snprintf(maj, sizeof(maj), "%" PRId64, d->major);
		if (d->minor >= 0)
			snprintf(min, sizeof(min), "%" PRId64, d->minor);
		if (cg_writef(err, dir, file, "%c %s:%s %s", d->type, maj, min, d->access) < 0)
			return -1;
	}
	return 0;
}

static int v1_apply(struct cgroup_manager *m, const struct spec_resources *r,
		    bool update, struct hull_error *err)
{
	if (r->memory_set && apply_memory(m, &r->memory, err) < 0)
		return -1;
	if (r->cpu_set && apply_cpu(m, &r->cpu, err) < 0)
		return -1;
	if (r->pids_set) {
		const char *pd = dir_of(m, "pids");

		if (r->pids_limit.v > 0 ? cg_writef(err, pd, "pids.max", "%" PRId64, r->pids_limit.v)
					: cg_write(pd, "pids.max", "max", err))
			return -1;
	}
	if (r->blkio_set && apply_blkio(m, &r->blkio, err) < 0)
		return -1;
	for (size_t i = 0; i < r->n_hugepage; i++) {
		const char *h = dir_of(m, "hugetlb");
		char f[64];

		snprintf(f, sizeof(f), "hugetlb.%s.limit_in_bytes", r->hugepage[i].page_size);
		if (h && cg_exists(h, f)) {
			if (cg_writef(err, h, f, "%" PRIu64, r->hugepage[i].limit) < 0)
				return -1;
			continue;
		}
		snprintf(f, sizeof(f), "hugetlb.%s.max", r->hugepage[i].page_size);
		if (cg_writef(err, m->unified->dir, f, "%" PRIu64, r->hugepage[i].limit) < 0)
			return -1;
	}
	if (r->network.class_id.set &&
	    cg_writef(err, dir_of(m, "net_cls"), "net_cls.classid", "%" PRIu64,
		      r->network.class_id.v) < 0)
		return -1;
	for (size_t i = 0; i < r->network.n_priorities; i++)
		if (cg_writef(err, dir_of(m, "net_prio"), "net_prio.ifpriomap", "%s %u",
			      r->network.priorities[i].name, r->network.priorities[i].priority) < 0)
			return -1;
	for (size_t i = 0; i < r->n_rdma; i++) {
		const struct spec_rdma *d = &r->rdma[i];
		char h[24] = "max", o[24] = "max";

		if (d->hca_handles.set)
			snprintf(h, sizeof(h), "%" PRIu64, d->hca_handles.v);
		if (d->hca_objects.set)
			snprintf(o, sizeof(o), "%" PRIu64, d->hca_objects.v);
		if (cg_writef(err, dir_of(m, "rdma"), "rdma.max", "%s hca_handle=%s hca_object=%s",
			      d->device, h, o) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->n_unified; i++)
		if (cg_write(m->unified->dir, r->unified_keys[i], r->unified_values[i], err) < 0)
			return hull_error_prefix(err, "linux.resources.unified.%s", r->unified_keys[i]);
	if ((!update || r->devices_set) && apply_devices(m, r, err) < 0)
		return -1;
	return 0;
}

static int v1_enter(struct cgroup_manager *m, pid_t pid, struct hull_error *err)
{
	for (size_t i = 0; i < m->nh; i++)
		if (cg_writef(err, m->h[i].dir, "cgroup.procs", "%d", (int)pid) < 0)
			return -1;
	if (m->unified && cg_writef(err, m->unified->dir, "cgroup.procs", "%d", (int)pid) < 0)
		return -1;
	return 0;
}

static int v1_clone_fd(struct cgroup_manager *m)
{
	return -1;   /* CLONE_INTO_CGROUP is a v2 feature */
}

/* See cgroup_self_enter_open (cgroup.h). */
static int v1_self_enter_open(struct cgroup_manager *m, struct cgroup_self_enter *se,
			      struct hull_error *err)
{
	if (m->nh > CGROUP_SELF_ENTER_MAX)
		return 0;   /* more hierarchies than ever seen: cgroup_enter does it */
	for (size_t i = 0; i < m->nh; i++) {
		autofree char *tasks = cg_join(m->h[i].dir, "tasks");

		if (tasks == NULL)
			return hull_error_errno(err, "asprintf");
		se->tasks_fd[i] = open(tasks, O_WRONLY | O_CLOEXEC);
		if (se->tasks_fd[i] < 0)
			return hull_error_errno(err, "open %s", tasks);
		se->dir[i] = m->h[i].dir;
		se->n = i + 1;
	}
	if (m->unified) {
		se->clone_fd = open(m->unified->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (se->clone_fd < 0)
			return hull_error_errno(err, "open %s", m->unified->dir);
	}
	return 0;
}

/* The hierarchy whose group lists the container's processes. */
static const char *procs_dir(const struct cgroup_manager *m)
{
	static const char *const pref[] = { "freezer", "pids", "memory", "devices", NULL };

	for (int i = 0; pref[i]; i++)
		if (dir_of(m, pref[i]))
			return dir_of(m, pref[i]);
	return m->nh ? m->h[0].dir : NULL;
}

static bool v1_is_frozen(struct cgroup_manager *m)
{
	const char *dir = dir_of(m, "freezer");
	autofree char *state = NULL;
	struct hull_error ignored = { 0 };

	if (dir == NULL || cg_read(dir, "freezer.state", &state, &ignored) < 0)
		return false;
	return strncmp(state, "FROZEN", 6) == 0;
}

static int v1_freeze(struct cgroup_manager *m, bool freeze, struct hull_error *err)
{
	const char *dir = dir_of(m, "freezer");

	if (dir == NULL)
		return hull_error_set(err, ENOTSUP, "the freezer controller is not mounted");
	/* FREEZING can linger while a task sits in an uninterruptible
	 * sleep; rewriting FROZEN retries.  Bounded, then undone. */
	for (int i = 0; i < 400; i++) {
		if (cg_write(dir, "freezer.state", freeze ? "FROZEN" : "THAWED", err) < 0)
			return -1;
		if (v1_is_frozen(m) == freeze)
			return 0;
		usleep(5000);
	}
	if (freeze) {
		struct hull_error ignored = { 0 };

		cg_write(dir, "freezer.state", "THAWED", &ignored);
	}
	return hull_error_set(err, EBUSY, "%s: the group did not %s within 2s", dir,
			      freeze ? "freeze" : "thaw");
}

static int v1_kill_all(struct cgroup_manager *m, int sig, struct hull_error *err)
{
	const char *dir = procs_dir(m);

	if (dir == NULL)
		return 0;
	/* v1 frozen tasks do not die until thawed: signal, then thaw. */
	if (sig == SIGKILL && v1_is_frozen(m)) {
		autofree pid_t *pids = NULL;
		size_t n = 0;

		if (cg_read_pids(dir, true, &pids, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		if (cg_write(dir_of(m, "freezer"), "freezer.state", "THAWED", err) < 0)
			return -1;
	}
	return cg_signal_all(dir, true, sig, err);
}

static int v1_pids(struct cgroup_manager *m, pid_t **pids, size_t *n,
		   struct hull_error *err)
{
	const char *dir = procs_dir(m);

	if (dir == NULL) {
		*pids = NULL;
		*n = 0;
		return 0;
	}
	return cg_read_pids(dir, true, pids, n, err);
}

/* SIGKILL to what is in the groups Hull made, and only those: a group
 * that existed before the container may hold someone else's processes. */
static int kill_owned(struct cgroup_manager *m, struct hull_error *err)
{
	struct cgroup_hier *fz = hier(m, "freezer");
	size_t total = m->nh + (m->unified ? 1 : 0);

	/* v1 frozen tasks do not die until thawed: signal, then thaw. */
	if (fz && fz->created > 0 && cg_exists(fz->dir, "") && v1_is_frozen(m)) {
		autofree pid_t *pids = NULL;
		size_t n = 0;

		if (cg_read_pids(fz->dir, true, &pids, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		if (cg_write(fz->dir, "freezer.state", "THAWED", err) < 0)
			return -1;
	}
	for (size_t i = 0; i < total; i++) {
		const struct cgroup_hier *h = i < m->nh ? &m->h[i] : m->unified;

		if (h->created > 0 && h->dir && cg_exists(h->dir, "") &&
		    cg_signal_all(h->dir, true, SIGKILL, err) < 0)
			return -1;
	}
	return 0;
}

static int v1_destroy(struct cgroup_manager *m, struct hull_error *err)
{
	struct hull_error first = { 0 };

	if (kill_owned(m, err) < 0)
		return hull_error_prefix(err, "destroying cgroup %s", m->path);
	/* Every hierarchy, even after a failure in one: leave as little as
	 * possible, report the first problem. */
	for (size_t i = 0; i < m->nh; i++)
		if (m->h[i].dir && m->h[i].created > 0)
			cg_remove_created(m->h[i].dir, m->h[i].created, &first);
	if (m->unified && m->unified->dir && m->unified->created > 0)
		cg_remove_created(m->unified->dir, m->unified->created, &first);
	if (first.set) {
		hull_error_set(err, first.code, "%s", first.msg);
		return hull_error_prefix(err, "destroying cgroup %s", m->path);
	}
	return 0;
}

static bool v1_owned(const struct cgroup_manager *m)
{
	static const char *const pref[] = { "freezer", "pids", "memory", "devices", NULL };

	for (int i = 0; pref[i]; i++) {
		struct cgroup_hier *h = hier(m, pref[i]);

		if (h)
			return h->created > 0;
	}
	return m->nh && m->h[0].created > 0;
}

/* The freezer cgroup pid is in, from /proc/<pid>/cgroup ("N:ctls:/path"). */
static char *freezer_path_of(pid_t pid)
{
	char file[64], *line = NULL, *out = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	f = fopen(file, "re");
	if (f == NULL)
		return NULL;
	while (out == NULL && getline(&line, &cap, f) > 0) {
		char *ctls = strchr(line, ':'), *path;
		struct cgroup_hier probe = { 0 };

		if (ctls == NULL || (path = strchr(ctls + 1, ':')) == NULL)
			continue;
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		probe.name = ctls + 1;
		if (hier_has(&probe, "freezer"))
			out = strdup(path);
	}
	free(line);
	fclose(f);
	return out;
}

static int v1_reclaim(struct cgroup_manager *m, pid_t pid, struct hull_error *err)
{
	struct cgroup_hier *fz = hier(m, "freezer");
	autofree char *where = NULL, *foreign = NULL, *state = NULL;
	struct hull_error ignored = { 0 };

	/* Only into a freezer group Hull made: that one is ours to write. */
	if (fz == NULL || fz->created <= 0 || !cg_exists(fz->dir, ""))
		return 0;
	where = freezer_path_of(pid);
	if (where == NULL || strcmp(where, m->path) == 0)
		return 0;
	foreign = cg_join(fz->mount, where);
	if (foreign == NULL || cg_read(foreign, "freezer.state", &state, &ignored) < 0)
		return 0;
	/* Reading the other group's state is all we do to it.  A frozen task
	 * cannot exit, so pid still names the container's init here. */
	if (strncmp(state, "FROZEN", 6) != 0 && strncmp(state, "FREEZING", 8) != 0)
		return 0;
	/* The freezer's attach thaws a task that joins a thawed group. */
	if (cg_writef(err, fz->dir, "cgroup.procs", "%d", (int)pid) < 0)
		return hull_error_prefix(err, "moving process %d out of the frozen cgroup %s",
					 (int)pid, foreign);
	return 1;
}

static int v1_stats(struct cgroup_manager *m, struct cgroup_stats *st,
		    struct hull_error *err)
{
	return cgroup_v1_stats(m, st, err);
}

/* memory.oom_control notifications: an eventfd registered through
 * cgroup.event_control ("<eventfd> <fd of memory.oom_control>"). */
static int v1_oom_fd(struct cgroup_manager *m, struct hull_error *err)
{
	const char *dir = dir_of(m, "memory");
	autofree char *p = NULL;
	autoclose int ctl = -1;
	int efd;

	if (dir == NULL)
		return hull_error_set(err, ENOTSUP, "the memory controller is not mounted");
	p = cg_join(dir, "memory.oom_control");
	if (p == NULL)
		return hull_error_errno(err, "asprintf");
	ctl = open(p, O_RDONLY | O_CLOEXEC);
	if (ctl < 0)
		return hull_error_errno(err, "open %s", p);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return hull_error_errno(err, "eventfd");
	if (cg_writef(err, dir, "cgroup.event_control", "%d %d", efd, ctl) < 0) {
		close(efd);
		return -1;
	}
	return efd;
}

/* runc's layout: a tmpfs with one bind mount per hierarchy, named after
 * its controllers ("cpu", "memory", "systemd" for name=systemd), plus
 * symlinks for co-mounted ones ("cpu" -> "cpu,cpuacct"). */
static int v1_mount(const struct cgroup_manager *m, const char *target,
		    unsigned long flags, struct hull_error *err)
{
	unsigned long fl = flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY);

	if (mount("tmpfs", target, "tmpfs", fl & ~(unsigned long)MS_RDONLY, "mode=755") < 0)
		return hull_error_errno(err, "mounting tmpfs on %s", target);
	for (size_t i = 0; i < m->nh + (m->unified ? 1 : 0); i++) {
		const struct cgroup_hier *h = i < m->nh ? &m->h[i] : m->unified;
		const char *name = h->name[0] ? h->name : "unified";
		autofree char *at = NULL;

		if (strncmp(name, "name=", 5) == 0)
			name += 5;
		at = cg_join(target, name);
		if (at == NULL)
			return hull_error_errno(err, "asprintf");
		if (mkdir(at, 0755) < 0 && errno != EEXIST)
			return hull_error_errno(err, "mkdir %s", at);
		if (mount(h->dir, at, NULL, MS_BIND | MS_REC, NULL) < 0)
			return hull_error_errno(err, "bind-mounting %s on %s", h->dir, at);
		if (mount(NULL, at, NULL, MS_BIND | MS_REMOUNT | fl, NULL) < 0)
			return hull_error_errno(err, "remounting %s", at);
		if (strchr(name, ',')) {
			autofree char *copy = strdup(name);

			for (char *t = copy ? strtok(copy, ",") : NULL; t; t = strtok(NULL, ",")) {
				autofree char *link = cg_join(target, t);

				if (link && symlink(name, link) < 0 && errno != EEXIST)
					return hull_error_errno(err, "symlink %s", link);
			}
		}
	}
	if ((flags & MS_RDONLY) &&
	    mount(NULL, target, NULL, MS_REMOUNT | fl, "mode=755") < 0)
		return hull_error_errno(err, "remounting %s read-only", target);
	return 0;
}

static void save_hier(json_gen *g, const struct cgroup_hier *h)
{
	json_gen_object_open(g);
	json_gen_kv_string(g, "name", h->name);
	json_gen_kv_string(g, "mount", h->mount);
	json_gen_kv_string(g, "dir", h->dir);
	json_gen_kv_int(g, "created", h->created);
	json_gen_object_close(g);
}

static void v1_save(const struct cgroup_manager *m, json_gen *g)
{
	json_gen_key(g, "hierarchies");
	json_gen_array_open(g);
	for (size_t i = 0; i < m->nh; i++)
		save_hier(g, &m->h[i]);
	json_gen_array_close(g);
	if (m->unified) {
		json_gen_key(g, "unified");
		save_hier(g, m->unified);
	}
}

static int load_hier(const json_node *o, const char *path, struct cgroup_hier *h,
		     struct hull_error *err)
{
	int64_t created = 0;

	if (json_get_string(o, "name", path, &h->name, err) < 0 ||
	    json_get_string(o, "mount", path, &h->mount, err) < 0 ||
	    json_get_string(o, "dir", path, &h->dir, err) < 0 ||
	    json_get_int64(o, "created", path, 0, 4096, &created, err) < 0)
		return -1;
	if (h->name == NULL || h->mount == NULL || h->dir == NULL)
		return hull_error_set(err, EINVAL, "%s: incomplete hierarchy", path);
	h->created = (int)created;
	return 0;
}

static int v1_load(struct cgroup_manager *m, const json_node *saved,
		   struct hull_error *err)
{
	const json_node *arr, *u;
	int r = json_get_array(saved, "hierarchies", "cgroup", &arr, err);

	if (r <= 0)
		return r < 0 ? -1 : hull_error_set(err, EINVAL, "cgroup state: no hierarchies");
	m->h = calloc(json_array_len(arr) + 1, sizeof(*m->h));
	if (m->h == NULL)
		return hull_error_errno(err, "calloc");
	for (size_t i = 0; i < json_array_len(arr); i++) {
		m->nh = i + 1;
		if (load_hier(json_array_get(arr, i), "cgroup.hierarchies", &m->h[i], err) < 0)
			return -1;
	}
	r = json_get_object(saved, "unified", "cgroup", &u, err);
	if (r < 0)
		return -1;
	if (r > 0) {
		m->unified = calloc(1, sizeof(*m->unified));
		if (m->unified == NULL)
			return hull_error_errno(err, "calloc");
		if (load_hier(u, "cgroup.unified", m->unified, err) < 0)
			return -1;
	}
	return 0;
}

const struct cgroup_ops cgroup_v1_ops = {
	.name = "cgroupfs-v1",
	.plan = v1_plan,
	.create = v1_create,
	.validate = v1_validate,
	.apply = v1_apply,
	.enter = v1_enter,
	.clone_fd = v1_clone_fd,
	.self_enter_open = v1_self_enter_open,
	.kill_all = v1_kill_all,
	.pids = v1_pids,
	.freeze = v1_freeze,
	.is_frozen = v1_is_frozen,
	.destroy = v1_destroy,
	.owned = v1_owned,
	.reclaim = v1_reclaim,
	.stats = v1_stats,
	.oom_fd = v1_oom_fd,
	.mount_in_container = v1_mount,
	.save = v1_save,
	.load = v1_load,
};
