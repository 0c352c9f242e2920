/* The cgroup v2 driver: one hierarchy, controllers enabled top-down in
 * cgroup.subtree_control, devices through eBPF, freezing with
 * cgroup.freeze, teardown with cgroup.kill. */
#include "cgroups/cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <unistd.h>

#include "base/cleanup.h"

/* Is `ctl` listed in a space-separated controller list ("+cpu" forms too)? */
static bool list_has(const char *list, const char *ctl)
{
	size_t l = strlen(ctl);

	for (const char *p = list; p && *p;) {
		while (*p == ' ' || *p == '\n' || *p == '+')
			p++;
		if (strncmp(p, ctl, l) == 0 && (p[l] == ' ' || p[l] == '\n' || p[l] == '\0'))
			return true;
		p = strpbrk(p, " \n");
	}
	return false;
}

/* Enables in `parent` every controller it has, so the group below gets
 * them all.  All at once first; if the kernel refuses the batch (cpu with
 * realtime tasks around, cpuset in a threaded subtree), one by one and
 * skip the refused ones. */
int cg_v2_enable_controllers(const char *parent, const char *dir, void *ctx,
			     struct hull_error *err)
{
	const char *fallback = ctx;
	autofree char *avail = NULL;
	autofree char *want = NULL;
	size_t len = 0;

	if (cg_read(parent, "cgroup.controllers", &avail, err) < 0) {
		if (!cgroup_fake_fs)
			return -1;
		hull_error_clear(err);
		avail = strdup(fallback ? fallback : "");
		if (avail == NULL)
			return hull_error_errno(err, "strdup");
	}
	want = calloc(1, strlen(avail) * 2 + 2);
	if (want == NULL)
		return hull_error_errno(err, "calloc");
	for (char *tok = strtok(avail, " \n"); tok; tok = strtok(NULL, " \n"))
		len += (size_t)sprintf(want + len, "%s+%s", len ? " " : "", tok);
	if (len == 0)
		return 0;
	if (cg_write(parent, "cgroup.subtree_control", want, err) == 0)
		return 0;
	hull_error_clear(err);
	for (char *tok = strtok(want, " "); tok; tok = strtok(NULL, " ")) {
		struct hull_error ignored = { 0 };

		cg_write(parent, "cgroup.subtree_control", tok, &ignored);
	}
	return 0;
}

static int v2_plan(struct cgroup_manager *m, struct hull_error *err)
{
	autofree char *root_ctl = NULL;

	m->dir = cg_join(m->root, m->path);
	if (m->dir == NULL)
		return hull_error_errno(err, "asprintf");
	if (cg_read(m->root, "cgroup.controllers", &root_ctl, err) < 0)
		return hull_error_prefix(err, "%s is not a cgroup2 hierarchy", m->root);
	m->created = cg_missing_tail(m->root, m->path);
	return 0;
}

static int v2_create(struct cgroup_manager *m, struct hull_error *err)
{
	autofree char *root_ctl = NULL;

	if (cg_read(m->root, "cgroup.controllers", &root_ctl, err) < 0)
		return hull_error_prefix(err, "%s is not a cgroup2 hierarchy", m->root);
	if (cg_mkdir_path(m->root, m->path, &m->created, cg_v2_enable_controllers,
			  root_ctl, err) < 0)
		return -1;
	/* A group that was there before is not Hull's: join it only if it is
	 * empty (as runc does), and never empty or remove it later. */
	if (m->created == 0 && cg_check_unused(m->dir, err) < 0)
		return -1;
	return 0;
}

/* Controllers the group can use: those enabled in its parent. */
static bool v2_has(const struct cgroup_manager *m, const char *ctl)
{
	autofree char *parent = strdup(m->dir);
	autofree char *list = NULL;
	struct hull_error ignored = { 0 };
	char *slash;

	if (parent == NULL || (slash = strrchr(parent, '/')) == NULL)
		return false;
	*slash = '\0';
	if (cg_read(parent, "cgroup.subtree_control", &list, &ignored) < 0)
		return false;
	return list_has(list, ctl);
}

