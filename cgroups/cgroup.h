/* The cgroup manager: one interface, several drivers (cgroup v2, cgroup v1 /
 * hybrid, and later systemd), chosen by probing the host.
 *
 * The runtime uses only the functions below; each driver implements a
 * `struct cgroup_ops` (cgroups/cgroup_internal.h).  A manager is created
 * before the container process exists (paths made, controllers enabled,
 * resources applied), the process is then placed with cgroup_enter() (or
 * clone3(CLONE_INTO_CGROUP) through cgroup_clone_fd()), and the manager is
 * saved in the container state as JSON so later commands (kill --all,
 * delete, update, pause, ps, events) can reload it. */
#ifndef HULL_CGROUP_H
#define HULL_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "base/json.h"

struct spec_resources;   /* cgroups/resources.h: parsed linux.resources */
struct cgroup_manager;   /* opaque */
struct spec_device_rule; /* cgroups/resources.h */
struct cgroup_stats;     /* cgroups/stats.h */

struct cgroup_config {
	const char *id;                         /* container id */
	const char *cgroups_path;               /* linux.cgroupsPath or NULL */
	const struct spec_resources *resources; /* may be NULL */
	bool systemd;                           /* --systemd-cgroup */
	/* linux.devices entries: allowed in the device cgroup on top of
	 * resources.devices, as runc does (may be NULL/0). */
	const struct spec_device_rule *extra_devices;
	size_t n_extra_devices;
	/* The config's annotations: the systemd driver takes the
	 * org.systemd.property.* ones as unit properties (may be NULL/0). */
	char *const *annotation_keys;
	char *const *annotation_values;
	size_t n_annotations;
};

/* Validates cfg (path, resources against the host), creates the group(s)
 * and applies the resources.  Nothing is left behind on failure.
 * cgroup_manager_plan() + cgroup_manager_realize() in one step. */
int cgroup_manager_create(const struct cgroup_config *cfg,
			  struct cgroup_manager **out, struct hull_error *err);
/* The first half: resolves the path and the hierarchies and notes which
 * groups do not exist yet (Hull will make them, and owns only those).
 * Writes nothing: save the manager (cgroup_manager_save) before
 * realizing it, so a runtime killed while making the groups leaves a
 * record that cgroup_destroy() can clean up from. */
int cgroup_manager_plan(const struct cgroup_config *cfg,
			struct cgroup_manager **out, struct hull_error *err);
/* The second half: makes the planned groups and applies the resources.
 * A group that already holds processes (another container's, say) is
 * refused with an error naming it.  On failure, removes what it made and
 * nothing else; the manager stays valid (and destroyable). */
int cgroup_manager_realize(struct cgroup_manager *m, struct hull_error *err);
/* Reloads a manager saved with cgroup_manager_save(). */
int cgroup_manager_load(const json_node *saved, struct cgroup_manager **out,
			struct hull_error *err);
void cgroup_manager_save(const struct cgroup_manager *m, json_gen *g);
void cgroup_manager_free(struct cgroup_manager *m);

/* Moves pid into the container's group(s). */
int cgroup_enter(struct cgroup_manager *m, pid_t pid, struct hull_error *err);
/* An O_PATH|O_DIRECTORY fd for clone3(CLONE_INTO_CGROUP) on v2, or -1 when
 * the driver cannot use it (v1, hybrid).  The caller closes it. */
int cgroup_clone_fd(struct cgroup_manager *m);

/* The child moving itself in, on cgroup v1 and hybrid hosts.  A pid
 * written to cgroup.procs by another process makes the kernel take its
 * threadgroup lock for writing, which waits out an RCU grace period: ~9 ms
 * of every create on the hybrid host this was measured on, the largest
 * single cost of `create` there.  A thread that writes "0" to a v1 group's
 * `tasks` file moves only itself and skips that lock (0.4 ms).  So the
 * parent opens the `tasks` files before the clone (the child needs no
 * access of its own to the host's cgroup tree), and the child, single
 * threaded, writes "0" to each.  A hybrid host's cgroup2 group, where that
 * shortcut does not exist, is entered by clone3(CLONE_INTO_CGROUP) with
 * clone_fd. */
