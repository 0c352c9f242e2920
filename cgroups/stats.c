/* Usage counters for `events`, read from either cgroup version into one
 * struct, and runc's JSON shape for them. */
#include "cgroups/cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"

void cgroup_stats_free(struct cgroup_stats *st)
{
	free(st->percpu);
	strv_free(st->mem_raw_keys);
	free(st->mem_raw_values);
	free(st->io_bytes);
	free(st->io_ops);
	free(st->hugetlb);
	memset(st, 0, sizeof(*st));
}

int cgroup_stats_add_raw(struct cgroup_stats *st, const char *key, uint64_t v)
{
	char **k = realloc(st->mem_raw_keys, (st->n_mem_raw + 2) * sizeof(*k));
	uint64_t *vv;

	if (k == NULL)
		return -1;
	st->mem_raw_keys = k;
	vv = realloc(st->mem_raw_values, (st->n_mem_raw + 1) * sizeof(*vv));
	if (vv == NULL)
		return -1;
	st->mem_raw_values = vv;
	k[st->n_mem_raw] = strdup(key);
	k[st->n_mem_raw + 1] = NULL;
	if (k[st->n_mem_raw] == NULL)
		return -1;
	vv[st->n_mem_raw++] = v;
	return 0;
}

int cgroup_stats_add_io(struct cgroup_blkio_entry **v, size_t *n, uint64_t major,
			uint64_t minor, const char *op, uint64_t value)
{
	struct cgroup_blkio_entry *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (nv == NULL)
		return -1;
	*v = nv;
	nv[*n].major = major;
	nv[*n].minor = minor;
	snprintf(nv[*n].op, sizeof(nv[*n].op), "%s", op);
	nv[*n].value = value;
	(*n)++;
	return 0;
}

int cgroup_stats_add_hugetlb(struct cgroup_stats *st, const char *size,
			     uint64_t usage, uint64_t max, uint64_t failcnt)
{
	struct cgroup_hugetlb_stat *v = realloc(st->hugetlb, (st->n_hugetlb + 1) * sizeof(*v));

	if (v == NULL)
		return -1;
	st->hugetlb = v;
	snprintf(v[st->n_hugetlb].size, sizeof(v[0].size), "%s", size);
	v[st->n_hugetlb].usage = usage;
	v[st->n_hugetlb].max = max;
	v[st->n_hugetlb].failcnt = failcnt;
	st->n_hugetlb++;
	return 0;
}

/* Optional counters: a missing file (controller not there) reads as 0. */
static uint64_t opt_u64(const char *dir, const char *file)
{
	struct hull_error ignored = { 0 };
	uint64_t v = 0;

	if (dir == NULL || cg_read_u64(dir, file, &v, &ignored) < 0)
		return 0;
	return v;
}

static char *opt_read(const char *dir, const char *file)
{
	struct hull_error ignored = { 0 };
	char *s = NULL;

	if (dir == NULL || cg_read(dir, file, &s, &ignored) < 0)
		return NULL;
	return s;
}

static int add_raw_all(struct cgroup_stats *st, const char *text)
{
	autofree char *copy = text ? strdup(text) : NULL;
	char *save = NULL;

	for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(l, ' ');

		if (sp == NULL)
			continue;
		*sp = '\0';
		if (cgroup_stats_add_raw(st, l, strtoull(sp + 1, NULL, 10)) < 0)
			return -1;
	}
	return 0;
}

int cgroup_v2_hugetlb_stats(const char *dir, struct cgroup_stats *st,
			    struct hull_error *err)
{
	autoclosedir DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL) {
		char size[16], f[64], exact[64];
		autofree char *ev = NULL;
		uint64_t failcnt = 0;

		/* sscanf stops at the first literal mismatch and still counts
		 * the size, so "hugetlb.2MB.rsvd.current" would match too:
		 * rebuild the name and insist on equality. */
		if (sscanf(e->d_name, "hugetlb.%15[^.].current", size) != 1)
			continue;
		snprintf(exact, sizeof(exact), "hugetlb.%s.current", size);
		if (strcmp(exact, e->d_name) != 0)
			continue;
		snprintf(f, sizeof(f), "hugetlb.%s.events", size);
		ev = opt_read(dir, f);
		if (ev)
			cg_keyed_u64(ev, "max", &failcnt);
		snprintf(f, sizeof(f), "hugetlb.%s.max", size);
		if (cgroup_stats_add_hugetlb(st, size, opt_u64(dir, e->d_name),
					     opt_u64(dir, f), failcnt) < 0)
			return hull_error_errno(err, "realloc");
	}
	return 0;
}

