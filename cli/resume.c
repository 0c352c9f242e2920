/* hull resume ID */
#include <getopt.h>

#include "cli/cli.h"
#include "runtime/cgroup_verbs.h"

static int cmd_resume(struct cli_global *g, int argc, char **argv)
{
	struct hull_error err = { 0 };
	const char *id;

	optind = 1;
	id = cli_one_id(g, "resume", argc, argv);
	if (id == NULL)
		return 1;
	if (hull_resume(g->root, id, &err) < 0)
		return cli_fail(g, &err);
	return 0;
}

HULL_COMMAND(resume_cmd) = {
	.name = "resume",
	.summary = "resume a paused container",
	.usage = "Usage: hull resume ID\n\nThaws every process of paused container ID.\n",
	.run = cmd_resume,
};
