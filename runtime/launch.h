/* What the parent prepares before cloning the container's first process
 * (work before fork), and the entry points on both sides of the clone.
 *
 * Everything in struct launch is resolved, validated and allocated in the
 * parent; the child between clone and execve only reads it.  The child
 * shares nothing with the parent after the clone except the fds listed
 * here, each of which it closes or marks CLOEXEC before execve. */
#ifndef HULL_LAUNCH_H
#define HULL_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/state.h"

struct seccomp_prog;
struct cgroup_manager;

struct launch {
	const struct spec *spec;
	struct container *c;
	struct cgroup_manager *cgroup;
	struct seccomp_prog *seccomp;
	char **env;                 /* final environment of the process */
	char *exe;                  /* args[0] resolved in the rootfs, set by child */
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds;           /* fds 3 .. 3+n-1 pass to the process */
	bool tty_to_parent;         /* process.terminal without console socket */
	const char *console_socket;
	const char *vm_kernel;      /* vm backend: --vm-kernel, or NULL */
	bool vm_no_jail;            /* vm backend: --vm-no-jail */

	/* fds the child uses (all CLOEXEC in the parent): */
	int sync_fd;                /* child's end of the sync socketpair */
	int fifo_fd;                /* O_PATH on <state>/exec.fifo */
	int proc_fd;                /* O_PATH on the host's /proc */
	int rootfs_fd;              /* O_PATH|O_DIRECTORY on the rootfs */
	const char *notify_dir;     /* <state>/notify when NOTIFY_SOCKET is set */

	/* Filled by container_spawn for the caller: */
	pid_t pid;
	int pidfd;
	int pty_master;             /* tty_to_parent: the master, else -1 */
};

/* Parent side: clone the child, map ids, place it in its cgroup, run the
 * prestart/createRuntime hooks, forward the console and seccomp fds, and
 * wait until the child is parked on the exec fifo.  On failure the child
 * is killed and reaped. */
int container_spawn(struct launch *l, struct hull_error *err);

/* Child side: never returns. */
__attribute__((noreturn)) void container_child(struct launch *l);

/* Steps of the child (runtime/process_apply.c; the rootfs is namespaces/rootfs.h). */
int process_apply_settings(struct launch *l, const struct spec_process *p,
			   struct hull_error *err);
int process_apply_identity(const struct spec_process *p,
			   const struct seccomp_prog *early_seccomp,
			   struct hull_error *err);
int process_resolve_exe(const struct spec_process *p, char **env, char **out,
			struct hull_error *err);
int process_close_fds(int keep_upto, struct hull_error *err);
int process_setup_tty(int sync_fd, bool bind_console, const struct spec_process *p,
		      struct hull_error *err);

/* Parent side of process.terminal: consumes `master`.  to_parent: it goes
 * to *keep (for `run`'s proxy); else it is sent to console_socket as runc's
 * recvtty expects, and *keep is -1. */
int terminal_hand_over(int master, bool to_parent, const char *console_socket, int *keep,
		       struct hull_error *err);

/* A pty on the host (the vm backend's console), its slave raw, sized by
 * process.consoleSize; both CLOEXEC. */
int terminal_open_host(const struct spec_process *p, int *master_out, int *slave_out,
		       struct hull_error *err);

#endif