int cgroup_v2_stats(const char *dir, struct cgroup_stats *st, struct hull_error *err)
{
	autofree char *cpu = opt_read(dir, "cpu.stat");
	autofree char *mem = opt_read(dir, "memory.stat");
	autofree char *ev = opt_read(dir, "memory.events");
	autofree char *io = opt_read(dir, "io.stat");
	uint64_t v;

	if (!cg_exists(dir, ""))
		return hull_error_errno(err, "%s", dir);
	if (cpu) {
		if (cg_keyed_u64(cpu, "usage_usec", &v))
			st->cpu_total = v * 1000;
		if (cg_keyed_u64(cpu, "user_usec", &v))
			st->cpu_user = v * 1000;
		if (cg_keyed_u64(cpu, "system_usec", &v))
			st->cpu_kernel = v * 1000;
		cg_keyed_u64(cpu, "nr_periods", &st->throttle_periods);
		cg_keyed_u64(cpu, "nr_throttled", &st->throttled_periods);
		if (cg_keyed_u64(cpu, "throttled_usec", &v))
			st->throttled_time = v * 1000;
	}
	st->mem.usage = opt_u64(dir, "memory.current");
	st->mem.limit = opt_u64(dir, "memory.max");
	st->mem.max = opt_u64(dir, "memory.peak");
	st->swap.usage = opt_u64(dir, "memory.swap.current");
	st->swap.limit = opt_u64(dir, "memory.swap.max");
	if (ev) {
		cg_keyed_u64(ev, "max", &st->mem.failcnt);
		cg_keyed_u64(ev, "oom_kill", &st->oom_kills);
	}
	if (mem) {
		cg_keyed_u64(mem, "file", &st->mem_cache);
		if (add_raw_all(st, mem) < 0)
			return hull_error_errno(err, "realloc");
	}
	st->pids_current = opt_u64(dir, "pids.current");
	st->pids_limit = opt_u64(dir, "pids.max");
	for (char *l = io; l && *l;) {
		unsigned maj, min;
		int off = 0;
		char *nl = strchrnul(l, '\n');
		uint64_t rb = 0, wb = 0, ri = 0, wi = 0;

		if (sscanf(l, "%u:%u %n", &maj, &min, &off) == 2) {
			char *rest = l + off;

			sscanf(strstr(rest, "rbytes=") ? strstr(rest, "rbytes=") : "", "rbytes=%lu", &rb);
			sscanf(strstr(rest, "wbytes=") ? strstr(rest, "wbytes=") : "", "wbytes=%lu", &wb);
			sscanf(strstr(rest, "rios=") ? strstr(rest, "rios=") : "", "rios=%lu", &ri);
			sscanf(strstr(rest, "wios=") ? strstr(rest, "wios=") : "", "wios=%lu", &wi);
			if (cgroup_stats_add_io(&st->io_bytes, &st->n_io_bytes, maj, min, "Read", rb) < 0 ||
			    cgroup_stats_add_io(&st->io_bytes, &st->n_io_bytes, maj, min, "Write", wb) < 0 ||
			    cgroup_stats_add_io(&st->io_ops, &st->n_io_ops, maj, min, "Read", ri) < 0 ||
			    cgroup_stats_add_io(&st->io_ops, &st->n_io_ops, maj, min, "Write", wi) < 0)
				return hull_error_errno(err, "realloc");
		}
		l = *nl ? nl + 1 : nl;
	}
	return cgroup_v2_hugetlb_stats(dir, st, err);
}

static const char *v1_dir(struct cgroup_manager *m, const char *ctl)
{
	size_t l = strlen(ctl);

	for (size_t i = 0; i < m->nh; i++)
		for (const char *p = m->h[i].name; p; p = strchr(p, ','), p = p ? p + 1 : NULL)
			if (strncmp(p, ctl, l) == 0 && (p[l] == ',' || p[l] == '\0'))
				return m->h[i].dir;
	return NULL;
}

