/* `exec`: a new process inside a running container.
 *
 * This file only decides what to run: the process settings come from the
 * container's config.json (as saved at create), overridden by --process or
 * the flags, and the namespaces to join are the init's.  The process is
 * then started by the same spawn path as the container's init
 * (runtime/spawn.c, child.c, LAUNCH_EXEC), seccomp filter, listener and
 * clone3 fallback included. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "base/cleanup.h"
#include "runtime/backend_vm_exec.h"
#include "runtime/exec.h"
#include "base/fsutil.h"
#include "runtime/launch.h"
#include "runtime/lsm.h"
#include "runtime/seccomp.h"
#include "oci/spec.h"
#include "runtime/state.h"
#include "runtime/supervise.h"
#include "runtime/sync.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

struct exec_ctx {
	struct container *c;
	struct spec *spec;
	struct spec_process *proc;
	struct launch l;
	bool paused;                /* --ignore-paused into a paused container */
	bool vm;                /* a microVM container: backend_vm_exec.c */
};

/* Opens the container's namespace only when it differs from ours: setns
 * into one's own user namespace fails, and the others would be no-ops. */
static int open_ns(pid_t pid, const char *name, struct hull_error *err)
{
	char path[64], self[64];
	struct stat a, b;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, name);
	snprintf(self, sizeof(self), "/proc/self/ns/%s", name);
	if (stat(path, &a) < 0) {
		if (errno == ENOENT && strcmp(name, "time") == 0)
			return -1;
		return hull_error_errno(err, "exec: %s", path) ? -2 : -2;
	}
	if (stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hull_error_errno(err, "exec: open %s", path) ? -2 : -2;
	return fd;
}

static int add_caps(struct spec_caps *caps, char **names, struct hull_error *err)
{
	for (size_t i = 0; names && names[i]; i++) {
		int c = spec_cap_from_name(names[i]);

		if (c < 0)
			return hull_error_set(err, EINVAL, "--cap: unknown capability \"%s\"", names[i]);
		caps->set = true;
		caps->bounding |= 1ULL << c;
		caps->effective |= 1ULL << c;
		caps->permitted |= 1ULL << c;
		caps->inheritable |= 1ULL << c;
		caps->ambient |= 1ULL << c;
	}
	return 0;
}

static int strv_dup(char ***dst, size_t *n, char **src, size_t count)
{
	char **v = calloc(count + 1, sizeof(*v));

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < count; i++)
		if ((v[i] = strdup(src[i])) == NULL) {
			strv_free(v);
			return -1;
		}
	strv_free(*dst);
	*dst = v;
	if (n)
		*n = count;
	return 0;
}

/* env: the container's, with KEY=VALUE from --env replacing same keys. */
static int merge_env(struct spec_process *p, char **add, struct hull_error *err)
{
	for (size_t i = 0; add && add[i]; i++) {
		const char *eq = strchr(add[i], '=');
		size_t klen = eq ? (size_t)(eq - add[i]) : strlen(add[i]);
		char **nv;
		size_t j;

		if (eq == NULL)
			return hull_error_set(err, EINVAL, "--env: \"%s\" is not KEY=VALUE", add[i]);
		for (j = 0; j < p->n_env; j++)
			if (strncmp(p->env[j], add[i], klen) == 0 && p->env[j][klen] == '=')
				break;
		if (j < p->n_env) {
			free(p->env[j]);
			p->env[j] = strdup(add[i]);
			continue;
		}
		nv = realloc(p->env, (p->n_env + 2) * sizeof(char *));
		if (nv == NULL)
			return hull_error_errno(err, "realloc");
		p->env = nv;
		p->env[p->n_env++] = strdup(add[i]);
		p->env[p->n_env] = NULL;
	}
	return 0;
}

static char *strdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int override_lsm(struct spec_process *p, const struct exec_opts *o,
			struct hull_error *err)
{
	if (o->apparmor) {
		free(p->apparmor_profile);
		if ((p->apparmor_profile = strdup(o->apparmor)) == NULL)
			return hull_error_errno(err, "strdup");
	}
	if (o->process_label) {
		free(p->selinux_label);
		if ((p->selinux_label = strdup(o->process_label)) == NULL)
			return hull_error_errno(err, "strdup");
	}
	return 0;
}

/* The process to run: --process as given, else the container's process
 * with the flags applied (runc's rules). */
static int build_process(const struct exec_opts *o, struct exec_ctx *x,
			 struct hull_error *err)
{
	struct spec_process *base = x->spec->process;
	struct spec_process *p;

