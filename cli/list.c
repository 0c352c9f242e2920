#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/json.h"
#include "runtime/lifecycle.h"

static void print_json(struct list_entry *e, size_t n)
{
	json_gen *g = json_gen_new(false);
	char *text;

	if (g == NULL)
		return;
	json_gen_array_open(g);
	for (size_t i = 0; i < n; i++) {
		json_gen_object_open(g);
		json_gen_kv_string(g, "ociVersion", "1.2.0");
		json_gen_kv_string(g, "id", e[i].id);
		json_gen_kv_int(g, "pid", e[i].pid);
		json_gen_kv_string(g, "status", e[i].status);
		json_gen_kv_string(g, "bundle", e[i].bundle);
		json_gen_kv_string(g, "rootfs", "");
		json_gen_kv_string(g, "created", e[i].created);
		json_gen_kv_string(g, "owner", e[i].owner);
		json_gen_kv_string(g, "backend", e[i].backend ? e[i].backend : "linux");
		json_gen_object_close(g);
	}
	json_gen_array_close(g);
	text = json_gen_finish(g, NULL);
	json_gen_free(g);
	if (text)
		printf("%s\n", text);
	free(text);
}

static int cmd_list(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct hull_error err = { 0 };
	struct list_entry *e = NULL;
	bool json = false, quiet = false;
	size_t n = 0;
	int c;

	while ((c = getopt_long_only(argc, argv, "+f:q", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "table") != 0)
				return cli_usage_error(g, "list", "--format: \"%s\" is not table or json", optarg);
			break;
		case 'q': quiet = true; break;
		default: return cli_usage_error(g, "list", "invalid flags");
		}
	}
	if (optind < argc)
		return cli_usage_error(g, "list", "unexpected argument \"%s\"", argv[optind]);
	if (hull_list(g->root, &e, &n, &err) < 0)
		return cli_fail(g, &err);
	if (json) {
		print_json(e, n);
	} else if (quiet) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", e[i].id);
	} else {
		/* runc's columns, then Hull's isolation backend. */
		printf("%-20s %-8s %-10s %-40s %-32s %-6s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER", "BACKEND");
		for (size_t i = 0; i < n; i++)
			printf("%-20s %-8d %-10s %-40s %-32s %-6s %s\n", e[i].id, e[i].pid,
			       e[i].status, e[i].bundle, e[i].created, e[i].owner,
			       e[i].backend ? e[i].backend : "linux");
	}
	hull_list_free(e, n);
	return 0;
}

HULL_COMMAND(list_cmd) = {
	.name = "list",
	.summary = "list containers",
	.usage =
	"Usage: hull list [--format table|json] [-q]\n"
	"\n"
	"  --format, -f FORMAT   table (default) or json\n"
	"  --quiet, -q           ids only\n",
	.run = cmd_list,
};