static int v1_blkio(const char *dir, const char *file, struct cgroup_blkio_entry **v,
		    size_t *n)
{
	autofree char *text = opt_read(dir, file);

	for (char *l = text; l && *l;) {
		unsigned maj, min;
		char op[16];
		unsigned long val;
		char *nl = strchrnul(l, '\n');

		if (sscanf(l, "%u:%u %15s %lu", &maj, &min, op, &val) == 4 &&
		    cgroup_stats_add_io(v, n, maj, min, op, val) < 0)
			return -1;
		l = *nl ? nl + 1 : nl;
	}
	return 0;
}

int cgroup_v1_stats(struct cgroup_manager *m, struct cgroup_stats *st,
		    struct hull_error *err)
{
	const char *acct = v1_dir(m, "cpuacct"), *cpu = v1_dir(m, "cpu");
	const char *mem = v1_dir(m, "memory"), *blk = v1_dir(m, "blkio");
	autofree char *percpu = opt_read(acct, "cpuacct.usage_percpu");
	autofree char *cstat = opt_read(acct, "cpuacct.stat");
	autofree char *thr = opt_read(cpu, "cpu.stat");
	autofree char *mstat = opt_read(mem, "memory.stat");
	autofree char *oomc = opt_read(mem, "memory.oom_control");
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t v;

	st->cpu_total = opt_u64(acct, "cpuacct.usage");
	for (char *p = percpu; p && *p;) {
		char *end;
		uint64_t x = strtoull(p, &end, 10);
		uint64_t *nv;

		if (end == p)
			break;
		nv = realloc(st->percpu, (st->n_percpu + 1) * sizeof(*nv));
		if (nv == NULL)
			return hull_error_errno(err, "realloc");
		st->percpu = nv;
		nv[st->n_percpu++] = x;
		p = end;
		while (*p == ' ' || *p == '\n')
			p++;
	}
	if (cstat && hz > 0) {
		if (cg_keyed_u64(cstat, "user", &v))
			st->cpu_user = v * (1000000000ULL / (uint64_t)hz);
		if (cg_keyed_u64(cstat, "system", &v))
			st->cpu_kernel = v * (1000000000ULL / (uint64_t)hz);
	}
	if (thr) {
		cg_keyed_u64(thr, "nr_periods", &st->throttle_periods);
		cg_keyed_u64(thr, "nr_throttled", &st->throttled_periods);
		cg_keyed_u64(thr, "throttled_time", &st->throttled_time);
	}
	st->mem.usage = opt_u64(mem, "memory.usage_in_bytes");
	st->mem.max = opt_u64(mem, "memory.max_usage_in_bytes");
	st->mem.limit = opt_u64(mem, "memory.limit_in_bytes");
	st->mem.failcnt = opt_u64(mem, "memory.failcnt");
	st->swap.usage = opt_u64(mem, "memory.memsw.usage_in_bytes");
	st->swap.max = opt_u64(mem, "memory.memsw.max_usage_in_bytes");
	st->swap.limit = opt_u64(mem, "memory.memsw.limit_in_bytes");
	st->swap.failcnt = opt_u64(mem, "memory.memsw.failcnt");
	st->kernel.usage = opt_u64(mem, "memory.kmem.usage_in_bytes");
	st->kernel.max = opt_u64(mem, "memory.kmem.max_usage_in_bytes");
	st->kernel.limit = opt_u64(mem, "memory.kmem.limit_in_bytes");
	st->kernel.failcnt = opt_u64(mem, "memory.kmem.failcnt");
	if (mstat) {
		cg_keyed_u64(mstat, "cache", &st->mem_cache);
		if (add_raw_all(st, mstat) < 0)
			return hull_error_errno(err, "realloc");
	}
	if (oomc)
		cg_keyed_u64(oomc, "oom_kill", &st->oom_kills);
	st->pids_current = opt_u64(v1_dir(m, "pids"), "pids.current");
	st->pids_limit = opt_u64(v1_dir(m, "pids"), "pids.max");
	if (v1_blkio(blk, "blkio.throttle.io_service_bytes_recursive", &st->io_bytes, &st->n_io_bytes) < 0 ||
	    v1_blkio(blk, "blkio.throttle.io_serviced_recursive", &st->io_ops, &st->n_io_ops) < 0)
		return hull_error_errno(err, "realloc");
	if (m->unified && m->unified->dir)
		return cgroup_v2_hugetlb_stats(m->unified->dir, st, err);
	return 0;
}

