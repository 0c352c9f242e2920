/* Shared by the cgroup drivers: the manager, the driver table and the
 * small file helpers every driver uses.  Not for use outside cgroups/
 * (tests excepted). */
#ifndef HULL_CGROUP_INTERNAL_H
#define HULL_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroups/cgroup.h"
#include "cgroups/resources.h"
#include "cgroups/stats.h"

enum cgroup_mode {
	CGROUP_MODE_V2,       /* one cgroup2 hierarchy holds every controller */
	CGROUP_MODE_HYBRID,   /* v1 controllers + a cgroup2 mount (maybe with some) */
	CGROUP_MODE_V1,       /* v1 only */
};

/* One v1 hierarchy (or, in hybrid mode, the unified one, name ""). */
struct cgroup_hier {
	char *name;           /* super options: "cpu", "cpu,cpuacct", "name=systemd" */
	char *mount;          /* mount point, "/sys/fs/cgroup/cpu" */
	char *dir;            /* the container's group: mount + path */
	int created;          /* trailing path components hull made (leaf = 1) */
};

struct cgroup_manager {
	const struct cgroup_ops *ops;
	enum cgroup_mode mode;
	char *id;
	char *path;           /* "/hull/<id>", relative to each hierarchy root */
	char *root;           /* v2: the cgroup2 mount; v1: /sys/fs/cgroup */
	char *dir;            /* v2: root + path */
	int created;          /* v2: trailing components hull made */
	struct cgroup_hier *h;/* v1/hybrid hierarchies */
	size_t nh;
	struct cgroup_hier *unified; /* hybrid: the cgroup2 group, or NULL */
	struct spec_resources *res;  /* as applied (for update and state) */
	/* linux.devices entries, allowed on top of the rules (like runc). */
	struct spec_device_rule *extra_dev;
	size_t n_extra_dev;
	/* systemd driver (systemd.c): the scope, and the fs driver (v2/v1)
	 * that writes the files systemd does not. */
	const struct cgroup_ops *fs_ops;
	char *sd_unit;        /* "hull-<id>.scope" */
	char *sd_slice;       /* "system.slice" */
	bool sd_started;      /* StartTransientUnit succeeded */
	struct sd_props *sd_extra; /* org.systemd.property.* annotations */
};

struct cgroup_ops {
	const char *name;
	/* Finds the hierarchies and the group dirs, and records in `created`
	 * how many trailing components are missing; writes nothing. */
	int (*plan)(struct cgroup_manager *m, struct hull_error *err);
	/* Makes the planned group(s), records what was made in m (a group
	 * that existed has created == 0: not Hull's), and refuses one that
	 * already holds processes. */
	int (*create)(struct cgroup_manager *m, struct hull_error *err);
	/* Checks r against the host and the live group before any write. */
	int (*validate)(struct cgroup_manager *m, const struct spec_resources *r,
			bool update, struct hull_error *err);
	int (*apply)(struct cgroup_manager *m, const struct spec_resources *r,
		     bool update, struct hull_error *err);
	int (*enter)(struct cgroup_manager *m, pid_t pid, struct hull_error *err);
	int (*clone_fd)(struct cgroup_manager *m);
	/* May be NULL: the driver has no way for the child to enter itself. */
	int (*self_enter_open)(struct cgroup_manager *m, struct cgroup_self_enter *se,
			       struct hull_error *err);
	int (*kill_all)(struct cgroup_manager *m, int sig, struct hull_error *err);
	int (*pids)(struct cgroup_manager *m, pid_t **pids, size_t *n,
		    struct hull_error *err);
	int (*freeze)(struct cgroup_manager *m, bool freeze, struct hull_error *err);
	bool (*is_frozen)(struct cgroup_manager *m);
	int (*destroy)(struct cgroup_manager *m, struct hull_error *err);
	bool (*owned)(const struct cgroup_manager *m);
	/* May be NULL (v2: SIGKILL reaches frozen tasks). */
	int (*reclaim)(struct cgroup_manager *m, pid_t pid, struct hull_error *err);
	int (*stats)(struct cgroup_manager *m, struct cgroup_stats *st,
		     struct hull_error *err);
	/* An fd that becomes readable when an OOM kill may have happened
	 * (v1: eventfd on memory.oom_control; v2: inotify on memory.events). */
	int (*oom_fd)(struct cgroup_manager *m, struct hull_error *err);
	int (*mount_in_container)(const struct cgroup_manager *m, const char *target,
				  unsigned long flags, struct hull_error *err);
	void (*save)(const struct cgroup_manager *m, json_gen *g);
	int (*load)(struct cgroup_manager *m, const json_node *saved,
		    struct hull_error *err);
};

extern const struct cgroup_ops cgroup_v2_ops;
extern const struct cgroup_ops cgroup_v1_ops;
extern const struct cgroup_ops cgroup_systemd_ops;

