#include "runtime/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "base/cleanup.h"
#include "base/fsutil.h"

#define STATE_FILE "state.json"
#define OCI_VERSION "1.2.0"

int state_validate_id(const char *id, struct hull_error *err)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0)
		return hull_error_set(err, EINVAL, "container id: must not be empty");
	if (n > 1024)
		return hull_error_set(err, EINVAL, "container id: longer than 1024 characters");
	/* The id becomes a directory name: forbid separators and dot names,
	 * as runc does (letters, digits, and _ + - .). */
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return hull_error_set(err, EINVAL, "container id \"%s\": invalid", id);
	for (size_t i = 0; i < n; i++) {
		char ch = id[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' ||
		      ch == '-' || ch == '.'))
			return hull_error_set(err, EINVAL,
					      "container id \"%s\": only letters, digits and _ + - . are allowed",
					      id);
	}
	return 0;
}

static struct container *container_alloc(const char *root, const char *id)
{
	struct container *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->dir_fd = -1;
	c->root = strdup(root);
	c->id = strdup(id);
	if (c->root == NULL || c->id == NULL ||
	    asprintf(&c->dir, "%s/%s", root, id) < 0) {
		c->dir = NULL;
		container_free(c);
		return NULL;
	}
	return c;
}

static int open_dir(struct container *c, struct hull_error *err)
{
	c->dir_fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dir_fd < 0) {
		if (errno == ENOENT)
			return hull_error_set(err, ENOENT, "container \"%s\" does not exist", c->id);
		return hull_error_errno(err, "open %s", c->dir);
	}
	return 0;
}

/* Does c->dir still name the directory c->dir_fd holds?  `delete` removes
 * the directory (and a new container of the same id may make another)
 * while a command waits for the lock on the old one. */
static bool dir_is_current(const struct container *c)
{
	struct stat held, now;

	if (fstat(c->dir_fd, &held) < 0 || held.st_nlink == 0)
		return false;
	return stat(c->dir, &now) == 0 && now.st_dev == held.st_dev &&
	       now.st_ino == held.st_ino;
}

static int lock_dir(struct container *c, struct hull_error *err)
{
	/* A few rounds: each lost race means the directory was replaced by
	 * another container of the same id, which is rare. */
	for (int round = 0; round < 8; round++) {
		if (open_dir(c, err) < 0)
			return -1;
		/* Serialize commands on one container; the lock dies with the
		 * fd (and so with the process), so a killed runtime never
		 * wedges it.  Readers (state, list, ps, events) take no lock:
		 * state.json is replaced atomically. */
		if (flock(c->dir_fd, LOCK_EX) < 0)
			return hull_error_errno(err, "lock %s", c->dir);
		if (dir_is_current(c))
			return 0;
		close(c->dir_fd);
		c->dir_fd = -1;
	}
	return hull_error_set(err, EBUSY, "container \"%s\": its state directory keeps being replaced",
			      c->id);
}

void container_unlock(struct container *c)
{
	if (c->dir_fd >= 0)
		flock(c->dir_fd, LOCK_UN);
}

int container_new(const char *root, const char *id, struct container **out,
		  struct hull_error *err)
{
	struct container *c;

	if (state_validate_id(id, err) < 0)
		return -1;
	if (fs_mkdir_p(root, 0711, err) < 0)
		return hull_error_prefix(err, "state root");
	c = container_alloc(root, id);
	if (c == NULL)
		return hull_error_errno(err, "alloc");
	if (mkdir(c->dir, 0700) < 0) {
		if (errno == EEXIST)
			hull_error_set(err, EEXIST, "container \"%s\" already exists", id);
		else
			hull_error_errno(err, "mkdir %s", c->dir);
		container_free(c);
		return -1;
	}
	if (lock_dir(c, err) < 0) {
		rmdir(c->dir);
		container_free(c);
		return -1;
	}
	c->backend = strdup("linux");
	c->owner = geteuid();
	*out = c;
	return 0;
}

static int load_fields(struct container *c, const json_node *doc,
		       struct hull_error *err)
{
	int64_t pid = 0, owner = 0;
	uint64_t start = 0;
	const json_node *cg;
	int r;

	if (json_get_string(doc, "bundle", "", &c->bundle, err) < 0 ||
	    json_get_string(doc, "rootfs", "", &c->rootfs, err) < 0 ||
	    json_get_string(doc, "backend", "", &c->backend, err) < 0 ||
	    json_get_string(doc, "created", "", &c->created, err) < 0 ||
	    json_get_int64(doc, "pid", "", 0, INT32_MAX, &pid, err) < 0 ||
	    json_get_uint64(doc, "pidStartTime", "", UINT64_MAX, &start, err) < 0 ||
	    json_get_int64(doc, "owner", "", 0, UINT32_MAX, &owner, err) < 0 ||
	    json_get_bool(doc, "systemdCgroup", "", &c->systemd_cgroup, err) < 0 ||
	    json_get_string_map(doc, "annotations", "", &c->annotation_keys,
				&c->annotation_values, &c->n_annotations, err) < 0)
		return -1;
	c->pid = (pid_t)pid;
	c->pid_start = start;
	c->owner = (uid_t)owner;
	if (c->backend == NULL && (c->backend = strdup("linux")) == NULL)
		return hull_error_errno(err, "strdup");
	r = json_get_object(doc, "cgroup", "", &cg, err);
	if (r < 0)
		return -1;
	if (r > 0 && cgroup_manager_load(cg, &c->cgroup, err) < 0)
		return -1;
	return 0;
}

