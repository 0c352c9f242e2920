/* The child side of every container process (`create`'s init and
 * `exec`'s), between clone and execve.
 *
 * This is the most security-sensitive code in Hull: it runs as root with
 * the host's filesystem still visible until pivot_root.  It is one linear
 * sequence for both kinds; the steps that differ are chosen by l->kind and
 * by what the parent prepared.  Every value it uses was prepared by the
 * parent.  Until SYNC_READY a failure goes back to the parent as
 * SYNC_ERROR, then _exit.
 *
 * The order is fixed by these constraints (each step says which):
 *   1. join namespaces (user first), then the rootfs (CREATE);
 *   2. process settings and identity (uid, caps);
 *   3. everything of ours that must run inside: cwd check, program lookup,
 *      fd sweep, the create/start gate and startContainer hooks;
 *   4. LSM exec attributes, no_new_privs, the seccomp filter: from here on
 *      nothing of Hull's runs but execve, so a profile may deny anything
 *      the process itself does not need (getcwd, openat, ...). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "cgroups/cgroup.h"
#include "namespaces/rootfs.h"
#include "runtime/hooks.h"
#include "runtime/launch.h"
#include "runtime/lsm.h"
#include "runtime/seccomp.h"
#include "runtime/sync.h"

__attribute__((noreturn)) static void child_fail(struct launch *l,
						 struct hull_error *err)
{
	sync_send_error(l->sync_fd, err);
	_exit(1);
}

/* Joins the namespaces the parent opened (l->ns_fd).  The user namespace
 * goes first: joining the others needs privilege in it.  The mount
 * namespace goes last: it resets our root and cwd, and the other fds were
 * opened in the runtime's.  pid and time were joined by the parent for us
 * (they apply to children). */
static int join_namespaces(struct launch *l, struct hull_error *err)
{
	static const enum spec_ns_type order[] = {
		NS_USER, NS_IPC, NS_UTS, NS_NET, NS_CGROUP, NS_MOUNT,
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int t = order[i];

		if (l->ns_fd[t] < 0)
			continue;
		if (setns(l->ns_fd[t], spec_ns_clone_flag(t)) < 0)
			return hull_error_errno(err, "joining the %s namespace", spec_ns_name(t));
		close(l->ns_fd[t]);
		l->ns_fd[t] = -1;
	}
	return 0;
}

/* CVE-2024-21626, so before the seccomp filter (a profile may deny
 * getcwd: issue #8 item 5). */
static int check_cwd(const char *cwd, struct hull_error *err)
{
	char buf[PATH_MAX];

	if (chdir(cwd) < 0)
		return hull_error_errno(err, "process.cwd: chdir %s", cwd);
	/* CVE-2024-21626: a cwd outside the container's root (via a leaked
	 * host fd or a racing mount) reads back as "(unreachable)/...". */
	if (getcwd(buf, sizeof(buf)) == NULL || buf[0] != '/')
		return hull_error_set(err, EPERM, "process.cwd: %s is outside the container", cwd);
	return 0;
}

/* Blocks until `hull start` opens the exec fifo for reading: that is the
 * create/start gate.  Returns the write end, still holding back `start`,
 * which waits for our byte and then for the end's close. */
static int wait_for_start(struct launch *l)
{
	char path[64];
	int fd;

	/* The fifo was opened O_PATH by the parent before pivot_root; reopen
	 * it for writing through the host /proc fd. */
	snprintf(path, sizeof(path), "self/fd/%d", l->fifo_fd);
	do
		fd = openat(l->proc_fd, path, O_WRONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		dprintf(2, "hull: opening exec fifo: %s\n", strerror(errno));
		_exit(127);
	}
	/* proc_fd stays: the LSM attributes are written through it after
	 * the gate (it is CLOEXEC). */
	close(l->fifo_fd);
	return fd;
}

/* After the startContainer hooks: the byte tells `start` we passed them;
 * the fd itself stays open and O_CLOEXEC, so its close at a successful
 * execve (or at our exit) tells `start` the program is running, and only
 * then does it run poststart, as the spec orders. */
static void release_start(int fifo)
{
	if (write(fifo, "0", 1) != 1) {
		dprintf(2, "hull: writing exec fifo: %s\n", strerror(errno));
		_exit(127);
	}
}

/* CREATE, step 1: new cgroup namespace, the rootfs and the hooks that run
 * around it (without a mount namespace: only a chroot). */
