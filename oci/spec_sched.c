/* process.scheduler: the policy, its parameters and flags, validated as
 * runc validates them and within the bounds the kernel's sched_setattr
 * enforces, so a bad value fails at create with the field named instead of
 * as an EINVAL from the container child. */
#include "oci/spec.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

#ifndef SCHED_IDLE
#define SCHED_IDLE 5
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#define SCHED_ISO 4                 /* named by the spec, never merged in Linux */
/* The kernel's SCHED_DEADLINE bounds (kernel/sched/deadline.c,
 * __checkparam_dl): runtime at least 2^DL_SCALE ns, and deadline and
 * period below 2^63 (their top bit is reserved). */
#define DL_MIN_RUNTIME_NS (1ULL << 10)
#define DL_MAX_NS (1ULL << 63)

static const char *const policies[] = {
	"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH",
	"SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE",
};
/* Bit i is 1 << i, as in linux/sched.h (SCHED_FLAG_RESET_ON_FORK = 1...). */
static const char *const flag_names[] = {
	"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",
	"SCHED_FLAG_DL_OVERRUN", "SCHED_FLAG_KEEP_POLICY",
	"SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
	"SCHED_FLAG_UTIL_CLAMP_MAX",
};

static int parse_flags(const json_node *sch, const char *where,
		       struct spec_process *p, struct hull_error *err)
{
	char **flags = NULL;
	size_t n = 0;
	int r = json_get_string_array(sch, "flags", where, &flags, &n, err);

	if (r <= 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < sizeof(flag_names) / sizeof(flag_names[0]); j++)
			if (strcmp(flags[i], flag_names[j]) == 0)
				break;
		if (j == sizeof(flag_names) / sizeof(flag_names[0])) {
			hull_error_set(err, EINVAL, "%s.flags[%zu]: unknown flag \"%s\"",
				       where, i, flags[i]);
			strv_free(flags);
			return -1;
		}
		p->sched_flags |= 1ULL << j;
	}
	strv_free(flags);
	return 0;
}

static int check_deadline(const struct spec_process *p, const char *where,
			  struct hull_error *err)
{
	uint64_t period = p->sched_period ? p->sched_period : p->sched_deadline;

	if (p->sched_deadline == 0)
		return json_path_error(err, where, "deadline", "SCHED_DEADLINE needs a deadline");
	if (p->sched_runtime < DL_MIN_RUNTIME_NS)
		return json_path_error(err, where, "runtime",
				       "%llu ns is below the kernel's minimum of %llu ns",
				       (unsigned long long)p->sched_runtime,
				       (unsigned long long)DL_MIN_RUNTIME_NS);
	if (p->sched_runtime > p->sched_deadline)
		return json_path_error(err, where, "runtime",
				       "runtime %llu must not exceed deadline %llu",
				       (unsigned long long)p->sched_runtime,
				       (unsigned long long)p->sched_deadline);
	if (p->sched_deadline >= DL_MAX_NS || period >= DL_MAX_NS)
		return json_path_error(err, where, p->sched_deadline >= DL_MAX_NS ? "deadline" : "period",
				       "must be below 2^63 ns");
	if (p->sched_deadline > period)
		return json_path_error(err, where, "deadline",
				       "deadline %llu must not exceed period %llu",
				       (unsigned long long)p->sched_deadline,
				       (unsigned long long)period);
	return 0;
}

int spec_parse_scheduler(const json_node *proc, const char *path,
			 struct spec_process *p, struct hull_error *err)
{
	const json_node *sch;
	autofree char *policy = NULL;
	int64_t v;
	char where[64];
	int r = json_get_object(proc, "scheduler", path, &sch, err);

	if (r <= 0)
		return r;
	snprintf(where, sizeof(where), "%s.scheduler", path);
	if (json_get_string(sch, "policy", where, &policy, err) < 0)
		return -1;
	if (policy == NULL)
		return json_path_error(err, where, "policy", "missing");
	p->sched_policy = UINT_MAX;
	for (unsigned int i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (strcmp(policy, policies[i]) == 0)
			p->sched_policy = i;
	if (p->sched_policy == UINT_MAX)
		return json_path_error(err, where, "policy", "unknown policy \"%s\"", policy);
	if (p->sched_policy == SCHED_ISO)
		return json_path_error(err, where, "policy", "SCHED_ISO is not supported by Linux");
	v = 0;
	if (json_get_int64(sch, "nice", where, -20, 19, &v, err) < 0)
		return -1;
	p->sched_nice = (int)v;
	v = 0;
	if (json_get_int64(sch, "priority", where, 0, 99, &v, err) < 0)
		return -1;
	p->sched_priority = (int)v;
	if (json_get_uint64(sch, "runtime", where, UINT64_MAX, &p->sched_runtime, err) < 0 ||
	    json_get_uint64(sch, "deadline", where, UINT64_MAX, &p->sched_deadline, err) < 0 ||
	    json_get_uint64(sch, "period", where, UINT64_MAX, &p->sched_period, err) < 0 ||
	    parse_flags(sch, where, p, err) < 0)
		return -1;
	/* Real-time priorities are 1..99 (sched_get_priority_min/max); every
	 * other policy takes 0, as runc checks. */
	if (p->sched_policy == SCHED_FIFO || p->sched_policy == SCHED_RR) {
		if (p->sched_priority == 0)
			return json_path_error(err, where, "priority",
					       "%s needs a priority between 1 and 99", policy);
	} else if (p->sched_priority != 0) {
		return json_path_error(err, where, "priority",
				       "only SCHED_FIFO and SCHED_RR take a priority (%s takes 0)",
				       policy);
	}
	if (p->sched_policy == SCHED_DEADLINE) {
		if (check_deadline(p, where, err) < 0)
			return -1;
	} else if (p->sched_runtime || p->sched_deadline || p->sched_period) {
		return json_path_error(err, where,
				       p->sched_runtime ? "runtime" : p->sched_deadline ? "deadline" : "period",
				       "only SCHED_DEADLINE takes runtime, deadline and period");
	}
	/* RECLAIM and DL_OVERRUN are SCHED_DEADLINE's own flags. */
	if ((p->sched_flags & (2 | 4)) && p->sched_policy != SCHED_DEADLINE)
		return json_path_error(err, where, "flags",
				       "SCHED_FLAG_RECLAIM and SCHED_FLAG_DL_OVERRUN need SCHED_DEADLINE");
	p->has_scheduler = true;
	return 0;
}
