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

static void mount_entry(json_gen *g, const char *dst, const char *type,
			const char *src, const char *const *opts)
{
	json_gen_object_open(g);
	json_gen_kv_string(g, "destination", dst);
	json_gen_kv_string(g, "type", type);
	json_gen_kv_string(g, "source", src);
	json_gen_kv_strv(g, "options", opts);
	json_gen_object_close(g);
}

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

static void gen_mounts(json_gen *g, bool rootless)
{
	static const char *const none[] = { NULL };
	static const char *const dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
	static const char *const pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
	static const char *const pts_rootless[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL };
	static const char *const shm[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
	static const char *const mq[] = { "nosuid", "noexec", "nodev", NULL };
	static const char *const sys[] = { "nosuid", "noexec", "nodev", "ro", NULL };
	static const char *const sys_rootless[] = { "rbind", "nosuid", "noexec", "nodev", "ro", NULL };
	static const char *const cg[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };

	json_gen_key(g, "mounts");
	json_gen_array_open(g);
	mount_entry(g, "/proc", "proc", "proc", none);
	mount_entry(g, "/dev", "tmpfs", "tmpfs", dev);
	mount_entry(g, "/dev/pts", "devpts", "devpts", rootless ? pts_rootless : pts);
	mount_entry(g, "/dev/shm", "tmpfs", "shm", shm);
	mount_entry(g, "/dev/mqueue", "mqueue", "mqueue", mq);
	if (rootless) {
		mount_entry(g, "/sys", "none", "/sys", sys_rootless);
	} else {
		mount_entry(g, "/sys", "sysfs", "sysfs", sys);
		mount_entry(g, "/sys/fs/cgroup", "cgroup", "cgroup", cg);
	}
	json_gen_array_close(g);
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
	gen_mounts(j, rootless);
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