#define CGROUP_SELF_ENTER_MAX 32
struct cgroup_self_enter {
	int tasks_fd[CGROUP_SELF_ENTER_MAX];   /* O_WRONLY on <group>/tasks */
	const char *dir[CGROUP_SELF_ENTER_MAX];/* the group, for errors */
	size_t n;
	int clone_fd;  /* the hybrid cgroup2 group for CLONE_INTO_CGROUP, or -1 */
};
/* Fills se (all fds CLOEXEC) and returns 1 when the driver lets the child
 * enter by itself; 0 (se empty) when it does not (v2, systemd: use
 * cgroup_clone_fd / cgroup_enter).  Before the clone. */
int cgroup_self_enter_open(struct cgroup_manager *m, struct cgroup_self_enter *se,
			   struct hull_error *err);
/* In the child, single threaded, before it does anything the limits must
 * cover: writes "0" to each tasks fd and closes them all. */
int cgroup_self_enter(struct cgroup_self_enter *se, struct hull_error *err);
/* Closes what cgroup_self_enter_open opened (idempotent). */
void cgroup_self_enter_close(struct cgroup_self_enter *se);
/* Mounts the container's view of the cgroup tree at `target` (an absolute
 * path on the host side of the container's new mount namespace, before
 * pivot_root); runs in the container child after the cgroup namespace was
 * unshared.  flags are the mount flags from the config entry. */
int cgroup_mount_in_container(const struct cgroup_manager *m, const char *target,
			      unsigned long flags, struct hull_error *err);

int cgroup_kill_all(struct cgroup_manager *m, int sig, struct hull_error *err);
int cgroup_pids(struct cgroup_manager *m, pid_t **pids, size_t *n,
		struct hull_error *err);
int cgroup_freeze(struct cgroup_manager *m, bool freeze, struct hull_error *err);
/* True when the group is frozen (for the "paused" status). */
bool cgroup_is_frozen(struct cgroup_manager *m);
int cgroup_update(struct cgroup_manager *m, const struct spec_resources *res,
		  struct hull_error *err);
/* Kills what is left and removes the group(s), but only those Hull made:
 * a group that existed before the container (linux.cgroupsPath naming a
 * group someone else made) is neither emptied nor removed.  Idempotent. */
int cgroup_destroy(struct cgroup_manager *m, struct hull_error *err);
/* True when Hull made the group that lists the container's processes, so
 * everything in it is the container's to kill. */
bool cgroup_owned(const struct cgroup_manager *m);
/* Brings pid (the container's init) back into the container's own group
 * when someone else moved it into a frozen cgroup-v1 freezer, where no
 * SIGKILL reaches it: joining Hull's (thawed) freezer group thaws it.  Only
 * Hull's own group is written to; 1 if moved, 0 if nothing to do. */
int cgroup_reclaim(struct cgroup_manager *m, pid_t pid, struct hull_error *err);


/* --- added by the cgroup manager (issue 3) --- */

/* Rejects "." and ".." components and newlines (the spec parser may call
 * it early; cgroup_manager_create() calls it again). */
int cgroup_path_validate(const char *path, struct hull_error *err);
/* The resources as last applied (create + updates); never NULL. */
const struct spec_resources *cgroup_manager_resources(const struct cgroup_manager *m);
/* "v2", "hybrid" or "v1", and the group path ("/hull/<id>"). */
const char *cgroup_manager_mode(const struct cgroup_manager *m);
const char *cgroup_manager_path(const struct cgroup_manager *m);
/* Usage counters for `events`; free with cgroup_stats_free(). */
int cgroup_stats(struct cgroup_manager *m, struct cgroup_stats *st,
		 struct hull_error *err);
/* An fd to poll for OOM events (see cgroup_oom_kills()); caller closes. */
int cgroup_oom_fd(struct cgroup_manager *m, struct hull_error *err);
/* OOM kills so far in the group (memory.events oom_kill, v1 oom_control). */
int cgroup_oom_kills(struct cgroup_manager *m, uint64_t *count,
		     struct hull_error *err);

/* --- the systemd driver (issue 11) --- */
/* True when systemd runs as the init system (/run/systemd/system), i.e.
 * when --systemd-cgroup can work (for `features` and --help). */
bool cgroup_systemd_available(void);

#endif
