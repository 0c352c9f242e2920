/* hull pause ID */
#include <getopt.h>

#include "cli/cli.h"
#include "runtime/cgroup_verbs.h"

static int cmd_pause(struct cli_global *g, int argc, char **argv)
{
	struct hull_error err = { 0 };
	const char *id;

	optind = 1;
	id = cli_one_id(g, "pause", argc, argv);
	if (id == NULL)
		return 1;
	if (hull_pause(g->root, id, &err) < 0)
		return cli_fail(g, &err);
	return 0;
}

HULL_COMMAND(pause_cmd) = {
	.name = "pause",
	.summary = "suspend every process of a container",
	.usage = "Usage: hull pause ID\n\nFreezes every process of running container ID (cgroup.freeze on v2, the\nfreezer controller on v1).  `state` and `list` then show \"paused\".\n",
	.run = cmd_pause,
};
