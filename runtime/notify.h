/* NOTIFY_SOCKET pass-through (sd_notify), as runc does it: the container
 * sees NOTIFY_SOCKET=/run/notify/notify.sock (the state's notify/ dir is
 * bind-mounted at /run/notify at create); `start` binds that socket, starts
 * the process and relays what the container says to the caller's
 * NOTIFY_SOCKET, so the service manager hears "ready" only after start.
 *
 * The container is not trusted: only the lines systemd should hear from a
 * payload are relayed (READY=1, STATUS=, EXTEND_TIMEOUT_USEC=, WATCHDOG=1);
 * MAINPID=, FDSTORE=, fds and the rest are dropped, and MAINPID is sent by
 * Hull itself (the container's init), followed by BARRIER=1 so systemd has
 * read everything before `start` exits. */
#ifndef HULL_NOTIFY_H
#define HULL_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"

struct notify_relay {
	int fd;
	bool ready;      /* a READY=1 line went through */
};

int notify_relay_bind(struct notify_relay *r, const char *state_dir,
		      struct hull_error *err);
/* Reads one datagram (if any) and relays its allowed lines. */
int notify_relay_pump(struct notify_relay *r, struct hull_error *err);
/* Relays until READY=1 (at once with HULL_NOTIFY_READY=started in the
 * environment, which units for non-notifying payloads set); fails if the process (pidfd, or pid when pidfd is
 * -1) exits first.  Needs no container state, so no lock is held. */
int notify_relay_wait_ready(struct notify_relay *r, int pidfd, pid_t pid,
			    struct hull_error *err);
/* Tells the caller's service manager MAINPID=pid, then waits (bounded)
 * on BARRIER=1 so the messages are processed before we exit. */
int notify_send_mainpid(pid_t pid, struct hull_error *err);
void notify_relay_close(struct notify_relay *r);

/* The filter (pure; unit-tested): copies the allowed lines of msg[0..len)
 * to out (size outsz), newline-separated; *ready when one is "READY=1".
 * Returns the length written (0: nothing to relay). */
size_t notify_filter(const char *msg, size_t len, char *out, size_t outsz,
		     bool *ready);

#endif