static int create_rootfs(struct launch *l, struct hull_error *err)
{
	const struct spec *s = l->spec;
	bool mntns = s->linux.ns[NS_MOUNT].enabled;
	autofree char *state = NULL;
	long long pid = 0;
	struct rootfs_ctx rc = {
		.spec = s, .bundle = l->c->bundle, .rootfs_fd = l->rootfs_fd,
		.cgroup = l->cgroup, .no_pivot = l->no_pivot, .notify_dir = l->notify_dir,
		.mount_fds = l->mount_fds,
		.mount_label = lsm_mount_label(s),
	};

	/* Now that the parent placed us in the container's cgroup (SYNC_GO),
	 * a new cgroup namespace is rooted there, as /proc/self/cgroup and a
	 * cgroup mount inside must show "/".  After joining a user namespace
	 * by path, so that one owns it; before the rootfs mounts. */
	if (s->linux.ns[NS_CGROUP].enabled && s->linux.ns[NS_CGROUP].path == NULL &&
	    unshare(CLONE_NEWCGROUP) < 0)
		return hull_error_errno(err, "linux.namespaces: new cgroup namespace");
	/* rootfs_prepare swaps rc.rootfs_fd for the bind mount's fd and
	 * rootfs_pivot closes it; l->rootfs_fd is not used after this.
	 * Without a mount namespace nothing is mounted (it would be the
	 * host's): spec validation refused mounts then, and we only chroot
	 * below, as runc and crun do. */
	l->rootfs_fd = -1;
	if (mntns && rootfs_prepare(&rc, err) < 0)
		return -1;
	/* The parent runs prestart/createRuntime now, with mounts in place
	 * and before pivot_root, as the spec orders them. */
	if (sync_send(l->sync_fd, SYNC_MOUNTS_READY, -1, err) < 0 ||
	    sync_expect_arg(l->sync_fd, SYNC_HOOKS_DONE, &pid, err) < 0)
		return -1;
	l->c->pid = (pid_t)pid;
	state = container_state_json_as(l->c, STATUS_CREATING);
	if (state == NULL)
		return hull_error_set(err, ENOMEM, "building state for hooks");
	/* createContainer: in the container's namespaces, paths resolved in
	 * the runtime's, so before pivot_root. */
	if (hooks_run(&s->hooks, HOOK_CREATE_CONTAINER, state, err) < 0)
		return -1;
	if (!mntns) {
		if (fchdir(rc.rootfs_fd) < 0 || chroot(".") < 0)
			return hull_error_errno(err, "root.path: chroot %s", s->root_path);
		close(rc.rootfs_fd);
		return 0;
	}
	return rootfs_pivot(&rc, err) < 0 || rootfs_finalize(&rc, err) < 0 ? -1 : 0;
}

/* CREATE, step 3: blocks until `hull start`, runs startContainer, and
 * lets `start` go on.  From SYNC_READY on, the parent is gone: errors
 * go to stderr, which is the container's. */
static void create_gate(struct launch *l, const char *start_state)
{
	struct hull_error err = { 0 };
	int fifo = wait_for_start(l);

	if (hooks_run(&l->spec->hooks, HOOK_START_CONTAINER, start_state, &err) < 0) {
		dprintf(2, "hull: %s\n", err.msg);
		_exit(127);
	}
	release_start(fifo);
}

/* Step 4: the LSM exec attributes, then no_new_privs, then the filter.
 * The attributes before no_new_privs: an LSM may refuse a transition
 * asked for under it.  The filter last: nothing of ours may run under it
 * (and without no_new_privs it needs the CAP_SYS_ADMIN kept for it). */
