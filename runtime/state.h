/* Container state on disk: <root>/<id>/state.json, written atomically
 * (temp file + rename), and a per-container lock (flock on the container
 * directory) that serializes the commands that change one container.
 * Readers take no lock, and no writer holds it while it waits on the
 * container's process.
 *
 * The status is never stored as truth: container_status() derives it from
 * the real process (its start time in /proc/<pid>/stat must match the one
 * recorded, so a recycled pid reads as "stopped"), the exec fifo (present
 * until `start`) and the cgroup freezer. */
#ifndef HULL_STATE_H
#define HULL_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "base/json.h"

#define HULL_DEFAULT_ROOT "/run/hull"
#define HULL_EXEC_FIFO "exec.fifo"

enum container_status {
	STATUS_CREATING, STATUS_CREATED, STATUS_RUNNING, STATUS_PAUSED, STATUS_STOPPED,
};

struct cgroup_manager;

struct container {
	char *root;                 /* --root */
	char *id;
	char *dir;                  /* <root>/<id> */
	int dir_fd;                 /* O_DIRECTORY on dir, holds the lock */
	char *bundle;
	char *rootfs;
	char *backend;              /* "linux" or "vm" */
	pid_t pid;                  /* 0 while creating */
	uint64_t pid_start;         /* /proc/<pid>/stat field 22 */
	char *created;              /* RFC 3339 */
	uid_t owner;
	bool systemd_cgroup;
	char **annotation_keys, **annotation_values;
	size_t n_annotations;
	struct cgroup_manager *cgroup;
	json_node *resources;       /* linux.resources as last applied (update) */
	json_node *extra;           /* backend-private state, opaque here */
};

int state_validate_id(const char *id, struct hull_error *err);
/* Creates <root>/<id> exclusively (EEXIST: "container X already exists")
 * and takes its lock. */
int container_new(const char *root, const char *id, struct container **out,
		  struct hull_error *err);
/* Opens and locks <root>/<id> and reads its state.json: for commands that
 * change the container.  After the lock is taken it re-checks that the
 * directory is still the container's (delete may have removed it while
 * this one waited). */
int container_load(const char *root, const char *id, struct container **out,
		   struct hull_error *err);
/* The same without the lock, for commands that only read (state, list, ps,
 * events): they never wait behind a writer, which may itself be waiting
 * on the container (start waiting for READY=1). */
int container_read(const char *root, const char *id, struct container **out,
		   struct hull_error *err);
/* Drops the lock early (the fd stays open for container_status). */
void container_unlock(struct container *c);
int container_save(struct container *c, struct hull_error *err);
/* Removes <root>/<id> entirely. */
int container_remove_dir(struct container *c, struct hull_error *err);
void container_free(struct container *c);

enum container_status container_status(struct container *c);
const char *container_status_name(enum container_status s);
/* True when the recorded pid is alive and is still the same process. */
bool container_pid_alive(const struct container *c);
/* The spec's state JSON (ociVersion, id, status, pid, bundle, annotations). */
char *container_state_json(struct container *c, bool pretty);
/* The same with a given status (hooks see "creating" before the state
 * file exists). */
char *container_state_json_as(struct container *c, enum container_status st);
void container_gen_state(struct container *c, enum container_status st,
			 json_gen *g);

uint64_t proc_start_time(pid_t pid);
/* Ids of all containers under root (sorted); NULL-terminated. */
int state_list_ids(const char *root, char ***ids, struct hull_error *err);

#endif
