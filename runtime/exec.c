/* `exec`: a new process inside a running container.
 *
 * The parent opens the container init's namespace files, enters the
 * pid/time namespaces "for children" around a clone3 that lands the child
 * in the container's cgroup, and the child joins the rest (user first:
 * joining the others needs privilege in it; mount last: it resets our root
 * and cwd).  The process settings come from the container's config.json
 * (as saved at create), overridden by --process or the flags. */
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
#include "runtime/exec.h"
#include "base/fsutil.h"
#include "runtime/launch.h"
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

/* Namespace files of /proc/<pid>/ns, in join order for the child. */
static const struct {
	const char *file;
	int flag;
} ns_order[] = {
	{ "user", CLONE_NEWUSER }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
	{ "net", CLONE_NEWNET }, { "cgroup", CLONE_NEWCGROUP }, { "mnt", CLONE_NEWNS },
};

struct exec_ctx {
	struct container *c;
	struct spec *spec;
	struct spec_process *proc;
	struct seccomp_prog *seccomp;
	char **env;
	int ns_fd[6];               /* ns_order; -1 when shared with us */
	int pid_ns_fd, time_ns_fd;
	bool tty;
	int preserve_fds;
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
		return 0;
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
	p->apparmor_profile = p->selinux_label = NULL;
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

static int child_join(struct exec_ctx *x, struct hull_error *err)
{
	for (size_t i = 0; i < sizeof(ns_order) / sizeof(ns_order[0]); i++) {
		if (x->ns_fd[i] < 0)
			continue;
		if (setns(x->ns_fd[i], ns_order[i].flag) < 0)
			return hull_error_errno(err, "exec: joining %s namespace", ns_order[i].file);
		close(x->ns_fd[i]);
		x->ns_fd[i] = -1;
	}
	/* A new user namespace starts us without ids; be its root before the
	 * identity switch picks the process's user. */
	return 0;
}

__attribute__((noreturn)) static void exec_child(struct exec_ctx *x, int sock)
{
	struct hull_error err = { 0 };
	struct spec_process *p = x->proc;
	const struct seccomp_prog *sc = x->seccomp;
	struct launch l;
	sigset_t none;
	char *exe = NULL;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* CVE-2019-5736: not dumpable while we are still the runtime inside
	 * the container's namespaces; execve resets it. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (x->c->dir_fd >= 0)
		close(x->c->dir_fd);
	memset(&l, 0, sizeof(l));
	l.no_new_keyring = true;
	if (sync_expect(sock, SYNC_GO, NULL, &err) < 0)
		_exit(1);
	if (child_join(x, &err) < 0)
		goto fail;
	if (p->terminal) {
		if (process_setup_tty(sock, false, p, &err) < 0)
			goto fail;
	}
	if (process_env_add_home(&x->env, p->user.uid, &err) < 0 ||
	    process_apply_settings(&l, p, &err) < 0 ||
	    process_apply_identity(p, (sc && !p->no_new_privileges && !sc->notify) ? sc : NULL, &err) < 0)
		goto fail;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		hull_error_errno(&err, "noNewPrivileges");
		goto fail;
	}
	if (chdir(p->cwd) < 0) {
		hull_error_errno(&err, "exec: chdir %s", p->cwd);
		goto fail;
	}
	{
		char buf[4096];

		/* CVE-2024-21626: the cwd must be inside the container. */
		if (getcwd(buf, sizeof(buf)) == NULL || buf[0] != '/') {
			hull_error_set(&err, EPERM, "exec: cwd %s is outside the container", p->cwd);
			goto fail;
		}
	}
	if (process_resolve_exe(p, x->env, &exe, &err) < 0)
		goto fail;
	if (sc && p->no_new_privileges && !sc->notify && seccomp_install(sc, NULL, &err) < 0)
		goto fail;
	for (int fd = 3; fd < 3 + x->preserve_fds; fd++)
		fcntl(fd, F_SETFD, 0);
	process_close_fds(2 + x->preserve_fds, &err);
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (sync_send(sock, SYNC_READY, -1, &err) < 0)
		_exit(1);
	execve(exe, p->args, x->env);
	dprintf(2, "hull: exec %s: %s\n", exe, strerror(errno));
	_exit(127);
fail:
	sync_send_error(sock, &err);
	_exit(1);
}

