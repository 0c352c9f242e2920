/* update, pause, resume, ps and events: the runtime side (see the header). */
#include "runtime/cgroup_verbs.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "cgroups/resources.h"
#include "cgroups/stats.h"
#include "base/cleanup.h"
#include "base/json.h"
#include "runtime/state.h"

/* lock: the command changes the container (update, pause, resume); ps and
 * events only read, and never wait behind a writer. */
static int load_with_cgroup(const char *root, const char *id, bool lock,
			    struct container **out, struct hull_error *err)
{
	struct container *c = NULL;

	if ((lock ? container_load(root, id, &c, err) : container_read(root, id, &c, err)) < 0)
		return -1;
	if (c->cgroup == NULL) {
		container_free(c);
		return hull_error_set(err, ENOENT, "container \"%s\" has no cgroup", id);
	}
	*out = c;
	return 0;
}

static int set_frozen(const char *root, const char *id, bool freeze,
		      struct hull_error *err)
{
	struct container *c = NULL;
	enum container_status st;
	int rc = -1;

	if (load_with_cgroup(root, id, true, &c, err) < 0)
		return -1;
	st = container_status(c);
	if (freeze && st == STATUS_PAUSED)
		hull_error_set(err, EINVAL, "container \"%s\" is already paused", id);
	else if (freeze && st != STATUS_RUNNING && st != STATUS_CREATED)
		hull_error_set(err, EINVAL, "container \"%s\" is not running", id);
	else if (!freeze && st != STATUS_PAUSED)
		hull_error_set(err, EINVAL, "container \"%s\" is not paused", id);
	else if (cgroup_freeze(c->cgroup, freeze, err) == 0)
		rc = 0;
	container_free(c);
	return rc;
}

int hull_pause(const char *root, const char *id, struct hull_error *err)
{
	return set_frozen(root, id, true, err);
}

int hull_resume(const char *root, const char *id, struct hull_error *err)
{
	return set_frozen(root, id, false, err);
}

/* The state keeps linux.resources as a JSON tree (json_node). */
static int record_resources(struct container *c, struct hull_error *err)
{
	json_gen *g = json_gen_new(false);
	autofree char *text = NULL;
	json_node *node = NULL;

	if (g == NULL)
		return hull_error_errno(err, "json_gen_new");
	spec_resources_to_json(g, cgroup_manager_resources(c->cgroup));
	text = json_gen_finish(g, NULL);
	json_gen_free(g);
	if (text == NULL)
		return hull_error_set(err, EIO, "encoding resources");
	if (json_parse(text, &node, err) < 0)
		return -1;
	json_free(c->resources);
	c->resources = node;
	return 0;
}

int hull_update(const char *root, const char *id, const struct spec_resources *res,
		struct hull_error *err)
{
	struct container *c = NULL;
	int rc = -1;

	if (load_with_cgroup(root, id, true, &c, err) < 0)
		return -1;
	if (container_status(c) == STATUS_STOPPED)
		hull_error_set(err, EINVAL, "container \"%s\" is stopped", id);
	else if (cgroup_update(c->cgroup, res, err) == 0 &&
		 record_resources(c, err) == 0 && container_save(c, err) == 0)
		rc = 0;
	container_free(c);
	return rc;
}

int hull_ps_pids(const char *root, const char *id, pid_t **pids, size_t *n,
		 struct hull_error *err)
{
	struct container *c = NULL;
	int rc;

	if (load_with_cgroup(root, id, false, &c, err) < 0)
		return -1;
	rc = cgroup_pids(c->cgroup, pids, n, err);
	container_free(c);
	return rc;
}

static int emit_stats(struct cgroup_manager *m, const char *id,
		      const struct hull_events_opts *o, struct hull_error *err)
{
	struct cgroup_stats st;
	json_gen *g;
	autofree char *line = NULL;

	if (cgroup_stats(m, &st, err) < 0) {
		cgroup_stats_free(&st);
		return -1;
	}
	g = json_gen_new(false);
	if (g == NULL) {
		cgroup_stats_free(&st);
		return hull_error_errno(err, "json_gen_new");
	}
	json_gen_object_open(g);
	json_gen_kv_string(g, "type", "stats");
	json_gen_kv_string(g, "id", id);
	json_gen_key(g, "data");
	cgroup_stats_to_json(g, &st);
	json_gen_object_close(g);
	line = json_gen_finish(g, NULL);
	json_gen_free(g);
	cgroup_stats_free(&st);
	if (line == NULL)
		return hull_error_set(err, EIO, "encoding stats");
	return o->emit(o->ctx, line) ? 1 : 0;
}

