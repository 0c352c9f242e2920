/* The parent side of every container process, `create`'s init and `exec`'s
 * alike: clone into the cgroup, id maps, runtime hooks, console and seccomp
 * fds, then wait for the child (runtime/child.c) to be ready.  One path for
 * both, so a fix to one (the clone3 fallback, the seccomp listener) is a
 * fix to the other. */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroups/cgroup.h"
#include "base/cleanup.h"
#include "base/fsutil.h"
#include "namespaces/idmap.h"
#include "namespaces/net_devices.h"
#include "runtime/hooks.h"
#include "runtime/launch.h"
#include "runtime/seccomp.h"
#include "runtime/sync.h"
#include "runtime/testpoint.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* fork()-like clone3: no new stack, the child returns 0 here.  Gives a
 * pidfd, and places the child straight into its cgroup when cgroup_fd >= 0
 * so not one instruction of it runs outside its limits.  *placed says
 * whether that happened: a cgroup v1 host has no fd to give, and the
 * kernel refuses CLONE_INTO_CGROUP for some v2 groups (threaded, or a
 * domain that is not a leaf) and before 5.7; the caller then moves the
 * child with cgroup_enter before letting it run (SYNC_GO), as runc does. */
static pid_t clone_child(uint64_t flags, int cgroup_fd, int *pidfd, bool *placed)
{
	struct clone_args args;
	long pid;

	memset(&args, 0, sizeof(args));
	args.flags = flags | CLONE_PIDFD;
	args.pidfd = (uint64_t)(uintptr_t)pidfd;
	args.exit_signal = SIGCHLD;
	*placed = false;
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
		pid = syscall(SYS_clone3, &args, sizeof(args));
		if (pid >= 0) {
			*placed = true;
			return (pid_t)pid;
		}
		if (errno == ENOSYS)
			goto old_clone;
		/* A resource error is the caller's; anything else may be the
		 * cgroup refusing to be cloned into: retry without it. */
		if (errno == EAGAIN || errno == ENOMEM || errno == EPERM || errno == EUSERS)
			return -1;
		args.flags &= ~(uint64_t)CLONE_INTO_CGROUP;
		args.cgroup = 0;
	}
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid >= 0 || errno != ENOSYS)
		return (pid_t)pid;
old_clone:
	/* Kernels before 5.3: plain clone, no pidfd. */
	*pidfd = -1;
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
}

/* The container's own id mappings, named as config.json names them. */
static int write_id_map(pid_t pid, const char *file,
			const struct spec_id_mapping *m, size_t n,
			struct hull_error *err)
{
	if (idmap_write_map(pid, file, m, n, err) < 0)
		return hull_error_prefix(err, "linux.%s",
					 strcmp(file, "uid_map") == 0 ? "uidMappings" : "gidMappings");
	return 0;
}

/* Namespaces that apply to children (pid, time) are entered by the parent
 * just around the clone, then left again: hooks it runs later must stay in
 * the runtime's namespaces.  The fds to join were opened beforehand
 * (l->ns_fd); a new time namespace is unshared here. */
struct ns_restore {
	int pid_fd;
	int time_fd;
};

static int enter_for_children(const struct launch *l, struct ns_restore *r,
			      struct hull_error *err)
{
	const struct spec_linux *lx = &l->spec->linux;
	bool new_time = l->kind == LAUNCH_CREATE && lx->ns[NS_TIME].enabled &&
			lx->ns[NS_TIME].path == NULL;

	r->pid_fd = r->time_fd = -1;
	if (l->ns_fd[NS_PID] >= 0) {
		r->pid_fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (r->pid_fd < 0 || setns(l->ns_fd[NS_PID], CLONE_NEWPID) < 0)
			return hull_error_errno(err, "joining the container's pid namespace");
	}
	if (l->ns_fd[NS_TIME] >= 0 || new_time) {
		r->time_fd = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
		if (r->time_fd < 0)
			return hull_error_errno(err, "time namespace");
	}
	if (l->ns_fd[NS_TIME] >= 0 && setns(l->ns_fd[NS_TIME], CLONE_NEWTIME) < 0)
		return hull_error_errno(err, "joining the container's time namespace");
	if (new_time) {
		char buf[128];
		int n;

		/* Offsets can only be written before any process enters
		 * the namespace, hence unshare here and clone after. */
		if (unshare(CLONE_NEWTIME) < 0)
			return hull_error_errno(err, "unshare time namespace");
		n = snprintf(buf, sizeof(buf), "monotonic %lld %u\nboottime %lld %u\n",
			     (long long)lx->monotonic_secs, lx->monotonic_nsecs,
			     (long long)lx->boottime_secs, lx->boottime_nsecs);
		if (fs_write_file("/proc/self/timens_offsets", buf, (size_t)n, err) < 0)
			return hull_error_prefix(err, "linux.timeOffsets");
	}
	return 0;
}

