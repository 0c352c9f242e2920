/* The container child's last steps on itself: process attributes, then
 * identity (groups, uid/gid, capabilities), the program lookup and the fd
 * sweep before execve.  All values were resolved by spec parsing. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/close_range.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fsutil.h"
#include "base/warn.h"
#include "runtime/launch.h"

#ifndef IOPRIO_PRIO_VALUE
#define IOPRIO_PRIO_VALUE(cls, data) (((cls) << 13) | (data))
#endif

struct sched_attr_v1 {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

static int apply_scheduler(const struct spec_process *p, struct hull_error *err)
{
	struct sched_attr_v1 a = {
		.size = sizeof(a),
		.sched_policy = p->sched_policy,
		.sched_flags = p->sched_flags,
		.sched_nice = p->sched_nice,
		.sched_priority = (uint32_t)p->sched_priority,
		.sched_runtime = p->sched_runtime,
		.sched_deadline = p->sched_deadline,
		.sched_period = p->sched_period,
	};

	if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
		return hull_error_errno(err, "process.scheduler: sched_setattr");
	return 0;
}

int process_apply_settings(struct launch *l, const struct spec_process *p,
			   struct hull_error *err)
{
	/* The container-wide settings are the init's to make; an exec'd
	 * process finds them in place. */
	const struct spec *s = l->kind == LAUNCH_CREATE ? l->spec : NULL;

	if (s && s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		return hull_error_errno(err, "hostname: sethostname \"%s\"", s->hostname);
	if (s && s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
		return hull_error_errno(err, "domainname: setdomainname \"%s\"", s->domainname);
	if (s && s->linux.has_personality && personality(s->linux.personality) < 0)
		return hull_error_errno(err, "linux.personality");
	if (s && process_apply_memory_policy(&s->linux, err) < 0)
		return -1;
	for (size_t i = 0; i < p->n_rlimits; i++) {
		struct rlimit rl = {
			.rlim_cur = p->rlimits[i].soft == UINT64_MAX ? RLIM_INFINITY : p->rlimits[i].soft,
			.rlim_max = p->rlimits[i].hard == UINT64_MAX ? RLIM_INFINITY : p->rlimits[i].hard,
		};

		if (setrlimit(p->rlimits[i].resource, &rl) < 0)
			return hull_error_errno(err, "process.rlimits[%zu]: setrlimit", i);
	}
	if (p->has_oom_score_adj) {
		char buf[16];
		int n = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);

		if (fs_write_file("/proc/self/oom_score_adj", buf, (size_t)n, err) < 0)
			return hull_error_prefix(err, "process.oomScoreAdj");
	}
	if (p->has_io_priority &&
	    syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0,
		    IOPRIO_PRIO_VALUE(p->io_priority_class, p->io_priority)) < 0)
		return hull_error_errno(err, "process.ioPriority: ioprio_set");
	if (p->has_scheduler && apply_scheduler(p, err) < 0)
		return -1;
	/* A fresh session keyring, so the container cannot see the host's
	 * keys (runc does the same unless --no-new-keyring). */
	if (!l->no_new_keyring &&
	    syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, l->c ? l->c->id : NULL) < 0 &&
	    errno != ENOSYS)
		return hull_error_errno(err, "joining a new session keyring");
	return 0;
}

/* Dropping from the bounding set needs CAP_SETPCAP in the effective set,
 * which a change to a non-zero uid clears: so it runs before setresuid. */
static int drop_bounding(const struct spec_caps *c, struct hull_error *err)
{
	for (int i = 0; i <= CAP_LAST_CAP; i++)
		if (!(c->bounding & (1ULL << i)) && cap_drop_bound(i) < 0 && errno != EINVAL)
			return hull_error_errno(err, "process.capabilities.bounding: drop %d", i);
	return 0;
}

static int set_caps(const struct spec_caps *c, uint64_t extra, struct hull_error *err)
{
	cap_t caps;
	cap_value_t list[CAP_LAST_CAP + 1];

	caps = cap_init();
	if (caps == NULL)
		return hull_error_errno(err, "cap_init");
	for (int set = 0; set < 3; set++) {
		static const cap_flag_t flags[] = { CAP_EFFECTIVE, CAP_PERMITTED, CAP_INHERITABLE };
		uint64_t mask = set == 0 ? c->effective | extra :
				set == 1 ? c->permitted | extra : c->inheritable;
		int n = 0;

		for (int i = 0; i <= CAP_LAST_CAP; i++)
			if (mask & (1ULL << i))
				list[n++] = i;
		if (n && cap_set_flag(caps, flags[set], n, list, CAP_SET) < 0) {
			cap_free(caps);
			return hull_error_errno(err, "cap_set_flag");
		}
	}
	if (cap_set_proc(caps) < 0) {
		cap_free(caps);
		return hull_error_errno(err, "process.capabilities: capset");
	}
	cap_free(caps);
	/* spec_caps_fit_kernel left out what cannot be raised; anything the
	 * kernel still refuses (securebits) is a warning, as in runc. */
	for (int i = 0; i <= CAP_LAST_CAP; i++)
		if ((c->ambient & (1ULL << i)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0)
			hull_warn("process.capabilities.ambient: cannot raise %s: %s",
				  spec_cap_name(i) ? spec_cap_name(i) : "?", strerror(errno));
	return 0;
}

/* Makes CAP_SYS_ADMIN effective again after a uid change cleared the
 * effective set (it stays permitted: PR_SET_KEEPCAPS). */
static int raise_sys_admin(struct hull_error *err)
{
	cap_value_t v = CAP_SYS_ADMIN;
	cap_t caps = cap_get_proc();
	int r;

	if (caps == NULL)
		return hull_error_errno(err, "cap_get_proc");
	r = cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
	if (r == 0)
		r = cap_set_proc(caps);
	cap_free(caps);
	if (r < 0)
		return hull_error_errno(err, "keeping CAP_SYS_ADMIN for the seccomp filter");
	return 0;
}

/* A user namespace whose setgroups file says "deny" (rootless) refuses
 * setgroups(2) to everyone: then, and only with no additionalGids to
 * apply, the failure changes nothing the config asked for.  Anywhere
 * else a failing setgroups would leave the runtime's own groups to the
 * process. */
static bool setgroups_denied(void)
{
	char buf[16] = "";
	autoclose int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) < 0)
		return false;
	return strncmp(buf, "deny", 4) == 0;
}