static int load(const char *root, const char *id, bool lock, struct container **out,
		struct hull_error *err)
{
	struct container *c;
	autofree char *path = NULL;
	json_node *doc = NULL;

	if (state_validate_id(id, err) < 0)
		return -1;
	c = container_alloc(root, id);
	if (c == NULL)
		return hull_error_errno(err, "alloc");
	if ((lock ? lock_dir(c, err) : open_dir(c, err)) < 0)
		goto fail;
	if (asprintf(&path, "%s/%s", c->dir, STATE_FILE) < 0) {
		hull_error_errno(err, "asprintf");
		goto fail;
	}
	if (json_parse_file(path, &doc, err) < 0) {
		/* A runtime killed mid-create leaves a directory with no state
		 * yet; still hand it out so `delete --force` can clean it.  (A
		 * reader racing a delete sees the same, or "does not exist".) */
		if (err->code == ENOENT && !lock && access(c->dir, F_OK) < 0) {
			hull_error_clear(err);
			hull_error_set(err, ENOENT, "container \"%s\" does not exist", id);
			goto fail;
		}
		if (err->code == ENOENT) {
			hull_error_clear(err);
			c->backend = strdup("linux");
			*out = c;
			return 0;
		}
		goto fail;
	}
	if (load_fields(c, doc, err) < 0) {
		hull_error_prefix(err, "%s", path);
		goto fail;
	}
	{
		const json_node *n = json_object_get(doc, "resources");
		const json_node *x = json_object_get(doc, "extra");
		json_gen *g;
		char *text;

		/* Keep copies of the opaque parts; the document is freed. */
		for (int i = 0; i < 2; i++) {
			const json_node *src = i == 0 ? n : x;
			json_node **dst = i == 0 ? &c->resources : &c->extra;

			if (src == NULL || json_type_of(src) == JSON_NULL)
				continue;
			g = json_gen_new(false);
			if (g == NULL)
				continue;
			json_gen_node(g, src);
			text = json_gen_finish(g, NULL);
			json_gen_free(g);
			if (text && json_parse(text, dst, err) < 0) {
				free(text);
				goto fail;
			}
			free(text);
		}
	}
	json_free(doc);
	*out = c;
	return 0;
fail:
	json_free(doc);
	container_free(c);
	return -1;
}

int container_load(const char *root, const char *id, struct container **out,
		   struct hull_error *err)
{
	return load(root, id, true, out, err);
}

int container_read(const char *root, const char *id, struct container **out,
		   struct hull_error *err)
{
	return load(root, id, false, out, err);
}

static void gen_annotations(json_gen *g, char **keys, char **values, size_t n)
{
	json_gen_key(g, "annotations");
	json_gen_object_open(g);
	for (size_t i = 0; i < n; i++)
		json_gen_kv_string(g, keys[i], values[i]);
	json_gen_object_close(g);
}

int container_save(struct container *c, struct hull_error *err)
{
	json_gen *g = json_gen_new(false);
	autofree char *text = NULL;
	size_t len = 0;

	if (g == NULL)
		return hull_error_errno(err, "json");
	json_gen_object_open(g);
	json_gen_kv_string(g, "ociVersion", OCI_VERSION);
	json_gen_kv_string(g, "id", c->id);
	json_gen_kv_int(g, "pid", c->pid);
	json_gen_key(g, "pidStartTime");
	json_gen_uint(g, c->pid_start);
	json_gen_kv_string(g, "bundle", c->bundle);
	json_gen_kv_string(g, "rootfs", c->rootfs);
	json_gen_kv_string(g, "backend", c->backend);
	json_gen_kv_string(g, "created", c->created);
	json_gen_kv_int(g, "owner", c->owner);
	json_gen_kv_bool(g, "systemdCgroup", c->systemd_cgroup);
	gen_annotations(g, c->annotation_keys, c->annotation_values, c->n_annotations);
	if (c->cgroup) {
		json_gen_key(g, "cgroup");
		cgroup_manager_save(c->cgroup, g);
	}
	if (c->resources) {
		json_gen_key(g, "resources");
		json_gen_node(g, c->resources);
	}
	if (c->extra) {
		json_gen_key(g, "extra");
		json_gen_node(g, c->extra);
	}
	json_gen_object_close(g);
	text = json_gen_finish(g, &len);
	json_gen_free(g);
	if (text == NULL)
		return hull_error_set(err, EINVAL, "generating state JSON");
	return fs_write_atomic(c->dir_fd, STATE_FILE, text, len, 0600, err);
}