static void leave_for_children(struct ns_restore *r)
{
	if (r->pid_fd >= 0) {
		setns(r->pid_fd, CLONE_NEWPID);
		close(r->pid_fd);
	}
	if (r->time_fd >= 0) {
		setns(r->time_fd, CLONE_NEWTIME);
		close(r->time_fd);
	}
}

/* CREATE: the namespaces linux.namespaces names by path, opened here in
 * the parent (work before fork), so a bad path fails before the clone. */
static int open_config_namespaces(struct launch *l, struct hull_error *err)
{
	const struct spec_linux *lx = &l->spec->linux;

	for (int t = 0; t < NS_COUNT; t++) {
		if (!lx->ns[t].enabled || lx->ns[t].path == NULL)
			continue;
		l->ns_fd[t] = open(lx->ns[t].path, O_RDONLY | O_CLOEXEC);
		if (l->ns_fd[t] < 0)
			return hull_error_errno(err, "linux.namespaces: open %s", lx->ns[t].path);
		/* Checked here, so a wrong path fails before anything runs. */
		if (ioctl(l->ns_fd[t], NS_GET_NSTYPE) != spec_ns_clone_flag(t))
			return hull_error_set(err, EINVAL, "linux.namespaces: %s is not a %s namespace",
					      lx->ns[t].path, spec_ns_name(t));
	}
	return 0;
}

void launch_init(struct launch *l, enum launch_kind kind)
{
	memset(l, 0, sizeof(*l));
	l->kind = kind;
	for (int t = 0; t < NS_COUNT; t++)
		l->ns_fd[t] = -1;
	l->sync_fd = l->fifo_fd = l->proc_fd = l->rootfs_fd = -1;
	l->pidfd = l->pty_master = -1;
}

void launch_release(struct launch *l)
{
	for (int t = 0; t < NS_COUNT; t++)
		if (l->ns_fd[t] >= 0) {
			close(l->ns_fd[t]);
			l->ns_fd[t] = -1;
		}
	if (l->fifo_fd >= 0)
		close(l->fifo_fd);
	if (l->proc_fd >= 0)
		close(l->proc_fd);
	if (l->rootfs_fd >= 0)
		close(l->rootfs_fd);
	l->fifo_fd = l->proc_fd = l->rootfs_fd = -1;
	idmap_mounts_free(l->mount_fds, l->spec ? l->spec->n_mounts : 0);
	l->mount_fds = NULL;
	seccomp_prog_free(l->seccomp);
	l->seccomp = NULL;
	strv_free(l->env);
	l->env = NULL;
}

