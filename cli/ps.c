/* hull ps [--format table|json] ID [-- PS-ARGS...]: the processes of a
 * container's cgroup.  json prints the pids; table runs ps(1) with the
 * given arguments (default -ef) and keeps the header and the container's
 * rows, found by the PID column, as runc does. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "runtime/cgroup_verbs.h"

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

static int pid_column(const char *header)
{
	char *copy = strdup(header);
	int col = -1, i = 0;

	for (char *t = copy ? strtok(copy, " \t\n") : NULL; t; t = strtok(NULL, " \t\n"), i++)
		if (strcmp(t, "PID") == 0) {
			col = i;
			break;
		}
	free(copy);
	return col;
}

static int run_ps(const struct cli_global *g, char **args, int nargs,
		  const pid_t *pids, size_t n)
{
	char **av = calloc((size_t)nargs + 3, sizeof(*av));
	int fds[2], status, col = -1;
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	bool first = true;
	pid_t child;

	if (av == NULL || pipe(fds) < 0) {
		free(av);
		fprintf(stderr, "hull: ps: %s\n", strerror(errno));
		return 1;
	}
	av[0] = "ps";
	if (nargs == 0)
		av[1] = "-ef";
	for (int i = 0; i < nargs; i++)
		av[1 + i] = args[i];
	child = fork();
	if (child < 0) {
		free(av);
		fprintf(stderr, "hull: ps: fork: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvp("ps", av);
		_exit(127);
	}
	free(av);
	close(fds[1]);
	f = fdopen(fds[0], "r");
	while (f && getline(&line, &cap, f) > 0) {
		if (first) {
			col = pid_column(line);
			fputs(line, stdout);
			first = false;
			continue;
		}
		if (col >= 0) {
			char *copy = strdup(line), *t = copy ? strtok(copy, " \t\n") : NULL;

			for (int i = 0; t && i < col; i++)
				t = strtok(NULL, " \t\n");
			if (t && has_pid(pids, n, strtol(t, NULL, 10)))
				fputs(line, stdout);
			free(copy);
		}
	}
	free(line);
	if (f)
		fclose(f);
	waitpid(child, &status, 0);
	if (!first && col < 0)
		return cli_usage_error(g, "ps", "no PID column in the output of ps");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static int cmd_ps(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct hull_error err = { 0 };
	const char *format = "table", *id;
	pid_t *pids = NULL;
	size_t n = 0;
	int c, rc;

	optind = 1;
	while ((c = getopt_long_only(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c != 'f')
			return cli_usage_error(g, "ps", "invalid flags");
		format = optarg;
	}
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return cli_usage_error(g, "ps", "--format: \"%s\" is neither table nor json", format);
	if (optind >= argc)
		return cli_usage_error(g, "ps", "a container id is required");
	id = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (hull_ps_pids(g->root, id, &pids, &n, &err) < 0)
		return cli_fail(g, &err);
	if (strcmp(format, "json") == 0) {
		if (optind < argc) {
			free(pids);
			return cli_usage_error(g, "ps", "ps arguments are not allowed with --format json");
		}
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
		free(pids);
		return 0;
	}
	fflush(stdout);
	rc = run_ps(g, argv + optind, argc - optind, pids, n);
	free(pids);
	return rc;
}

HULL_COMMAND(ps_cmd) = {
	.name = "ps",
	.summary = "list the processes of a container",
	.usage =
	"Usage: hull ps [--format table|json] ID [-- PS-ARGS...]\n"
	"\n"
	"Lists the processes in container ID's cgroup.\n"
	"\n"
	"  --format, -f table|json   table (default) runs ps(1) with PS-ARGS (default\n"
	"                            -ef) and keeps the container's rows; json prints\n"
	"                            an array of pids\n",
	.run = cmd_ps,
};