static int confine(struct launch *l, int *listener, struct hull_error *err)
{
	if (lsm_apply_exec(l, err) < 0)
		return -1;
	if (l->process->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return hull_error_errno(err, "process.noNewPrivileges");
	return l->seccomp ? seccomp_install(l->seccomp, listener, err) : 0;
}

__attribute__((noreturn)) void container_child(struct launch *l)
{
	struct hull_error err = { 0 };
	const struct spec_process *p = l->process;
	const struct seccomp_prog *sc = l->seccomp;
	bool create = l->kind == LAUNCH_CREATE;
	bool nnp = p->no_new_privileges;
	char *start_state = NULL;
	sigset_t none;

	/* `run` and `exec` block every signal around the clone so none is
	 * lost before their signalfd exists; the process must not inherit
	 * that mask. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* The state directory's fd carries the container lock (flock); our
	 * inherited copy would hold it until execve and block `start`. */
	if (l->c->dir_fd >= 0) {
		close(l->c->dir_fd);
		l->c->dir_fd = -1;
	}
	/* If the runtime dies before we are ready, so do we. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* Not dumpable: other processes in the container cannot ptrace us
	 * or open /proc/<pid>/exe (the runtime binary) while we are still
	 * the runtime; execve resets it (CVE-2019-5736). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* The parent mapped our ids and (v2, or when we cannot) placed us in
	 * the cgroup. */
	if (sync_expect(l->sync_fd, SYNC_GO, NULL, &err) < 0)
		_exit(1);
	/* On v1/hybrid we place ourselves in the v1 groups (spawn.c); first,
	 * before anything the limits must cover (affinity.final fits the
	 * group's cpuset, the cgroup namespace is rooted where we are). */
	if (l->cg_self && cgroup_self_enter(l->cg_self, &err) < 0)
		child_fail(l, &err);
	/* execCPUAffinity.final: only now that we are in the cgroup, whose
	 * cpuset it must fit. */
	if (l->cpu_affinity_final && process_set_affinity(0, l->cpu_affinity_final, &err) < 0) {
		hull_error_prefix(&err, "process.execCPUAffinity.final");
		child_fail(l, &err);
	}

	/* 1. Namespaces, then (CREATE) the rootfs. */
	if (create && l->spec->linux.ns[NS_USER].enabled && l->spec->linux.ns[NS_USER].path == NULL &&
	    (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		hull_error_errno(&err, "becoming root in the user namespace");
		child_fail(l, &err);
	}
	if (join_namespaces(l, &err) < 0 || (create && create_rootfs(l, &err) < 0))
		child_fail(l, &err);
	if (create) {
		/* startContainer runs once `start` was called: the container
		 * is "created" then (as runc reports it), no longer "creating". */
		start_state = container_state_json_as(l->c, STATUS_CREATED);
		if (start_state == NULL) {
			hull_error_set(&err, ENOMEM, "building state for hooks");
			child_fail(l, &err);
		}
	}

	/* 2. Terminal and session, settings, identity.  The pty is made in
	 * the container's devpts, so after the rootfs. */
	if (p->terminal) {
		if (process_setup_tty(l->sync_fd, create, p, &err) < 0)
			child_fail(l, &err);
	} else if (create && setsid() < 0) {
		hull_error_errno(&err, "setsid");
		child_fail(l, &err);
	}
	if (process_env_add_home(&l->env, p->user.uid, &err) < 0 ||
	    process_apply_settings(l, p, &err) < 0 ||
	    process_apply_identity(p, sc && !nnp, &err) < 0)
		child_fail(l, &err);

	/* 3. The rest of our own work, as the process's user: the cwd check
	 * and the program lookup see what the process will see. */
	if (check_cwd(p->cwd, &err) < 0 ||
	    process_resolve_exe(p, l->env, &l->exe, &err) < 0)
		child_fail(l, &err);
	for (int fd = 3; fd < 3 + l->preserve_fds; fd++)
		fcntl(fd, F_SETFD, 0);
	process_close_fds(2 + l->preserve_fds, &err);
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	/* A notify filter must be installed before SYNC_READY: the agent
	 * needs its listener before the process runs, and only the parent,
	 * which leaves at SYNC_READY, can forward it.  So with
	 * SCMP_ACT_NOTIFY the hand-over (and, for CREATE, the gate) runs
	 * under the filter, as in runc; the profile must let those through. */
	if (sc && sc->notify) {
		int listener = -1;

		if (confine(l, &listener, &err) < 0 ||
		    sync_send(l->sync_fd, SYNC_SECCOMP_FD, listener, &err) < 0)
			child_fail(l, &err);
	}
	if (sync_send(l->sync_fd, SYNC_READY, -1, &err) < 0)
		_exit(1);
	close(l->sync_fd);
	if (create)
		create_gate(l, start_state);

	/* 4. Confinement, then execve and nothing else.  The parent is
	 * gone (SYNC_READY): a failure goes to the process's stderr. */
	if (!(sc && sc->notify) && confine(l, NULL, &err) < 0) {
		dprintf(2, "hull: %s\n", err.msg);
		_exit(127);
	}
	execve(l->exe, p->args, l->env);
	dprintf(2, "hull: exec %s: %s\n", l->exe, strerror(errno));
	_exit(127);
}