static int need(const struct cgroup_manager *m, const char *ctl, const char *field,
		struct hull_error *err)
{
	if (v2_has(m, ctl))
		return 0;
	return hull_error_set(err, ENOTSUP,
			      "linux.resources.%s: the %s controller is not available to %s",
			      field, ctl, m->dir);
}

/* Working set: usage without reclaimable inactive file pages, the figure
 * the kernel will not be able to go below without killing. */
static int v2_working_set(const char *dir, uint64_t *out, struct hull_error *err)
{
	autofree char *stat = NULL;
	uint64_t cur, inactive = 0;

	if (cg_read_u64(dir, "memory.current", &cur, err) < 0)
		return -1;
	if (cg_read(dir, "memory.stat", &stat, err) == 0)
		cg_keyed_u64(stat, "inactive_file", &inactive);
	hull_error_clear(err);
	*out = cur > inactive ? cur - inactive : 0;
	return 0;
}

/* runc's conversion: spec swap counts memory+swap, v2 counts swap alone. */
static int swap_to_v2(const struct spec_memory *mem, int64_t *out, struct hull_error *err)
{
	int64_t swap = mem->swap.v, limit = mem->limit.set ? mem->limit.v : 0;

	if (swap == -1) {
		*out = -1;
		return 0;
	}
	if (swap == 0) {
		*out = 0;
		return 0;
	}
	if (limit == 0 || limit == -1)
		return hull_error_set(err, EINVAL,
				      "linux.resources.memory.swap: cannot set a swap limit without a memory limit");
	if (swap < limit)
		return hull_error_set(err, EINVAL,
				      "linux.resources.memory.swap: %" PRId64 " is below memory.limit %" PRId64,
				      swap, limit);
	*out = swap - limit;
	return 0;
}

static int validate_unified(const struct cgroup_manager *m, const struct spec_resources *r,
			    struct hull_error *err)
{
	for (size_t i = 0; i < r->n_unified; i++) {
		const char *k = r->unified_keys[i];
		char ctl[64];
		size_t cl = strcspn(k, ".");

		snprintf(ctl, sizeof(ctl), "%.*s", (int)(cl < 63 ? cl : 63), k);
		if (strcmp(ctl, "cgroup") != 0 && !v2_has(m, ctl))
			return hull_error_set(err, EINVAL,
					      "linux.resources.unified: unknown key \"%s\": controller \"%s\" is not enabled for %s",
					      k, ctl, m->dir);
		if (!cgroup_fake_fs && !cg_exists(m->dir, k))
			return hull_error_set(err, EINVAL,
					      "linux.resources.unified: unknown key \"%s\": no such interface file in %s",
					      k, m->dir);
	}
	return 0;
}

