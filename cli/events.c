/* hull events [--stats] [--interval D] ID: runc's JSON event stream. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "runtime/cgroup_verbs.h"

/* Go-style durations as runc takes them: "5s", "500ms", "1m", "1m30s". */
static int parse_duration(const char *s, unsigned *ms)
{
	double total = 0;

	if (*s == '\0')
		return -1;
	while (*s) {
		char *end;
		double v = strtod(s, &end);

		if (end == s)
			return -1;
		if (strncmp(end, "ms", 2) == 0) {
			total += v;
			end += 2;
		} else if (*end == 's') {
			total += v * 1000;
			end++;
		} else if (*end == 'm') {
			total += v * 60000;
			end++;
		} else if (*end == 'h') {
			total += v * 3600000;
			end++;
		} else {
			return -1;
		}
		s = end;
	}
	if (total < 1 || total > 86400000)
		return -1;
	*ms = (unsigned)total;
	return 0;
}

static int print_line(void *ctx, const char *line)
{
	(void)ctx;
	printf("%s\n", line);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int cmd_events(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stats", no_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	struct hull_events_opts o = { .interval_ms = 5000, .emit = print_line };
	struct hull_error err = { 0 };
	const char *id;
	int c;

	optind = 1;
	while ((c = getopt_long_only(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 's')
			o.stats_once = true;
		else if (c == 'i' && parse_duration(optarg, &o.interval_ms) == 0)
			continue;
		else if (c == 'i')
			return cli_usage_error(g, "events", "--interval: \"%s\" is not a duration like 5s", optarg);
		else
			return cli_usage_error(g, "events", "invalid flags");
	}
	id = cli_one_id(g, "events", argc, argv);
	if (id == NULL)
		return 1;
	if (hull_events(g->root, id, &o, &err) < 0)
		return cli_fail(g, &err);
	return 0;
}

HULL_COMMAND(events_cmd) = {
	.name = "events",
	.summary = "stream a container's resource usage and OOM events",
	.usage =
	"Usage: hull events [--stats] [--interval D] ID\n"
	"\n"
	"Prints one JSON event per line, as runc does: {\"type\":\"stats\",\"id\":ID,\n"
	"\"data\":{cpu,memory,pids,blkio,hugetlb}} every interval, and {\"type\":\"oom\",\n"
	"\"id\":ID} when the kernel OOM-kills a process of the container.  Ends when\n"
	"the container stops.\n"
	"\n"
	"  --stats          print one stats event and exit\n"
	"  --interval D     time between stats events (default 5s; 500ms, 1m...)\n",
	.run = cmd_events,
};
