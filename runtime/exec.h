/* `exec`: a new process in a running container's namespaces and cgroup. */
#ifndef HULL_EXEC_H
#define HULL_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"

struct exec_opts {
	const char *root;
	const char *id;
	const char *process_file;   /* --process: a runtime-spec process JSON */
	char **args;                /* or the command line */
	bool tty;
	bool detach;
	const char *pid_file;
	const char *console_socket;
	const char *cwd;
	char **env;                 /* KEY=VALUE additions */
	bool has_user;
	uid_t uid;
	bool has_gid;
	gid_t gid;
	gid_t *additional_gids;
	size_t n_additional_gids;
	char **caps;                /* --cap additions */
	bool no_new_privs;
	int preserve_fds;
	const char *apparmor;       /* --apparmor: replaces process.apparmorProfile */
	const char *process_label;  /* --process-label: replaces process.selinuxLabel */
	bool ignore_paused;         /* --ignore-paused: exec into a paused container */
	const char *cgroup;         /* --cgroup: refused (sub-cgroups not supported) */
};

/* Runs the process; in the foreground *status is its exit code (128+N for
 * a signal), with --detach 0 once it runs. */
int hull_exec(const struct exec_opts *o, int *status, struct hull_error *err);

#endif
