/* The systemd cgroup driver (--systemd-cgroup): the container's group is a
 * transient scope that systemd owns, so `systemctl` sees it, its slice's
 * limits apply, and systemd does not fight Hull over the tree.
 *
 * How it is layered: the group files are still written by the fs driver of
 * the host's layout (m->fs_ops, v2.c or v1.c): create() makes the scope's
 * directory where systemd will put it and applies the resources, exactly as
 * cgroupfs does, so validation and the child's view of the tree do not
 * change; enter() then asks systemd for the scope with the container's pid
 * (a scope cannot exist without one), the properties systemd can express
 * (systemd_props.c), Delegate=yes and accounting, and waits for the job.
 * systemd adopts the existing directory (its mkdir tolerates EEXIST).
 * Known failures handled (capabilities.md): "unit exists" after a crash ->
 * ResetFailedUnit and one retry; slow D-Bus -> a 30 s bound, as runc.
 *
 * sd-bus comes from libsystemd through base/dlib.h: loaded on first use. */
#include "cgroups/cgroup_internal.h"
#include "cgroups/systemd_gone.h"
#include "cgroups/systemd_props.h"
#include "cgroups/systemd_trace.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "base/cleanup.h"
#include "base/dlib.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_TIMEOUT_USEC (30ULL * 1000000ULL)

static DLIB_PTR(sd_bus_new);
static DLIB_PTR(sd_bus_set_address);
static DLIB_PTR(sd_bus_start);
static DLIB_PTR(sd_bus_open_system);
static DLIB_PTR(sd_bus_unref);
static DLIB_PTR(sd_bus_message_new_method_call);
static DLIB_PTR(sd_bus_message_append);
static DLIB_PTR(sd_bus_message_append_basic);
static DLIB_PTR(sd_bus_message_append_array);
static DLIB_PTR(sd_bus_message_open_container);
static DLIB_PTR(sd_bus_message_close_container);
static DLIB_PTR(sd_bus_message_read);
static DLIB_PTR(sd_bus_message_unref);
static DLIB_PTR(sd_bus_call);
static DLIB_PTR(sd_bus_match_signal);
static DLIB_PTR(sd_bus_slot_unref);
static DLIB_PTR(sd_bus_process);
static DLIB_PTR(sd_bus_wait);
static DLIB_PTR(sd_bus_error_free);
static DLIB_PTR(sd_bus_error_has_name);

static const struct dlib_sym sd_syms[] = {
	DLIB_SYM(sd_bus_new), DLIB_SYM(sd_bus_set_address), DLIB_SYM(sd_bus_start),
	DLIB_SYM(sd_bus_open_system), DLIB_SYM(sd_bus_unref),
	DLIB_SYM(sd_bus_message_new_method_call), DLIB_SYM(sd_bus_message_append),
	DLIB_SYM(sd_bus_message_append_basic), DLIB_SYM(sd_bus_message_append_array),
	DLIB_SYM(sd_bus_message_open_container), DLIB_SYM(sd_bus_message_close_container),
	DLIB_SYM(sd_bus_message_read), DLIB_SYM(sd_bus_message_unref), DLIB_SYM(sd_bus_call),
	DLIB_SYM(sd_bus_match_signal), DLIB_SYM(sd_bus_slot_unref), DLIB_SYM(sd_bus_process),
	DLIB_SYM(sd_bus_wait), DLIB_SYM(sd_bus_error_free), DLIB_SYM(sd_bus_error_has_name),
};
static struct dlib sd_lib = { "libsystemd.so.0", "libsystemd0", NULL };

/* One connection per process (each hull command is one process). */
static sd_bus *bus;

bool cgroup_systemd_available(void)
{
	return access("/run/systemd/system", F_OK) == 0;
}

