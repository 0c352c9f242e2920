/* config.json "linux": namespaces, id mappings, devices, sysctls, paths.
 * Resources are parsed by the cgroup module and seccomp by spec_seccomp.c. */
#include "oci/spec.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/resources.h"
#include "base/cleanup.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const char *const ns_names[NS_COUNT] = {
	[NS_MOUNT] = "mount", [NS_PID] = "pid", [NS_NET] = "network",
	[NS_IPC] = "ipc", [NS_UTS] = "uts", [NS_USER] = "user",
	[NS_CGROUP] = "cgroup", [NS_TIME] = "time",
};

static const int ns_flags[NS_COUNT] = {
	[NS_MOUNT] = CLONE_NEWNS, [NS_PID] = CLONE_NEWPID,
	[NS_NET] = CLONE_NEWNET, [NS_IPC] = CLONE_NEWIPC,
	[NS_UTS] = CLONE_NEWUTS, [NS_USER] = CLONE_NEWUSER,
	[NS_CGROUP] = CLONE_NEWCGROUP, [NS_TIME] = CLONE_NEWTIME,
};

const char *spec_ns_name(enum spec_ns_type t)
{
	return ns_names[t];
}

int spec_ns_clone_flag(enum spec_ns_type t)
{
	return ns_flags[t];
}

static int parse_namespaces(const json_node *node, const char *path,
			    struct spec_linux *l, struct hull_error *err)
{
	const json_node *arr;
	int r = json_get_array(node, "namespaces", path, &arr, err);

	if (r <= 0)
		return r;
	for (size_t i = 0; i < json_array_len(arr); i++) {
		const json_node *ns = json_array_get(arr, i);
		autofree char *type = NULL;
		char *nspath = NULL;
		char where[64];
		int t;

		json_path_index(where, sizeof(where), "linux.namespaces", i);
		if (json_type_of(ns) != JSON_OBJECT)
			return json_path_error(err, where, NULL, "expected an object");
		if (json_get_string(ns, "type", where, &type, err) < 0 ||
		    json_get_string(ns, "path", where, &nspath, err) < 0)
			return -1;
		if (type == NULL) {
			free(nspath);
			return json_path_error(err, where, "type", "missing");
		}
		for (t = 0; t < NS_COUNT; t++)
			if (strcmp(type, ns_names[t]) == 0)
				break;
		if (t == NS_COUNT) {
			free(nspath);
			return json_path_error(err, where, "type",
					       "unknown namespace type \"%s\"", type);
		}
		if (l->ns[t].enabled) {
			free(nspath);
			return json_path_error(err, where, "type",
					       "namespace \"%s\" listed twice", type);
		}
		if (nspath && nspath[0] != '/') {
			free(nspath);
			return json_path_error(err, where, "path", "must be an absolute path");
		}
		l->ns[t].enabled = true;
		l->ns[t].path = nspath;
	}
	return 0;
}

int spec_parse_id_mappings(const json_node *node, const char *key, const char *path,
			   struct spec_id_mapping **out, size_t *count,
			   struct hull_error *err)
{
	const json_node *arr;
	char base[96];
	int r = json_get_array(node, key, path, &arr, err);

	if (r <= 0)
		return r;
	snprintf(base, sizeof(base), "%s.%s", path, key);
	*count = json_array_len(arr);
	*out = calloc(*count ? *count : 1, sizeof(**out));
	if (*out == NULL)
		return hull_error_errno(err, "calloc");
	for (size_t i = 0; i < *count; i++) {
		const json_node *m = json_array_get(arr, i);
		int64_t c = -1, h = -1, s = -1;
		char where[96];

		json_path_index(where, sizeof(where), base, i);
		if (json_type_of(m) != JSON_OBJECT)
			return json_path_error(err, where, NULL, "expected an object");
		if (json_get_int64(m, "containerID", where, 0, UINT32_MAX - 1, &c, err) < 0 ||
		    json_get_int64(m, "hostID", where, 0, UINT32_MAX - 1, &h, err) < 0 ||
		    json_get_int64(m, "size", where, 1, UINT32_MAX, &s, err) < 0)
			return -1;
		if (c < 0 || h < 0 || s < 0)
			return json_path_error(err, where, NULL,
					       "containerID, hostID and size are required");
		(*out)[i] = (struct spec_id_mapping){ (uint32_t)c, (uint32_t)h, (uint32_t)s };
	}
	return 0;
}

