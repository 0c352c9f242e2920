/* config.json: the document's top level (root, mounts, hooks, annotations)
 * and the checks that span parts.  process and linux live in their own
 * files. */
#include "oci/spec.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/resources.h"
#include "base/cleanup.h"

static int parse_root(const json_node *doc, const char *bundle, struct spec *s,
		      struct hull_error *err)
{
	const json_node *root;
	autofree char *path = NULL;
	int r = json_get_object(doc, "root", "", &root, err);

	if (r < 0)
		return -1;
	if (r == 0)
		return hull_error_set(err, EINVAL, "root: missing (the spec requires root.path on Linux)");
	if (json_get_string(root, "path", "root", &path, err) < 0 ||
	    json_get_bool(root, "readonly", "root", &s->root_readonly, err) < 0)
		return -1;
	if (path == NULL || path[0] == '\0')
		return hull_error_set(err, EINVAL, "root.path: missing");
	if (path[0] == '/')
		s->root_path = steal_pointer(&path);
	else if (asprintf(&s->root_path, "%s/%s", bundle, path) < 0)
		return hull_error_errno(err, "asprintf");
	return 0;
}

static int parse_mounts(const json_node *doc, struct spec *s,
			struct hull_error *err)
{
	const json_node *arr;
	int r = json_get_array(doc, "mounts", "", &arr, err);

	if (r <= 0)
		return r;
	s->n_mounts = json_array_len(arr);
	s->mounts = calloc(s->n_mounts ? s->n_mounts : 1, sizeof(*s->mounts));
	if (s->mounts == NULL)
		return hull_error_errno(err, "calloc");
	for (size_t i = 0; i < s->n_mounts; i++) {
		const json_node *m = json_array_get(arr, i);
		struct spec_mount *sm = &s->mounts[i];
		char path[64];

		json_path_index(path, sizeof(path), "mounts", i);
		if (json_type_of(m) != JSON_OBJECT)
			return json_path_error(err, path, NULL, "expected an object");
		if (json_get_string(m, "destination", path, &sm->destination, err) < 0 ||
		    json_get_string(m, "type", path, &sm->type, err) < 0 ||
		    json_get_string(m, "source", path, &sm->source, err) < 0 ||
		    json_get_string_array(m, "options", path, &sm->options,
					  &sm->n_options, err) < 0 ||
		    spec_parse_id_mappings(m, "uidMappings", path, &sm->uid_mappings,
					   &sm->n_uid_mappings, err) < 0 ||
		    spec_parse_id_mappings(m, "gidMappings", path, &sm->gid_mappings,
					   &sm->n_gid_mappings, err) < 0)
			return -1;
		if (sm->destination == NULL || sm->destination[0] != '/')
			return json_path_error(err, path, "destination",
					       "must be an absolute path");
		if (spec_parse_mount_options(sm, path, err) < 0)
			return -1;
		if (sm->type == NULL && !sm->bind)
			return json_path_error(err, path, "type",
					       "missing (and options name no bind)");
		if (sm->bind && (sm->source == NULL || sm->source[0] == '\0'))
			return json_path_error(err, path, "source",
					       "a bind mount needs a source");
	}
	return 0;
}

static int parse_hook_list(const json_node *arr, const char *path,
			   struct spec_hook **out, size_t *count,
			   struct hull_error *err)
{
	size_t n = json_array_len(arr);
	struct spec_hook *hooks = calloc(n ? n : 1, sizeof(*hooks));

	if (hooks == NULL)
		return hull_error_errno(err, "calloc");
	*out = hooks;
	*count = n;
	for (size_t i = 0; i < n; i++) {
		const json_node *h = json_array_get(arr, i);
		int64_t timeout = 0;
		char where[96];

		json_path_index(where, sizeof(where), path, i);
		if (json_type_of(h) != JSON_OBJECT)
			return json_path_error(err, where, NULL, "expected an object");
		if (json_get_string(h, "path", where, &hooks[i].path, err) < 0 ||
		    json_get_string_array(h, "args", where, &hooks[i].args, NULL, err) < 0 ||
		    json_get_string_array(h, "env", where, &hooks[i].env, NULL, err) < 0 ||
		    json_get_int64(h, "timeout", where, 1, INT_MAX, &timeout, err) < 0)
			return -1;
		if (hooks[i].path == NULL || hooks[i].path[0] != '/')
			return json_path_error(err, where, "path", "must be an absolute path");
		hooks[i].timeout = (int)timeout;
	}
	return 0;
}