int launch_check_preserved_fds(int n, struct hull_error *err)
{
	for (int fd = 3; fd < 3 + n; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			return hull_error_set(err, EBADF,
					      "--preserve-fds %d: fd %d is not open", n, fd);
	return 0;
}

/* The host's /proc as an O_PATH fd, checked to be a procfs: the child
 * writes its LSM attributes and reopens the exec fifo through it, after
 * pivot_root, where a path could be anything the rootfs put there. */
static int open_host_proc(struct launch *l, struct hull_error *err)
{
	struct statfs sf;

	if (l->proc_fd >= 0)
		return 0;
	l->proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (l->proc_fd < 0)
		return hull_error_errno(err, "open /proc");
	if (fstatfs(l->proc_fd, &sf) < 0)
		return hull_error_errno(err, "statfs /proc");
	if (sf.f_type != PROC_SUPER_MAGIC)
		return hull_error_set(err, EINVAL, "/proc is not a procfs");
	return 0;
}

/* The namespaces the clone creates.  Not the cgroup namespace: its root is
 * the cgroup the process is in when it is made, and on a v1/hybrid host
 * the child joins its cgroup only after the clone, so the child unshares
 * it itself once the parent says it was placed (container_child). */
static uint64_t new_ns_flags(const struct launch *l)
{
	const struct spec_linux *lx = &l->spec->linux;
	uint64_t flags = 0;

	if (l->kind == LAUNCH_EXEC)
		return 0;

	for (int t = 0; t < NS_COUNT; t++)
		if (lx->ns[t].enabled && lx->ns[t].path == NULL &&
		    t != NS_TIME && t != NS_CGROUP)
			flags |= (uint64_t)spec_ns_clone_flag(t);
	return flags;
}

static int forward_seccomp_fd(struct launch *l, int listener,
			      struct hull_error *err)
{
	const struct spec_seccomp *sc = l->spec->linux.seccomp;
	/* The container's state as it is: "creating" for its init, its own
	 * status for an exec (runc sends the same). */
	autofree char *state = container_state_json_as(l->c, l->kind == LAUNCH_CREATE ?
						       STATUS_CREATING : container_status(l->c));
	json_gen *g = json_gen_new(false);
	autofree char *msg = NULL;
	autoclose int sock = -1;
	json_node *st = NULL;
	size_t len = 0;

	if (g == NULL || state == NULL || json_parse(state, &st, err) < 0) {
		json_gen_free(g);
		return hull_error_set(err, ENOMEM, "seccomp listener state");
	}
	/* The spec's ContainerProcessState: version, fds, pid, metadata, state. */
	json_gen_object_open(g);
	json_gen_kv_string(g, "ociVersion", "1.2.0");
	json_gen_key(g, "fds");
	json_gen_array_open(g);
	json_gen_string(g, "seccompFd");
	json_gen_array_close(g);
	json_gen_kv_int(g, "pid", l->pid);
	json_gen_kv_string(g, "metadata", sc->listener_metadata ? sc->listener_metadata : "");
	json_gen_key(g, "state");
	json_gen_node(g, st);
	json_gen_object_close(g);
	msg = json_gen_finish(g, &len);
	json_gen_free(g);
	json_free(st);
	sock = unix_connect(sc->listener_path, SOCK_STREAM, err);
	if (sock < 0)
		return hull_error_prefix(err, "linux.seccomp.listenerPath");
	if (msg == NULL || unix_send_fd(sock, listener, msg, len, err) < 0)
		return hull_error_prefix(err, "linux.seccomp.listenerPath: sending listener fd");
	return 0;
}

/* Runs the runtime-namespace hooks of creation: prestart (deprecated) and
 * createRuntime, with the container still "creating". */
static int run_create_hooks(struct launch *l, struct hull_error *err)
{
	autofree char *state = container_state_json_as(l->c, STATUS_CREATING);

	if (state == NULL)
		return hull_error_set(err, ENOMEM, "building state for hooks");
	if (hooks_run(&l->spec->hooks, HOOK_PRESTART, state, err) < 0 ||
	    hooks_run(&l->spec->hooks, HOOK_CREATE_RUNTIME, state, err) < 0)
		return -1;
	return 0;
}

/* The one sync loop: after SYNC_GO (and, for CREATE, the runtime hooks),
 * the child may send its pty master and its seccomp listener, in that
 * order, then SYNC_READY, or SYNC_ERROR at any point. */
static int sync_until_ready(struct launch *l, int sock, struct hull_error *err)
{
	for (;;) {
		struct sync_packet p;
		int fd = -1;

		if (sync_recv(sock, &p, &fd, err) < 0) {
			if (err->code == EPIPE) {
				hull_error_clear(err);
				return hull_error_set(err, EPIPE,
						      "container process exited during setup");
			}
			return -1;
		}
		switch (p.type) {
		case SYNC_PTY:
			if (terminal_hand_over(fd, l->tty_to_parent, l->console_socket, &l->pty_master,
					       err) < 0)
				return -1;
			break;
		case SYNC_SECCOMP_FD: {
			int r = forward_seccomp_fd(l, fd, err);

			close(fd);
			if (r < 0)
				return -1;
			break;
		}
		case SYNC_READY:
			return 0;
		case SYNC_ERROR:
			p.err.msg[sizeof(p.err.msg) - 1] = '\0';
			*err = p.err;
			err->set = true;
			return -1;
		default:
			if (fd >= 0)
				close(fd);
			return hull_error_set(err, EPROTO, "sync: unexpected message %d", p.type);
		}
	}
}

/* The container's network namespace: the one joined by path (the child
 * has not joined it yet), else the new one of the child. */
static int move_net_devices(struct launch *l, struct hull_error *err)
{
	const struct spec_linux *lx = &l->spec->linux;
	char self[64];
	autoclose int fd = -1;

	snprintf(self, sizeof(self), "/proc/%d/ns/net", l->pid);
	fd = open(lx->ns[NS_NET].path ? lx->ns[NS_NET].path : self, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hull_error_errno(err, "linux.netDevices: open %s",
					lx->ns[NS_NET].path ? lx->ns[NS_NET].path : self);
	return net_devices_move(fd, lx->net_devices, lx->n_net_devices, err);
}

static int parent_protocol(struct launch *l, int sock, struct hull_error *err)
{
	const struct spec_linux *lx = &l->spec->linux;

	if (l->kind == LAUNCH_CREATE && lx->ns[NS_USER].enabled && lx->ns[NS_USER].path == NULL &&
	    (write_id_map(l->pid, "uid_map", lx->uid_mappings, lx->n_uid_mappings, err) < 0 ||
	     write_id_map(l->pid, "gid_map", lx->gid_mappings, lx->n_gid_mappings, err) < 0))
		return -1;
	/* linux.netDevices: into the container's netns before the child goes
	 * on, so hooks and the process see them. */
	if (l->kind == LAUNCH_CREATE && lx->n_net_devices && move_net_devices(l, err) < 0)
		return -1;
	if (sync_send(sock, SYNC_GO, -1, err) < 0)
		return -1;
	if (l->kind == LAUNCH_CREATE) {
		/* The hooks' state carries the container's pid (the spec's
		 * "pid" is required once the process exists). */
		l->c->pid = l->pid;
		if (sync_expect(sock, SYNC_MOUNTS_READY, NULL, err) < 0 ||
		    run_create_hooks(l, err) < 0 ||
		    sync_send_arg(sock, SYNC_HOOKS_DONE, l->pid, err) < 0)
			return -1;
	}
	return sync_until_ready(l, sock, err);
}

int container_spawn(struct launch *l, struct hull_error *err)
{
	int sv[2];
	struct ns_restore nsr;
	autoclose int cgfd = -1;
	struct cgroup_self_enter se = { .n = 0, .clone_fd = -1 };
	int pidfd = -1, self;
	bool placed;
	pid_t pid;

	l->pty_master = -1;
	l->pidfd = -1;
	if ((l->kind == LAUNCH_CREATE && open_config_namespaces(l, err) < 0) ||
	    open_host_proc(l, err) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return hull_error_errno(err, "socketpair");
	/* execCPUAffinity (exec only: the spec says it does not apply to the
	 * init) .initial: where the runtime runs before the child
	 * is in the container's cgroup; the child inherits it at the clone
	 * and moves to .final once placed (child.c). */
	if (l->kind == LAUNCH_EXEC && l->process->exec_cpu_affinity_initial &&
	    process_set_affinity(0, l->process->exec_cpu_affinity_initial, err) < 0) {
		close(sv[0]);
		close(sv[1]);
		return hull_error_prefix(err, "process.execCPUAffinity.initial");
	}
	if (enter_for_children(l, &nsr, err) < 0) {
		leave_for_children(&nsr);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	/* v1/hybrid: the child writes itself into its v1 groups (no grace
	 * period of the kernel's threadgroup lock, see cgroups/cgroup.h),
	 * through tasks files opened here; clone3 places it in a hybrid
	 * host's cgroup2 group.  v2: clone3 places it in its group. */
	self = l->cgroup ? cgroup_self_enter_open(l->cgroup, &se, err) : 0;
	if (self < 0) {
		leave_for_children(&nsr);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (self) {
		cgfd = se.clone_fd;   /* ours now (autoclose) */
		se.clone_fd = -1;
	} else
		cgfd = l->cgroup ? cgroup_clone_fd(l->cgroup) : -1;
	pid = clone_child(new_ns_flags(l), cgfd, &pidfd, &placed);
	if (pid == 0) {
		close(sv[0]);
		l->sync_fd = sv[1];
		l->cg_self = self ? &se : NULL;
		container_child(l);
	}
	leave_for_children(&nsr);
	close(sv[1]);
	cgroup_self_enter_close(&se);
	if (pid < 0) {
		close(sv[0]);
		return hull_error_errno(err, "clone");
	}
	l->pid = pid;
	l->pidfd = pidfd;
	hull_test_point("cloned");
	/* Not (wholly) placed by the clone nor by itself: the parent moves
	 * it before it runs (it waits for SYNC_GO).  With self entry that is
	 * only when clone3 refused the cgroup2 group; writing the v1 groups
	 * too is harmless, the child's own writes then change nothing. */
	if (l->cgroup && !placed && (!self || cgfd >= 0) &&
	    cgroup_enter(l->cgroup, pid, err) < 0)
		goto fail;
	if (parent_protocol(l, sv[0], err) < 0)
		goto fail;
	close(sv[0]);
	return 0;
fail:
	close(sv[0]);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (pidfd >= 0)
		close(pidfd);
	l->pidfd = -1;
	if (l->pty_master >= 0)
		close(l->pty_master);
	l->pty_master = -1;
	return -1;
}