static pid_t clone_into(int cgroup_fd, int *pidfd)
{
	struct clone_args args;

	memset(&args, 0, sizeof(args));
	args.flags = CLONE_PIDFD;
	args.pidfd = (uint64_t)(uintptr_t)pidfd;
	args.exit_signal = SIGCHLD;
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
	}
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/* Parent: clone, cgroup, GO, pty, READY. */
static int spawn(const struct exec_opts *o, struct exec_ctx *x, pid_t *pid_out,
		 int *pidfd_out, int *pty_out, struct hull_error *err)
{
	int sv[2];
	int pidfd = -1, cgfd, self_pid = -1, self_time = -1;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return hull_error_errno(err, "socketpair");
	/* pid and time namespaces apply to children: enter them just around
	 * the clone and leave again. */
	if (x->pid_ns_fd >= 0) {
		self_pid = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (setns(x->pid_ns_fd, CLONE_NEWPID) < 0)
			hull_error_errno(err, "exec: joining pid namespace");
	}
	if (!err->set && x->time_ns_fd >= 0) {
		self_time = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
		if (setns(x->time_ns_fd, CLONE_NEWTIME) < 0)
			hull_error_errno(err, "exec: joining time namespace");
	}
	cgfd = x->c->cgroup ? cgroup_clone_fd(x->c->cgroup) : -1;
	pid = err->set ? -1 : clone_into(cgfd, &pidfd);
	if (pid == 0) {
		close(sv[0]);
		exec_child(x, sv[1]);
	}
	if (self_pid >= 0) {
		setns(self_pid, CLONE_NEWPID);
		close(self_pid);
	}
	if (self_time >= 0) {
		setns(self_time, CLONE_NEWTIME);
		close(self_time);
	}
	if (cgfd >= 0)
		close(cgfd);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return err->set ? -1 : hull_error_errno(err, "exec: clone");
	}
	if (cgfd < 0 && x->c->cgroup && cgroup_enter(x->c->cgroup, pid, err) < 0)
		goto fail;
	if (sync_send(sv[0], SYNC_GO, -1, err) < 0)
		goto fail;
	for (;;) {
		struct sync_packet pk;
		int fd = -1;

		if (sync_recv(sv[0], &pk, &fd, err) < 0) {
			if (err->code == EPIPE) {
				hull_error_clear(err);
				hull_error_set(err, EPIPE, "exec: process exited during setup");
			}
			goto fail;
		}
		if (pk.type == SYNC_PTY) {
			if (o->console_socket == NULL && o->detach) {
				close(fd);
				hull_error_set(err, EINVAL, "exec --tty --detach needs --console-socket");
				goto fail;
			}
			if (terminal_hand_over(fd, o->console_socket == NULL, o->console_socket,
					       pty_out, err) < 0)
				goto fail;
		} else if (pk.type == SYNC_READY) {
			break;
		} else if (pk.type == SYNC_ERROR) {
			pk.err.msg[sizeof(pk.err.msg) - 1] = '\0';
			*err = pk.err;
			err->set = true;
			goto fail;
		} else {
			if (fd >= 0)
				close(fd);
			hull_error_set(err, EPROTO, "exec: unexpected message %d", pk.type);
			goto fail;
		}
	}
	close(sv[0]);
	*pid_out = pid;
	*pidfd_out = pidfd;
	return 0;
fail:
	close(sv[0]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (pidfd >= 0)
		close(pidfd);
	if (*pty_out >= 0)
		close(*pty_out);
	*pty_out = -1;
	return -1;
}

static int prepare(const struct exec_opts *o, struct exec_ctx *x,
		   struct hull_error *err)
{
	autofree char *cfg = NULL;
	json_node *doc = NULL;
	enum container_status st;
	int r;

