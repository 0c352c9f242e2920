/* Small file helpers for cgroupfs.  Interface files are written with one
 * write() each: the kernel parses one value per write, so a short or split
 * write would be a different command. */
#include "cgroups/cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"

bool cgroup_fake_fs;

char *cg_join(const char *a, const char *b)
{
	char *s;

	while (*b == '/')
		b++;
	if (asprintf(&s, "%s%s%s", a, (*a && a[strlen(a) - 1] == '/') || !*b ? "" : "/", b) < 0)
		return NULL;
	return s;
}

int cg_write(const char *dir, const char *file, const char *value,
	     struct hull_error *err)
{
	autofree char *p = cg_join(dir, file);
	autoclose int fd = -1;
	size_t len = strlen(value);
	ssize_t n;

	if (p == NULL)
		return hull_error_errno(err, "asprintf");
	fd = open(p, O_WRONLY | O_CLOEXEC | (cgroup_fake_fs ? O_CREAT | O_TRUNC : 0), 0644);
	if (fd < 0)
		return hull_error_errno(err, "open %s", p);
	n = write(fd, value, len);
	if (n < 0)
		return hull_error_errno(err, "writing \"%s\" to %s", value, p);
	if ((size_t)n != len)
		return hull_error_set(err, EIO, "writing \"%s\" to %s: short write", value, p);
	return 0;
}

int cg_writef(struct hull_error *err, const char *dir, const char *file,
	      const char *fmt, ...)
{
	autofree char *v = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (r < 0)
		return hull_error_errno(err, "vasprintf");
	return cg_write(dir, file, v, err);
}

int cg_read(const char *dir, const char *file, char **out, struct hull_error *err)
{
	autofree char *p = cg_join(dir, file);
	autoclose int fd = -1;
	autofree char *buf = NULL;
	size_t len = 0, cap = 0;

	if (p == NULL)
		return hull_error_errno(err, "asprintf");
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hull_error_errno(err, "open %s", p);
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 8192);

			if (nb == NULL)
				return hull_error_errno(err, "realloc");
			buf = nb;
			cap += 8192;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return hull_error_errno(err, "reading %s", p);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = steal_pointer(&buf);
	return 0;
}

int cg_read_u64(const char *dir, const char *file, uint64_t *out,
		struct hull_error *err)
{
	autofree char *s = NULL;
	char *end;

	if (cg_read(dir, file, &s, err) < 0)
		return -1;
	if (strncmp(s, "max", 3) == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return hull_error_set(err, EINVAL, "%s/%s: not a number: \"%.32s\"", dir, file, s);
	return 0;
}

bool cg_keyed_u64(const char *text, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
			*out = strtoull(p + kl + 1, NULL, 10);
			return true;
		}
	}
	return false;
}

bool cg_exists(const char *dir, const char *file)
{
	autofree char *p = cg_join(dir, file);

	return p && access(p, F_OK) == 0;
}

int cg_mkdir_path(const char *root, const char *path, int *created,
		  int (*on_dir)(const char *parent, const char *dir, void *ctx,
				struct hull_error *err),
		  void *ctx, struct hull_error *err)
{
	autofree char *cur = strdup(root);
	const char *p = path;
	int made = 0;

	if (cur == NULL)
		return hull_error_errno(err, "strdup");
	*created = 0;
	while (*p) {
		const char *end;
		autofree char *comp = NULL;
		char *next;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		end = strchrnul(p, '/');
		comp = strndup(p, (size_t)(end - p));
		next = comp ? cg_join(cur, comp) : NULL;
		if (next == NULL)
			return hull_error_errno(err, "asprintf");
		if (mkdir(next, 0755) == 0) {
			made++;
		} else if (errno != EEXIST) {
			hull_error_errno(err, "mkdir %s", next);
			free(next);
			goto fail;
		} else if (made > 0) {
			/* Someone raced us below a dir we made: keep counting
			 * only a contiguous run of made dirs at the tail. */
			made = 0;
		}
		if (on_dir && on_dir(cur, next, ctx, err) < 0) {
			free(cur);
			cur = next;
			goto fail;
		}
		free(cur);
		cur = next;
		p = end;
	}
	*created = made;
	return 0;
fail:
	{
		struct hull_error ignored = { 0 };

		cg_remove_created(cur, made, &ignored);
	}
	return -1;
}

int cg_missing_tail(const char *root, const char *path)
{
	autofree char *cur = cg_join(root, path);
	size_t rl = strlen(root);
	int missing = 0;

	if (cur == NULL)
		return 0;
	/* Walk up from the leaf while the component is missing; stop at the
	 * hierarchy root, which exists. */
	while (strlen(cur) > rl && access(cur, F_OK) < 0 && errno == ENOENT) {
		char *slash = strrchr(cur, '/');

		missing++;
		if (slash == NULL || slash == cur)
			break;
		*slash = '\0';
	}
	return missing;
}