static int parse_hooks(const json_node *doc, struct spec *s,
		       struct hull_error *err)
{
	static const char *const names[HOOK_KIND_COUNT] = {
		[HOOK_PRESTART] = "prestart",
		[HOOK_CREATE_RUNTIME] = "createRuntime",
		[HOOK_CREATE_CONTAINER] = "createContainer",
		[HOOK_START_CONTAINER] = "startContainer",
		[HOOK_POSTSTART] = "poststart",
		[HOOK_POSTSTOP] = "poststop",
	};
	const json_node *hooks;
	int r = json_get_object(doc, "hooks", "", &hooks, err);

	if (r <= 0)
		return r;
	for (int k = 0; k < HOOK_KIND_COUNT; k++) {
		const json_node *arr;
		char path[64];

		r = json_get_array(hooks, names[k], "hooks", &arr, err);
		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		snprintf(path, sizeof(path), "hooks.%s", names[k]);
		if (parse_hook_list(arr, path, &s->hooks.list[k],
				    &s->hooks.count[k], err) < 0)
			return -1;
	}
	return 0;
}

/* Checks that need more than one part of the document. */
static int validate_cross(struct spec *s, struct hull_error *err)
{
	const struct spec_linux *l = &s->linux;
	bool userns = l->ns[NS_USER].enabled;

	if (s->hostname && !l->ns[NS_UTS].enabled)
		return hull_error_set(err, EINVAL,
				      "hostname: setting it needs a new uts namespace in linux.namespaces");
	if (s->domainname && !l->ns[NS_UTS].enabled)
		return hull_error_set(err, EINVAL,
				      "domainname: setting it needs a new uts namespace in linux.namespaces");
	if (userns && l->ns[NS_USER].path == NULL &&
	    (l->n_uid_mappings == 0 || l->n_gid_mappings == 0))
		return hull_error_set(err, EINVAL,
				      "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
	if (!userns && (l->n_uid_mappings || l->n_gid_mappings))
		return hull_error_set(err, EINVAL,
				      "linux.uidMappings: mappings given without a user namespace in linux.namespaces");
	if (l->has_time_offsets && !l->ns[NS_TIME].enabled)
		return hull_error_set(err, EINVAL,
				      "linux.timeOffsets: needs a time namespace in linux.namespaces");
	if (l->ns[NS_TIME].enabled && l->ns[NS_TIME].path && l->has_time_offsets)
		return hull_error_set(err, EINVAL,
				      "linux.timeOffsets: cannot be set when joining an existing time namespace");
	/* Without a mount namespace the process is only chrooted into
	 * root.path (as runc and crun do): anything that mounts would change
	 * the host's mount table, so it is refused here by name. */
	if (!l->ns[NS_MOUNT].enabled) {
		const char *what = s->n_mounts ? "mounts" :
			l->n_masked_paths ? "linux.maskedPaths" :
			l->n_readonly_paths ? "linux.readonlyPaths" :
			l->n_devices ? "linux.devices" :
			s->root_readonly ? "root.readonly" :
			l->rootfs_propagation ? "linux.rootfsPropagation" : NULL;

		if (what)
			return hull_error_set(err, EINVAL,
					      "%s: needs a mount namespace in linux.namespaces (without one it would change the host's mounts)",
					      what);
	}
	if (spec_check_sysctl(l, err) < 0 || spec_check_mounts(s, err) < 0)
		return -1;
	return 0;
}

int spec_parse(const json_node *doc, const char *bundle, struct spec **out,
	       struct hull_error *err)
{
	struct spec *s;
	const json_node *node;
	int r;

	if (json_type_of(doc) != JSON_OBJECT)
		return hull_error_set(err, EINVAL, "config.json: expected a JSON object");
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return hull_error_errno(err, "calloc");
	if (json_get_string(doc, "ociVersion", "", &s->oci_version, err) < 0)
		goto fail;
	if (s->oci_version == NULL) {
		hull_error_set(err, EINVAL, "ociVersion: missing");
		goto fail;
	}
	if (strncmp(s->oci_version, "1.", 2) != 0) {
		hull_error_set(err, EINVAL, "ociVersion: unsupported version \"%s\" (this runtime implements 1.x)",
			       s->oci_version);
		goto fail;
	}
	if (parse_root(doc, bundle, s, err) < 0 ||
	    json_get_string(doc, "hostname", "", &s->hostname, err) < 0 ||
	    json_get_string(doc, "domainname", "", &s->domainname, err) < 0 ||
	    parse_mounts(doc, s, err) < 0 || parse_hooks(doc, s, err) < 0 ||
	    json_get_string_map(doc, "annotations", "", &s->annotation_keys,
				&s->annotation_values, &s->n_annotations, err) < 0)
		goto fail;
	r = json_get_object(doc, "process", "", &node, err);
	if (r < 0)
		goto fail;
	if (r > 0) {
		s->process = calloc(1, sizeof(*s->process));
		if (s->process == NULL) {
			hull_error_errno(err, "calloc");
			goto fail;
		}
		if (spec_parse_process(node, "process", s->process, err) < 0)
			goto fail;
	}
	r = json_get_object(doc, "linux", "", &node, err);
	if (r < 0)
		goto fail;
	if (r == 0) {
		hull_error_set(err, EINVAL, "linux: missing (this runtime runs Linux containers)");
		goto fail;
	}
	if (spec_parse_linux(node, "linux", &s->linux, err) < 0 ||
	    validate_cross(s, err) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	spec_free(s);
	return -1;
}

int spec_load(const char *bundle, struct spec **out, char **text, struct hull_error *err)
{
	autofree char *path = NULL;
	autofree char *buf = NULL;

	if (asprintf(&path, "%s/config.json", bundle) < 0)
		return hull_error_errno(err, "asprintf");
	if (json_read_file(path, &buf, err) < 0 || spec_load_text(bundle, buf, out, err) < 0)
		return -1;
	if (text) {
		*text = buf;
		buf = NULL;
	}
	return 0;
}

int spec_load_text(const char *bundle, const char *text, struct spec **out,
		   struct hull_error *err)
{
	json_node *doc = NULL;
	int r;

	if (json_parse(text, &doc, err) < 0)
		return hull_error_prefix(err, "%s/config.json", bundle);
	r = spec_parse(doc, bundle, out, err);
	json_free(doc);
	if (r < 0)
		return hull_error_prefix(err, "%s/config.json", bundle);
	return 0;
}

const char *spec_annotation(const struct spec *s, const char *key)
{
	for (size_t i = 0; i < s->n_annotations; i++)
		if (strcmp(s->annotation_keys[i], key) == 0)
			return s->annotation_values[i];
	return NULL;
}

void spec_process_free(struct spec_process *p)
{
	if (p == NULL)
		return;
	free(p->cwd);
	strv_free(p->env);
	strv_free(p->args);
	free(p->user.additional_gids);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	free(p->exec_cpu_affinity_initial);
	free(p->exec_cpu_affinity_final);
	free(p);
}

void spec_free(struct spec *s)
{
	struct spec_linux *l;

	if (s == NULL)
		return;
	free(s->oci_version);
	free(s->root_path);
	free(s->hostname);
	free(s->domainname);
	for (size_t i = 0; i < s->n_mounts; i++) {
		free(s->mounts[i].destination);
		free(s->mounts[i].type);
		free(s->mounts[i].source);
		strv_free(s->mounts[i].options);
		free(s->mounts[i].data);
		free(s->mounts[i].uid_mappings);
		free(s->mounts[i].gid_mappings);
	}
	free(s->mounts);
	spec_process_free(s->process);
	for (int k = 0; k < HOOK_KIND_COUNT; k++) {
		for (size_t i = 0; i < s->hooks.count[k]; i++) {
			free(s->hooks.list[k][i].path);
			strv_free(s->hooks.list[k][i].args);
			strv_free(s->hooks.list[k][i].env);
		}
		free(s->hooks.list[k]);
	}
	strv_free(s->annotation_keys);
	strv_free(s->annotation_values);
	l = &s->linux;
	for (int i = 0; i < NS_COUNT; i++)
		free(l->ns[i].path);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	free(l->cgroups_path);
	spec_resources_free(l->resources);
	spec_seccomp_free(l->seccomp);
	strv_free(l->sysctl_keys);
	strv_free(l->sysctl_values);
	strv_free(l->masked_paths);
	strv_free(l->readonly_paths);
	free(l->mount_label);
	for (size_t i = 0; i < l->n_net_devices; i++) {
		free(l->net_devices[i].host_name);
		free(l->net_devices[i].name);
	}
	free(l->net_devices);
	free(s);
}
