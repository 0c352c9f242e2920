/* hull: global flags, then one verb.  runc's command line: global flags
 * come first ("hull --root R --log L --log-format json create ..."); both
 * "--flag" and "-flag" spellings are accepted, as urfave/cli does. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cgroups/cgroup.h"
#include "runtime/lifecycle.h"
#include "runtime/state.h"
#include "runtime/testpoint.h"

extern const struct cli_command *const __start_hull_cmds[];
extern const struct cli_command *const __stop_hull_cmds[];

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: hull [global options] COMMAND [options] [args]\n"
		"\n"
		"An OCI container runtime: Linux containers and microVM sandboxes.\n"
		"\n"
		"Global options:\n"
		"  --root DIR            state directory (default " HULL_DEFAULT_ROOT ")\n"
		"  --log FILE            also write log lines to FILE\n"
		"  --log-format FORMAT   text or json (default text)\n"
		"  --debug               verbose logging\n"
		"  --systemd-cgroup      use the systemd cgroup driver (a transient scope per\n"
		"                        container; cgroupsPath \"slice:prefix:name\")\n"
		"  --rootless auto|false accepted (what Hull does); true is refused\n"
		"  --version, -v         print versions\n"
		"  --help, -h            this help\n"
		"\n");
	fprintf(out, "Cgroup drivers on this host: cgroupfs%s\n\nCommands:\n",
		cgroup_systemd_available() ? ", systemd" : " (systemd: not the init system here)");
	for (const struct cli_command *const *c = __start_hull_cmds; c < __stop_hull_cmds; c++)
		if (!(*c)->hidden)
			fprintf(out, "  %-10s %s\n", (*c)->name, (*c)->summary);
	fprintf(out, "\nRun 'hull COMMAND --help' for a command's options.\n");
}

static const struct cli_command *find(const char *name)
{
	for (const struct cli_command *const *c = __start_hull_cmds; c < __stop_hull_cmds; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'l' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "systemd-cgroup", no_argument, NULL, 's' },
		{ "rootless", required_argument, NULL, 'R' },
		{ "criu", required_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_global g = { .root = HULL_DEFAULT_ROOT };
	const struct cli_command *cmd;
	int c, rc;

	hull_test_point("main");
	while ((c = getopt_long_only(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': g.root = optarg; break;
		case 'l': g.log_path = optarg; break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				g.log_json = true;
			else if (strcmp(optarg, "text") != 0) {
				fprintf(stderr, "hull: --log-format: unknown format \"%s\" (text or json)\n", optarg);
				return 1;
			}
			break;
		case 'd': g.debug = true; break;
		case 's': g.systemd_cgroup = true; break;
		case 'R':
			/* runc's --rootless true ignores cgroup permission
			 * errors; Hull does not, so only the values that ask
			 * for what it does are accepted. */
			if (strcmp(optarg, "true") == 0) {
				fprintf(stderr, "hull: --rootless true: ignoring cgroup permission errors is not supported\n");
				return 1;
			}
			if (strcmp(optarg, "false") != 0 && strcmp(optarg, "auto") != 0) {
				fprintf(stderr, "hull: --rootless: \"%s\" is not true, false or auto\n", optarg);
				return 1;
			}
			break;
		case 'C':
			fprintf(stderr, "hull: --criu: Hull has no checkpoint/restore\n");
			return 1;
		case 'v':
			cmd = find("version");
			return cmd ? cmd->run(&g, 1, argv) : 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	cli_install_warn_sink(&g);
	cmd = find(argv[optind]);
	if (cmd == NULL) {
		fprintf(stderr, "hull: unknown command \"%s\" (see 'hull --help')\n", argv[optind]);
		return 1;
	}
	if (cli_wants_help(cmd, argc - optind, argv + optind))
		return 0;
	if (cmd->enters_container) {
		struct hull_error err = { 0 };

		if (hull_ensure_cloned_binary(argv, &err) < 0)
			return cli_fail(&g, &err);
	}
	/* Each verb parses its own flags with getopt from a fresh start. */
	argc -= optind;
	argv += optind;
	optind = 0;
	rc = cmd->run(&g, argc, argv);
	hull_test_point("exit");
	return rc;
}