static int v2_validate(struct cgroup_manager *m, const struct spec_resources *r,
		       bool update, struct hull_error *err)
{
	const struct spec_memory *mem = &r->memory;
	const struct spec_cpu *cpu = &r->cpu;

	if (r->memory_set) {
		int64_t sw;

		if ((mem->limit.set || mem->reservation.set || mem->swap.set) &&
		    need(m, "memory", "memory", err) < 0)
			return -1;
		if (mem->swap.set && swap_to_v2(mem, &sw, err) < 0)
			return -1;
		if (mem->swap.set && sw > 0 && !cgroup_fake_fs &&
		    !cg_exists(m->dir, "memory.swap.max"))
			return hull_error_set(err, ENOTSUP,
					      "linux.resources.memory.swap: swap accounting is not enabled on this host");
		if (update && mem->limit.set && mem->limit.v > 0) {
			uint64_t ws;

			if (v2_working_set(m->dir, &ws, err) < 0)
				return -1;
			if ((uint64_t)mem->limit.v < ws)
				return hull_error_set(err, EBUSY,
						      "linux.resources.memory.limit: %" PRId64
						      " is below the container's current usage (%" PRIu64 " bytes)",
						      mem->limit.v, ws);
		}
	}
	if (r->cpu_set) {
		if ((cpu->realtime_runtime.set && cpu->realtime_runtime.v != 0) ||
		    (cpu->realtime_period.set && cpu->realtime_period.v != 0))
			return hull_error_set(err, ENOTSUP,
					      "linux.resources.cpu.realtimeRuntime/realtimePeriod: not supported on cgroup v2");
		if ((cpu->shares.set || cpu->quota.set || cpu->period.set || cpu->burst.set ||
		     cpu->idle.set) && need(m, "cpu", "cpu", err) < 0)
			return -1;
		if ((cpu->cpus || cpu->mems) && need(m, "cpuset", "cpu.cpus", err) < 0)
			return -1;
	}
	if (r->pids_set && need(m, "pids", "pids", err) < 0)
		return -1;
	if (r->blkio_set && need(m, "io", "blockIO", err) < 0)
		return -1;
	if (r->hugepage_set) {
		if (r->n_hugepage && need(m, "hugetlb", "hugepageLimits", err) < 0)
			return -1;
		for (size_t i = 0; i < r->n_hugepage; i++) {
			char f[64];

			snprintf(f, sizeof(f), "hugetlb.%s.max", r->hugepage[i].page_size);
			if (!cgroup_fake_fs && !cg_exists(m->dir, f))
				return hull_error_set(err, ENOTSUP,
						      "linux.resources.hugepageLimits[%zu].pageSize: \"%s\" is not supported by this host",
						      i, r->hugepage[i].page_size);
		}
	}
	if (r->rdma_set && r->n_rdma && need(m, "rdma", "rdma", err) < 0)
		return -1;
	if (r->network_set && (r->network.class_id.set || r->network.n_priorities))
		return hull_error_set(err, ENOTSUP,
				      "linux.resources.network: net_cls/net_prio do not exist on cgroup v2");
	if (validate_unified(m, r, err) < 0)
		return -1;
	if (!update || r->devices_set) {
		autofree struct spec_device_rule *rules = NULL;
		autofree struct bpf_insn *insns = NULL;
		size_t n, count;

		if (cgroup_device_rules(m, r, &rules, &n, err) < 0 ||
		    cgroup_bpf_build(rules, n, &insns, &count, err) < 0)
			return -1;
	}
	return 0;
}

static int write_limit(const char *dir, const char *file, int64_t v, struct hull_error *err)
{
	if (v < 0)
		return cg_write(dir, file, "max", err);
	return cg_writef(err, dir, file, "%" PRId64, v);
}

static int apply_memory(struct cgroup_manager *m, const struct spec_memory *mem,
			struct hull_error *err)
{
	if (mem->limit.set && mem->limit.v != 0 &&
	    write_limit(m->dir, "memory.max", mem->limit.v, err) < 0)
		return -1;
	if (mem->swap.set) {
		int64_t sw;

		if (swap_to_v2(mem, &sw, err) < 0)
			return -1;
		if ((cgroup_fake_fs || cg_exists(m->dir, "memory.swap.max")) && mem->swap.v != 0 &&
		    write_limit(m->dir, "memory.swap.max", sw, err) < 0)
			return -1;
	}
	if (mem->reservation.set && mem->reservation.v != 0 &&
	    write_limit(m->dir, "memory.low", mem->reservation.v, err) < 0)
		return -1;
	/* An OOM kill takes the whole container, as crun does: a container
	 * with one process killed is usually broken in ways nobody sees. */
	if (mem->limit.set && mem->limit.v > 0 &&
	    (cgroup_fake_fs || cg_exists(m->dir, "memory.oom.group")) &&
	    cg_write(m->dir, "memory.oom.group", "1", err) < 0)
		return -1;
	return 0;
}

