/* hull update [--resources FILE|-] [runc's flags] ID: changes the live
 * limits of a container; the flags override values from --resources. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cgroups/resources.h"
#include "cli/cli.h"
#include "runtime/cgroup_verbs.h"
#include "base/json.h"

enum {
	OPT_RESOURCES = 'r', OPT_MEMORY = 'm', OPT_SWAP = 256, OPT_RESERVATION,
	OPT_KMEM, OPT_KMEM_TCP, OPT_SHARES, OPT_QUOTA, OPT_PERIOD, OPT_RT_RUNTIME,
	OPT_RT_PERIOD, OPT_CPUS, OPT_MEMS, OPT_PIDS, OPT_BLKIO, OPT_L3, OPT_MEMBW,
};

/* docker/runc sizes: "512", "512k", "64m", "1g", "1.5GiB", and -1. */
static int parse_size(const char *s, int64_t *out)
{
	char *end;
	double v;
	double mult = 1;

	if (strcmp(s, "-1") == 0) {
		*out = -1;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	switch (*end | 0x20) {
	case 'k': mult = 1024.0; end++; break;
	case 'm': mult = 1024.0 * 1024; end++; break;
	case 'g': mult = 1024.0 * 1024 * 1024; end++; break;
	case 't': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0' || v * mult > 9.2e18)
		return -1;
	*out = (int64_t)(v * mult);
	return 0;
}

static int parse_int(const char *s, int64_t min, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min)
		return -1;
	*out = v;
	return 0;
}

static int load_resources(const char *file, struct spec_resources **out,
			  struct hull_error *err)
{
	json_node *node = NULL;
	int rc;

	if (strcmp(file, "-") == 0) {
		char *text = NULL;
		size_t len = 0, cap = 0;

		for (;;) {
			size_t n;

			if (cap - len < 4096) {
				char *nt = realloc(text, cap + 65536);

				if (nt == NULL) {
					free(text);
					return hull_error_errno(err, "realloc");
				}
				text = nt;
				cap += 65536;
			}
			n = fread(text + len, 1, cap - len - 1, stdin);
			len += n;
			if (n == 0)
				break;
		}
		text[len] = '\0';
		rc = json_parse(text, &node, err);
		free(text);
	} else {
		rc = json_parse_file(file, &node, err);
	}
	if (rc < 0)
		return hull_error_prefix(err, "--resources");
	rc = spec_resources_parse(node, "linux.resources", out, err);
	json_free(node);
	return rc;
}

static int apply_flag(struct spec_resources *r, int opt, const char *arg,
		      const struct cli_global *g, struct hull_error *err)
{
	int64_t v;

	switch (opt) {
	case OPT_MEMORY: case OPT_SWAP: case OPT_RESERVATION:
		if (parse_size(arg, &v) < 0)
			return hull_error_set(err, EINVAL, "invalid size \"%s\"", arg);
		r->memory_set = true;
		if (opt == OPT_MEMORY)
			r->memory.limit = (struct res_i64){ true, v };
		else if (opt == OPT_SWAP)
			r->memory.swap = (struct res_i64){ true, v };
		else
			r->memory.reservation = (struct res_i64){ true, v };
		return 0;
	case OPT_KMEM: case OPT_KMEM_TCP:
		cli_log(g, "warning", "--kernel-memory%s is deprecated and ignored",
			opt == OPT_KMEM_TCP ? "-tcp" : "");
		return 0;
	case OPT_L3: case OPT_MEMBW:
		return hull_error_set(err, ENOTSUP, "--%s: Intel RDT is not supported by hull",
				      opt == OPT_L3 ? "l3-cache-schema" : "mem-bw-schema");
	case OPT_CPUS: case OPT_MEMS: {
		char **dst = opt == OPT_CPUS ? &r->cpu.cpus : &r->cpu.mems;
		char *s = strdup(arg);

		if (s == NULL)
			return hull_error_errno(err, "strdup");
		free(*dst);
		*dst = s;
		r->cpu_set = true;
		return 0;
	}
	default:
		break;
	}
	if (parse_int(arg, opt == OPT_QUOTA || opt == OPT_RT_RUNTIME || opt == OPT_PIDS ? -1 : 0, &v) < 0)
		return hull_error_set(err, EINVAL, "invalid number \"%s\"", arg);
	switch (opt) {
	case OPT_SHARES: r->cpu.shares = (struct res_u64){ true, (uint64_t)v }; r->cpu_set = true; break;
	case OPT_QUOTA: r->cpu.quota = (struct res_i64){ true, v }; r->cpu_set = true; break;
	case OPT_PERIOD: r->cpu.period = (struct res_u64){ true, (uint64_t)v }; r->cpu_set = true; break;
	case OPT_RT_RUNTIME: r->cpu.realtime_runtime = (struct res_i64){ true, v }; r->cpu_set = true; break;
	case OPT_RT_PERIOD: r->cpu.realtime_period = (struct res_u64){ true, (uint64_t)v }; r->cpu_set = true; break;
	case OPT_PIDS: r->pids_limit = (struct res_i64){ true, v }; r->pids_set = true; break;
	case OPT_BLKIO:
		if (v != 0 && (v < 10 || v > 1000))
			return hull_error_set(err, EINVAL, "--blkio-weight: %" PRId64 " out of range [10, 1000]", v);
		r->blkio.weight = (struct res_u64){ true, (uint64_t)v };
		r->blkio_set = true;
		break;
	default:
		return hull_error_set(err, EINVAL, "unknown flag");
	}
	return 0;
}

static int cmd_update(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "resources", required_argument, NULL, OPT_RESOURCES },
		{ "r", required_argument, NULL, OPT_RESOURCES },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "memory-swap", required_argument, NULL, OPT_SWAP },
		{ "memory-reservation", required_argument, NULL, OPT_RESERVATION },
		{ "kernel-memory", required_argument, NULL, OPT_KMEM },
		{ "kernel-memory-tcp", required_argument, NULL, OPT_KMEM_TCP },
		{ "cpu-shares", required_argument, NULL, OPT_SHARES },
		{ "cpu-quota", required_argument, NULL, OPT_QUOTA },
		{ "cpu-period", required_argument, NULL, OPT_PERIOD },
		{ "cpu-rt-runtime", required_argument, NULL, OPT_RT_RUNTIME },
		{ "cpu-rt-period", required_argument, NULL, OPT_RT_PERIOD },
		{ "cpuset-cpus", required_argument, NULL, OPT_CPUS },
		{ "cpuset-mems", required_argument, NULL, OPT_MEMS },
		{ "pids-limit", required_argument, NULL, OPT_PIDS },
		{ "blkio-weight", required_argument, NULL, OPT_BLKIO },
		{ "l3-cache-schema", required_argument, NULL, OPT_L3 },
		{ "mem-bw-schema", required_argument, NULL, OPT_MEMBW },
		{ NULL, 0, NULL, 0 },
	};
	struct { int opt; const char *arg; } flags[32];
	size_t nflags = 0;
	struct hull_error err = { 0 };
	struct spec_resources *r = NULL;
	const char *file = NULL, *id;
	int c, rc = 0;

	optind = 1;
	while ((c = getopt_long_only(argc, argv, "+r:m:", opts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return cli_usage_error(g, "update", "invalid flags");
		if (c == OPT_RESOURCES) {
			file = optarg;
		} else if (nflags < sizeof(flags) / sizeof(flags[0])) {
			flags[nflags].opt = c;
			flags[nflags++].arg = optarg;
		} else {
			return cli_usage_error(g, "update", "more than %zu flags",
					       sizeof(flags) / sizeof(flags[0]));
		}
	}
	id = cli_one_id(g, "update", argc, argv);
	if (id == NULL)
		return 1;
	/* --resources first, flags on top, as runc does. */
	if (file ? load_resources(file, &r, &err) : (r = spec_resources_new(&err)) ? 0 : -1)
		return cli_fail(g, &err);
	for (size_t i = 0; i < nflags && rc == 0; i++)
		if (apply_flag(r, flags[i].opt, flags[i].arg, g, &err) < 0)
			rc = -1;
	if (rc == 0)
		rc = hull_update(g->root, id, r, &err);
	spec_resources_free(r);
	return rc < 0 ? cli_fail(g, &err) : 0;
}

HULL_COMMAND(update_cmd) = {
	.name = "update",
	.summary = "change the resource limits of a running container",
	.usage =
	"Usage: hull update [OPTIONS] ID\n"
	"\n"
	"Applies new limits to container ID's cgroup and records them in its state.\n"
	"Values are checked first: a rejected update changes nothing.\n"
	"\n"
	"  --resources, -r FILE|-      linux.resources JSON (runtime-spec), - for stdin;\n"
	"                              the flags below override its values\n"
	"  --memory, -m SIZE           memory limit (512k, 64m, 1g; -1 unlimited)\n"
	"  --memory-swap SIZE          memory plus swap limit\n"
	"  --memory-reservation SIZE   soft limit (memory.low on v2)\n"
	"  --kernel-memory SIZE        ignored, with a warning (deprecated)\n"
	"  --cpu-shares N              relative CPU weight (cpu.weight on v2)\n"
	"  --cpu-quota N               CFS quota in microseconds per period (-1: none)\n"
	"  --cpu-period N              CFS period in microseconds\n"
	"  --cpu-rt-runtime N          realtime runtime (v1 only)\n"
	"  --cpu-rt-period N           realtime period (v1 only)\n"
	"  --cpuset-cpus LIST          CPUs allowed (0-3,5)\n"
	"  --cpuset-mems LIST          memory nodes allowed\n"
	"  --pids-limit N              maximum number of tasks (0 or -1: unlimited)\n"
	"  --blkio-weight N            block IO weight, 10..1000\n"
	"  --l3-cache-schema S         unsupported (Intel RDT): an error\n"
	"  --mem-bw-schema S           unsupported (Intel RDT): an error\n",
	.run = cmd_update,
};
