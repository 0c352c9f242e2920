/* `spec`: writes a default config.json, as `runc spec` does. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "base/json.h"
#include "oci/spec.h"

static void gen_process(json_gen *g, bool rootless)
{
	static const char *const args[] = { "sh", NULL };
	static const char *const env[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"TERM=xterm", NULL,
	};

	json_gen_key(g, "process");
	json_gen_object_open(g);
	json_gen_kv_bool(g, "terminal", true);
	json_gen_key(g, "user");
	json_gen_object_open(g);
	json_gen_kv_int(g, "uid", 0);
	json_gen_kv_int(g, "gid", 0);
	json_gen_object_close(g);
	json_gen_kv_strv(g, "args", args);
	json_gen_kv_strv(g, "env", env);
	json_gen_kv_string(g, "cwd", "/");
	spec_gen_default_process_security(g);
	json_gen_object_close(g);
	(void)rootless;
}

static int cmd_spec(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "rootless", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bundle = ".";
	bool rootless = false;
	char path[4096];
	json_gen *j;
	char *text;
	size_t len;
	int c, fd;

	while ((c = getopt_long_only(argc, argv, "+b:", opts, NULL)) != -1) {
		switch (c) {
		case 'b': bundle = optarg; break;
		case 'r': rootless = true; break;
		default: return cli_usage_error(g, "spec", "invalid flags");
		}
	}
	if (optind < argc)
		return cli_usage_error(g, "spec", "unexpected argument \"%s\"", argv[optind]);
	j = json_gen_new(true);
	if (j == NULL)
		return 1;
	json_gen_object_open(j);
	json_gen_kv_string(j, "ociVersion", "1.2.0");
	gen_process(j, rootless);
	json_gen_key(j, "root");
	json_gen_object_open(j);
	json_gen_kv_string(j, "path", "rootfs");
	json_gen_kv_bool(j, "readonly", true);
	json_gen_object_close(j);
	json_gen_kv_string(j, "hostname", "hull");
	spec_gen_default_mounts(j, rootless);
	spec_gen_default_linux(j, rootless);
	json_gen_object_close(j);
	text = json_gen_finish(j, &len);
	json_gen_free(j);
	if (text == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	/* Like runc: never overwrite an existing config.json. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		struct hull_error err = { 0 };

		free(text);
		if (errno == EEXIST)
			hull_error_set(&err, EEXIST, "%s already exists; remove it first", path);
		else
			hull_error_errno(&err, "create %s", path);
		return cli_fail(g, &err);
	}
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		struct hull_error err = { 0 };

		hull_error_errno(&err, "write %s", path);
		close(fd);
		free(text);
		return cli_fail(g, &err);
	}
	close(fd);
	free(text);
	return 0;
}

HULL_COMMAND(spec_cmd) = {
	.name = "spec",
	.summary = "write a default config.json",
	.usage =
	"Usage: hull spec [--rootless] [--bundle DIR]\n"
	"\n"
	"  --bundle, -b DIR   where to write config.json (default: current directory)\n"
	"  --rootless         a config for a user namespace with the caller's ids\n",
	.run = cmd_spec,
};