static int emit_oom(const char *id, const struct hull_events_opts *o)
{
	json_gen *g = json_gen_new(false);
	autofree char *line = NULL;

	if (g == NULL)
		return -1;
	json_gen_object_open(g);
	json_gen_kv_string(g, "type", "oom");
	json_gen_kv_string(g, "id", id);
	json_gen_object_close(g);
	line = json_gen_finish(g, NULL);
	json_gen_free(g);
	return line && o->emit(o->ctx, line) ? 1 : 0;
}

/* Report OOM kills since the last look.  v2's inotify wakes on any
 * change of memory.events and v1's eventfd on the OOM itself, and a
 * notification can come before the kill is counted (the kernel defers
 * bursts of them): so the kill counter is read on every wake-up and
 * every interval, not only when woken.  Returns 1 when output failed. */
static int check_oom(struct cgroup_manager *m, uint64_t *ooms, bool woke,
		     const char *cid, const struct hull_events_opts *o)
{
	struct hull_error err = { 0 };
	bool v1 = strcmp(cgroup_manager_mode(m), "v2") != 0;
	uint64_t now = *ooms;

	if (cgroup_oom_kills(m, &now, &err) < 0)
		hull_error_clear(&err);
	if (now > *ooms || (v1 && woke)) {
		*ooms = now > *ooms ? now : *ooms;
		return emit_oom(cid, o);
	}
	return 0;
}

int hull_events(const char *root, const char *id, const struct hull_events_opts *o,
		struct hull_error *err)
{
	struct container *c = NULL;
	struct cgroup_manager *m;
	autoclose int ofd = -1;
	autofree char *cid = NULL;
	pid_t pid;
	uint64_t start, ooms = 0;
	int rc = 0;

	if (load_with_cgroup(root, id, false, &c, err) < 0)
		return -1;
	if (container_status(c) == STATUS_STOPPED) {
		container_free(c);
		return hull_error_set(err, EINVAL, "container \"%s\" is stopped", id);
	}
	/* Keep the manager, drop the container: events runs for as long as
	 * the container does and must not hold its lock meanwhile. */
	m = c->cgroup;
	c->cgroup = NULL;
	pid = c->pid;
	start = c->pid_start;
	cid = strdup(c->id);
	container_free(c);
	if (cid == NULL) {
		cgroup_manager_free(m);
		return hull_error_errno(err, "strdup");
	}
	if (o->stats_once) {
		rc = emit_stats(m, cid, o, err) < 0 ? -1 : 0;
		cgroup_manager_free(m);
		return rc;
	}
	ofd = cgroup_oom_fd(m, err);
	if (ofd < 0) {
		hull_error_clear(err);  /* no memory controller: stats only */
	} else {
		cgroup_oom_kills(m, &ooms, err);
		hull_error_clear(err);
	}
	for (;;) {
		struct pollfd p = { .fd = ofd, .events = POLLIN };
		int r = poll(&p, ofd >= 0 ? 1 : 0, (int)o->interval_ms);
		bool gone;

		if (r < 0 && errno != EINTR) {
			rc = hull_error_errno(err, "poll");
			break;
		}
		if (r > 0) {
			char buf[4096];

			while (read(ofd, buf, sizeof(buf)) > 0)
				;
		}
		if (ofd >= 0 && check_oom(m, &ooms, r > 0, cid, o))
			break;
		if (r == 0) {
			r = emit_stats(m, cid, o, err);
			if (r < 0)
				hull_error_clear(err);
			else if (r > 0)
				break;
		}
		gone = proc_start_time(pid) != start;
		/* An OOM kill of the whole group (memory.oom.group) takes the
		 * init with it: the counter can move after the wake-up that
		 * read it and before the init is seen gone.  Read it once
		 * more so the kill that ended the container is reported. */
		if (gone) {
			if (ofd >= 0)
				check_oom(m, &ooms, false, cid, o);
			break;
		}
	}
	cgroup_manager_free(m);
	return rc;
}
