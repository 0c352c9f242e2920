/* config.json "process": args, env, user, capabilities, rlimits and the
 * scheduling knobs.  Names are resolved to numbers here so the container
 * child only applies values. */
#include "oci/spec.h"

#include <errno.h>
#include <limits.h>
#include <linux/ioprio.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "base/cleanup.h"

static const struct {
	const char *name;
	int value;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },         { "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },       { "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },   { "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },     { "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },   { "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

int spec_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++)
		if (strcmp(rlimit_names[i].name, name) == 0)
			return rlimit_names[i].value;
	return -1;
}

const char *const spec_default_caps[] = {
	"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL,
};

void spec_gen_default_process_security(json_gen *g)
{
	json_gen_key(g, "capabilities");
	json_gen_object_open(g);
	json_gen_kv_strv(g, "bounding", spec_default_caps);
	json_gen_kv_strv(g, "effective", spec_default_caps);
	json_gen_kv_strv(g, "permitted", spec_default_caps);
	json_gen_object_close(g);
	json_gen_key(g, "rlimits");
	json_gen_array_open(g);
	json_gen_object_open(g);
	json_gen_kv_string(g, "type", "RLIMIT_NOFILE");
	json_gen_kv_int(g, "hard", 1024);
	json_gen_kv_int(g, "soft", 1024);
	json_gen_object_close(g);
	json_gen_array_close(g);
	json_gen_kv_bool(g, "noNewPrivileges", true);
}

static int parse_rlimits(const json_node *proc, const char *path,
			 struct spec_process *p, struct hull_error *err)
{
	const json_node *arr;
	int r = json_get_array(proc, "rlimits", path, &arr, err);
	char base[64];

	if (r <= 0)
		return r;
	snprintf(base, sizeof(base), "%s.rlimits", path);
	p->n_rlimits = json_array_len(arr);
	p->rlimits = calloc(p->n_rlimits ? p->n_rlimits : 1, sizeof(*p->rlimits));
	if (p->rlimits == NULL)
		return hull_error_errno(err, "calloc");
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const json_node *rl = json_array_get(arr, i);
		autofree char *type = NULL;
		char where[96];

		json_path_index(where, sizeof(where), base, i);
		if (json_type_of(rl) != JSON_OBJECT)
			return json_path_error(err, where, NULL, "expected an object");
		if (json_get_string(rl, "type", where, &type, err) < 0 ||
		    json_get_uint64(rl, "soft", where, UINT64_MAX, &p->rlimits[i].soft, err) < 0 ||
		    json_get_uint64(rl, "hard", where, UINT64_MAX, &p->rlimits[i].hard, err) < 0)
			return -1;
		if (type == NULL)
			return json_path_error(err, where, "type", "missing");
		p->rlimits[i].resource = spec_rlimit_from_name(type);
		if (p->rlimits[i].resource < 0)
			return json_path_error(err, where, "type", "unknown rlimit \"%s\"", type);
		if (p->rlimits[i].soft > p->rlimits[i].hard)
			return json_path_error(err, where, "soft",
					       "soft limit is above the hard limit");
		for (size_t j = 0; j < i; j++)
			if (p->rlimits[j].resource == p->rlimits[i].resource)
				return json_path_error(err, where, "type",
						       "rlimit \"%s\" given twice", type);
	}
	return 0;
}

static int parse_user(const json_node *proc, const char *path,
		      struct spec_user *u, struct hull_error *err)
{
	const json_node *user, *gids;
	int64_t v = 0;
	char where[64];
	int r = json_get_object(proc, "user", path, &user, err);