	if (container_load(o->root, o->id, &x->c, err) < 0)
		return -1;
	st = container_status(x->c);
	if (st != STATUS_RUNNING && st != STATUS_CREATED)
		return hull_error_set(err, EINVAL, "cannot exec in container \"%s\": it is %s",
				      o->id, container_status_name(st));
	/* The vm backend's pid is the monitor, in the host's namespaces:
	 * joining those would run the process outside the sandbox. */
	if (x->c->backend && strcmp(x->c->backend, "linux") != 0)
		return hull_error_set(err, ENOTSUP,
				      "cannot exec in container \"%s\": it runs in a microVM, "
				      "and exec into a VM is not supported yet", o->id);
	if (asprintf(&cfg, "%s/config.json", x->c->dir) < 0)
		return hull_error_errno(err, "asprintf");
	if (json_parse_file(cfg, &doc, err) < 0)
		return -1;
	r = spec_parse(doc, x->c->bundle, &x->spec, err);
	json_free(doc);
	if (r < 0 || build_process(o, x, err) < 0)
		return -1;
	spec_caps_fit_kernel(&x->proc->caps, spec_caps_kernel_last());
	if (x->spec->linux.seccomp &&
	    seccomp_compile(x->spec->linux.seccomp, &x->seccomp, err) < 0)
		return -1;
	if (strv_dup(&x->env, NULL, x->proc->env, x->proc->n_env) < 0)
		return hull_error_errno(err, "env");
	for (size_t i = 0; i < sizeof(ns_order) / sizeof(ns_order[0]); i++) {
		x->ns_fd[i] = open_ns(x->c->pid, ns_order[i].file, err);
		if (x->ns_fd[i] == -2)
			return -1;
	}
	x->pid_ns_fd = open_ns(x->c->pid, "pid", err);
	x->time_ns_fd = open_ns(x->c->pid, "time", err);
	if (x->pid_ns_fd == -2 || x->time_ns_fd == -2)
		return -1;
	/* The init must still be the same process now that its namespace
	 * files are open: a recycled pid would put us somewhere else. */
	if (!container_pid_alive(x->c))
		return hull_error_set(err, ESRCH, "container \"%s\" exited", o->id);
	x->tty = x->proc->terminal;
	x->preserve_fds = o->preserve_fds;
	return 0;
}

static void release(struct exec_ctx *x)
{
	for (size_t i = 0; i < sizeof(ns_order) / sizeof(ns_order[0]); i++)
		if (x->ns_fd[i] >= 0)
			close(x->ns_fd[i]);
	if (x->pid_ns_fd >= 0)
		close(x->pid_ns_fd);
	if (x->time_ns_fd >= 0)
		close(x->time_ns_fd);
	seccomp_prog_free(x->seccomp);
	strv_free(x->env);
	spec_process_free(x->proc);
	spec_free(x->spec);
	container_free(x->c);
}

int hull_exec(const struct exec_opts *o, int *status, struct hull_error *err)
{
	struct exec_ctx x;
	sigset_t all, old;
	pid_t pid = -1;
	int pidfd = -1, pty = -1, rc = -1;

	memset(&x, 0, sizeof(x));
	for (size_t i = 0; i < 6; i++)
		x.ns_fd[i] = -1;
	x.pid_ns_fd = x.time_ns_fd = -1;
	for (int fd = 3; fd < 3 + o->preserve_fds; fd++)
		if (fcntl(fd, F_GETFD) < 0) {
			hull_error_set(err, EBADF, "--preserve-fds %d: fd %d is not open",
				       o->preserve_fds, fd);
			return -1;
		}
	if (prepare(o, &x, err) < 0)
		goto out;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (spawn(o, &x, &pid, &pidfd, &pty, err) < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		goto out;
	}
	if (o->pid_file && fs_write_pid_file(o->pid_file, pid, err) < 0) {
		kill(pid, SIGKILL);
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
		*status = supervise_process(pid, pidfd, pty, &old);
	}
	rc = 0;
out:
	if (pidfd >= 0)
		close(pidfd);
	if (pty >= 0)
		close(pty);
	release(&x);
	return rc;
}
