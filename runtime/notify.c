/* See notify.h. */
#include "runtime/notify.h"
#include "runtime/state.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/cleanup.h"

/* Bounded like sd_notify_barrier()'s default: systemd answers at once. */
#define BARRIER_TIMEOUT_MS 5000

int notify_relay_bind(struct notify_relay *r, const char *state_dir,
		      struct hull_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify/notify.sock", state_dir);
	mode_t old;
	int rc;

	r->ready = false;
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return hull_error_set(err, ENAMETOOLONG, "NOTIFY_SOCKET: state path too long");
	r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r->fd < 0)
		return hull_error_errno(err, "NOTIFY_SOCKET: socket");
	/* unlink() removes the entry itself, never a symlink's target. */
	unlink(sa.sun_path);
	/* The directory is the container's (bind-mounted at /run/notify):
	 * a chmod by path after bind() would follow a symlink the container
	 * put there meanwhile.  Create the socket with its final mode
	 * instead (any uid in the container may notify); bind() refuses an
	 * existing entry, symlink or not.  Single-threaded here, so the
	 * process-wide umask is ours to borrow. */
	old = umask(0);
	rc = bind(r->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0)
		return hull_error_errno(err, "NOTIFY_SOCKET: bind %s", sa.sun_path);
	return 0;
}

static bool line_allowed(const char *l, size_t n, bool *ready)
{
	static const char status[] = "STATUS=", extend[] = "EXTEND_TIMEOUT_USEC=";

	if (memchr(l, '\0', n))
		return false;
	if (n == 7 && memcmp(l, "READY=1", 7) == 0) {
		*ready = true;
		return true;
	}
	if (n == 10 && memcmp(l, "WATCHDOG=1", 10) == 0)
		return true;
	if (n >= sizeof(status) - 1 && memcmp(l, status, sizeof(status) - 1) == 0)
		return true;
	if (n > sizeof(extend) - 1 && memcmp(l, extend, sizeof(extend) - 1) == 0) {
		for (size_t i = sizeof(extend) - 1; i < n; i++)
			if (!isdigit((unsigned char)l[i]))
				return false;
		return true;
	}
	return false;
}

size_t notify_filter(const char *msg, size_t len, char *out, size_t outsz,
		     bool *ready)
{
	size_t w = 0;

	*ready = false;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(msg + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (msg + i)) : len - i;
		bool rd = false;

		if (n && line_allowed(msg + i, n, &rd) && w + n + 2 <= outsz) {
			if (w)
				out[w++] = '\n';
			memcpy(out + w, msg + i, n);
			w += n;
			*ready |= rd;
		}
		i += n + 1;
	}
	if (w < outsz)
		out[w] = '\0';
	return w;
}

static int target_addr(struct sockaddr_un *sa, socklen_t *len, struct hull_error *err)
{
	const char *target = getenv("NOTIFY_SOCKET");

	if (target == NULL || target[0] == '\0' || strlen(target) >= sizeof(sa->sun_path) ||
	    (target[0] != '/' && target[0] != '@'))
		return hull_error_set(err, EINVAL, "NOTIFY_SOCKET: \"%s\" is not a socket path",
				      target ? target : "");
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	strcpy(sa->sun_path, target);
	/* An abstract socket is written with a leading '@'. */
	if (sa->sun_path[0] == '@')
		sa->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(target));
	return 0;
}

/* One datagram to the caller's NOTIFY_SOCKET, with an optional fd. */
static int send_msg(const char *msg, size_t len, int pass_fd, struct hull_error *err)
{
	struct sockaddr_un sa;
	socklen_t salen = 0;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	autoclose int fd = -1;

	if (target_addr(&sa, &salen, err) < 0)
		return -1;
	mh.msg_name = &sa;
	mh.msg_namelen = salen;
	if (pass_fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		ctl.h.cmsg_level = SOL_SOCKET;
		ctl.h.cmsg_type = SCM_RIGHTS;
		ctl.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&ctl.h), &pass_fd, sizeof(int));
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hull_error_errno(err, "NOTIFY_SOCKET: socket");
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
		return hull_error_errno(err, "NOTIFY_SOCKET: sending to %s", getenv("NOTIFY_SOCKET"));
	return 0;
}

int notify_relay_pump(struct notify_relay *r, struct hull_error *err)
{
	char buf[4096], out[4096];
	bool ready;
	size_t n_out;
	/* recv() without a control buffer: fds the container attached are
	 * closed by the kernel (MSG_CTRUNC), never relayed. */
	ssize_t n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0
			: hull_error_errno(err, "NOTIFY_SOCKET: recv");
	n_out = notify_filter(buf, (size_t)n, out, sizeof(out), &ready);
	if (n_out && send_msg(out, n_out, -1, err) < 0)
		return -1;
	r->ready |= ready;
	return 0;
}

int notify_relay_wait_ready(struct notify_relay *r, int pidfd, pid_t pid,
			    struct hull_error *err)
{
	const char *when = getenv("HULL_NOTIFY_READY");

	/* A unit for a payload that does not speak sd_notify (generated
	 * with Notify=no) is ready once the process started. */
	if (when && strcmp(when, "started") == 0 && !r->ready) {
		if (send_msg("READY=1", 7, -1, err) < 0)
			return -1;
		r->ready = true;
	}
	while (!r->ready) {
		struct pollfd p[2] = {
			{ .fd = r->fd, .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN },
		};

		if (poll(p, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 200) < 0 && errno != EINTR)
			return hull_error_errno(err, "NOTIFY_SOCKET: poll");
		if (p[0].revents & POLLIN) {
			if (notify_relay_pump(r, err) < 0)
				return -1;
			continue;
		}
		/* Without a pidfd, a zombie counts as exited: our own child
		 * (run --detach) stays one until we reap it, and kill(pid, 0)
		 * would call it alive forever. */
		if ((pidfd >= 0 && (p[1].revents & POLLIN)) ||
		    (pidfd < 0 && proc_start_time(pid) == 0))
			return hull_error_set(err, ESRCH,
					      "container exited before notifying READY=1");
	}
	return 0;
}

int notify_send_mainpid(pid_t pid, struct hull_error *err)
{
	char msg[64];
	int p[2];
	int rc;

	snprintf(msg, sizeof(msg), "MAINPID=%d", (int)pid);
	if (send_msg(msg, strlen(msg), -1, err) < 0)
		return -1;
	/* BARRIER=1 (sd_notify_barrier): the manager closes the fd once it
	 * processed everything before it; our end sees POLLHUP. */
	if (pipe2(p, O_CLOEXEC) < 0)
		return hull_error_errno(err, "NOTIFY_SOCKET: pipe");
	rc = send_msg("BARRIER=1", 9, p[1], err);
	close(p[1]);
	if (rc == 0) {
		struct pollfd q = { .fd = p[0], .events = 0 };

		/* A manager that ignores BARRIER (or a listener that is not
		 * systemd) is no reason to fail a started container. */
		(void)poll(&q, 1, BARRIER_TIMEOUT_MS);
	}
	close(p[0]);
	return rc;
}

void notify_relay_close(struct notify_relay *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
