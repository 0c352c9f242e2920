/* The public face of the cgroup manager (cgroup.h): picks a driver by
 * probing, keeps the applied resources, and saves/loads itself as JSON. */
#include "cgroups/cgroup_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "cgroups/systemd_props.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static const struct cgroup_ops *ops_for(enum cgroup_mode mode)
{
	return mode == CGROUP_MODE_V2 ? &cgroup_v2_ops : &cgroup_v1_ops;
}

static struct cgroup_manager *manager_alloc(enum cgroup_mode mode, const char *root,
					    struct hull_error *err)
{
	struct cgroup_manager *m = calloc(1, sizeof(*m));

	if (m == NULL || (m->root = strdup(root)) == NULL ||
	    (m->res = spec_resources_new(err)) == NULL) {
		hull_error_errno(err, "calloc");
		cgroup_manager_free(m);
		return NULL;
	}
	m->mode = mode;
	m->ops = ops_for(mode);
	return m;
}

/* --systemd-cgroup: the scope named by "slice:prefix:name", the
 * annotations that become unit properties, and the fs driver under it. */
static int systemd_setup(struct cgroup_manager *m, const struct cgroup_config *cfg,
			 struct hull_error *err)
{
	size_t plen = strlen(SD_ANNOTATION_PREFIX);

	if (cgroup_systemd_parse_path(cfg->id, cfg->cgroups_path, &m->sd_slice,
				      &m->sd_unit, &m->path, err) < 0)
		return -1;
	m->fs_ops = m->ops;
	m->ops = &cgroup_systemd_ops;
	if ((m->sd_extra = calloc(1, sizeof(*m->sd_extra))) == NULL)
		return hull_error_errno(err, "calloc");
	for (size_t i = 0; i < cfg->n_annotations; i++)
		if (strncmp(cfg->annotation_keys[i], SD_ANNOTATION_PREFIX, plen) == 0 &&
		    cgroup_systemd_annotation_prop(cfg->annotation_keys[i] + plen,
						   cfg->annotation_values[i], m->sd_extra, err) < 0)
			return -1;
	return 0;
}

/* Everything up to the first write: the path, the driver's view of the
 * hierarchies, and which groups do not exist yet (those Hull will make and
 * so owns).  The runtime saves this plan before cgroup_manager_realize(),
 * so a Hull killed in between leaves a record `delete` can clean from. */
int cgroup_manager_plan_at(const struct cgroup_config *cfg, enum cgroup_mode mode,
			   const char *root, struct cgroup_manager **out,
			   struct hull_error *err)
{
	struct cgroup_manager *m;

	m = manager_alloc(mode, root, err);
	if (m == NULL)
		return -1;
	if ((m->id = strdup(cfg->id)) == NULL) {
		cgroup_manager_free(m);
		return hull_error_errno(err, "strdup");
	}
	if (cfg->systemd ? systemd_setup(m, cfg, err) < 0
			 : cgroup_resolve_path(cfg->id, cfg->cgroups_path, &m->path, err) < 0)
		goto fail;
	if (cfg->resources && spec_resources_merge(m->res, cfg->resources, err) < 0)
		goto fail;
	if (cfg->n_extra_devices) {
		m->extra_dev = calloc(cfg->n_extra_devices, sizeof(*m->extra_dev));
		if (m->extra_dev == NULL) {
			hull_error_errno(err, "calloc");
			goto fail;
		}
		memcpy(m->extra_dev, cfg->extra_devices,
		       cfg->n_extra_devices * sizeof(*m->extra_dev));
		m->n_extra_dev = cfg->n_extra_devices;
	}
	if (m->ops->plan(m, err) < 0)
		goto fail;
	*out = m;
	return 0;
fail:
	hull_error_prefix(err, "cgroup %s", m->path ? m->path : cfg->id);
	cgroup_manager_free(m);
	return -1;
}

/* After a successful undo nothing is Hull's any more: a later destroy
 * must not remove a group of the same name that someone else made. */
