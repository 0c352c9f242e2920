/* `hull generate bundle`: the bundle a unit runs, derived from the model.
 * The original config.json is copied key by key; only what the model
 * says is replaced: process.env (same keys overridden), mounts (appended),
 * the network namespace (host: none; none: a new empty one), memory/cpu/
 * pids limits, root.path (made absolute: the derived bundle lives in
 * /run/hull/units/NAME) and linux.cgroupsPath (the systemd driver's
 * "system.slice:hull:NAME"). */
#include "runtime/unit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/fsutil.h"
#include "base/json.h"

static bool in(const char *k, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(k, *set) == 0)
			return true;
	return false;
}

/* Copies obj's members except those in skip (obj may be NULL). */
static void copy_except(json_gen *g, const json_node *obj, const char *const *skip)
{
	for (size_t i = 0; obj && i < json_object_size(obj); i++) {
		const char *k = json_object_key(obj, i);

		if (in(k, skip))
			continue;
		json_gen_key(g, k);
		json_gen_node(g, json_object_value(obj, i));
	}
}

static bool env_overridden(const struct hull_unit *u, const char *e)
{
	size_t kl = strcspn(e, "=");

	for (size_t i = 0; i < u->n_env; i++)
		if (strncmp(u->env[i], e, kl) == 0 && u->env[i][kl] == '=')
			return true;
	return false;
}

static void emit_process(json_gen *g, const json_node *p, const struct hull_unit *u)
{
	static const char *const skip[] = { "env", NULL };
	const json_node *env = json_object_get(p, "env");

	json_gen_object_open(g);
	copy_except(g, p, skip);
	json_gen_key(g, "env");
	json_gen_array_open(g);
	for (size_t i = 0; env && i < json_array_len(env); i++) {
		const char *e = json_string(json_array_get(env, i));

		if (e && !env_overridden(u, e))
			json_gen_string(g, e);
	}
	for (size_t i = 0; i < u->n_env; i++)
		json_gen_string(g, u->env[i]);
	json_gen_array_close(g);
	json_gen_object_close(g);
}

static void emit_mounts(json_gen *g, const json_node *m, const struct hull_unit *u)
{
	json_gen_array_open(g);
	for (size_t i = 0; m && i < json_array_len(m); i++)
		json_gen_node(g, json_array_get(m, i));
	for (size_t i = 0; i < u->n_volumes; i++) {
		autofree char *v = strdup(u->volumes[i]);
		char *dst = v ? strchr(v, ':') : NULL;
		char *mode;

		if (dst == NULL)
			continue;
		*dst++ = '\0';
		mode = strchr(dst, ':');
		if (mode)
			*mode++ = '\0';
		json_gen_object_open(g);
		json_gen_kv_string(g, "destination", dst);
		json_gen_kv_string(g, "type", "bind");
		json_gen_kv_string(g, "source", v);
		json_gen_key(g, "options");
		json_gen_array_open(g);
		json_gen_string(g, "rbind");
		json_gen_string(g, mode && strcmp(mode, "ro") == 0 ? "ro" : "rw");
		json_gen_array_close(g);
		json_gen_object_close(g);
	}
	json_gen_array_close(g);
}

static void emit_namespaces(json_gen *g, const json_node *ns, const struct hull_unit *u)
{
	bool had_net = false;

	json_gen_array_open(g);
	for (size_t i = 0; ns && i < json_array_len(ns); i++) {
		const json_node *e = json_array_get(ns, i);
		const char *t = json_string(json_object_get(e, "type"));

		if (t && strcmp(t, "network") == 0) {
			had_net = true;
			if (u->network && strcmp(u->network, "host") == 0)
				continue;
			if (u->network) {
				/* none: a new, empty one (not a path to join) */
				json_gen_object_open(g);
				json_gen_kv_string(g, "type", "network");
				json_gen_object_close(g);
				continue;
			}
		}
		json_gen_node(g, e);
	}
	if (!had_net && u->network && strcmp(u->network, "none") == 0) {
		json_gen_object_open(g);
		json_gen_kv_string(g, "type", "network");
		json_gen_object_close(g);
	}
	json_gen_array_close(g);
}

