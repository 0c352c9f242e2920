/* Staying in the foreground as a process's parent: signals forwarded, the
 * pty proxied to our stdio, the exit status returned (128+N for signal N).
 * Shared by `run` and `exec`. */
#ifndef HULL_SUPERVISE_H
#define HULL_SUPERVISE_H

#include <signal.h>
#include <sys/types.h>

/* Call with every signal blocked since before the child existed (so none
 * meant for it is lost); restores `old` before returning. */
int supervise_process(pid_t pid, int pidfd, int pty_master, const sigset_t *old);
/* The same, relaying the container's NOTIFY_SOCKET messages from relay_fd
 * (-1: none) for as long as it runs (`run` in the foreground). */
int supervise_process_relay(pid_t pid, int pidfd, int pty_master, int relay_fd,
			    const sigset_t *old);

#endif