static void forget_created(struct cgroup_manager *m)
{
	m->created = 0;
	for (size_t i = 0; i < m->nh; i++)
		m->h[i].created = 0;
	if (m->unified)
		m->unified->created = 0;
}

int cgroup_manager_realize(struct cgroup_manager *m, struct hull_error *err)
{
	/* create refuses a group that already holds processes; on any
	 * failure only the groups made here are removed. */
	if (m->ops->create(m, err) < 0 ||
	    m->ops->validate(m, m->res, false, err) < 0 ||
	    m->ops->apply(m, m->res, false, err) < 0) {
		struct hull_error ignored = { 0 };

		if (m->ops->destroy(m, &ignored) == 0)
			forget_created(m);
		return hull_error_prefix(err, "cgroup %s", m->path);
	}
	return 0;
}

int cgroup_manager_create_at(const struct cgroup_config *cfg,
			     enum cgroup_mode mode, const char *root,
			     struct cgroup_manager **out, struct hull_error *err)
{
	struct cgroup_manager *m;

	if (cgroup_manager_plan_at(cfg, mode, root, &m, err) < 0)
		return -1;
	if (cgroup_manager_realize(m, err) < 0) {
		cgroup_manager_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

int cgroup_manager_plan(const struct cgroup_config *cfg,
			struct cgroup_manager **out, struct hull_error *err)
{
	enum cgroup_mode mode;

	if (cfg->systemd && !cgroup_systemd_available())
		return hull_error_set(err, ENOTSUP,
				      "--systemd-cgroup: systemd is not the init system here (no /run/systemd/system); use the default cgroupfs driver");
	if (!cfg->systemd && cfg->cgroups_path && cgroup_path_validate(cfg->cgroups_path, err) < 0)
		return -1;
	if (cgroup_probe(CGROUP_ROOT, &mode, err) < 0)
		return -1;
	return cgroup_manager_plan_at(cfg, mode, CGROUP_ROOT, out, err);
}

int cgroup_manager_create(const struct cgroup_config *cfg,
			  struct cgroup_manager **out, struct hull_error *err)
{
	struct cgroup_manager *m;

	if (cgroup_manager_plan(cfg, &m, err) < 0)
		return -1;
	if (cgroup_manager_realize(m, err) < 0) {
		cgroup_manager_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

void cgroup_manager_free(struct cgroup_manager *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nh; i++) {
		free(m->h[i].name);
		free(m->h[i].mount);
		free(m->h[i].dir);
	}
	free(m->h);
	if (m->unified) {
		free(m->unified->name);
		free(m->unified->mount);
		free(m->unified->dir);
		free(m->unified);
	}
	spec_resources_free(m->res);
	if (m->sd_extra)
		sd_props_free(m->sd_extra);
	free(m->sd_extra);
	free(m->sd_unit);
	free(m->sd_slice);
	free(m->extra_dev);
	free(m->id);
	free(m->path);
	free(m->root);
	free(m->dir);
	free(m);
}

void cgroup_manager_save(const struct cgroup_manager *m, json_gen *g)
{
	json_gen_object_open(g);
	json_gen_kv_string(g, "driver", m->ops->name);
	json_gen_kv_string(g, "mode", cgroup_mode_name(m->mode));
	json_gen_kv_string(g, "id", m->id);
	json_gen_kv_string(g, "path", m->path);
	json_gen_kv_string(g, "root", m->root);
	m->ops->save(m, g);
	json_gen_key(g, "extraDevices");
	json_gen_array_open(g);
	for (size_t i = 0; i < m->n_extra_dev; i++) {
		const struct spec_device_rule *d = &m->extra_dev[i];
		char t[2] = { d->type, '\0' };

		json_gen_object_open(g);
		json_gen_kv_string(g, "type", t);
		json_gen_kv_int(g, "major", d->major);
		json_gen_kv_int(g, "minor", d->minor);
		json_gen_kv_string(g, "access", d->access);
		json_gen_object_close(g);
	}
	json_gen_array_close(g);
	json_gen_key(g, "resources");
	spec_resources_to_json(g, m->res);
	json_gen_object_close(g);
}

static int load_extra_devices(struct cgroup_manager *m, const json_node *saved,
			      struct hull_error *err)
{
	const json_node *arr;
	int r = json_get_array(saved, "extraDevices", "cgroup", &arr, err);

	if (r <= 0)
		return r;
	m->extra_dev = calloc(json_array_len(arr) + 1, sizeof(*m->extra_dev));
	if (m->extra_dev == NULL)
		return hull_error_errno(err, "calloc");
	for (size_t i = 0; i < json_array_len(arr); i++) {
		const json_node *e = json_array_get(arr, i);
		struct spec_device_rule *d = &m->extra_dev[i];
		autofree char *t = NULL, *acc = NULL;

		d->allow = true;
		if (json_get_string(e, "type", "cgroup.extraDevices", &t, err) < 0 ||
		    json_get_string(e, "access", "cgroup.extraDevices", &acc, err) < 0 ||
		    json_get_int64(e, "major", "cgroup.extraDevices", -1, UINT32_MAX, &d->major, err) < 0 ||
		    json_get_int64(e, "minor", "cgroup.extraDevices", -1, UINT32_MAX, &d->minor, err) < 0)
			return -1;
		d->type = t ? t[0] : 'a';
		snprintf(d->access, sizeof(d->access), "%s", acc ? acc : "rwm");
		m->n_extra_dev = i + 1;
	}
	return 0;
}

int cgroup_manager_load(const json_node *saved, struct cgroup_manager **out,
			struct hull_error *err)
{
	autofree char *mode = NULL, *root = NULL, *driver = NULL;
	const json_node *res;
	enum cgroup_mode md;
	struct cgroup_manager *m;

	if (json_get_string(saved, "mode", "cgroup", &mode, err) < 0 ||
	    json_get_string(saved, "root", "cgroup", &root, err) < 0 ||
	    json_get_string(saved, "driver", "cgroup", &driver, err) < 0)
		return -1;
	if (mode == NULL || root == NULL)
		return hull_error_set(err, EINVAL, "cgroup state: missing mode or root");
	if (strcmp(mode, "v2") == 0)
		md = CGROUP_MODE_V2;
	else if (strcmp(mode, "hybrid") == 0)
		md = CGROUP_MODE_HYBRID;
	else if (strcmp(mode, "v1") == 0)
		md = CGROUP_MODE_V1;
	else
		return hull_error_set(err, EINVAL, "cgroup state: unknown mode \"%s\"", mode);
	m = manager_alloc(md, root, err);
	if (m == NULL)
		return -1;
	if (driver && strcmp(driver, "systemd") == 0) {
		m->fs_ops = m->ops;
		m->ops = &cgroup_systemd_ops;
	}
	if (json_get_string(saved, "id", "cgroup", &m->id, err) < 0 ||
	    json_get_string(saved, "path", "cgroup", &m->path, err) < 0)
		goto fail;
	if (m->path == NULL || m->id == NULL) {
		hull_error_set(err, EINVAL, "cgroup state: missing path or id");
		goto fail;
	}
	if (json_get_object(saved, "resources", "cgroup", &res, err) > 0) {
		spec_resources_free(m->res);
		m->res = NULL;
		if (spec_resources_parse(res, "cgroup.resources", &m->res, err) < 0)
			goto fail;
	}
	if (err->set || load_extra_devices(m, saved, err) < 0 ||
	    m->ops->load(m, saved, err) < 0)
		goto fail;
	*out = m;
	return 0;
fail:
	cgroup_manager_free(m);
	return -1;
}

int cgroup_enter(struct cgroup_manager *m, pid_t pid, struct hull_error *err)
{
	return m->ops->enter(m, pid, err);
}

int cgroup_clone_fd(struct cgroup_manager *m)
{
	return m->ops->clone_fd(m);
}

int cgroup_self_enter_open(struct cgroup_manager *m, struct cgroup_self_enter *se,
			   struct hull_error *err)
{
	memset(se, 0, sizeof(*se));
	se->clone_fd = -1;
	if (m->ops->self_enter_open == NULL)
		return 0;
	if (m->ops->self_enter_open(m, se, err) < 0) {
		cgroup_self_enter_close(se);
		return -1;
	}
	return se->n > 0;
}

int cgroup_self_enter(struct cgroup_self_enter *se, struct hull_error *err)
{
	int rc = 0;

	for (size_t i = 0; i < se->n; i++) {
		/* "0": the writing thread itself (cgroup v1 `tasks`). */
		if (rc == 0 && write(se->tasks_fd[i], "0", 1) != 1)
			rc = hull_error_errno(err, "joining the cgroup %s (writing its tasks file)",
					      se->dir[i]);
	}
	cgroup_self_enter_close(se);
	return rc;
}

void cgroup_self_enter_close(struct cgroup_self_enter *se)
{
	for (size_t i = 0; i < se->n; i++)
		if (se->tasks_fd[i] >= 0)
			close(se->tasks_fd[i]);
	se->n = 0;
	if (se->clone_fd >= 0)
		close(se->clone_fd);
	se->clone_fd = -1;
}

int cgroup_mount_in_container(const struct cgroup_manager *m, const char *target,
			      unsigned long flags, struct hull_error *err)
{
	return m->ops->mount_in_container(m, target, flags, err);
}

int cgroup_kill_all(struct cgroup_manager *m, int sig, struct hull_error *err)
{
	return m->ops->kill_all(m, sig, err);
}

int cgroup_pids(struct cgroup_manager *m, pid_t **pids, size_t *n,
		struct hull_error *err)
{
	return m->ops->pids(m, pids, n, err);
}

int cgroup_freeze(struct cgroup_manager *m, bool freeze, struct hull_error *err)
{
	return m->ops->freeze(m, freeze, err);
}

bool cgroup_is_frozen(struct cgroup_manager *m)
{
	return m->ops->is_frozen(m);
}

int cgroup_update(struct cgroup_manager *m, const struct spec_resources *res,
		  struct hull_error *err)
{
	/* Validate everything first: a rejected update writes nothing. */
	if (m->ops->validate(m, res, true, err) < 0 ||
	    m->ops->apply(m, res, true, err) < 0)
		return hull_error_prefix(err, "updating cgroup %s", m->path);
	return spec_resources_merge(m->res, res, err);
}

int cgroup_destroy(struct cgroup_manager *m, struct hull_error *err)
{
	return m->ops->destroy(m, err);
}

bool cgroup_owned(const struct cgroup_manager *m)
{
	return m->ops->owned(m);
}

int cgroup_reclaim(struct cgroup_manager *m, pid_t pid, struct hull_error *err)
{
	return m->ops->reclaim ? m->ops->reclaim(m, pid, err) : 0;
}

const struct spec_resources *cgroup_manager_resources(const struct cgroup_manager *m)
{
	return m->res;
}

const char *cgroup_manager_mode(const struct cgroup_manager *m)
{
	return cgroup_mode_name(m->mode);
}

const char *cgroup_manager_path(const struct cgroup_manager *m)
{
	return m->path;
}

int cgroup_stats(struct cgroup_manager *m, struct cgroup_stats *st,
		 struct hull_error *err)
{
	memset(st, 0, sizeof(*st));
	return m->ops->stats(m, st, err);
}

int cgroup_oom_fd(struct cgroup_manager *m, struct hull_error *err)
{
	return m->ops->oom_fd(m, err);
}

int cgroup_oom_kills(struct cgroup_manager *m, uint64_t *count,
		     struct hull_error *err)
{
	struct cgroup_stats st;
	int r = cgroup_stats(m, &st, err);

	if (r == 0)
		*count = st.oom_kills;
	cgroup_stats_free(&st);
	return r;
}