/* --- probe.c --- */
int cgroup_probe(const char *root, enum cgroup_mode *mode, struct hull_error *err);
const char *cgroup_mode_name(enum cgroup_mode mode);

/* Creates a manager against an explicit root and mode: what
 * cgroup_manager_create() uses after probing, and what the unit tests use
 * with a fake tree in a temp dir. */
int cgroup_manager_create_at(const struct cgroup_config *cfg,
			     enum cgroup_mode mode, const char *root,
			     struct cgroup_manager **out, struct hull_error *err);
int cgroup_manager_plan_at(const struct cgroup_config *cfg, enum cgroup_mode mode,
			   const char *root, struct cgroup_manager **out,
			   struct hull_error *err);

/* Tests set this: writes create missing files, pids/kill treat missing
 * cgroup.procs as empty, rmdir clears files first, BPF is not attached. */
extern bool cgroup_fake_fs;

/* --- fs.c: file helpers; `dir` is a group directory --- */
int cg_write(const char *dir, const char *file, const char *value,
	     struct hull_error *err);
int cg_writef(struct hull_error *err, const char *dir, const char *file,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Reads a whole small file into a heap string (trailing newline kept). */
int cg_read(const char *dir, const char *file, char **out, struct hull_error *err);
int cg_read_u64(const char *dir, const char *file, uint64_t *out,
		struct hull_error *err);
/* "key value" lines (memory.stat, cpu.stat, cgroup.events) */
bool cg_keyed_u64(const char *text, const char *key, uint64_t *out);
bool cg_exists(const char *dir, const char *file);
char *cg_join(const char *a, const char *b);
/* mkdir -p root+path; *created = trailing components made.  On failure
 * removes what it made. */
int cg_mkdir_path(const char *root, const char *path, int *created,
		  int (*on_dir)(const char *parent, const char *dir, void *ctx,
				struct hull_error *err),
		  void *ctx, struct hull_error *err);
/* How many trailing components of root+path do not exist (what
 * cg_mkdir_path would make now). */
int cg_missing_tail(const char *root, const char *path);
/* Fails naming dir when it (or a group below it) holds processes. */
int cg_check_unused(const char *dir, struct hull_error *err);
/* rmdir with a bounded EBUSY backoff, children first; ENOENT is success. */
int cg_rmdir(const char *dir, struct hull_error *err);
/* Removes dir and then `created - 1` parents, stopping quietly at the
 * first that is not empty. */
int cg_remove_created(const char *dir, int created, struct hull_error *err);
/* Pids in cgroup.procs of dir and (recursive) its child groups. */
int cg_read_pids(const char *dir, bool recursive, pid_t **pids, size_t *n,
		 struct hull_error *err);
/* Sends sig to every pid of the group until none are left (SIGKILL) or
 * once (other signals). */
int cg_signal_all(const char *dir, bool recursive, int sig, struct hull_error *err);

/* v2.c: an on_dir callback for cg_mkdir_path() that enables in `parent`
 * every controller it has; ctx: the root's cgroup.controllers, used in
 * fake mode where intermediate groups have no such file. */
int cg_v2_enable_controllers(const char *parent, const char *dir, void *ctx,
			     struct hull_error *err);

/* --- path.c --- */
/* Where the container's group goes (see cgroups/README.md). */
int cgroup_resolve_path(const char *id, const char *cgroups_path, char **out,
			struct hull_error *err);

/* --- devices.c --- */
/* The effective device rule list: deny all, then the spec's rules, then
 * the always-allowed defaults and linux.devices (runc's order). */
int cgroup_device_rules(const struct cgroup_manager *m,
			const struct spec_resources *r,
			struct spec_device_rule **out, size_t *n,
			struct hull_error *err);

/* --- devices_bpf.c --- */
struct bpf_insn;
/* Builds the BPF_PROG_TYPE_CGROUP_DEVICE program for rules (heap). */
int cgroup_bpf_build(const struct spec_device_rule *rules, size_t n,
		     struct bpf_insn **insns, size_t *count, struct hull_error *err);
int cgroup_bpf_load(const struct bpf_insn *insns, size_t count,
		    struct hull_error *err);
/* Attaches prog_fd to the group at dir_fd and detaches what was attached
 * before (replace on update). */
int cgroup_bpf_replace(int dir_fd, int prog_fd, struct hull_error *err);

/* --- stats helpers --- */
int cgroup_v1_stats(struct cgroup_manager *m, struct cgroup_stats *st,
		    struct hull_error *err);
int cgroup_v2_stats(const char *dir, struct cgroup_stats *st,
		    struct hull_error *err);
int cgroup_v2_hugetlb_stats(const char *dir, struct cgroup_stats *st,
			    struct hull_error *err);

#endif