	if (o->process_file) {
		json_node *doc = NULL;
		int r;

		if (json_parse_file(o->process_file, &doc, err) < 0)
			return hull_error_prefix(err, "--process");
		r = spec_process_parse(doc, "process", &x->proc, err);
		json_free(doc);
		if (r < 0)
			return hull_error_prefix(err, "--process %s", o->process_file);
		return override_lsm(x->proc, o, err);
	}
	if (o->args == NULL || o->args[0] == NULL)
		return hull_error_set(err, EINVAL, "exec: no command given (ARGS or --process)");
	if (base == NULL)
		return hull_error_set(err, EINVAL, "exec: the container's config has no process");
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return hull_error_errno(err, "calloc");
	x->proc = p;
	*p = *base;
	/* Deep-copy the pointer members we keep or change. */
	p->env = NULL;
	p->args = NULL;
	p->cwd = strdup(o->cwd ? o->cwd : base->cwd);
	/* rlimits as the container's own process got them. */
	p->rlimits = calloc(base->n_rlimits + 1, sizeof(*p->rlimits));
	if (p->rlimits == NULL)
		return hull_error_errno(err, "calloc");
	memcpy(p->rlimits, base->rlimits, base->n_rlimits * sizeof(*p->rlimits));
	/* The container's LSM settings hold for its exec'd processes too
	 * (runc's rule), unless --apparmor / --process-label replace them. */
	p->apparmor_profile = strdup_or_null(o->apparmor ? o->apparmor : base->apparmor_profile);
	p->selinux_label = strdup_or_null(o->process_label ? o->process_label : base->selinux_label);
	p->exec_cpu_affinity_initial = strdup_or_null(base->exec_cpu_affinity_initial);
	p->exec_cpu_affinity_final = strdup_or_null(base->exec_cpu_affinity_final);
	p->user.additional_gids = NULL;
	p->user.n_additional_gids = 0;
	p->has_oom_score_adj = false;
	p->has_scheduler = false;
	p->has_io_priority = false;
	if (p->cwd == NULL || strv_dup(&p->env, &p->n_env, base->env, base->n_env) < 0)
		return hull_error_errno(err, "copying process");
	for (p->n_args = 0; o->args[p->n_args]; p->n_args++)
		;
	if (strv_dup(&p->args, NULL, o->args, p->n_args) < 0)
		return hull_error_errno(err, "copying args");
	p->terminal = o->tty;
	if (o->has_user) {
		p->user.uid = o->uid;
		p->user.gid = o->has_gid ? o->gid : 0;
	}
	if (o->n_additional_gids) {
		p->user.additional_gids = calloc(o->n_additional_gids, sizeof(gid_t));
		if (p->user.additional_gids == NULL)
			return hull_error_errno(err, "calloc");
		memcpy(p->user.additional_gids, o->additional_gids, o->n_additional_gids * sizeof(gid_t));
		p->user.n_additional_gids = o->n_additional_gids;
	}
	if (o->no_new_privs)
		p->no_new_privileges = true;
	if (p->cwd[0] != '/')
		return hull_error_set(err, EINVAL, "--cwd: \"%s\" must be an absolute path", p->cwd);
	if (merge_env(p, o->env, err) < 0 || add_caps(&p->caps, o->caps, err) < 0)
		return -1;
	return 0;
}

/* The container's namespaces, opened from its init's /proc/<pid>/ns. */
static int open_namespaces(struct exec_ctx *x, struct hull_error *err)
{
	/* /proc/<pid>/ns file names, by enum spec_ns_type. */
	static const char *const file[NS_COUNT] = {
		[NS_MOUNT] = "mnt", [NS_PID] = "pid", [NS_NET] = "net", [NS_IPC] = "ipc",
		[NS_UTS] = "uts", [NS_USER] = "user", [NS_CGROUP] = "cgroup", [NS_TIME] = "time",
	};

	for (int t = 0; t < NS_COUNT; t++) {
		x->l.ns_fd[t] = open_ns(x->c->pid, file[t], err);
		if (x->l.ns_fd[t] == -2) {
			x->l.ns_fd[t] = -1;
			return -1;
		}
	}
	return 0;
}

static int prepare(const struct exec_opts *o, struct exec_ctx *x,
		   struct hull_error *err)
{
	autofree char *cfg = NULL;
	json_node *doc = NULL;
	enum container_status st;
	struct launch *l = &x->l;
	int r;