static int bus_connect(struct hull_error *err)
{
	sd_bus *b = NULL;
	int r;

	if (bus)
		return 0;
	if (!cgroup_systemd_available())
		return hull_error_set(err, ENOTSUP,
				      "--systemd-cgroup: systemd is not running on this host (no /run/systemd/system)");
	if (dlib_load(&sd_lib, sd_syms, DLIB_COUNT(sd_syms), err) < 0)
		return hull_error_prefix(err, "--systemd-cgroup");
	sd_trace_mark("dlopen");
	/* systemd's private socket (root only) skips dbus-daemon: one hop
	 * less per call, and it works before dbus is up; the system bus is
	 * the fallback. */
	r = sym_sd_bus_new(&b);
	if (r >= 0 && (r = sym_sd_bus_set_address(b, "unix:path=/run/systemd/private")) >= 0)
		r = sym_sd_bus_start(b);
	if (r < 0) {
		if (b)
			sym_sd_bus_unref(b);
		b = NULL;
		r = sym_sd_bus_open_system(&b);
	}
	if (r < 0) {
		errno = -r;
		return hull_error_errno(err, "--systemd-cgroup: connecting to systemd");
	}
	bus = b;
	return 0;
}

static int bus_fail(struct hull_error *err, int r, sd_bus_error *e, const char *what,
		    const char *unit)
{
	int code = r < 0 ? -r : EIO;

	if (e && e->message)
		hull_error_set(err, code, "systemd: %s %s: %s", what, unit, e->message);
	else {
		errno = code;
		hull_error_errno(err, "systemd: %s %s", what, unit);
	}
	return -1;
}

/* --- JobRemoved: jobs are asynchronous; wait for the one we queued --- */

struct job_wait {
	char *path;          /* our job, once the call returned it */
	char *seen[32];      /* "path\0result" of removals seen before that */
	size_t n_seen;
	char *result;        /* set when ours was removed */
};