int cg_check_unused(const char *dir, struct hull_error *err)
{
	autofree pid_t *pids = NULL;
	size_t n = 0;

	if (cg_read_pids(dir, true, &pids, &n, err) < 0)
		return -1;
	if (n > 0)
		return hull_error_set(err, EBUSY,
				      "%s already holds %zu process%s (pid %d): a container's cgroup must not be shared",
				      dir, n, n == 1 ? "" : "es", (int)pids[0]);
	return 0;
}

static int rm_fake_files(const char *dir)
{
	autoclosedir DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_type == DT_REG) {
			autofree char *p = cg_join(dir, e->d_name);

			if (p)
				unlink(p);
		}
	}
	return 0;
}

int cg_rmdir(const char *dir, struct hull_error *err)
{
	/* Children first: a container may have made sub-groups (nested
	 * runtimes, systemd inside).  Depth is bounded by the kernel's
	 * cgroup.max.depth, so recursion is fine. */
	{
		autoclosedir DIR *d = opendir(dir);
		struct dirent *e;

		if (d == NULL)
			return errno == ENOENT ? 0 : hull_error_errno(err, "opendir %s", dir);
		while ((e = readdir(d)) != NULL) {
			autofree char *sub = NULL;

			if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			sub = cg_join(dir, e->d_name);
			if (sub == NULL)
				return hull_error_errno(err, "asprintf");
			if (cg_rmdir(sub, err) < 0)
				return -1;
		}
	}
	if (cgroup_fake_fs)
		rm_fake_files(dir);
	/* EBUSY right after a kill: the tasks are dead but not yet reaped by
	 * the kernel's cgroup accounting.  Back off 1ms doubling to ~4s. */
	for (long delay_us = 1000;; delay_us *= 2) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || delay_us > 2000000)
			return hull_error_errno(err, "rmdir %s", dir);
		usleep((useconds_t)delay_us);
	}
}

int cg_remove_created(const char *dir, int created, struct hull_error *err)
{
	autofree char *cur = strdup(dir);

	if (cur == NULL)
		return hull_error_errno(err, "strdup");
	if (created <= 0)
		return 0;
	if (cg_rmdir(cur, err) < 0)
		return -1;
	for (int i = 1; i < created; i++) {
		char *slash = strrchr(cur, '/');

		if (slash == NULL || slash == cur)
			break;
		*slash = '\0';
		if (cgroup_fake_fs)
			rm_fake_files(cur);
		/* A parent shared with other containers stays: not an error. */
		if (rmdir(cur) < 0)
			break;
	}
	return 0;
}

static int add_pid(pid_t **v, size_t *n, size_t *cap, pid_t pid, struct hull_error *err)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		pid_t *nv = realloc(*v, nc * sizeof(*nv));

		if (nv == NULL)
			return hull_error_errno(err, "realloc");
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = pid;
	return 0;
}

static int read_pids_into(const char *dir, bool recursive, pid_t **v, size_t *n,
			  size_t *cap, struct hull_error *err)
{
	autofree char *text = NULL;

	if (cg_read(dir, "cgroup.procs", &text, err) < 0) {
		if (err->code == ENOENT && (cgroup_fake_fs || !cg_exists(dir, ""))) {
			hull_error_clear(err);
			return 0;
		}
		return -1;
	}
	for (char *p = text; *p;) {
		char *end;
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid > 0 && add_pid(v, n, cap, (pid_t)pid, err) < 0)
			return -1;
		p = end;
		while (*p == '\n')
			p++;
	}
	if (recursive) {
		autoclosedir DIR *d = opendir(dir);
		struct dirent *e;

		while (d && (e = readdir(d)) != NULL) {
			autofree char *sub = NULL;

			if (e->d_type != DT_DIR || e->d_name[0] == '.')
				continue;
			sub = cg_join(dir, e->d_name);
			if (sub == NULL)
				return hull_error_errno(err, "asprintf");
			if (read_pids_into(sub, true, v, n, cap, err) < 0)
				return -1;
		}
	}
	return 0;
}

int cg_read_pids(const char *dir, bool recursive, pid_t **pids, size_t *n,
		 struct hull_error *err)
{
	pid_t *v = NULL;
	size_t cnt = 0, cap = 0;

	if (read_pids_into(dir, recursive, &v, &cnt, &cap, err) < 0) {
		free(v);
		return -1;
	}
	*pids = v;
	*n = cnt;
	return 0;
}

int cg_signal_all(const char *dir, bool recursive, int sig, struct hull_error *err)
{
	/* With SIGKILL, loop until the group is empty: a task may fork
	 * between our read of cgroup.procs and the kill.  Bounded: ~5s. */
	for (int round = 0; round < 500; round++) {
		autofree pid_t *pids = NULL;
		size_t n = 0;

		if (cg_read_pids(dir, recursive, &pids, &n, err) < 0)
			return -1;
		if (n == 0)
			return 0;
		for (size_t i = 0; i < n; i++)
			if (kill(pids[i], sig) < 0 && errno != ESRCH)
				return hull_error_errno(err, "kill %d", (int)pids[i]);
		if (sig != SIGKILL)
			return 0;
		usleep(10000);
	}
	return hull_error_set(err, EBUSY, "%s: processes survive SIGKILL", dir);
}