	if (o->cgroup)
		return hull_error_set(err, ENOTSUP,
				      "--cgroup %s: running an exec'd process in a sub-cgroup is not supported; "
				      "it runs in the container's cgroup", o->cgroup);
	if (launch_check_preserved_fds(o->preserve_fds, err) < 0)
		return -1;
	if (container_load(o->root, o->id, &x->c, err) < 0)
		return -1;
	st = container_status(x->c);
	/* runc's rule: a paused container's new process would only sit
	 * frozen, so it is refused unless asked for. */
	if (st == STATUS_PAUSED && !o->ignore_paused)
		return hull_error_set(err, EINVAL,
				      "cannot exec in container \"%s\": it is paused (resume it, or pass --ignore-paused)",
				      o->id);
	x->paused = st == STATUS_PAUSED;
	if (st != STATUS_RUNNING && st != STATUS_CREATED && st != STATUS_PAUSED)
		return hull_error_set(err, EINVAL, "cannot exec in container \"%s\": it is %s",
				      o->id, container_status_name(st));
	/* The vm backend's pid is the monitor, in the host's namespaces:
	 * never joined; the process goes to the guest over vsock instead
	 * (runtime/backend_vm_exec.c), built from the same options. */
	x->vm = x->c->backend && strcmp(x->c->backend, "vm") == 0;
	if (x->vm && vm_exec_check(o, x->c, err) < 0)
		return -1;
	if (!x->vm && x->c->backend && strcmp(x->c->backend, "linux") != 0)
		return hull_error_set(err, ENOTSUP, "cannot exec in container \"%s\": backend \"%s\"",
				      o->id, x->c->backend);
	if (asprintf(&cfg, "%s/config.json", x->c->dir) < 0)
		return hull_error_errno(err, "asprintf");
	if (json_parse_file(cfg, &doc, err) < 0)
		return -1;
	r = spec_parse(doc, x->c->bundle, &x->spec, err);
	json_free(doc);
	if (r < 0 || build_process(o, x, err) < 0)
		return -1;
	if (x->proc->terminal && o->detach && o->console_socket == NULL)
		return hull_error_set(err, EINVAL, "exec --tty --detach needs --console-socket");
	if (x->vm)
		return 0;       /* the rest prepares a setns into host namespaces */
	l->spec = x->spec;
	l->process = x->proc;
	l->c = x->c;
	l->cgroup = x->c->cgroup;
	spec_caps_fit_kernel(&x->proc->caps, spec_caps_kernel_last());
	/* The same filter as the container's init, notify listener included. */
	if (x->spec->linux.seccomp &&
	    seccomp_compile(x->spec->linux.seccomp, &l->seccomp, err) < 0)
		return -1;
	if (strv_dup(&l->env, NULL, x->proc->env, x->proc->n_env) < 0)
		return hull_error_errno(err, "env");
	if (lsm_prepare(l, x->proc, err) < 0 || open_namespaces(x, err) < 0)
		return -1;
	/* The init must still be the same process now that its namespace
	 * files are open: a recycled pid would put us somewhere else. */
	if (!container_pid_alive(x->c))
		return hull_error_set(err, ESRCH, "container \"%s\" exited", o->id);
	l->no_new_keyring = true;
	l->preserve_fds = o->preserve_fds;
	l->tty_to_parent = o->console_socket == NULL;
	l->console_socket = o->console_socket;
	l->cpu_affinity_final = x->proc->exec_cpu_affinity_final;
	return 0;
}

static void release(struct exec_ctx *x)
{
	launch_release(&x->l);
	spec_process_free(x->proc);
	spec_free(x->spec);
	container_free(x->c);
}

int hull_exec(const struct exec_opts *o, int *status, struct hull_error *err)
{
	struct exec_ctx x;
	sigset_t all, old;
	int rc = -1;

	memset(&x, 0, sizeof(x));
	launch_init(&x.l, LAUNCH_EXEC);
	if (prepare(o, &x, err) < 0)
		goto out;
	if (x.vm) {
		rc = vm_exec_run(x.c, x.proc, o, status, err);
		goto out;
	}
	/* Into a paused container the child freezes as soon as it is in the
	 * cgroup, before it is ready: holding the lock until then would
	 * block the `resume` that thaws it.  The namespace fds are open and
	 * the init was checked alive, which is what the lock guarded. */
	if (x.paused && x.c->dir_fd >= 0) {
		close(x.c->dir_fd);
		x.c->dir_fd = -1;
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (container_spawn(&x.l, err) < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		goto out;
	}
	if (o->pid_file && fs_write_pid_file(o->pid_file, x.l.pid, err) < 0) {
		kill(x.l.pid, SIGKILL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		goto out;
	}
	/* Release the container lock while the process runs, so other
	 * commands (kill, another exec) are not blocked by a long exec. */
	if (x.c->dir_fd >= 0) {
		close(x.c->dir_fd);
		x.c->dir_fd = -1;
	}
	if (o->detach) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		*status = 0;
	} else {
		*status = supervise_process(x.l.pid, x.l.pidfd, x.l.pty_master, &old);
	}
	rc = 0;
out:
	if (x.l.pidfd >= 0)
		close(x.l.pidfd);
	if (x.l.pty_master >= 0)
		close(x.l.pty_master);
	release(&x);
	return rc;
}
