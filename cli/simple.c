/* The one-id verbs: start, state, delete, kill. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "runtime/lifecycle.h"

static int cmd_start(struct cli_global *g, int argc, char **argv)
{
	struct hull_error err = { 0 };
	const char *id;

	optind = 1;
	id = cli_one_id(g, "start", argc, argv);
	if (id == NULL)
		return 1;
	if (hull_start(g->root, id, &err) < 0)
		return cli_fail(g, &err);
	return 0;
}

HULL_COMMAND(start_cmd) = {
	.name = "start",
	.summary = "start a created container",
	.usage = "Usage: hull start ID\n\nRuns the user process of created container ID.\n",
	.run = cmd_start,
};

static int cmd_state(struct cli_global *g, int argc, char **argv)
{
	struct hull_error err = { 0 };
	char *json = NULL;
	const char *id;

	optind = 1;
	id = cli_one_id(g, "state", argc, argv);
	if (id == NULL)
		return 1;
	if (hull_state(g->root, id, &json, &err) < 0)
		return cli_fail(g, &err);
	printf("%s\n", json);
	free(json);
	return 0;
}

HULL_COMMAND(state_cmd) = {
	.name = "state",
	.summary = "print a container's state as JSON",
	.usage = "Usage: hull state ID\n\nPrints the OCI state of container ID (status is derived from the live process).\n",
	.run = cmd_state,
};

static int cmd_delete(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct hull_error err = { 0 };
	bool force = false;
	const char *id;
	int c;

	while ((c = getopt_long_only(argc, argv, "+f", opts, NULL)) != -1) {
		if (c != 'f')
			return cli_usage_error(g, "delete", "invalid flags");
		force = true;
	}
	id = cli_one_id(g, "delete", argc, argv);
	if (id == NULL)
		return 1;
	if (hull_delete(g->root, id, force, &err) < 0) {
		/* runc: deleting a missing container with --force succeeds. */
		if (force && err.code == ENOENT)
			return 0;
		return cli_fail(g, &err);
	}
	return 0;
}

HULL_COMMAND(delete_cmd) = {
	.name = "delete",
	.summary = "delete a container and everything it holds",
	.usage =
	"Usage: hull delete [--force] ID\n"
	"\n"
	"Removes a stopped (or created) container: its cgroup, state and, after the\n"
	"poststop hooks, nothing is left.\n"
	"\n"
	"  --force, -f   kill a running container first; a missing one is no error\n",
	.run = cmd_delete,
};

static int cmd_kill(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct hull_error err = { 0 };
	bool all = false;
	int sig = 15, c;
	const char *id;

	while ((c = getopt_long_only(argc, argv, "+a", opts, NULL)) != -1) {
		if (c != 'a')
			return cli_usage_error(g, "kill", "invalid flags");
		all = true;
	}
	if (optind >= argc)
		return cli_usage_error(g, "kill", "a container id is required");
	id = argv[optind];
	if (optind + 2 < argc)
		return cli_usage_error(g, "kill", "unexpected argument \"%s\"", argv[optind + 2]);
	if (optind + 1 < argc && hull_parse_signal(argv[optind + 1], &sig, &err) < 0)
		return cli_fail(g, &err);
	if (hull_kill(g->root, id, sig, all, &err) < 0)
		return cli_fail(g, &err);
	return 0;
}

HULL_COMMAND(kill_cmd) = {
	.name = "kill",
	.summary = "send a signal to a container's process",
	.usage =
	"Usage: hull kill [--all] ID [SIGNAL]\n"
	"\n"
	"SIGNAL is a name (TERM, SIGTERM, RTMIN+1) or a number; default SIGTERM.\n"
	"\n"
	"  --all, -a   signal every process in the container's cgroup\n",
	.run = cmd_kill,
};