static int parse_time_offsets(const json_node *node, struct spec_linux *l,
			      struct hull_error *err)
{
	const json_node *to, *clk;
	int r = json_get_object(node, "timeOffsets", "linux", &to, err);

	if (r <= 0)
		return r;
	l->has_time_offsets = true;
	for (size_t i = 0; i < json_object_size(to); i++) {
		const char *name = json_object_key(to, i);
		int64_t secs = 0, nsecs = 0;
		char where[96];

		clk = json_object_value(to, i);
		snprintf(where, sizeof(where), "linux.timeOffsets.%s", name);
		if (json_type_of(clk) != JSON_OBJECT)
			return hull_error_set(err, EINVAL, "%s: expected an object", where);
		if (json_get_int64(clk, "secs", where, INT64_MIN, INT64_MAX, &secs, err) < 0 ||
		    json_get_int64(clk, "nanosecs", where, 0, 999999999, &nsecs, err) < 0)
			return -1;
		if (strcmp(name, "monotonic") == 0) {
			l->monotonic_secs = secs;
			l->monotonic_nsecs = (uint32_t)nsecs;
		} else if (strcmp(name, "boottime") == 0) {
			l->boottime_secs = secs;
			l->boottime_nsecs = (uint32_t)nsecs;
		} else {
			return hull_error_set(err, EINVAL,
					      "%s: unknown clock (monotonic or boottime)", where);
		}
	}
	return 0;
}

/* Whether a component of path is "..".  (Comparing the last three bytes
 * read before the string when it was shorter than that.) */
static bool path_has_dotdot(const char *path)
{
	for (const char *p = path; *p; ) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += n;
		while (*p == '/')
			p++;
	}
	return false;
}

/* podman writes fileMode with the file-type bits (0o20644 for a char
 * device), as Go's os.FileMode gives them; runc and crun accept that.  The
 * bits, when present, must name the same kind of node as `type`. */
static int device_mode_check(char type, mode_t mode, const char *where,
			     struct hull_error *err)
{
	mode_t fmt = mode & S_IFMT;
	mode_t want = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;

	if (fmt == 0 || fmt == want)
		return 0;
	return json_path_error(err, where, "fileMode",
			       "file type bits %#o do not match type \"%c\" (%#o)",
			       (unsigned int)fmt, type, (unsigned int)want);
}

static int parse_devices(const json_node *node, struct spec_linux *l,
			 struct hull_error *err)
{
	const json_node *arr;
	int r = json_get_array(node, "devices", "linux", &arr, err);

