/* hull-generator: a systemd generator (systemd.generator(7)) that turns
 * /etc/hull/containers/NAME.container (and /run/hull/containers/) into
 * hull-NAME.service, so declared containers start with the host, restart on
 * failure and stop cleanly.  It runs at boot and on every daemon-reload,
 * before most of the system is up: it only reads those files and writes
 * units into the directory systemd passes (argv[1], the "normal" one).
 *
 * A malformed file or an unknown key is logged (kmsg, so it reaches the
 * journal, and stderr) with FILE:LINE and that one unit is skipped; the
 * generator itself always exits 0 so the boot never breaks on it.
 *
 * The parsing and the unit text are runtime/unit*.c, the same code
 * `hull generate systemd` uses. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "base/error.h"
#include "runtime/unit.h"

#ifndef HULL_BIN_PATH
#define HULL_BIN_PATH "/usr/local/bin/hull"
#endif

static const char *const default_dirs[] = { "/etc/hull/containers", "/run/hull/containers", NULL };

static void logmsg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logmsg(int prio, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "hull-generator: %s\n", msg);
	/* Generators run before journald may be up: kmsg is what systemd's
	 * own generators use, and the journal picks it up. */
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		dprintf(fd, "<%d>hull-generator: %s\n", prio, msg);
		close(fd);
	}
	/* On daemon-reload journald is up: its syslog socket as well (a
	 * no-op at early boot, when /dev/log does not exist yet). */
	syslog(prio, "%s", msg);
}

/* The hull next to this generator (a build tree, or a symlink to one),
 * else the installed one. */
static void find_hull(char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			snprintf(slash + 1, sizeof(self) - (size_t)(slash + 1 - self), "hull");
			if (access(self, X_OK) == 0) {
				snprintf(out, size, "%s", self);
				return;
			}
		}
	}
	snprintf(out, size, "%s", HULL_BIN_PATH);
}

static int link_install(const char *outdir, const char *target, const char *kind,
			const char *unit)
{
	char dir[PATH_MAX], link[PATH_MAX * 2], dest[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/%s.%s", outdir, target, kind);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	snprintf(link, sizeof(link), "%s/%s", dir, unit);
	snprintf(dest, sizeof(dest), "../%s", unit);
	return symlink(dest, link) < 0 && errno != EEXIST ? -1 : 0;
}

static void generate_one(const char *path, const char *outdir, const char *hull)
{
	struct hull_error err = { 0 };
	struct hull_unit u;
	char *name, tmp[PATH_MAX], final[PATH_MAX];
	FILE *f;

	if (unit_parse_container(path, &u, &err) < 0) {
		logmsg(3, "%s; skipping this unit", err.msg);
		return;
	}
	name = unit_file_name(&u);
	if (name == NULL) {
		unit_free(&u);
		return;
	}
	snprintf(final, sizeof(final), "%s/%s", outdir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", outdir, name);
	if (access(final, F_OK) == 0) {
		logmsg(3, "%s: %s was already generated from another file; skipping", path, name);
		goto out;
	}
	f = fopen(tmp, "we");
	if (f == NULL) {
		logmsg(3, "%s: creating %s: %s", path, tmp, strerror(errno));
		goto out;
	}
	if (unit_write(f, &u, hull, &err) < 0 || fclose(f) != 0) {
		logmsg(3, "%s: %s; skipping this unit", path, err.set ? err.msg : strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, final) < 0) {
		logmsg(3, "%s: %s: %s", path, final, strerror(errno));
		unlink(tmp);
		goto out;
	}
	for (size_t i = 0; i < u.n_wanted_by; i++)
		if (link_install(outdir, u.wanted_by[i], "wants", name) < 0)
			logmsg(3, "%s: WantedBy=%s: %s", path, u.wanted_by[i], strerror(errno));
	for (size_t i = 0; i < u.n_required_by; i++)
		if (link_install(outdir, u.required_by[i], "requires", name) < 0)
			logmsg(3, "%s: RequiredBy=%s: %s", path, u.required_by[i], strerror(errno));
out:
	free(name);
	unit_free(&u);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	const char *env_dirs = getenv("HULL_CONTAINERS_DIRS");
	char hull[PATH_MAX];
	char *dirs_copy = env_dirs ? strdup(env_dirs) : NULL;
	const char *dirs[16];
	size_t nd = 0;

	if (argc != 2 && argc != 4) {
		fprintf(stderr, "usage: hull-generator NORMAL_DIR [EARLY_DIR LATE_DIR]\n");
		return 1;
	}
	/* HULL_CONTAINERS_DIRS (colon-separated) is for tests. */
	if (dirs_copy) {
		for (char *t = strtok(dirs_copy, ":"); t && nd < 15; t = strtok(NULL, ":"))
			dirs[nd++] = t;
	} else {
		for (; default_dirs[nd]; nd++)
			dirs[nd] = default_dirs[nd];
	}
	openlog("hull-generator", LOG_NDELAY, LOG_DAEMON);
	find_hull(hull, sizeof(hull));
	for (size_t d = 0; d < nd; d++) {
		struct dirent **ents = NULL;
		int n = scandir(dirs[d], &ents, NULL, by_name);

		if (n < 0) {
			if (errno != ENOENT)
				logmsg(4, "%s: %s", dirs[d], strerror(errno));
			continue;
		}
		for (int i = 0; i < n; i++) {
			const char *e = ents[i]->d_name;
			size_t len = strlen(e);
			char path[PATH_MAX];

			if (len > 10 && strcmp(e + len - 10, ".container") == 0 && e[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", dirs[d], e);
				generate_one(path, argv[1], hull);
			}
			free(ents[i]);
		}
		free(ents);
	}
	free(dirs_copy);
	return 0;
}