static void emit_resources(json_gen *g, const json_node *r, const struct hull_unit *u)
{
	static const char *const skip[] = { "memory", "cpu", "pids", NULL };
	static const char *const mem_skip[] = { "limit", NULL };
	static const char *const cpu_skip[] = { "quota", "period", NULL };
	static const char *const pids_skip[] = { "limit", NULL };
	const json_node *mem = json_object_get(r, "memory");
	const json_node *cpu = json_object_get(r, "cpu");
	const json_node *pids = json_object_get(r, "pids");

	json_gen_object_open(g);
	copy_except(g, r, skip);
	if (mem || u->memory) {
		json_gen_key(g, "memory");
		json_gen_object_open(g);
		copy_except(g, mem, u->memory ? mem_skip : (const char *const[]){ NULL });
		if (u->memory)
			json_gen_kv_int(g, "limit", u->memory);
		json_gen_object_close(g);
	}
	if (cpu || u->cpu_quota) {
		json_gen_key(g, "cpu");
		json_gen_object_open(g);
		copy_except(g, cpu, u->cpu_quota ? cpu_skip : (const char *const[]){ NULL });
		if (u->cpu_quota) {
			/* CPUQuota=50% -> 50 ms of every 100 ms. */
			json_gen_kv_int(g, "quota", (int64_t)u->cpu_quota * 1000);
			json_gen_key(g, "period");
			json_gen_uint(g, 100000);
		}
		json_gen_object_close(g);
	}
	if (pids || u->pids_limit) {
		json_gen_key(g, "pids");
		json_gen_object_open(g);
		copy_except(g, pids, u->pids_limit ? pids_skip : (const char *const[]){ NULL });
		if (u->pids_limit)
			json_gen_kv_int(g, "limit", u->pids_limit);
		json_gen_object_close(g);
	}
	json_gen_object_close(g);
}

static void emit_linux(json_gen *g, const json_node *lx, const struct hull_unit *u)
{
	static const char *const skip[] = { "cgroupsPath", "namespaces", "resources", NULL };
	autofree char *cg = NULL;

	json_gen_object_open(g);
	copy_except(g, lx, skip);
	if (asprintf(&cg, "system.slice:hull:%s", u->name) >= 0)
		json_gen_kv_string(g, "cgroupsPath", cg);
	json_gen_key(g, "namespaces");
	emit_namespaces(g, json_object_get(lx, "namespaces"), u);
	json_gen_key(g, "resources");
	emit_resources(g, json_object_get(lx, "resources"), u);
	json_gen_object_close(g);
}

int unit_derive_bundle(const struct hull_unit *u, const char *out_dir,
		       struct hull_error *err)
{
	static const char *const skip[] = { "root", "process", "mounts", "linux", NULL };
	autofree char *src = NULL, *root = NULL, *text = NULL, *dst = NULL;
	json_node *doc = NULL;
	const json_node *r;
	const char *rp;
	json_gen *g;
	autoclose int dfd = -1;

	if (unit_validate(u, err) < 0)
		return -1;
	if (asprintf(&src, "%s/config.json", u->bundle) < 0 ||
	    asprintf(&dst, "%s/config.json", out_dir) < 0)
		return hull_error_errno(err, "asprintf");
	if (json_parse_file(src, &doc, err) < 0)
		return -1;
	if (json_type_of(doc) != JSON_OBJECT) {
		json_free(doc);
		return hull_error_set(err, EINVAL, "%s: not a JSON object", src);
	}
	r = json_object_get(doc, "root");
	rp = r ? json_string(json_object_get(r, "path")) : NULL;
	if (rp == NULL) {
		json_free(doc);
		return hull_error_set(err, EINVAL, "%s: root.path: missing", src);
	}
	if ((rp[0] == '/' ? asprintf(&root, "%s", rp) : asprintf(&root, "%s/%s", u->bundle, rp)) < 0) {
		json_free(doc);
		return hull_error_errno(err, "asprintf");
	}
	g = json_gen_new(true);
	json_gen_object_open(g);
	copy_except(g, doc, skip);
	json_gen_key(g, "root");
	json_gen_object_open(g);
	copy_except(g, r, (const char *const[]){ "path", NULL });
	json_gen_kv_string(g, "path", root);
	json_gen_object_close(g);
	if (json_object_get(doc, "process")) {
		json_gen_key(g, "process");
		emit_process(g, json_object_get(doc, "process"), u);
	}
	json_gen_key(g, "mounts");
	emit_mounts(g, json_object_get(doc, "mounts"), u);
	json_gen_key(g, "linux");
	emit_linux(g, json_object_get(doc, "linux"), u);
	json_gen_object_close(g);
	text = json_gen_finish(g, NULL);
	json_gen_free(g);
	json_free(doc);
	if (text == NULL)
		return hull_error_set(err, ENOMEM, "generating %s", dst);
	if (fs_mkdir_p(out_dir, 0700, err) < 0)
		return -1;
	dfd = open(out_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return hull_error_errno(err, "open %s", out_dir);
	return fs_write_atomic(dfd, "config.json", text, strlen(text), 0600, err);
}