	if (r <= 0)
		return r;
	l->n_devices = json_array_len(arr);
	l->devices = calloc(l->n_devices ? l->n_devices : 1, sizeof(*l->devices));
	if (l->devices == NULL)
		return hull_error_errno(err, "calloc");
	for (size_t i = 0; i < l->n_devices; i++) {
		const json_node *d = json_array_get(arr, i);
		struct spec_device *sd = &l->devices[i];
		autofree char *type = NULL;
		int64_t v;
		char where[64];

		json_path_index(where, sizeof(where), "linux.devices", i);
		if (json_type_of(d) != JSON_OBJECT)
			return json_path_error(err, where, NULL, "expected an object");
		if (json_get_string(d, "type", where, &type, err) < 0 ||
		    json_get_string(d, "path", where, &sd->path, err) < 0 ||
		    json_get_int64(d, "major", where, 0, 0xfff, &sd->major, err) < 0 ||
		    json_get_int64(d, "minor", where, 0, 0xfffff, &sd->minor, err) < 0)
			return -1;
		if (type == NULL || strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
			return json_path_error(err, where, "type",
					       "must be one of c, b, u or p");
		sd->type = type[0];
		if (sd->path == NULL || sd->path[0] != '/')
			return json_path_error(err, where, "path", "must be an absolute path");
		if (sd->path[strlen(sd->path) - 1] == '/')
			return json_path_error(err, where, "path", "must name a device file");
		if (path_has_dotdot(sd->path))
			return json_path_error(err, where, "path", "must not contain \"..\"");
		if (sd->type != 'p' && (!json_object_get(d, "major") || !json_object_get(d, "minor")))
			return json_path_error(err, where, NULL,
					       "major and minor are required for type %c", sd->type);
		r = json_get_int64(d, "fileMode", where, 0, S_IFMT | 07777, &v, err);
		if (r < 0)
			return -1;
		if (r > 0 && device_mode_check(sd->type, (mode_t)v, where, err) < 0)
			return -1;
		if (r > 0) {
			sd->has_mode = true;
			sd->file_mode = (mode_t)v & 07777;
		}
		r = json_get_int64(d, "uid", where, 0, UINT32_MAX - 1, &v, err);
		if (r < 0)
			return -1;
		if (r > 0) {
			sd->has_uid = true;
			sd->uid = (uid_t)v;
		}
		r = json_get_int64(d, "gid", where, 0, UINT32_MAX - 1, &v, err);
		if (r < 0)
			return -1;
		if (r > 0) {
			sd->has_gid = true;
			sd->gid = (gid_t)v;
		}
	}
	return 0;
}

static int parse_propagation(const json_node *node, struct spec_linux *l,
			     struct hull_error *err)
{
	static const struct { const char *name; unsigned long flags; } props[] = {
		{ "shared", MS_SHARED }, { "rshared", MS_SHARED | MS_REC },
		{ "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
		{ "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
		{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
	};
	autofree char *p = NULL;

	if (json_get_string(node, "rootfsPropagation", "linux", &p, err) < 0)
		return -1;
	if (p == NULL || p[0] == '\0')
		return 0;
	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
		if (strcmp(p, props[i].name) == 0) {
			l->rootfs_propagation = props[i].flags;
			return 0;
		}
	return hull_error_set(err, EINVAL, "linux.rootfsPropagation: unknown value \"%s\"", p);
}

static int check_paths(char **paths, const char *what, struct hull_error *err)
{
	for (size_t i = 0; paths && paths[i]; i++)
		if (paths[i][0] != '/')
			return hull_error_set(err, EINVAL,
					      "linux.%s[%zu]: \"%s\" must be an absolute path",
					      what, i, paths[i]);
	return 0;
}

int spec_parse_linux(const json_node *node, const char *path,
		     struct spec_linux *l, struct hull_error *err)
{
	const json_node *sub;
	int r;

	if (parse_namespaces(node, path, l, err) < 0 ||
	    spec_parse_id_mappings(node, "uidMappings", "linux", &l->uid_mappings,
				   &l->n_uid_mappings, err) < 0 ||
	    spec_parse_id_mappings(node, "gidMappings", "linux", &l->gid_mappings,
				   &l->n_gid_mappings, err) < 0 ||
	    parse_time_offsets(node, l, err) < 0 || parse_devices(node, l, err) < 0 ||
	    json_get_string(node, "cgroupsPath", path, &l->cgroups_path, err) < 0 ||
	    parse_propagation(node, l, err) < 0 ||
	    json_get_string_map(node, "sysctl", path, &l->sysctl_keys,
				&l->sysctl_values, &l->n_sysctl, err) < 0 ||
	    json_get_string_array(node, "maskedPaths", path, &l->masked_paths,
				  &l->n_masked_paths, err) < 0 ||
	    json_get_string_array(node, "readonlyPaths", path, &l->readonly_paths,
				  &l->n_readonly_paths, err) < 0 ||
	    json_get_string(node, "mountLabel", path, &l->mount_label, err) < 0 ||
	    spec_parse_personality(node, l, err) < 0 ||
	    spec_parse_memory_policy(node, l, err) < 0 ||
	    spec_parse_net_devices(node, l, err) < 0 ||
	    check_paths(l->masked_paths, "maskedPaths", err) < 0 ||
	    check_paths(l->readonly_paths, "readonlyPaths", err) < 0)
		return -1;
	if (l->cgroups_path && strstr(l->cgroups_path, ".."))
		return hull_error_set(err, EINVAL,
				      "linux.cgroupsPath: \"%s\" must not contain \"..\"",
				      l->cgroups_path);
	r = json_get_object(node, "resources", path, &sub, err);
	if (r < 0)
		return -1;
	if (r > 0 && spec_resources_parse(sub, "linux.resources", &l->resources, err) < 0)
		return -1;
	r = json_get_object(node, "seccomp", path, &sub, err);
	if (r < 0)
		return -1;
	if (r > 0 && spec_parse_seccomp(sub, "linux.seccomp", &l->seccomp, err) < 0)
		return -1;
	r = json_get_object(node, "intelRdt", path, &sub, err);
	if (r < 0)
		return -1;
	if (r > 0 && json_object_size(sub) > 0)
		return hull_error_set(err, ENOTSUP,
				      "linux.intelRdt: Intel RDT is not supported by this runtime");
	return 0;
}