static int on_job_removed(sd_bus_message *msg, void *userdata, sd_bus_error *e)
{
	struct job_wait *w = userdata;
	const char *path = NULL, *unit = NULL, *result = NULL;
	uint32_t id;

	if (sym_sd_bus_message_read(msg, "uoss", &id, &path, &unit, &result) < 0)
		return 0;
	if (w->path ? strcmp(w->path, path) == 0 : false) {
		w->result = strdup(result);
	} else if (w->path == NULL && w->n_seen < sizeof(w->seen) / sizeof(w->seen[0])) {
		/* The signal can overtake the call's reply. */
		char *s = NULL;

		if (asprintf(&s, "%s%c%s", path, '\0', result) >= 0)
			w->seen[w->n_seen++] = s;
	}
	return 0;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

/* Waits (bounded) until the job w->path was removed; 0 if "done". */
static int job_wait(struct job_wait *w, const char *what, const char *unit,
		    struct hull_error *err)
{
	uint64_t deadline = now_usec() + SD_TIMEOUT_USEC;

	for (size_t i = 0; i < w->n_seen && !w->result; i++)
		if (strcmp(w->seen[i], w->path) == 0)
			w->result = strdup(w->seen[i] + strlen(w->seen[i]) + 1);
	while (w->result == NULL) {
		int r = sym_sd_bus_process(bus, NULL);
		uint64_t now;

		if (r < 0)
			return bus_fail(err, r, NULL, what, unit);
		if (r > 0)
			continue;
		now = now_usec();
		if (now >= deadline)
			return hull_error_set(err, ETIMEDOUT,
					      "systemd: %s %s: no answer from systemd in 30 s", what, unit);
		r = sym_sd_bus_wait(bus, deadline - now);
		if (r < 0)
			return bus_fail(err, r, NULL, what, unit);
	}
	if (strcmp(w->result, "done") != 0)
		return hull_error_set(err, EIO, "systemd: %s %s: the job finished \"%s\"%s",
				      what, unit, w->result,
				      strcmp(w->result, "failed") == 0 ?
				      " (see journalctl -u the unit)" : "");
	return 0;
}

static void job_wait_free(struct job_wait *w)
{
	for (size_t i = 0; i < w->n_seen; i++)
		free(w->seen[i]);
	free(w->path);
	free(w->result);
}

/* --- appending properties --- */

static int append_prop(sd_bus_message *msg, const struct sd_prop *p)
{
	char sig[3] = { p->type, '\0', '\0' };
	int r;

	if (p->type == 'y') {
		sig[0] = 'a';
		sig[1] = 'y';
	}
	if ((r = sym_sd_bus_message_open_container(msg, 'r', "sv")) < 0 ||
	    (r = sym_sd_bus_message_append_basic(msg, 's', p->name)) < 0 ||
	    (r = sym_sd_bus_message_open_container(msg, 'v', sig)) < 0)
		return r;
	switch (p->type) {
	case 't': r = sym_sd_bus_message_append_basic(msg, 't', &p->u); break;
	case 'x': r = sym_sd_bus_message_append_basic(msg, 'x', &p->i); break;
	case 'u': { uint32_t v = (uint32_t)p->u; r = sym_sd_bus_message_append_basic(msg, 'u', &v); break; }
	case 'i': { int32_t v = (int32_t)p->i; r = sym_sd_bus_message_append_basic(msg, 'i', &v); break; }
	case 'b': { int v = p->b; r = sym_sd_bus_message_append_basic(msg, 'b', &v); break; }
	case 's': r = sym_sd_bus_message_append_basic(msg, 's', p->s); break;
	case 'y': r = sym_sd_bus_message_append_array(msg, 'y', p->bytes, p->n_bytes); break;
	default: r = -EINVAL;
	}
	if (r < 0 || (r = sym_sd_bus_message_close_container(msg)) < 0)
		return r;
	return sym_sd_bus_message_close_container(msg);
}

static int append_props(sd_bus_message *msg, const struct sd_props *p)
{
	for (size_t i = 0; i < p->n; i++) {
		int r = append_prop(msg, &p->v[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

/* What every scope gets, before the resources and the annotations.
 * CollectMode: a scope that failed (OOM kill) is unloaded once inactive,
 * so nothing "failed" is left behind; DefaultDependencies=no, as runc: a
 * container's scope must not be ordered against shutdown targets. */
static int base_props(const struct cgroup_manager *m, struct sd_props *p,
		      struct hull_error *err)
{
	autofree char *desc = NULL;
	static const char *const on[] = {
		"Delegate", "MemoryAccounting", "CPUAccounting", "TasksAccounting",
	};

	if (asprintf(&desc, "hull container %s", m->id) < 0)
		return hull_error_errno(err, "asprintf");
	if (sd_props_add_str(p, "Description", desc, err) < 0 ||
	    sd_props_add_str(p, "Slice", m->sd_slice, err) < 0 ||
	    sd_props_add_str(p, "CollectMode", "inactive-or-failed", err) < 0 ||
	    sd_props_add_bool(p, "DefaultDependencies", false, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++)
		if (sd_props_add_bool(p, on[i], true, err) < 0)
			return -1;
	return sd_props_add_bool(p, m->mode == CGROUP_MODE_V2 ? "IOAccounting"
							      : "BlockIOAccounting", true, err);
}

static int start_unit_once(struct cgroup_manager *m, pid_t pid, const struct sd_props *props,
			   bool *exists, struct hull_error *err)
{
	sd_bus_message *msg = NULL, *reply = NULL;
	sd_bus_slot *slot = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct job_wait w = { 0 };
	const char *job = NULL;
	uint32_t upid = (uint32_t)pid;
	int r, rc = -1;

	*exists = false;
	r = sym_sd_bus_match_signal(bus, &slot, NULL, SD_PATH, SD_MANAGER, "JobRemoved",
				    on_job_removed, &w);
	if (r < 0)
		goto bus_err;
	sd_trace_mark("start.match");
	r = sym_sd_bus_message_new_method_call(bus, &msg, SD_DEST, SD_PATH, SD_MANAGER,
					       "StartTransientUnit");
	if (r < 0 ||
	    (r = sym_sd_bus_message_append(msg, "ss", m->sd_unit, "fail")) < 0 ||
	    (r = sym_sd_bus_message_open_container(msg, 'a', "(sv)")) < 0 ||
	    (r = append_props(msg, props)) < 0 ||
	    (r = sym_sd_bus_message_append(msg, "(sv)", "PIDs", "au", 1, upid)) < 0 ||
	    (r = sym_sd_bus_message_close_container(msg)) < 0 ||
	    (r = sym_sd_bus_message_append(msg, "a(sa(sv))", 0)) < 0)
		goto bus_err;
	sd_trace_mark("start.build");
	r = sym_sd_bus_call(bus, msg, SD_TIMEOUT_USEC, &e, &reply);
	sd_trace_mark("start.call");
	if (r < 0) {
		*exists = sym_sd_bus_error_has_name(&e, "org.freedesktop.systemd1.UnitExists");
		bus_fail(err, r, &e, "starting", m->sd_unit);
		goto out;
	}
	if ((r = sym_sd_bus_message_read(reply, "o", &job)) < 0)
		goto bus_err;
	if ((w.path = strdup(job)) == NULL) {
		hull_error_errno(err, "strdup");
		goto out;
	}
	rc = job_wait(&w, "starting", m->sd_unit, err);
	sd_trace_mark("start.job");
	goto out;
bus_err:
	bus_fail(err, r, &e, "starting", m->sd_unit);
out:
	sym_sd_bus_error_free(&e);
	sym_sd_bus_message_unref(msg);
	sym_sd_bus_message_unref(reply);
	sym_sd_bus_slot_unref(slot);
	job_wait_free(&w);
	return rc;
}

/* Unit-level call with one string argument, e.g. ResetFailedUnit. */
static int unit_call(const char *method, const char *unit, const char *mode,
		     bool wait_job, struct hull_error *err)
{
	sd_bus_message *msg = NULL, *reply = NULL;
	sd_bus_slot *slot = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct job_wait w = { 0 };
	const char *job = NULL;
	char label[64];
	int r, rc = -1;

	if (wait_job && (r = sym_sd_bus_match_signal(bus, &slot, NULL, SD_PATH, SD_MANAGER,
						     "JobRemoved", on_job_removed, &w)) < 0)
		goto bus_err;
	r = sym_sd_bus_message_new_method_call(bus, &msg, SD_DEST, SD_PATH, SD_MANAGER, method);
	if (r < 0 || (r = sym_sd_bus_message_append_basic(msg, 's', unit)) < 0 ||
	    (mode && (r = sym_sd_bus_message_append_basic(msg, 's', mode)) < 0))
		goto bus_err;
	r = sym_sd_bus_call(bus, msg, SD_TIMEOUT_USEC, &e, &reply);
	sd_trace_mark(method);
	if (r < 0) {
		/* Gone already: what the caller wanted. */
		if (sym_sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit"))
			rc = 0;
		else
			bus_fail(err, r, &e, method, unit);
		goto out;
	}
	if (!wait_job) {
		rc = 0;
		goto out;
	}
	if ((r = sym_sd_bus_message_read(reply, "o", &job)) < 0)
		goto bus_err;
	if ((w.path = strdup(job)) == NULL) {
		hull_error_errno(err, "strdup");
		goto out;
	}
	rc = job_wait(&w, method, unit, err);
	snprintf(label, sizeof(label), "%s.job", method);
	sd_trace_mark(label);
	goto out;
bus_err:
	bus_fail(err, r, &e, method, unit);
out:
	sym_sd_bus_error_free(&e);
	sym_sd_bus_message_unref(msg);
	sym_sd_bus_message_unref(reply);
	sym_sd_bus_slot_unref(slot);
	job_wait_free(&w);
	return rc;
}

static int set_unit_props(const char *unit, const struct sd_props *props,
			  struct hull_error *err)
{
	sd_bus_message *msg = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	r = sym_sd_bus_message_new_method_call(bus, &msg, SD_DEST, SD_PATH, SD_MANAGER,
					       "SetUnitProperties");
	if (r >= 0 && (r = sym_sd_bus_message_append(msg, "sb", unit, 1)) >= 0 &&
	    (r = sym_sd_bus_message_open_container(msg, 'a', "(sv)")) >= 0 &&
	    (r = append_props(msg, props)) >= 0 &&
	    (r = sym_sd_bus_message_close_container(msg)) >= 0)
		r = sym_sd_bus_call(bus, msg, SD_TIMEOUT_USEC, &e, NULL);
	if (r < 0)
		bus_fail(err, r, &e, "setting properties of", unit);
	sym_sd_bus_error_free(&e);
	sym_sd_bus_message_unref(msg);
	return r < 0 ? -1 : 0;
}

/* --- the driver --- */

static int sd_start(struct cgroup_manager *m, pid_t pid, struct hull_error *err)
{
	struct sd_props props = { 0 };
	bool exists = false;
	int rc = -1;

	sd_trace_start();
	if (bus_connect(err) < 0)
		return -1;
	sd_trace_mark("start.connect");
	if (base_props(m, &props, err) < 0 ||
	    cgroup_systemd_resource_props(m->res, &props, err) < 0)
		goto out;
	/* Annotations last: they override what Hull derived. */
	for (size_t i = 0; m->sd_extra && i < m->sd_extra->n; i++) {
		const struct sd_prop *x = &m->sd_extra->v[i];
		struct sd_prop *v = sd_props_push(&props, x->name, x->type, err);

		if (v == NULL)
			goto out;
		v->u = x->u;
		v->i = x->i;
		v->b = x->b;
		if (x->s && (v->s = strdup(x->s)) == NULL) {
			hull_error_errno(err, "strdup");
			goto out;
		}
	}
	sd_trace_mark("start.props");
	rc = start_unit_once(m, pid, &props, &exists, err);
	if (rc < 0 && exists) {
		/* Left over from a crash: a failed unit of that name stays
		 * loaded until reset (runc#3780). */
		struct hull_error ignored = { 0 };

		unit_call("ResetFailedUnit", m->sd_unit, NULL, false, &ignored);
		hull_error_clear(err);
		rc = start_unit_once(m, pid, &props, &exists, err);
		if (rc < 0 && exists)
			hull_error_prefix(err, "a unit of that name is still active (another container named \"%s\"?)",
					  m->id);
	}
	if (rc == 0)
		m->sd_started = true;
out:
	sd_props_free(&props);
	return rc;
}

/* The scope is always Hull's: StartTransientUnit refuses a unit of that
 * name that is still active, so no one else's processes can be in it. */
static bool sd_owned(const struct cgroup_manager *m)
{
	(void)m;
	return true;
}

static int sd_plan(struct cgroup_manager *m, struct hull_error *err)
{
	return m->fs_ops->plan(m, err);
}

static int sd_create(struct cgroup_manager *m, struct hull_error *err)
{
	return m->fs_ops->create(m, err);
}

static int sd_validate(struct cgroup_manager *m, const struct spec_resources *r,
		       bool update, struct hull_error *err)
{
	struct sd_props props = { 0 };
	int rc = cgroup_systemd_resource_props(r, &props, err);

	sd_props_free(&props);
	if (rc < 0)
		return -1;
	return m->fs_ops->validate(m, r, update, err);
}

static int sd_apply(struct cgroup_manager *m, const struct spec_resources *r,
		    bool update, struct hull_error *err)
{
	struct sd_props props = { 0 };
	int rc;

	/* Before the scope exists the files are all there is; afterwards
	 * systemd hears the change first, so a daemon-reload keeps it. */
	if (m->sd_started) {
		if (bus_connect(err) < 0 || cgroup_systemd_resource_props(r, &props, err) < 0 ||
		    (props.n && set_unit_props(m->sd_unit, &props, err) < 0)) {
			sd_props_free(&props);
			return -1;
		}
		sd_props_free(&props);
	}
	rc = m->fs_ops->apply(m, r, update, err);
	return rc;
}

static int sd_enter(struct cgroup_manager *m, pid_t pid, struct hull_error *err)
{
	if (!m->sd_started) {
		struct spec_resources cpu_only = { 0 };

		if (sd_start(m, pid, err) < 0)
			return -1;
		/* systemd rounds CPUQuota to 10 ms: write the exact cpu.max
		 * again (a shallow copy of the cpu part only). */
		cpu_only.cpu_set = m->res->cpu_set;
		cpu_only.cpu = m->res->cpu;
		if (cpu_only.cpu_set && m->fs_ops->apply(m, &cpu_only, true, err) < 0)
			return -1;
		sd_trace_mark("start.cpu");
	}
	return m->fs_ops->enter(m, pid, err);
}

static int sd_clone_fd(struct cgroup_manager *m)
{
	/* The first process must reach systemd as the scope's pid. */
	return m->sd_started ? m->fs_ops->clone_fd(m) : -1;
}

static int sd_kill_all(struct cgroup_manager *m, int sig, struct hull_error *err)
{
	return m->fs_ops->kill_all(m, sig, err);
}

static int sd_pids(struct cgroup_manager *m, pid_t **pids, size_t *n,
		   struct hull_error *err)
{
	return m->fs_ops->pids(m, pids, n, err);
}

static int sd_freeze(struct cgroup_manager *m, bool freeze, struct hull_error *err)
{
	return m->fs_ops->freeze(m, freeze, err);
}

static bool sd_is_frozen(struct cgroup_manager *m)
{
	return m->fs_ops->is_frozen(m);
}

/* How long delete waits for systemd to unload the emptied scope by itself
 * before it asks with StopUnit (a CollectMode annotation that keeps failed
 * units, a pure v1 host whose empty-cgroup notice is slow). */
#define SD_GONE_WAIT_MS 3000

static int sd_destroy(struct cgroup_manager *m, struct hull_error *err)
{
	struct hull_error ignored = { 0 };
	int rc;

	sd_trace_start();
	/* Kill first: stopping a scope that still has processes would
	 * SIGTERM them and wait TimeoutStopSec.  An emptied scope stops by
	 * itself, and CollectMode=inactive-or-failed unloads it even when it
	 * failed (OOM): nothing to reset.  Hull only waits for that (no D-Bus,
	 * no libsystemd); StopUnit and ResetFailedUnit are the fallback when
	 * the unit stays. */
	if (m->fs_ops->kill_all(m, SIGKILL, &ignored) < 0)
		hull_error_clear(&ignored);
	sd_trace_mark("delete.kill");
	if (m->sd_unit && cgroup_systemd_available() &&
	    sd_unit_gone_wait(SD_TRANSIENT_DIR, m->sd_unit, SD_GONE_WAIT_MS) != 1) {
		sd_trace_mark("delete.gone-timeout");
		if (bus_connect(&ignored) == 0) {
			sd_trace_mark("delete.connect");
			unit_call("StopUnit", m->sd_unit, "replace", true, &ignored);
			hull_error_clear(&ignored);
			unit_call("ResetFailedUnit", m->sd_unit, NULL, false, &ignored);
		}
		hull_error_clear(&ignored);
	} else {
		sd_trace_mark("delete.gone");
	}
	rc = m->fs_ops->destroy(m, err);
	sd_trace_mark("delete.rmdir");
	return rc;
}

static int sd_stats(struct cgroup_manager *m, struct cgroup_stats *st,
		    struct hull_error *err)
{
	return m->fs_ops->stats(m, st, err);
}

static int sd_oom_fd(struct cgroup_manager *m, struct hull_error *err)
{
	return m->fs_ops->oom_fd(m, err);
}

static int sd_mount(const struct cgroup_manager *m, const char *target,
		    unsigned long flags, struct hull_error *err)
{
	return m->fs_ops->mount_in_container(m, target, flags, err);
}

static void sd_save(const struct cgroup_manager *m, json_gen *g)
{
	json_gen_kv_string(g, "unit", m->sd_unit);
	json_gen_kv_string(g, "slice", m->sd_slice);
	json_gen_kv_bool(g, "unitStarted", m->sd_started);
	m->fs_ops->save(m, g);
}

static int sd_load(struct cgroup_manager *m, const json_node *saved,
		   struct hull_error *err)
{
	if (json_get_string(saved, "unit", "cgroup", &m->sd_unit, err) < 0 ||
	    json_get_string(saved, "slice", "cgroup", &m->sd_slice, err) < 0 ||
	    json_get_bool(saved, "unitStarted", "cgroup", &m->sd_started, err) < 0)
		return -1;
	if (m->sd_unit == NULL)
		return hull_error_set(err, EINVAL, "cgroup state: systemd driver without a unit");
	return m->fs_ops->load(m, saved, err);
}

const struct cgroup_ops cgroup_systemd_ops = {
	.name = "systemd",
	.plan = sd_plan,
	.owned = sd_owned,
	.create = sd_create,
	.validate = sd_validate,
	.apply = sd_apply,
	.enter = sd_enter,
	.clone_fd = sd_clone_fd,
	.kill_all = sd_kill_all,
	.pids = sd_pids,
	.freeze = sd_freeze,
	.is_frozen = sd_is_frozen,
	.destroy = sd_destroy,
	.stats = sd_stats,
	.oom_fd = sd_oom_fd,
	.mount_in_container = sd_mount,
	.save = sd_save,
	.load = sd_load,
};
