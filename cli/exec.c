#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "runtime/exec.h"
#include "base/json.h"

static int push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));

	if (nv == NULL)
		return -1;
	nv[(*n)++] = (char *)s;
	nv[*n] = NULL;
	*v = nv;
	return 0;
}

static int parse_user(struct exec_opts *o, const char *s)
{
	char *end;
	unsigned long u = strtoul(s, &end, 10);

	if (end == s || (*end != '\0' && *end != ':'))
		return -1;
	o->has_user = true;
	o->uid = (uid_t)u;
	if (*end == ':') {
		const char *g = end + 1;

		o->gid = (gid_t)strtoul(g, &end, 10);
		if (end == g || *end)
			return -1;
		o->has_gid = true;
	}
	return 0;
}

static int parse_gids(struct exec_opts *o, const char *s)
{
	char *copy = strdup(s), *save = NULL;

	if (copy == NULL)
		return -1;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long g = strtoul(t, &end, 10);
		gid_t *nv;

		if (*end) {
			free(copy);
			return -1;
		}
		nv = realloc(o->additional_gids, (o->n_additional_gids + 1) * sizeof(gid_t));
		if (nv == NULL) {
			free(copy);
			return -1;
		}
		o->additional_gids = nv;
		o->additional_gids[o->n_additional_gids++] = (gid_t)g;
	}
	free(copy);
	return 0;
}

static int cmd_exec(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "process", required_argument, NULL, 'p' },
		{ "tty", no_argument, NULL, 't' },
		{ "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "cwd", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "additional-gids", required_argument, NULL, 'g' },
		{ "cap", required_argument, NULL, 'C' },
		{ "no-new-privs", no_argument, NULL, 'n' },
		{ "preserve-fds", required_argument, NULL, 'F' },
		{ "process-label", required_argument, NULL, 'L' },
		{ "apparmor", required_argument, NULL, 'A' },
		{ "cgroup", required_argument, NULL, 'G' },
		{ "ignore-paused", no_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 },
	};
	struct exec_opts o = { .root = g->root };
	struct hull_error err = { 0 };
	size_t n_env = 0, n_caps = 0;
	int status = 0, c, rc;

	while ((c = getopt_long_only(argc, argv, "+p:tde:u:g:c:", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o.process_file = optarg; break;
		case 't': o.tty = true; break;
		case 'd': o.detach = true; break;
		case 'P': o.pid_file = optarg; break;
		case 'c': o.console_socket = optarg; break;
		case 'w': o.cwd = optarg; break;
		case 'e':
			if (push(&o.env, &n_env, optarg) < 0)
				return 1;
			break;
		case 'u':
			if (parse_user(&o, optarg) < 0)
				return cli_usage_error(g, "exec", "--user: \"%s\" is not UID[:GID]", optarg);
			break;
		case 'g':
			if (parse_gids(&o, optarg) < 0)
				return cli_usage_error(g, "exec", "--additional-gids: \"%s\" is not a list of gids", optarg);
			break;
		case 'C':
			if (push(&o.caps, &n_caps, optarg) < 0)
				return 1;
			break;
		case 'n': o.no_new_privs = true; break;
		case 'F': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 0 || v > 65536)
				return cli_usage_error(g, "exec", "--preserve-fds: \"%s\" is not a count", optarg);
			o.preserve_fds = (int)v;
			break;
		}
		case 'L': o.process_label = optarg; break;
		case 'A': o.apparmor = optarg; break;
		case 'G': o.cgroup = optarg; break;
		case 'I': o.ignore_paused = true; break;
		default:
			return cli_usage_error(g, "exec", "invalid flags");
		}
	}
	if (optind >= argc)
		return cli_usage_error(g, "exec", "a container id is required");
	o.id = argv[optind++];
	if (o.process_file && optind < argc)
		return cli_usage_error(g, "exec", "give either --process or a command, not both");
	if (!o.process_file && optind >= argc)
		return cli_usage_error(g, "exec", "a command (or --process FILE) is required");
	o.args = argv + optind;
	rc = hull_exec(&o, &status, &err);
	free(o.env);
	free(o.caps);
	free(o.additional_gids);
	if (rc < 0)
		return cli_fail(g, &err);
	return status;
}

HULL_COMMAND(exec_cmd) = {
	.name = "exec",
	.summary = "run a new process inside a running container",
	.usage =
	"Usage: hull exec [options] ID [COMMAND [ARGS...]]\n"
	"\n"
	"Joins every namespace and the cgroup of container ID and runs COMMAND (or\n"
	"the process described by --process).  Settings not given come from the\n"
	"container's own process.  Exits with the process's status (128+N for a\n"
	"signal), or 0 at once with --detach.\n"
	"\n"
	"  --process, -p FILE       a runtime-spec process JSON\n"
	"  --tty, -t                allocate a pty\n"
	"  --detach, -d             do not wait for the process\n"
	"  --pid-file FILE          write the process's pid to FILE\n"
	"  --console-socket PATH    send the pty master there (with --tty)\n"
	"  --cwd DIR                working directory inside the container\n"
	"  --env, -e KEY=VALUE      add or replace an environment variable\n"
	"  --user, -u UID[:GID]     run as this user\n"
	"  --additional-gids, -g G  comma-separated supplementary groups\n"
	"  --cap, -c CAP            add a capability (repeatable)\n"
	"  --no-new-privs           set no_new_privileges\n"
	"  --preserve-fds N         pass fds 3 .. 3+N-1 to the process\n"
	"  --apparmor PROFILE       AppArmor profile (default: the container's)\n"
	"  --process-label LABEL    SELinux label (default: the container's)\n"
	"  --ignore-paused          exec even into a paused container (it stays frozen)\n"
	"  --cgroup PATH            refused: sub-cgroups are not supported\n",
	.run = cmd_exec,
	.enters_container = true,
};