	if (r < 0)
		return -1;
	if (r == 0)
		return 0;
	snprintf(where, sizeof(where), "%s.user", path);
	if (json_get_int64(user, "uid", where, 0, UINT32_MAX - 1, &v, err) < 0)
		return -1;
	u->uid = (uid_t)v;
	v = 0;
	if (json_get_int64(user, "gid", where, 0, UINT32_MAX - 1, &v, err) < 0)
		return -1;
	u->gid = (gid_t)v;
	r = json_get_int64(user, "umask", where, 0, 0777, &v, err);
	if (r < 0)
		return -1;
	if (r > 0) {
		u->has_umask = true;
		u->umask = (mode_t)v;
	}
	r = json_get_array(user, "additionalGids", where, &gids, err);
	if (r < 0)
		return -1;
	if (r > 0) {
		u->n_additional_gids = json_array_len(gids);
		u->additional_gids = calloc(u->n_additional_gids + 1, sizeof(gid_t));
		if (u->additional_gids == NULL)
			return hull_error_errno(err, "calloc");
		for (size_t i = 0; i < u->n_additional_gids; i++) {
			int64_t g;

			if (json_number_int64(json_array_get(gids, i), &g) < 0 ||
			    g < 0 || g >= UINT32_MAX)
				return hull_error_set(err, EINVAL,
						      "%s.additionalGids[%zu]: expected a gid", where, i);
			u->additional_gids[i] = (gid_t)g;
		}
	}
	return 0;
}

static int parse_io_priority(const json_node *proc, const char *path,
			     struct spec_process *p, struct hull_error *err)
{
	static const char *const classes[] = {
		[IOPRIO_CLASS_RT] = "IOPRIO_CLASS_RT",
		[IOPRIO_CLASS_BE] = "IOPRIO_CLASS_BE",
		[IOPRIO_CLASS_IDLE] = "IOPRIO_CLASS_IDLE",
	};
	const json_node *io;
	autofree char *cls = NULL;
	int64_t prio = 0;
	char where[64];
	int r = json_get_object(proc, "ioPriority", path, &io, err);

	if (r <= 0)
		return r;
	snprintf(where, sizeof(where), "%s.ioPriority", path);
	if (json_get_string(io, "class", where, &cls, err) < 0 ||
	    json_get_int64(io, "priority", where, 0, 7, &prio, err) < 0)
		return -1;
	if (cls == NULL)
		return json_path_error(err, where, "class", "missing");
	p->io_priority_class = -1;
	for (int i = IOPRIO_CLASS_RT; i <= IOPRIO_CLASS_IDLE; i++)
		if (strcmp(cls, classes[i]) == 0)
			p->io_priority_class = i;
	if (p->io_priority_class < 0)
		return json_path_error(err, where, "class", "unknown class \"%s\"", cls);
	p->io_priority = (int)prio;
	p->has_io_priority = true;
	return 0;
}

int spec_cpu_list_parse(const char *list, const char *what, void *out,
			struct hull_error *err)
{
	cpu_set_t *set = out;
	const char *s = list;

	CPU_ZERO(set);
	if (*s == '\0')
		return hull_error_set(err, EINVAL, "%s: empty cpu list", what);
	while (*s) {
		char *end;
		unsigned long a, b;

		if (*s < '0' || *s > '9')
			return hull_error_set(err, EINVAL, "%s: \"%s\" is not a cpu list", what, list);
		a = b = strtoul(s, &end, 10);
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return hull_error_set(err, EINVAL, "%s: \"%s\" is not a cpu list", what, list);
			b = strtoul(end + 1, &end, 10);
		}
		if (b < a || b >= CPU_SETSIZE)
			return hull_error_set(err, EINVAL, "%s: bad cpu range in \"%s\"", what, list);
		for (unsigned long c = a; c <= b; c++)
			CPU_SET(c, set);
		if (*end == ',' && end[1] != '\0')
			end++;
		else if (*end != '\0')
			return hull_error_set(err, EINVAL, "%s: \"%s\" is not a cpu list", what, list);
		s = end;
	}
	return 0;
}

static int parse_exec_cpu_affinity(const json_node *proc, const char *path,
				   struct spec_process *p, struct hull_error *err)
{
	const json_node *a;
	char where[64];
	cpu_set_t set;
	int r = json_get_object(proc, "execCPUAffinity", path, &a, err);