/* --- runc's JSON --- */

static void gen_u64(json_gen *g, const char *k, uint64_t v, bool omitempty)
{
	if (omitempty && v == 0)
		return;
	json_gen_key(g, k);
	json_gen_uint(g, v);
}

static void gen_mem_entry(json_gen *g, const char *k, const struct cgroup_mem_entry *e)
{
	json_gen_key(g, k);
	json_gen_object_open(g);
	gen_u64(g, "limit", e->limit, false);
	gen_u64(g, "usage", e->usage, true);
	gen_u64(g, "max", e->max, true);
	gen_u64(g, "failcnt", e->failcnt, false);
	json_gen_object_close(g);
}

static void gen_io(json_gen *g, const char *k, const struct cgroup_blkio_entry *v, size_t n)
{
	if (n == 0)
		return;
	json_gen_key(g, k);
	json_gen_array_open(g);
	for (size_t i = 0; i < n; i++) {
		json_gen_object_open(g);
		gen_u64(g, "major", v[i].major, true);
		gen_u64(g, "minor", v[i].minor, true);
		json_gen_kv_string(g, "op", v[i].op);
		gen_u64(g, "value", v[i].value, true);
		json_gen_object_close(g);
	}
	json_gen_array_close(g);
}

void cgroup_stats_to_json(json_gen *g, const struct cgroup_stats *st)
{
	json_gen_object_open(g);
	json_gen_key(g, "cpu");
	json_gen_object_open(g);
	json_gen_key(g, "usage");
	json_gen_object_open(g);
	gen_u64(g, "total", st->cpu_total, true);
	if (st->n_percpu) {
		json_gen_key(g, "percpu");
		json_gen_array_open(g);
		for (size_t i = 0; i < st->n_percpu; i++)
			json_gen_uint(g, st->percpu[i]);
		json_gen_array_close(g);
	}
	gen_u64(g, "kernel", st->cpu_kernel, false);
	gen_u64(g, "user", st->cpu_user, false);
	json_gen_object_close(g);
	json_gen_key(g, "throttling");
	json_gen_object_open(g);
	gen_u64(g, "periods", st->throttle_periods, true);
	gen_u64(g, "throttledPeriods", st->throttled_periods, true);
	gen_u64(g, "throttledTime", st->throttled_time, true);
	json_gen_object_close(g);
	json_gen_object_close(g);

	json_gen_key(g, "memory");
	json_gen_object_open(g);
	gen_u64(g, "cache", st->mem_cache, true);
	gen_mem_entry(g, "usage", &st->mem);
	gen_mem_entry(g, "swap", &st->swap);
	gen_mem_entry(g, "kernel", &st->kernel);
	gen_mem_entry(g, "kernelTCP", &st->kernel_tcp);
	if (st->n_mem_raw) {
		json_gen_key(g, "raw");
		json_gen_object_open(g);
		for (size_t i = 0; i < st->n_mem_raw; i++)
			gen_u64(g, st->mem_raw_keys[i], st->mem_raw_values[i], false);
		json_gen_object_close(g);
	}
	json_gen_object_close(g);

	json_gen_key(g, "pids");
	json_gen_object_open(g);
	gen_u64(g, "current", st->pids_current, true);
	gen_u64(g, "limit", st->pids_limit == UINT64_MAX ? 0 : st->pids_limit, true);
	json_gen_object_close(g);

	json_gen_key(g, "blkio");
	json_gen_object_open(g);
	gen_io(g, "ioServiceBytesRecursive", st->io_bytes, st->n_io_bytes);
	gen_io(g, "ioServicedRecursive", st->io_ops, st->n_io_ops);
	json_gen_object_close(g);

	json_gen_key(g, "hugetlb");
	json_gen_object_open(g);
	for (size_t i = 0; i < st->n_hugetlb; i++) {
		json_gen_key(g, st->hugetlb[i].size);
		json_gen_object_open(g);
		gen_u64(g, "usage", st->hugetlb[i].usage, true);
		gen_u64(g, "max", st->hugetlb[i].max, true);
		gen_u64(g, "failcnt", st->hugetlb[i].failcnt, false);
		json_gen_object_close(g);
	}
	json_gen_object_close(g);
	json_gen_object_close(g);
}
