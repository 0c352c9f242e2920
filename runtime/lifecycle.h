/* The container lifecycle: the library entry points behind the CLI verbs.
 * Each takes the state root and a container id, locks the container for
 * the duration, and reports errors through struct hull_error. */
#ifndef HULL_LIFECYCLE_H
#define HULL_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"

struct create_opts {
	const char *root;
	const char *id;
	const char *bundle;
	const char *pid_file;
	const char *console_socket;
	bool no_pivot;
	bool no_new_keyring;
	bool systemd_cgroup;
	int preserve_fds;
	bool keep;                  /* run --keep: no delete after the exit */
	bool vm;                    /* --vm: the microVM backend */
	const char *vm_kernel;      /* --vm-kernel: guest kernel (implies vm) */
	bool vm_no_jail;            /* --vm-no-jail: the monitor unconfined (debugging) */
	/* set by hull_run: the pty master comes back instead of going to a
	 * console socket. */
	bool tty_to_parent;
	/* --net MODE[:NETWORK] and -p SPEC... (runtime/net.h); NULL/0: the
	 * io.hull.net annotations, else no networking. */
	const char *net;
	const char *const *ports;
	size_t n_ports;
	const char *net_ip;         /* --ip ADDR[/PREFIX]: a static address */
	/* run --image (runtime/run_image.c): config.json's text, instead of
	 * reading BUNDLE/config.json; and, while the root is still being
	 * made beside the create, a wait that create calls once, just
	 * before it first touches root.path. */
	const char *config_text;
	int (*rootfs_wait)(void *data, struct hull_error *err);
	void *rootfs_wait_data;
};

struct created {
	pid_t pid;
	int pidfd;                  /* -1 if unavailable */
	int pty_master;             /* -1 unless tty_to_parent */
	bool vm;                    /* the microVM backend runs it */
};

int hull_create(const struct create_opts *o, struct created *out,
		struct hull_error *err);
int hull_start(const char *root, const char *id, struct hull_error *err);
/* start, for `run` in the foreground: with NOTIFY_SOCKET set, *keep_relay
 * gets the relay socket (still relaying after READY=1) and no MAINPID is
 * sent, since the caller stays the service's main process. */
int hull_start_notify(const char *root, const char *id, int *keep_relay,
		      struct hull_error *err);
/* sig: a number; all: every process in the container's cgroup. */
int hull_kill(const char *root, const char *id, int sig, bool all,
	      struct hull_error *err);
int hull_delete(const char *root, const char *id, bool force,
		struct hull_error *err);
/* The spec's state JSON (caller frees). */
int hull_state(const char *root, const char *id, char **json,
	       struct hull_error *err);
/* create + start + wait in the foreground (signals forwarded, the tty
 * proxied), then delete.  *status is the exit code to return: the
 * container's, or 128+N for signal N.  With detach, returns after start. */
int hull_run(const struct create_opts *o, bool detach, int *status,
	     struct hull_error *err);

/* Signal names (with or without SIG) and numbers. */
int hull_parse_signal(const char *s, int *sig, struct hull_error *err);

struct list_entry {
	char *id;
	pid_t pid;
	char *status;
	char *bundle;
	char *created;
	char *owner;
	char *backend;              /* "linux" or "vm" */
};
int hull_list(const char *root, struct list_entry **entries, size_t *n,
	      struct hull_error *err);
void hull_list_free(struct list_entry *e, size_t n);

/* CVE-2019-5736: re-executes the runtime from a sealed memfd copy of its
 * binary (unless it already runs from one), so nothing in a container can
 * reach the host's binary through /proc/self/exe.  Call first thing in
 * verbs that enter containers.  Returns only on failure or when already
 * cloned. */
int hull_ensure_cloned_binary(char **argv, struct hull_error *err);

#endif
