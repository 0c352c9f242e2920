/* The parent <-> container-child protocol: fixed-size packets on a
 * SOCK_SEQPACKET socketpair, an optional fd riding along with SCM_RIGHTS.
 * The child reports failure with SYNC_ERROR carrying the whole hull_error,
 * so the message the user sees comes from where it happened. */
#ifndef HULL_SYNC_H
#define HULL_SYNC_H

#include <stddef.h>

#include "base/error.h"

enum sync_type {
	SYNC_GO = 1,            /* parent: ids mapped, cgroup joined: proceed */
	SYNC_MOUNTS_READY,      /* child: rootfs prepared, run createRuntime */
	SYNC_HOOKS_DONE,        /* parent: runtime hooks ran */
	SYNC_PTY,               /* child: fd = pty master */
	SYNC_SECCOMP_FD,        /* child: fd = seccomp notify listener */
	SYNC_READY,             /* child: waiting on the exec fifo */
	SYNC_ERROR,             /* child: err holds why */
};

struct sync_packet {
	int type;
	long long arg;              /* SYNC_HOOKS_DONE: the container pid */
	struct hull_error err;
};

int sync_send(int sock, int type, int fd, struct hull_error *err);
int sync_send_arg(int sock, int type, long long arg, struct hull_error *err);
int sync_send_error(int sock, const struct hull_error *e);
/* Receives one packet; *fd gets a passed fd or -1.  EOF is an error. */
int sync_recv(int sock, struct sync_packet *p, int *fd, struct hull_error *err);
/* Waits for one packet of the given type (SYNC_ERROR becomes the error). */
int sync_expect(int sock, int type, int *fd, struct hull_error *err);
/* Same, also returning the packet's arg. */
int sync_expect_arg(int sock, int type, long long *arg, struct hull_error *err);

/* Plain SCM_RIGHTS send on a connected unix socket (console socket,
 * seccomp listener). */
int unix_send_fd(int sock, int fd, const char *data, size_t len,
		 struct hull_error *err);
int unix_recv_fd(int sock, int *fd, char *data, size_t *len,
		 struct hull_error *err);
int unix_connect(const char *path, int type, struct hull_error *err);

#endif
