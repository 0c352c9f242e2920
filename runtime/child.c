/* The container's first process, between clone and execve.
 *
 * This is the most security-sensitive code in Hull: it runs as root with
 * the host's filesystem still visible until pivot_root.  It is kept short
 * and linear; every value it uses was prepared by the parent.  Any failure
 * goes back to the parent as SYNC_ERROR, then _exit. */
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

#include "namespaces/rootfs.h"
#include "runtime/hooks.h"
#include "runtime/launch.h"
#include "runtime/seccomp.h"
#include "runtime/sync.h"

__attribute__((noreturn)) static void child_fail(struct launch *l,
						 struct hull_error *err)
{
	sync_send_error(l->sync_fd, err);
	_exit(1);
}

/* Joins the namespaces given by path in linux.namespaces.  The user
 * namespace goes first: joining the others needs privilege in it.  pid
 * and time were joined by the parent for us (they apply to children). */
static int join_namespaces(struct launch *l, struct hull_error *err)
{
	static const enum spec_ns_type order[] = {
		NS_USER, NS_IPC, NS_UTS, NS_NET, NS_CGROUP, NS_MOUNT,
	};
	const struct spec_linux *lx = &l->spec->linux;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const struct spec_namespace *ns = &lx->ns[order[i]];
		int fd;

		if (!ns->enabled || ns->path == NULL)
			continue;
		fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return hull_error_errno(err, "linux.namespaces: open %s", ns->path);
		if (setns(fd, spec_ns_clone_flag(order[i])) < 0) {
			hull_error_errno(err, "linux.namespaces: joining %s namespace %s",
					 spec_ns_name(order[i]), ns->path);
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

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
	close(l->fifo_fd);
	close(l->proc_fd);
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

__attribute__((noreturn)) void container_child(struct launch *l)
{
	struct hull_error err = { 0 };
	const struct spec *s = l->spec;
	const struct spec_process *p = s->process;
	char *state = NULL, *start_state = NULL;
	int fifo;
	long long pid = 0;
	bool nnp = p->no_new_privileges;
	const struct seccomp_prog *sc = l->seccomp;

	sigset_t none;

	/* `run` blocks every signal around the clone so none is lost before
	 * its signalfd exists; the container must not inherit that mask. */
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
	if (sync_expect(l->sync_fd, SYNC_GO, NULL, &err) < 0)
		_exit(1);
	if (s->linux.ns[NS_USER].enabled && s->linux.ns[NS_USER].path == NULL &&
	    (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		hull_error_errno(&err, "becoming root in the user namespace");
		child_fail(l, &err);
	}
	if (join_namespaces(l, &err) < 0)
		child_fail(l, &err);
	/* Now that the parent placed us in the container's cgroup (SYNC_GO),
	 * a new cgroup namespace is rooted there, as /proc/self/cgroup and a
	 * cgroup mount inside must show "/".  After joining a user namespace
	 * by path, so that one owns it; before the rootfs mounts. */
	if (s->linux.ns[NS_CGROUP].enabled && s->linux.ns[NS_CGROUP].path == NULL &&
	    unshare(CLONE_NEWCGROUP) < 0) {
		hull_error_errno(&err, "linux.namespaces: new cgroup namespace");
		child_fail(l, &err);
	}
	struct rootfs_ctx rc = {
		.spec = s, .bundle = l->c->bundle, .rootfs_fd = l->rootfs_fd,
		.cgroup = l->cgroup, .no_pivot = l->no_pivot, .notify_dir = l->notify_dir,
	};

	/* rootfs_prepare swaps rc.rootfs_fd for the bind mount's fd and
	 * rootfs_pivot closes it; l->rootfs_fd is not used after this. */
	l->rootfs_fd = -1;
	if (rootfs_prepare(&rc, &err) < 0)
		child_fail(l, &err);
	/* The parent runs prestart/createRuntime now, with mounts in place
	 * and before pivot_root, as the spec orders them. */
	if (sync_send(l->sync_fd, SYNC_MOUNTS_READY, -1, &err) < 0 ||
	    sync_expect_arg(l->sync_fd, SYNC_HOOKS_DONE, &pid, &err) < 0)
		child_fail(l, &err);
	l->c->pid = (pid_t)pid;
	state = container_state_json_as(l->c, STATUS_CREATING);
	/* startContainer runs once `start` was called: the container is
	 * "created" then (as runc reports it), no longer "creating". */
	start_state = container_state_json_as(l->c, STATUS_CREATED);
	if (state == NULL || start_state == NULL) {
		hull_error_set(&err, ENOMEM, "building state for hooks");
		child_fail(l, &err);
	}
	/* createContainer: in the container's namespaces, paths resolved in
	 * the runtime's, so before pivot_root. */
	if (hooks_run(&s->hooks, HOOK_CREATE_CONTAINER, state, &err) < 0 ||
	    rootfs_pivot(&rc, &err) < 0 || rootfs_finalize(&rc, &err) < 0)
		child_fail(l, &err);
	if (p->terminal) {
		if (process_setup_tty(l->sync_fd, true, p, &err) < 0)
			child_fail(l, &err);
	} else if (setsid() < 0) {
		hull_error_errno(&err, "setsid");
		child_fail(l, &err);
	}
	if (process_env_add_home(&l->env, p->user.uid, &err) < 0 ||
	    process_apply_settings(l, p, &err) < 0 ||
	    process_apply_identity(p, (sc && !nnp && !sc->notify) ? sc : NULL, &err) < 0)
		child_fail(l, &err);
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		hull_error_errno(&err, "process.noNewPrivileges");
		child_fail(l, &err);
	}
	if (sc && sc->notify) {
		int listener = -1;

		/* The listener fd must reach the agent before the process runs;
		 * the parent forwards it, so install while the parent waits. */
		if (seccomp_install(sc, &listener, &err) < 0 ||
		    sync_send(l->sync_fd, SYNC_SECCOMP_FD, listener, &err) < 0)
			child_fail(l, &err);
		close(listener);
	}
	if (check_cwd(p->cwd, &err) < 0 ||
	    process_resolve_exe(p, l->env, &l->exe, &err) < 0)
		child_fail(l, &err);
	for (int fd = 3; fd < 3 + l->preserve_fds; fd++)
		fcntl(fd, F_SETFD, 0);
	process_close_fds(2 + l->preserve_fds, &err);
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (sync_send(l->sync_fd, SYNC_READY, -1, &err) < 0)
		_exit(1);
	close(l->sync_fd);
	fifo = wait_for_start(l);
	if (hooks_run(&s->hooks, HOOK_START_CONTAINER, start_state, &err) < 0) {
		dprintf(2, "hull: %s\n", err.msg);
		_exit(127);
	}
	release_start(fifo);
	free(state);
	free(start_state);
	if (sc && nnp && !sc->notify && seccomp_install(sc, NULL, &err) < 0) {
		dprintf(2, "hull: %s\n", err.msg);
		_exit(127);
	}
	execve(l->exe, p->args, l->env);
	dprintf(2, "hull: exec %s: %s\n", l->exe, strerror(errno));
	_exit(127);
}