static int apply_cpu(struct cgroup_manager *m, const struct spec_cpu *cpu,
		     struct hull_error *err)
{
	if (cpu->shares.set && cpu->shares.v != 0 &&
	    cg_writef(err, m->dir, "cpu.weight", "%" PRIu64,
		      cgroup_shares_to_weight(cpu->shares.v)) < 0)
		return -1;
	if (cpu->quota.set || (cpu->period.set && cpu->period.v != 0)) {
		autofree char *cur = NULL;
		char quota[32] = "max";
		uint64_t period = 100000;
		struct hull_error ignored = { 0 };

		/* Keep the half of cpu.max the caller did not give. */
		if (cg_read(m->dir, "cpu.max", &cur, &ignored) == 0) {
			sscanf(cur, "%31s %" SCNu64, quota, &period);
		}
		if (cpu->quota.set) {
			if (cpu->quota.v > 0)
				snprintf(quota, sizeof(quota), "%" PRId64, cpu->quota.v);
			else
				strcpy(quota, "max");
		}
		if (cpu->period.set && cpu->period.v != 0)
			period = cpu->period.v;
		if (cg_writef(err, m->dir, "cpu.max", "%s %" PRIu64, quota, period) < 0)
			return -1;
	}
	if (cpu->burst.set && cg_writef(err, m->dir, "cpu.max.burst", "%" PRIu64, cpu->burst.v) < 0)
		return -1;
	if (cpu->idle.set && cg_writef(err, m->dir, "cpu.idle", "%" PRId64, cpu->idle.v) < 0)
		return -1;
	if (cpu->cpus && cg_write(m->dir, "cpuset.cpus", cpu->cpus, err) < 0)
		return -1;
	if (cpu->mems && cg_write(m->dir, "cpuset.mems", cpu->mems, err) < 0)
		return -1;
	return 0;
}

static int apply_io_list(const char *dir, const char *key,
			 const struct spec_throttle_list *l, struct hull_error *err)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct spec_throttle_device *t = &l->v[i];

		if (t->rate == 0) {
			if (cg_writef(err, dir, "io.max", "%" PRId64 ":%" PRId64 " %s=max",
				      t->major, t->minor, key) < 0)
				return -1;
		} else if (cg_writef(err, dir, "io.max", "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
				     t->major, t->minor, key, t->rate) < 0) {
			return -1;
		}
	}
	return 0;
}

static int apply_io(struct cgroup_manager *m, const struct spec_blkio *b,
		    struct hull_error *err)
{
	/* With BFQ, io.bfq.weight takes blkio's own scale (1..1000);
	 * otherwise io.weight takes the converted 1..10000 value. */
	bool bfq = !cgroup_fake_fs && cg_exists(m->dir, "io.bfq.weight");

	if (b->weight.set && b->weight.v != 0) {
		if (bfq ? cg_writef(err, m->dir, "io.bfq.weight", "%" PRIu64, b->weight.v)
			: cg_writef(err, m->dir, "io.weight", "default %" PRIu64,
				    cgroup_blkio_weight_to_io(b->weight.v)))
			return -1;
	}
	for (size_t i = 0; i < b->n_weight_device; i++) {
		const struct spec_weight_device *w = &b->weight_device[i];

		if (!w->weight.set)
			continue;
		if (bfq ? cg_writef(err, m->dir, "io.bfq.weight", "%" PRId64 ":%" PRId64 " %" PRIu64,
				    w->major, w->minor, w->weight.v)
			: cg_writef(err, m->dir, "io.weight", "%" PRId64 ":%" PRId64 " %" PRIu64,
				    w->major, w->minor, cgroup_blkio_weight_to_io(w->weight.v)))
			return -1;
	}
	if (apply_io_list(m->dir, "rbps", &b->read_bps, err) < 0 ||
	    apply_io_list(m->dir, "wbps", &b->write_bps, err) < 0 ||
	    apply_io_list(m->dir, "riops", &b->read_iops, err) < 0 ||
	    apply_io_list(m->dir, "wiops", &b->write_iops, err) < 0)
		return -1;
	return 0;
}

static int apply_devices(struct cgroup_manager *m, const struct spec_resources *r,
			 struct hull_error *err)
{
	autofree struct spec_device_rule *rules = NULL;
	autofree struct bpf_insn *insns = NULL;
	autoclose int prog = -1;
	autoclose int dfd = -1;
	size_t n, count;

