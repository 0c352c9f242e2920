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
struct cgroup_self_enter;

/* The two ways a process enters a container.  They share one parent
 * (container_spawn) and one child (container_child); the kind only selects
 * data-driven steps:
 *   CREATE  new namespaces from linux.namespaces, the rootfs, the runtime
 *           hooks, then park on the exec fifo until `start`;
 *   EXEC    join the running container's namespaces (ns_fd), no rootfs,
 *           no hooks, run at once. */
enum launch_kind { LAUNCH_CREATE, LAUNCH_EXEC };

/* LSM settings resolved by the parent (runtime/lsm.c). */
struct lsm_exec {
	const char *apparmor_profile;   /* "exec <profile>" before execve, or NULL */
	const char *selinux_label;      /* setexeccon before execve, or NULL */
};

struct launch {
	enum launch_kind kind;
	const struct spec *spec;
	const struct spec_process *process;  /* what runs: spec->process, or exec's */
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
	struct lsm_exec lsm;
	const char *cpu_affinity_final;  /* execCPUAffinity.final (validated), or NULL */

	/* Namespaces to join, by enum spec_ns_type, opened by the parent
	 * (CREATE: linux.namespaces paths; EXEC: the init's /proc/<pid>/ns);
	 * -1 where none.  pid and time are entered by the parent around the
	 * clone (they apply to children); the child joins the rest. */
	int ns_fd[NS_COUNT];
	bool vm_no_jail;            /* vm backend: --vm-no-jail */

	/* fds the child uses (all CLOEXEC in the parent): */
	int sync_fd;                /* child's end of the sync socketpair */
	int fifo_fd;                /* CREATE: O_PATH on <state>/exec.fifo */
	int proc_fd;                /* O_PATH on the host's /proc, verified procfs */
	int rootfs_fd;              /* CREATE: O_PATH|O_DIRECTORY on the rootfs */
	const char *notify_dir;     /* <state>/notify when NOTIFY_SOCKET is set */
	int *mount_fds;             /* idmapped mounts, detached, per mounts[]
				     * index (-1: none); NULL if none at all */
	/* The tasks files of the container's v1 groups, which the child
	 * enters itself (cgroups/cgroup.h); NULL when the parent placed it. */
	struct cgroup_self_enter *cg_self;

	/* Filled by container_spawn for the caller: */
	pid_t pid;
	int pidfd;
	int pty_master;             /* tty_to_parent: the master, else -1 */
};

/* Sets every fd of l to -1 (call before filling it). */
void launch_init(struct launch *l, enum launch_kind kind);
/* Closes what the parent opened for l (ns fds, fifo, proc, rootfs) and
 * frees the seccomp program and env; the caller's pidfd/pty stay. */
void launch_release(struct launch *l);
/* --preserve-fds N: fds 3 .. 3+N-1 must be open. */
int launch_check_preserved_fds(int n, struct hull_error *err);

/* Parent side, for both kinds: clone the child straight into its cgroup
 * (or place it after the clone where that fails), map ids (CREATE), run the
 * prestart/createRuntime hooks (CREATE), forward the console and seccomp
 * fds, and wait until the child is ready (CREATE: parked on the exec fifo;
 * EXEC: about to execve).  On failure the child is killed and reaped. */
int container_spawn(struct launch *l, struct hull_error *err);

/* Child side, for both kinds: never returns. */
__attribute__((noreturn)) void container_child(struct launch *l);

/* Steps of the child (runtime/process_apply.c; the rootfs is namespaces/rootfs.h). */
int process_apply_settings(struct launch *l, const struct spec_process *p,
			   struct hull_error *err);
/* keep_sys_admin: leave CAP_SYS_ADMIN effective until execve (for a
 * seccomp filter installed without no_new_privs); execve's capability
 * transition then drops it unless the process's own sets keep it. */
int process_apply_identity(const struct spec_process *p, bool keep_sys_admin,
			   struct hull_error *err);
int process_resolve_exe(const struct spec_process *p, char **env, char **out,
			struct hull_error *err);
int process_close_fds(int keep_upto, struct hull_error *err);
/* sched_setaffinity to a validated cpu list (execCPUAffinity). */
int process_set_affinity(pid_t pid, const char *list, struct hull_error *err);
/* runtime/process_home.c: HOME from the container's /etc/passwd (or "/")
 * when *env has none; call inside the container's mount namespace. */
int process_env_add_home(char ***env, uid_t uid, struct hull_error *err);
/* runtime/process_numa.c: linux.memoryPolicy, in the child before execve. */
int process_apply_memory_policy(const struct spec_linux *l, struct hull_error *err);
int process_passwd_home(const char *data, size_t len, uid_t uid, char *out, size_t size);
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
