/* config.json from an image config, and User resolution.  Pure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "images/bundle.h"
#include "oci/spec.h"

static bool parse_u32(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > 0xfffffffeULL)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Finds name in a passwd/group text: field 0 is the name, field 2 the id,
 * field 3 (passwd) the primary gid. */
static bool lookup(const char *text, const char *name, size_t nlen, uint32_t *id, uint32_t *gid)
{
	const char *line = text;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *f[4] = { line };
		size_t k = 1;

		for (size_t i = 0; i < len && k < 4; i++)
			if (line[i] == ':')
				f[k++] = line + i + 1;
		if (k >= 3 && (size_t)(f[1] - line - 1) == nlen && strncmp(line, name, nlen) == 0) {
			size_t idlen = strcspn(f[2], ":\n");

			if (!parse_u32(f[2], idlen, id))
				return false;
			if (gid && k >= 4 && !parse_u32(f[3], strcspn(f[3], ":\n"), gid))
				return false;
			return true;
		}
		line = end ? end + 1 : NULL;
	}
	return false;
}

int image_user_resolve(const char *spec, const char *passwd, const char *group,
		       uint32_t *uid, uint32_t *gid, struct hull_error *err)
{
	const char *colon;
	size_t ulen;
	bool have_gid = false;

	*uid = *gid = 0;
	if (spec == NULL || *spec == '\0')
		return 0;
	colon = strchr(spec, ':');
	ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	if (!parse_u32(spec, ulen, uid)) {
		uint32_t g = 0;

		if (passwd == NULL || !lookup(passwd, spec, ulen, uid, &g))
			return hull_error_set(err, ENOENT, "config.User \"%s\": no user \"%.*s\" in the image's /etc/passwd",
					      spec, (int)ulen, spec);
		*gid = g;
		have_gid = true;
	} else if (passwd) {
		/* a numeric uid still takes its primary group from passwd */
		const char *line = passwd;

		while (line && *line && !have_gid) {
			const char *end = strchr(line, '\n');
			const char *p = strchr(line, ':');
			uint32_t id, g;

			if (p && (p = strchr(p + 1, ':')) && parse_u32(p + 1, strcspn(p + 1, ":\n"), &id) && id == *uid) {
				const char *q = strchr(p + 1, ':');

				if (q && parse_u32(q + 1, strcspn(q + 1, ":\n"), &g)) {
					*gid = g;
					have_gid = true;
				}
			}
			line = end ? end + 1 : NULL;
		}
	}
	if (colon) {
		const char *gs = colon + 1;

		if (!parse_u32(gs, strlen(gs), gid) &&
		    (group == NULL || !lookup(group, gs, strlen(gs), gid, NULL)))
			return hull_error_set(err, ENOENT, "config.User \"%s\": no group \"%s\" in the image's /etc/group",
					      spec, gs);
	}
	return 0;
}

bool image_user_is_numeric_pair(const char *spec)
{
	const char *colon = spec ? strchr(spec, ':') : NULL;
	uint32_t v;

	return colon && parse_u32(spec, (size_t)(colon - spec), &v) &&
	       parse_u32(colon + 1, strlen(colon + 1), &v);
}

int image_bundle_config(const struct image_config *c, uint32_t uid, uint32_t gid,
			const char *rootfs, char **json, struct hull_error *err)
{
	static const char *const default_path =
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	json_gen *g;
	bool has_path = false;

	if (c->n_entrypoint + c->n_cmd == 0)
		return hull_error_set(err, EINVAL,
				      "the image config has neither Entrypoint nor Cmd: there is no process to run");
	if (c->working_dir && c->working_dir[0] && c->working_dir[0] != '/')
		return hull_error_set(err, EINVAL, "config.WorkingDir \"%s\": not an absolute path", c->working_dir);
	g = json_gen_new(true);
	if (g == NULL)
		return hull_error_set(err, ENOMEM, "json");
	json_gen_object_open(g);
	json_gen_kv_string(g, "ociVersion", "1.2.0");
	json_gen_key(g, "process");
	json_gen_object_open(g);
	json_gen_kv_bool(g, "terminal", false);
	json_gen_key(g, "user");
	json_gen_object_open(g);
	json_gen_kv_int(g, "uid", uid);
	json_gen_kv_int(g, "gid", gid);
	json_gen_object_close(g);
	json_gen_key(g, "args");
	json_gen_array_open(g);
	for (size_t i = 0; i < c->n_entrypoint; i++)
		json_gen_string(g, c->entrypoint[i]);
	for (size_t i = 0; i < c->n_cmd; i++)
		json_gen_string(g, c->cmd[i]);
	json_gen_array_close(g);
	json_gen_key(g, "env");
	json_gen_array_open(g);
	for (size_t i = 0; i < c->n_env; i++) {
		if (strncmp(c->env[i], "PATH=", 5) == 0)
			has_path = true;
		json_gen_string(g, c->env[i]);
	}
	if (!has_path)
		json_gen_string(g, default_path);
	json_gen_array_close(g);
	json_gen_kv_string(g, "cwd", c->working_dir && c->working_dir[0] ? c->working_dir : "/");
	spec_gen_default_process_security(g);
	json_gen_object_close(g);
	json_gen_key(g, "root");
	json_gen_object_open(g);
	json_gen_kv_string(g, "path", rootfs);
	json_gen_kv_bool(g, "readonly", false);
	json_gen_object_close(g);
	json_gen_kv_string(g, "hostname", "hull");
	spec_gen_default_mounts(g, false);
	spec_gen_default_linux(g, false);
	/* image-spec conversion: labels become annotations; ports and the
	 * stop signal have their own annotation keys */
	json_gen_key(g, "annotations");
	json_gen_object_open(g);
	for (size_t i = 0; i < c->n_labels; i++)
		json_gen_kv_string(g, c->label_keys[i], c->label_values[i]);
	if (c->n_exposed_ports) {
		size_t len = 1;
		char *ports;

		for (size_t i = 0; i < c->n_exposed_ports; i++)
			len += strlen(c->exposed_ports[i]) + 1;
		ports = calloc(1, len);
		for (size_t i = 0; ports && i < c->n_exposed_ports; i++) {
			if (i)
				strcat(ports, ",");
			strcat(ports, c->exposed_ports[i]);
		}
		if (ports)
			json_gen_kv_string(g, "org.opencontainers.image.exposedPorts", ports);
		free(ports);
	}
	if (c->stop_signal)
		json_gen_kv_string(g, "org.opencontainers.image.stopSignal", c->stop_signal);
	json_gen_object_close(g);
	json_gen_object_close(g);
	*json = json_gen_finish(g, NULL);
	json_gen_free(g);
	if (*json == NULL)
		return hull_error_set(err, ENOMEM, "generating config.json");
	return 0;
}