int process_apply_identity(const struct spec_process *p, bool keep_sys_admin,
			   struct hull_error *err)
{
	const struct spec_user *u = &p->user;
	uint64_t extra = keep_sys_admin ? 1ULL << CAP_SYS_ADMIN : 0;

	/* Keep capabilities across the uid change; the capset below decides
	 * what remains. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return hull_error_errno(err, "prctl(PR_SET_KEEPCAPS)");
	if (p->caps.set && drop_bounding(&p->caps, err) < 0)
		return -1;
	if (setgroups(u->n_additional_gids, u->additional_gids) < 0 &&
	    !(errno == EPERM && setgroups_denied() && u->n_additional_gids == 0))
		return hull_error_errno(err, "process.user.additionalGids: setgroups");
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return hull_error_errno(err, "process.user.gid: setresgid(%u)", u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return hull_error_errno(err, "process.user.uid: setresuid(%u)", u->uid);
	/* Without no_new_privs, installing the seccomp filter needs
	 * CAP_SYS_ADMIN, and it is installed last, just before execve (so no
	 * syscall of ours runs under the container's filter).  Keep it
	 * effective until then: execve recomputes the capability sets from
	 * the bounding, inheritable and ambient sets set here (root: bounding
	 * | inheritable; any other uid: ambient), so it is gone in the
	 * process unless the config grants it. */
	if (p->caps.set && set_caps(&p->caps, extra, err) < 0)
		return -1;
	if (!p->caps.set && keep_sys_admin && u->uid != 0 && raise_sys_admin(err) < 0)
		return -1;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return hull_error_errno(err, "prctl(PR_SET_KEEPCAPS)");
	if (u->has_umask)
		umask(u->umask);
	return 0;
}

int process_set_affinity(pid_t pid, const char *list, struct hull_error *err)
{
	cpu_set_t set;

	if (spec_cpu_list_parse(list, "cpu list", &set, err) < 0)
		return -1;
	if (sched_setaffinity(pid, sizeof(set), &set) < 0)
		return hull_error_errno(err, "sched_setaffinity %s", list);
	return 0;
}

static const char *env_get(char **env, const char *key)
{
	size_t n = strlen(key);

	for (char **e = env; e && *e; e++)
		if (strncmp(*e, key, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static bool is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int process_resolve_exe(const struct spec_process *p, char **env, char **out,
			struct hull_error *err)
{
	const char *name = p->args[0];
	const char *path_env;
	char buf[PATH_MAX];

	if (strchr(name, '/')) {
		if (!is_executable(name))
			return hull_error_errno(err, "process.args[0]: %s", name);
		*out = strdup(name);
		return *out ? 0 : hull_error_errno(err, "strdup");
	}
	path_env = env_get(env, "PATH");
	if (path_env == NULL)
		path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (const char *dir = path_env; ; ) {
		const char *colon = strchr(dir, ':');
		size_t len = colon ? (size_t)(colon - dir) : strlen(dir);

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, len ? dir : ".", name);
		if (is_executable(buf)) {
			*out = strdup(buf);
			return *out ? 0 : hull_error_errno(err, "strdup");
		}
		if (colon == NULL)
			break;
		dir = colon + 1;
	}
	return hull_error_set(err, ENOENT,
			      "process.args[0]: executable \"%s\" not found in $PATH (%s)",
			      name, path_env);
}

int process_close_fds(int keep_upto, struct hull_error *err)
{
	/* CVE-2024-21626: no fd of the runtime may reach the container.
	 * Mark everything above stdio and the preserved fds close-on-exec;
	 * the fds still needed until execve (the fifo) keep working. */
	if (syscall(SYS_close_range, (unsigned int)keep_upto + 1, ~0U,
		    CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	for (int fd = keep_upto + 1; fd < 65536; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	(void)err;
	return 0;
}
