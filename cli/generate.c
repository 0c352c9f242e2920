/* `hull generate systemd [options] NAME`: a systemd unit that runs a
 * container; `hull generate bundle --out DIR [options] NAME`: the bundle
 * such a unit runs (its ExecStartPre).  Both fill the one model through
 * unit_set_key(), the .container parser's own checks (runtime/unit.h). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "cli/cli.h"
#include "runtime/unit.h"

static const char usage[] =
	"Usage: hull generate systemd [OPTIONS] NAME\n"
	"       hull generate bundle --out DIR [OPTIONS] NAME\n"
	"\n"
	"`systemd` prints a service unit (hull-NAME.service) that runs container NAME\n"
	"with the systemd cgroup driver; it is active once the container says READY=1\n"
	"(or once started, without --notify). `bundle` writes the bundle the unit runs.\n"
	"\n"
	"  --bundle, -b DIR        the OCI bundle to run\n"
	"  --image REF             an image (needs Hull's images support)\n"
	"  --env, -e KEY=VALUE     add to the environment (repeatable)\n"
	"  --volume, -v SRC:DST[:ro]  bind mount (repeatable)\n"
	"  --network host|none     the host's network, or an empty one\n"
	"  --memory SIZE           memory limit (512M)\n"
	"  --cpu-quota N%          CPU quota, percent of one CPU\n"
	"  --pids-limit N          maximum number of tasks\n"
	"  --vm                    run in a microVM\n"
	"  --notify                the payload sends READY=1 itself (sd_notify)\n"
	"  --stop-signal SIG       what `systemctl stop` sends (default SIGTERM)\n"
	"  --stop-timeout SECONDS  before SIGKILL\n"
	"  --restart POLICY        Restart= (default on-failure)\n"
	"  --wanted-by UNIT        [Install] WantedBy= (repeatable)\n"
	"  --files                 write hull-NAME.service into the current directory\n"
	"  --out DIR               (bundle) where config.json goes\n";

static int cmd_generate(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "image", required_argument, NULL, 'I' },
		{ "env", required_argument, NULL, 'e' },
		{ "volume", required_argument, NULL, 'v' },
		{ "network", required_argument, NULL, 'N' },
		{ "memory", required_argument, NULL, 'm' },
		{ "cpu-quota", required_argument, NULL, 'c' },
		{ "pids-limit", required_argument, NULL, 'p' },
		{ "vm", no_argument, NULL, 'V' },
		{ "notify", no_argument, NULL, 'n' },
		{ "stop-signal", required_argument, NULL, 's' },
		{ "stop-timeout", required_argument, NULL, 't' },
		{ "restart", required_argument, NULL, 'r' },
		{ "wanted-by", required_argument, NULL, 'w' },
		{ "files", no_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct hull_error err = { 0 };
	struct hull_unit u;
	const char *what, *out_dir = NULL;
	bool files = false;
	int c, rc = 1;

	if (argc < 2 || (strcmp(argv[1], "systemd") && strcmp(argv[1], "bundle")))
		return cli_usage_error(g, "generate", "say what to generate: systemd or bundle");
	what = argv[1];
	unit_init(&u);
	optind = 2;
	while ((c = getopt_long_only(argc, argv, "+b:e:v:", opts, NULL)) != -1) {
		char abs[PATH_MAX];
		int r = 0;

		switch (c) {
		case 'b':
			if (realpath(optarg, abs) == NULL) {
				hull_error_errno(&err, "--bundle %s", optarg);
				goto fail;
			}
			r = unit_set_key(&u, "Container", "Bundle", abs, &err);
			break;
		case 'I': r = unit_set_key(&u, "Container", "Image", optarg, &err); break;
		case 'e': r = unit_set_key(&u, "Container", "Environment", optarg, &err); break;
		case 'v': r = unit_set_key(&u, "Container", "Volume", optarg, &err); break;
		case 'N': r = unit_set_key(&u, "Container", "Network", optarg, &err); break;
		case 'm': r = unit_set_key(&u, "Container", "Memory", optarg, &err); break;
		case 'c': r = unit_set_key(&u, "Container", "CPUQuota", optarg, &err); break;
		case 'p': r = unit_set_key(&u, "Container", "PidsLimit", optarg, &err); break;
		case 'V': r = unit_set_key(&u, "Container", "VM", "yes", &err); break;
		case 'n': r = unit_set_key(&u, "Container", "Notify", "yes", &err); break;
		case 's': r = unit_set_key(&u, "Container", "StopSignal", optarg, &err); break;
		case 't': r = unit_set_key(&u, "Container", "StopTimeout", optarg, &err); break;
		case 'r': r = unit_set_key(&u, "Service", "Restart", optarg, &err); break;
		case 'w': r = unit_set_key(&u, "Install", "WantedBy", optarg, &err); break;
		case 'f': files = true; break;
		case 'o': out_dir = optarg; break;
		default:
			unit_free(&u);
			return cli_usage_error(g, "generate", "unknown option");
		}
		if (r < 0)
			goto fail;
	}
	if (optind != argc - 1) {
		unit_free(&u);
		return cli_usage_error(g, "generate", "expected one NAME");
	}
	if (unit_set_key(&u, "Container", "Name", argv[optind], &err) < 0)
		goto fail;
	if (strcmp(what, "bundle") == 0) {
		if (out_dir == NULL) {
			unit_free(&u);
			return cli_usage_error(g, "generate", "bundle: --out DIR is required");
		}
		if (unit_derive_bundle(&u, out_dir, &err) < 0)
			goto fail;
		rc = 0;
	} else {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		autofree char *name = unit_file_name(&u);
		FILE *f = stdout;

		if (n < 0 || name == NULL) {
			hull_error_errno(&err, "finding the hull binary");
			goto fail;
		}
		self[n] = '\0';
		/* A memfd re-exec would show "/memfd:..."; generate does not
		 * re-exec, so this is the installed path. */
		if (files && (f = fopen(name, "w")) == NULL) {
			hull_error_errno(&err, "creating %s", name);
			goto fail;
		}
		rc = unit_write(f, &u, self, &err) < 0;
		if (files) {
			if (fclose(f) != 0 && !err.set)
				hull_error_errno(&err, "writing %s", name);
			if (err.set)
				unlink(name);
			else
				printf("%s\n", name);
		}
		if (err.set)
			goto fail;
		rc = 0;
	}
	unit_free(&u);
	return rc;
fail:
	unit_free(&u);
	return cli_fail(g, &err);
}

HULL_COMMAND(generate_cmd) = {
	.name = "generate",
	.summary = "generate a systemd unit for a container (generate systemd)",
	.usage = usage,
	.run = cmd_generate,
};
