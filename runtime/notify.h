/* NOTIFY_SOCKET pass-through (sd_notify), as runc does it: the container
 * sees NOTIFY_SOCKET=/run/notify/notify.sock (the state's notify/ dir is
 * bind-mounted at /run/notify at create); `start` binds that socket, starts
 * the process, and forwards its READY=1 to the caller's NOTIFY_SOCKET, so
 * the service manager hears "ready" only after start. */
#ifndef HULL_NOTIFY_H
#define HULL_NOTIFY_H

#include "base/error.h"
#include "runtime/state.h"

struct notify_relay {
	int fd;
};

int notify_relay_bind(struct notify_relay *r, const char *state_dir,
		      struct hull_error *err);
/* Waits for READY=1 while the container lives, then forwards it. */
int notify_relay_wait(struct notify_relay *r, struct container *c,
		      struct hull_error *err);
void notify_relay_close(struct notify_relay *r);

#endif
