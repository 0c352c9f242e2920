/* The runtime-spec config.json as typed structs.
 *
 * spec_load() parses and validates the whole document before the runtime
 * acts on any of it (validate, then act): types, ranges, names (rlimits,
 * capabilities, namespaces, seccomp actions), and mount options are all
 * resolved here, so the child between clone and execve only applies values.
 * Errors name the JSON path.  Unknown fields are ignored, as the spec says. */
#ifndef HULL_SPEC_H
#define HULL_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "base/json.h"

struct spec_resources;

struct spec_id_mapping {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

struct spec_mount {
	char *destination;
	char *type;
	char *source;
	char **options;
	size_t n_options;
	/* Resolved from options by spec parsing (oci/mount_options.c): */
	unsigned long flags;        /* MS_* applied at mount time */
	unsigned long clear_flags;  /* flags named with their "no" form */
	unsigned long propagation;  /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE (+MS_REC) */
	bool bind;                  /* bind or rbind */
	bool recursive;             /* rbind */
	bool need_remount;          /* a bind mount with flags that need MS_REMOUNT */
	char *data;                 /* remaining fs-specific options, comma-joined */
	/* r* options (rro, rnosuid, ...): MOUNT_ATTR_* that mount_setattr(2)
	 * applies with AT_RECURSIVE to the mount and every submount. */
	uint64_t rec_attr_set, rec_attr_clr;
	bool tmpcopyup;             /* tmpfs: copy the directory it covers into it */
	/* idmap / ridmap, or uidMappings/gidMappings on the mount: an
	 * idmapped bind mount (mount_setattr MOUNT_ATTR_IDMAP). */
	bool idmap, idmap_recursive;
	struct spec_id_mapping *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
};

struct spec_rlimit {
	int resource;               /* RLIMIT_* */
	uint64_t soft;
	uint64_t hard;
};

struct spec_caps {
	bool set;                   /* process.capabilities present */
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct spec_user {
	uid_t uid;
	gid_t gid;
	bool has_umask;
	mode_t umask;
	gid_t *additional_gids;
	size_t n_additional_gids;
};

struct spec_process {
	bool terminal;
	unsigned int console_height, console_width;
	char *cwd;
	char **env;
	size_t n_env;
	char **args;
	size_t n_args;
	struct spec_user user;
	struct spec_caps caps;
	struct spec_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	char *apparmor_profile;
	char *selinux_label;
	/* execCPUAffinity (runtime-spec 1.2), validated cpu lists, or NULL */
	char *exec_cpu_affinity_initial;
	char *exec_cpu_affinity_final;
	bool has_oom_score_adj;
	int oom_score_adj;
	bool has_io_priority;
	int io_priority_class;      /* IOPRIO_CLASS_* */
	int io_priority;
	bool has_scheduler;
	unsigned int sched_policy;
	int sched_nice;
	int sched_priority;
	uint64_t sched_flags;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

enum spec_ns_type {
	NS_MOUNT, NS_PID, NS_NET, NS_IPC, NS_UTS, NS_USER, NS_CGROUP, NS_TIME,
	NS_COUNT
};

struct spec_namespace {
	bool enabled;               /* listed in linux.namespaces */
	char *path;                 /* join this one instead of creating */
};

struct spec_device {
	char type;                  /* 'c', 'b', 'u', 'p' */
	char *path;
	int64_t major, minor;
	bool has_mode;
	mode_t file_mode;
	bool has_uid, has_gid;
	uid_t uid;
	gid_t gid;
};

struct spec_seccomp_arg {
	unsigned int index;
	uint64_t value, value_two;
	int op;                     /* SCMP_CMP_* */
};

struct spec_seccomp_rule {
	char **names;
	size_t n_names;
	uint32_t action;            /* SCMP_ACT_* with errno folded in */
	struct spec_seccomp_arg *args;
	size_t n_args;
};

struct spec_seccomp {
	uint32_t default_action;
	uint32_t *architectures;    /* SCMP_ARCH_* */
	size_t n_architectures;
	unsigned int flags;         /* SECCOMP_FILTER_FLAG_* */
	char *listener_path;
	char *listener_metadata;
	struct spec_seccomp_rule *rules;
	size_t n_rules;
	bool uses_notify;           /* some action is SCMP_ACT_NOTIFY */
};

struct spec_hook {
	char *path;
	char **args;
	char **env;
	int timeout;                /* seconds, 0 = none */
};

enum spec_hook_kind {
	HOOK_PRESTART, HOOK_CREATE_RUNTIME, HOOK_CREATE_CONTAINER,
	HOOK_START_CONTAINER, HOOK_POSTSTART, HOOK_POSTSTOP, HOOK_KIND_COUNT
};

struct spec_hooks {
	struct spec_hook *list[HOOK_KIND_COUNT];
	size_t count[HOOK_KIND_COUNT];
};

/* Node ids up to 1023: the kernel's largest MAX_NUMNODES (NODES_SHIFT 10). */
#define SPEC_MPOL_NODES 1024

struct spec_net_device {
	char *host_name;            /* the key: the interface on the host */
	char *name;                 /* its name in the container (default: the same) */
};

struct spec_linux {
	struct spec_namespace ns[NS_COUNT];
	struct spec_id_mapping *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	bool has_time_offsets;
	int64_t monotonic_secs, boottime_secs;
	uint32_t monotonic_nsecs, boottime_nsecs;
	struct spec_device *devices;
	size_t n_devices;
	char *cgroups_path;
	struct spec_resources *resources;
	unsigned long rootfs_propagation;   /* 0 = default (rslave) */
	struct spec_seccomp *seccomp;
	char **sysctl_keys, **sysctl_values;
	size_t n_sysctl;
	char **masked_paths, **readonly_paths;
	size_t n_masked_paths, n_readonly_paths;
	char *mount_label;
	bool has_personality;
	unsigned long personality;  /* domain | flags, for personality(2) */
	/* linux.memoryPolicy (oci/spec_mempolicy.c), for set_mempolicy(2): */
	bool has_memory_policy;
	int mempolicy_mode;         /* MPOL_* | MPOL_F_* */
	uint64_t mempolicy_nodes[SPEC_MPOL_NODES / 64];
	/* linux.netDevices (oci/spec_netdevices.c): */
	struct spec_net_device *net_devices;
	size_t n_net_devices;
};

struct spec {
	char *oci_version;
	char *root_path;            /* absolute: resolved against the bundle */
	bool root_readonly;
	char *hostname;
	char *domainname;
	struct spec_mount *mounts;
	size_t n_mounts;
	struct spec_process *process;       /* NULL if absent */
	struct spec_hooks hooks;
	char **annotation_keys, **annotation_values;
	size_t n_annotations;
	struct spec_linux linux;
};

/* Loads <bundle>/config.json.  The bundle path must be absolute.  text
 * (may be NULL): the file's text that was parsed (caller frees), so that
 * a copy of it is of what was parsed, without a second read. */
int spec_load(const char *bundle, struct spec **out, char **text, struct hull_error *err);
/* The same for config.json's text in memory (bundle still resolves
 * root.path and names the file in errors). */
int spec_load_text(const char *bundle, const char *text, struct spec **out,
		   struct hull_error *err);
/* Parses a document already in memory (tests, fuzzing). */
int spec_parse(const json_node *root, const char *bundle, struct spec **out,
	       struct hull_error *err);
void spec_free(struct spec *s);

/* process.json for `exec --process`, and the pieces built from exec flags. */
int spec_process_parse(const json_node *node, const char *path,
		       struct spec_process **out, struct hull_error *err);
void spec_process_free(struct spec_process *p);

const char *spec_annotation(const struct spec *s, const char *key);
const char *spec_ns_name(enum spec_ns_type t);
int spec_ns_clone_flag(enum spec_ns_type t);

/* Name tables shared with exec's flags and `features`. */
int spec_rlimit_from_name(const char *name);
int spec_cap_from_name(const char *name);      /* -1 if unknown */
const char *spec_cap_name(int cap);            /* NULL if unknown */
int spec_cap_last_known(void);
/* oci/spec_caps.c: the kernel's last capability (/proc/sys/kernel/cap_last_cap),
 * and fitting parsed sets to it before they are applied: a known cap that
 * the kernel lacks, and an ambient cap that is not both permitted and
 * inheritable, are left out with a warning (as runc and crun do). */
int spec_caps_kernel_last(void);
void spec_caps_fit_kernel(struct spec_caps *c, int kernel_last_cap);
/* Internal parsers of spec.c's parts (one file each). */
int spec_parse_process(const json_node *node, const char *path,
		       struct spec_process *p, struct hull_error *err);
int spec_parse_caps(const json_node *proc, const char *path,
		    struct spec_caps *caps, struct hull_error *err);
int spec_parse_scheduler(const json_node *proc, const char *path,
			 struct spec_process *p, struct hull_error *err);
int spec_parse_personality(const json_node *linux_node, struct spec_linux *l,
			   struct hull_error *err);
int spec_parse_memory_policy(const json_node *linux_node, struct spec_linux *l,
			     struct hull_error *err);
int spec_parse_net_devices(const json_node *linux_node, struct spec_linux *l,
			   struct hull_error *err);
/* "0-3,5" into a bit mask of `words` 64-bit words; -1 if malformed. */
int spec_parse_node_list(const char *list, uint64_t *mask, size_t words);
/* The kernel's rule for an interface name (dev_valid_name). */
bool spec_ifname_valid(const char *name);
int spec_parse_linux(const json_node *node, const char *path,
		     struct spec_linux *l, struct hull_error *err);
int spec_parse_seccomp(const json_node *node, const char *path,
		       struct spec_seccomp **out, struct hull_error *err);
void spec_seccomp_free(struct spec_seccomp *s);
int spec_parse_mount_options(struct spec_mount *m, const char *path,
			     struct hull_error *err);
/* A cpu list ("0-3,7") into *set (a cpu_set_t); -1 with "<what>: ..."
 * naming the bad part. */
int spec_cpu_list_parse(const char *list, const char *what, void *set,
			struct hull_error *err);
/* Every mount option spec_parse_mount_options knows (for `features`),
 * NULL-terminated; filesystem data options (size=, mode=) are not listed. */
const char *const *spec_mount_option_names(void);
/* An array of LinuxIDMapping at node[key]; path names node in errors. */
int spec_parse_id_mappings(const json_node *node, const char *key, const char *path,
			   struct spec_id_mapping **out, size_t *count,
			   struct hull_error *err);
/* Mount checks that need linux too (idmap without mappings uses the
 * container's user namespace). */
int spec_check_mounts(const struct spec *s, struct hull_error *err);
/* linux.sysctl: only keys a namespace the config creates isolates. */
int spec_check_sysctl(const struct spec_linux *l, struct hull_error *err);
/* Default capability sets of `hull spec` and `exec` without --cap. */
extern const char *const spec_default_caps[];
/* Into an open process object: the capabilities (the default set),
 * RLIMIT_NOFILE 1024 and noNewPrivileges of `hull spec`, which images'
 * bundles share. */
void spec_gen_default_process_security(json_gen *g);
/* The "linux" object of `hull spec` (rootless: user namespace with the
 * caller's ids mapped, no network namespace, no device rules); image
 * bundles use the rootful one. */
void spec_gen_default_linux(json_gen *g, bool rootless);
/* The "mounts" key and array of `hull spec` (rootless: /sys bound from the
 * host, no cgroup mount, devpts without gid=5); image bundles use the
 * rootful one. */
void spec_gen_default_mounts(json_gen *g, bool rootless);

#endif