	if (r <= 0)
		return r;
	json_path_join(where, sizeof(where), path, "execCPUAffinity");
	if (json_get_string(a, "initial", where, &p->exec_cpu_affinity_initial, err) < 0 ||
	    json_get_string(a, "final", where, &p->exec_cpu_affinity_final, err) < 0)
		return -1;
	/* "If omitted or empty" final leaves the affinity to the kernel. */
	if (p->exec_cpu_affinity_final && p->exec_cpu_affinity_final[0] == '\0') {
		free(p->exec_cpu_affinity_final);
		p->exec_cpu_affinity_final = NULL;
	}
	if (p->exec_cpu_affinity_initial && p->exec_cpu_affinity_initial[0] == '\0') {
		free(p->exec_cpu_affinity_initial);
		p->exec_cpu_affinity_initial = NULL;
	}
	if (p->exec_cpu_affinity_initial) {
		char w[96];

		snprintf(w, sizeof(w), "%s.initial", where);
		if (spec_cpu_list_parse(p->exec_cpu_affinity_initial, w, &set, err) < 0)
			return -1;
	}
	if (p->exec_cpu_affinity_final) {
		char w[96];

		snprintf(w, sizeof(w), "%s.final", where);
		if (spec_cpu_list_parse(p->exec_cpu_affinity_final, w, &set, err) < 0)
			return -1;
	}
	return 0;
}

int spec_parse_process(const json_node *node, const char *path,
		       struct spec_process *p, struct hull_error *err)
{
	const json_node *cs;
	int64_t v;
	int r;

	if (json_get_bool(node, "terminal", path, &p->terminal, err) < 0 ||
	    json_get_string(node, "cwd", path, &p->cwd, err) < 0 ||
	    json_get_string_array(node, "env", path, &p->env, &p->n_env, err) < 0 ||
	    json_get_string_array(node, "args", path, &p->args, &p->n_args, err) < 0 ||
	    json_get_bool(node, "noNewPrivileges", path, &p->no_new_privileges, err) < 0 ||
	    json_get_string(node, "apparmorProfile", path, &p->apparmor_profile, err) < 0 ||
	    json_get_string(node, "selinuxLabel", path, &p->selinux_label, err) < 0 ||
	    parse_user(node, path, &p->user, err) < 0 ||
	    spec_parse_caps(node, path, &p->caps, err) < 0 ||
	    parse_rlimits(node, path, p, err) < 0 ||
	    parse_io_priority(node, path, p, err) < 0 ||
	    spec_parse_scheduler(node, path, p, err) < 0 ||
	    parse_exec_cpu_affinity(node, path, p, err) < 0)
		return -1;
	r = json_get_object(node, "consoleSize", path, &cs, err);
	if (r < 0)
		return -1;
	if (r > 0) {
		char where[64];

		snprintf(where, sizeof(where), "%s.consoleSize", path);
		v = 0;
		if (json_get_int64(cs, "height", where, 0, 65535, &v, err) < 0)
			return -1;
		p->console_height = (unsigned int)v;
		v = 0;
		if (json_get_int64(cs, "width", where, 0, 65535, &v, err) < 0)
			return -1;
		p->console_width = (unsigned int)v;
	}
	r = json_get_int64(node, "oomScoreAdj", path, -1000, 1000, &v, err);
	if (r < 0)
		return -1;
	if (r > 0) {
		p->has_oom_score_adj = true;
		p->oom_score_adj = (int)v;
	}
	if (p->cwd == NULL || p->cwd[0] != '/')
		return json_path_error(err, path, "cwd", "must be an absolute path");
	if (p->n_args == 0)
		return json_path_error(err, path, "args", "must name the program to run");
	for (size_t i = 0; i < p->n_env; i++)
		if (strchr(p->env[i], '=') == NULL)
			return hull_error_set(err, EINVAL,
					      "%s.env[%zu]: \"%s\" is not of the form KEY=value",
					      path, i, p->env[i]);
	return 0;
}