int container_remove_dir(struct container *c, struct hull_error *err)
{
	if (fs_remove_tree(c->dir, err) < 0)
		return hull_error_prefix(err, "removing state of \"%s\"", c->id);
	return 0;
}

void container_free(struct container *c)
{
	if (c == NULL)
		return;
	if (c->dir_fd >= 0)
		close(c->dir_fd);
	free(c->root);
	free(c->id);
	free(c->dir);
	free(c->bundle);
	free(c->rootfs);
	free(c->backend);
	free(c->created);
	strv_free(c->annotation_keys);
	strv_free(c->annotation_values);
	cgroup_manager_free(c->cgroup);
	json_free(c->resources);
	json_free(c->extra);
	free(c);
}

uint64_t proc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	autoclose int fd = -1;
	ssize_t n;
	char *p;
	unsigned long long start = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* comm may hold spaces and parens: fields restart after the last ')'. */
	p = strrchr(buf, ')');
	if (p == NULL)
		return 0;
	/* After ") " come fields 3..; starttime is field 22. */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &start) != 1)
		return 0;
	/* A zombie is dead for our purposes. */
	if (p[2] == 'Z' || p[2] == 'X')
		return 0;
	return start;
}

bool container_pid_alive(const struct container *c)
{
	if (c->pid <= 0)
		return false;
	return proc_start_time(c->pid) == c->pid_start && c->pid_start != 0;
}

enum container_status container_status(struct container *c)
{
	if (c->pid <= 0)
		return STATUS_CREATING;
	if (!container_pid_alive(c))
		return STATUS_STOPPED;
	if (faccessat(c->dir_fd, HULL_EXEC_FIFO, F_OK, 0) == 0)
		return STATUS_CREATED;
	if (c->cgroup && cgroup_is_frozen(c->cgroup))
		return STATUS_PAUSED;
	return STATUS_RUNNING;
}

const char *container_status_name(enum container_status s)
{
	static const char *const names[] = {
		[STATUS_CREATING] = "creating", [STATUS_CREATED] = "created",
		[STATUS_RUNNING] = "running", [STATUS_PAUSED] = "paused",
		[STATUS_STOPPED] = "stopped",
	};
	return names[s];
}

void container_gen_state(struct container *c, enum container_status st,
			 json_gen *g)
{
	json_gen_object_open(g);
	json_gen_kv_string(g, "ociVersion", OCI_VERSION);
	json_gen_kv_string(g, "id", c->id);
	json_gen_kv_string(g, "status", container_status_name(st));
	json_gen_kv_int(g, "pid", st == STATUS_STOPPED ? 0 : c->pid);
	json_gen_kv_string(g, "bundle", c->bundle ? c->bundle : "");
	json_gen_kv_string(g, "rootfs", c->rootfs ? c->rootfs : "");
	json_gen_kv_string(g, "created", c->created ? c->created : "");
	json_gen_kv_string(g, "owner", "");
	json_gen_kv_string(g, "backend", c->backend);
	gen_annotations(g, c->annotation_keys, c->annotation_values, c->n_annotations);
	json_gen_object_close(g);
}

static char *state_json(struct container *c, enum container_status st,
			bool pretty)
{
	json_gen *g = json_gen_new(pretty);
	char *text;

	if (g == NULL)
		return NULL;
	container_gen_state(c, st, g);
	text = json_gen_finish(g, NULL);
	json_gen_free(g);
	return text;
}

char *container_state_json(struct container *c, bool pretty)
{
	return state_json(c, container_status(c), pretty);
}

char *container_state_json_as(struct container *c, enum container_status st)
{
	return state_json(c, st, false);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int state_list_ids(const char *root, char ***ids, struct hull_error *err)
{
	autoclosedir DIR *d = opendir(root);
	struct dirent *e;
	size_t n = 0, cap = 16;
	char **v = calloc(cap + 1, sizeof(*v));

	if (v == NULL)
		return hull_error_errno(err, "calloc");
	if (d == NULL) {
		if (errno == ENOENT) {
			*ids = v;
			return 0;
		}
		free(v);
		return hull_error_errno(err, "opendir %s", root);
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || e->d_type != DT_DIR)
			continue;
		if (n == cap) {
			char **nv = realloc(v, (cap * 2 + 1) * sizeof(*v));

			if (nv == NULL) {
				strv_free(v);
				return hull_error_errno(err, "realloc");
			}
			v = nv;
			cap *= 2;
		}
		v[n] = strdup(e->d_name);
		if (v[n] == NULL) {
			strv_free(v);
			return hull_error_errno(err, "strdup");
		}
		v[++n] = NULL;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	*ids = v;
	return 0;
}