	if (cgroup_device_rules(m, r, &rules, &n, err) < 0 ||
	    cgroup_bpf_build(rules, n, &insns, &count, err) < 0)
		return -1;
	if (cgroup_fake_fs)
		return 0;
	prog = cgroup_bpf_load(insns, count, err);
	if (prog < 0)
		return -1;
	dfd = open(m->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return hull_error_errno(err, "open %s", m->dir);
	return cgroup_bpf_replace(dfd, prog, err);
}

static int v2_apply(struct cgroup_manager *m, const struct spec_resources *r,
		    bool update, struct hull_error *err)
{
	if (r->memory_set && apply_memory(m, &r->memory, err) < 0)
		return -1;
	if (r->cpu_set && apply_cpu(m, &r->cpu, err) < 0)
		return -1;
	if (r->pids_set && write_limit(m->dir, "pids.max",
				       r->pids_limit.v > 0 ? r->pids_limit.v : -1, err) < 0)
		return -1;
	if (r->blkio_set && apply_io(m, &r->blkio, err) < 0)
		return -1;
	for (size_t i = 0; i < r->n_hugepage; i++) {
		char f[64];

		snprintf(f, sizeof(f), "hugetlb.%s.max", r->hugepage[i].page_size);
		if (cg_writef(err, m->dir, f, "%" PRIu64, r->hugepage[i].limit) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->n_rdma; i++) {
		const struct spec_rdma *d = &r->rdma[i];
		char h[24] = "max", o[24] = "max";

		if (d->hca_handles.set)
			snprintf(h, sizeof(h), "%" PRIu64, d->hca_handles.v);
		if (d->hca_objects.set)
			snprintf(o, sizeof(o), "%" PRIu64, d->hca_objects.v);
		if (cg_writef(err, m->dir, "rdma.max", "%s hca_handle=%s hca_object=%s",
			      d->device, h, o) < 0)
			return -1;
	}
	/* unified last: raw keys win over the typed fields they overlap. */
	for (size_t i = 0; i < r->n_unified; i++)
		if (cg_write(m->dir, r->unified_keys[i], r->unified_values[i], err) < 0)
			return hull_error_prefix(err, "linux.resources.unified.%s", r->unified_keys[i]);
	if ((!update || r->devices_set) && apply_devices(m, r, err) < 0)
		return -1;
	return 0;
}

static int v2_enter(struct cgroup_manager *m, pid_t pid, struct hull_error *err)
{
	return cg_writef(err, m->dir, "cgroup.procs", "%d", (int)pid);
}

static int v2_clone_fd(struct cgroup_manager *m)
{
	/* CLONE_INTO_CGROUP takes any fd on the directory, O_PATH included. */
	return open(m->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static int wait_empty(const char *dir, struct hull_error *err)
{
	for (int i = 0; i < 400; i++) {
		autofree char *ev = NULL;
		uint64_t populated = 1;

		if (cg_read(dir, "cgroup.events", &ev, err) < 0) {
			if (err->code == ENOENT) {
				hull_error_clear(err);
				return 0;
			}
			return -1;
		}
		if (!cg_keyed_u64(ev, "populated", &populated) || populated == 0)
			return 0;
		usleep(5000);
	}
	return hull_error_set(err, EBUSY, "%s: processes survive cgroup.kill", dir);
}

static int v2_kill_all(struct cgroup_manager *m, int sig, struct hull_error *err)
{
	if (sig == SIGKILL && !cgroup_fake_fs && cg_exists(m->dir, "cgroup.kill")) {
		if (cg_write(m->dir, "cgroup.kill", "1", err) < 0)
			return -1;
		return wait_empty(m->dir, err);
	}
	return cg_signal_all(m->dir, true, sig, err);
}

static int v2_pids(struct cgroup_manager *m, pid_t **pids, size_t *n,
		   struct hull_error *err)
{
	return cg_read_pids(m->dir, true, pids, n, err);
}

static bool v2_is_frozen(struct cgroup_manager *m)
{
	autofree char *ev = NULL;
	struct hull_error ignored = { 0 };
	uint64_t frozen = 0;

	if (cg_read(m->dir, "cgroup.events", &ev, &ignored) < 0)
		return false;
	return cg_keyed_u64(ev, "frozen", &frozen) && frozen == 1;
}

static int v2_freeze(struct cgroup_manager *m, bool freeze, struct hull_error *err)
{
	if (cg_write(m->dir, "cgroup.freeze", freeze ? "1" : "0", err) < 0)
		return -1;
	if (cgroup_fake_fs)
		return 0;
	/* cgroup.freeze is a request; cgroup.events says when it is done. */
	for (int i = 0; i < 400; i++) {
		if (v2_is_frozen(m) == freeze)
			return 0;
		usleep(5000);
	}
	return hull_error_set(err, EBUSY, "%s: the group did not %s within 2s", m->dir,
			      freeze ? "freeze" : "thaw");
}

static int v2_destroy(struct cgroup_manager *m, struct hull_error *err)
{
	/* Only a group Hull made is emptied and removed: one that existed
	 * before the container may hold someone else's processes. */
	if (m->dir == NULL || m->created <= 0 || (!cg_exists(m->dir, "") && !cgroup_fake_fs))
		return 0;
	if (v2_kill_all(m, SIGKILL, err) < 0)
		return hull_error_prefix(err, "destroying cgroup %s", m->dir);
	if (cg_remove_created(m->dir, m->created, err) < 0)
		return hull_error_prefix(err, "destroying cgroup %s", m->dir);
	return 0;
}

static bool v2_owned(const struct cgroup_manager *m)
{
	return m->created > 0;
}

static int v2_stats(struct cgroup_manager *m, struct cgroup_stats *st,
		    struct hull_error *err)
{
	return cgroup_v2_stats(m->dir, st, err);
}

static int v2_oom_fd(struct cgroup_manager *m, struct hull_error *err)
{
	autofree char *p = cg_join(m->dir, "memory.events");
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

	if (fd < 0)
		return hull_error_errno(err, "inotify_init1");
	if (p == NULL || inotify_add_watch(fd, p, IN_MODIFY) < 0) {
		close(fd);
		return hull_error_errno(err, "watching %s", p ? p : "memory.events");
	}
	return fd;
}

/* In a cgroup namespace rooted at the container's group (the child has
 * unshared it after entering the group), a fresh cgroup2 mount shows that
 * group as its root.  Without one, a fresh mount would show the host's
 * whole tree: bind the group instead, as runc does. */
static int v2_mount(const struct cgroup_manager *m, const char *target,
		    unsigned long flags, struct hull_error *err)
{
	autofree char *self = NULL;
	struct hull_error ignored = { 0 };
	bool own_root = false;

	if (cg_read("/proc/self", "cgroup", &self, &ignored) == 0)
		own_root = strstr(self, "0::/\n") != NULL;
	flags &= ~(unsigned long)(MS_BIND | MS_REC);
	if (own_root && mount("cgroup2", target, "cgroup2", flags, NULL) == 0)
		return 0;
	if (mount(m->dir, target, NULL, MS_BIND | MS_REC, NULL) < 0)
		return hull_error_errno(err, "bind-mounting %s on %s", m->dir, target);
	if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | flags, NULL) < 0)
		return hull_error_errno(err, "remounting %s", target);
	return 0;
}

static void v2_save(const struct cgroup_manager *m, json_gen *g)
{
	json_gen_kv_string(g, "dir", m->dir);
	json_gen_kv_int(g, "created", m->created);
}

static int v2_load(struct cgroup_manager *m, const json_node *saved,
		   struct hull_error *err)
{
	int64_t created = 0;

	if (json_get_string(saved, "dir", "cgroup", &m->dir, err) <= 0)
		return err->set ? -1 : hull_error_set(err, EINVAL, "cgroup state: missing dir");
	if (json_get_int64(saved, "created", "cgroup", 0, 4096, &created, err) < 0)
		return -1;
	m->created = (int)created;
	return 0;
}

const struct cgroup_ops cgroup_v2_ops = {
	.name = "cgroupfs-v2",
	.plan = v2_plan,
	.create = v2_create,
	.validate = v2_validate,
	.apply = v2_apply,
	.enter = v2_enter,
	.clone_fd = v2_clone_fd,
	.kill_all = v2_kill_all,
	.pids = v2_pids,
	.freeze = v2_freeze,
	.is_frozen = v2_is_frozen,
	.destroy = v2_destroy,
	.owned = v2_owned,
	.stats = v2_stats,
	.oom_fd = v2_oom_fd,
	.mount_in_container = v2_mount,
	.save = v2_save,
	.load = v2_load,
};