int spec_process_parse(const json_node *node, const char *path,
		       struct spec_process **out, struct hull_error *err)
{
	struct spec_process *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return hull_error_errno(err, "calloc");
	if (json_type_of(node) != JSON_OBJECT) {
		free(p);
		return hull_error_set(err, EINVAL, "%s: expected an object", path);
	}
	if (spec_parse_process(node, path, p, err) < 0) {
		spec_process_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

static void default_mount(json_gen *g, const char *dst, const char *type,
			  const char *src, const char *const *opts)
{
	json_gen_object_open(g);
	json_gen_kv_string(g, "destination", dst);
	json_gen_kv_string(g, "type", type);
	json_gen_kv_string(g, "source", src);
	json_gen_kv_strv(g, "options", opts);
	json_gen_object_close(g);
}

void spec_gen_default_mounts(json_gen *g, bool rootless)
{
	static const char *const none[] = { NULL };
	static const char *const dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
	static const char *const pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
	static const char *const pts_rootless[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL };
	static const char *const shm[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
	static const char *const mq[] = { "nosuid", "noexec", "nodev", NULL };
	static const char *const sys[] = { "nosuid", "noexec", "nodev", "ro", NULL };
	static const char *const sys_rootless[] = { "rbind", "nosuid", "noexec", "nodev", "ro", NULL };
	static const char *const cg[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };

	json_gen_key(g, "mounts");
	json_gen_array_open(g);
	default_mount(g, "/proc", "proc", "proc", none);
	default_mount(g, "/dev", "tmpfs", "tmpfs", dev);
	default_mount(g, "/dev/pts", "devpts", "devpts", rootless ? pts_rootless : pts);
	default_mount(g, "/dev/shm", "tmpfs", "shm", shm);
	default_mount(g, "/dev/mqueue", "mqueue", "mqueue", mq);
	if (rootless) {
		default_mount(g, "/sys", "none", "/sys", sys_rootless);
	} else {
		default_mount(g, "/sys", "sysfs", "sysfs", sys);
		default_mount(g, "/sys/fs/cgroup", "cgroup", "cgroup", cg);
	}
	json_gen_array_close(g);
}

void spec_gen_default_linux(json_gen *g, bool rootless)
{
	static const char *const masked[] = {
		"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
		"/proc/sched_debug", "/sys/firmware", "/proc/scsi", NULL,
	};
	static const char *const ro[] = {
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
	};
	static const char *const ns[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", NULL };
	static const char *const ns_rootless[] = { "pid", "ipc", "uts", "mount", "cgroup", "user", NULL };

	json_gen_key(g, "linux");
	json_gen_object_open(g);
	if (rootless) {
		for (int i = 0; i < 2; i++) {
			json_gen_key(g, i == 0 ? "uidMappings" : "gidMappings");
			json_gen_array_open(g);
			json_gen_object_open(g);
			json_gen_kv_int(g, "containerID", 0);
			json_gen_kv_int(g, "hostID", i == 0 ? getuid() : getgid());
			json_gen_kv_int(g, "size", 1);
			json_gen_object_close(g);
			json_gen_array_close(g);
		}
	} else {
		json_gen_key(g, "resources");
		json_gen_object_open(g);
		json_gen_key(g, "devices");
		json_gen_array_open(g);
		json_gen_object_open(g);
		json_gen_kv_bool(g, "allow", false);
		json_gen_kv_string(g, "access", "rwm");
		json_gen_object_close(g);
		json_gen_array_close(g);
		json_gen_object_close(g);
	}
	json_gen_key(g, "namespaces");
	json_gen_array_open(g);
	for (const char *const *n = rootless ? ns_rootless : ns; *n; n++) {
		json_gen_object_open(g);
		json_gen_kv_string(g, "type", *n);
		json_gen_object_close(g);
	}
	json_gen_array_close(g);
	json_gen_kv_strv(g, "maskedPaths", masked);
	json_gen_kv_strv(g, "readonlyPaths", ro);
	json_gen_object_close(g);
}
