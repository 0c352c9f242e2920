#include "runtime/notify.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int notify_relay_bind(struct notify_relay *r, const char *state_dir,
		      struct hull_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify/notify.sock", state_dir);

	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return hull_error_set(err, ENAMETOOLONG, "NOTIFY_SOCKET: state path too long");
	r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r->fd < 0)
		return hull_error_errno(err, "NOTIFY_SOCKET: socket");
	unlink(sa.sun_path);
	if (bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return hull_error_errno(err, "NOTIFY_SOCKET: bind %s", sa.sun_path);
	/* Any uid inside the container may notify. */
	chmod(sa.sun_path, 0777);
	return 0;
}

static int forward(const char *msg, size_t len, struct hull_error *err)
{
	const char *target = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen;
	int fd, r;

	if (target == NULL || strlen(target) >= sizeof(sa.sun_path))
		return hull_error_set(err, EINVAL, "NOTIFY_SOCKET: invalid path");
	strcpy(sa.sun_path, target);
	/* An abstract socket is written with a leading '@'. */
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(target));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hull_error_errno(err, "NOTIFY_SOCKET: socket");
	r = (int)sendto(fd, msg, len, 0, (struct sockaddr *)&sa, salen);
	close(fd);
	if (r < 0)
		return hull_error_errno(err, "NOTIFY_SOCKET: sending to %s", target);
	return 0;
}

int notify_relay_wait(struct notify_relay *r, struct container *c,
		      struct hull_error *err)
{
	char buf[4096];

	for (;;) {
		struct pollfd p = { .fd = r->fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 200) < 0 && errno != EINTR)
			return hull_error_errno(err, "NOTIFY_SOCKET: poll");
		if (!(p.revents & POLLIN)) {
			if (!container_pid_alive(c))
				return hull_error_set(err, ESRCH,
						      "container exited before notifying READY=1");
			continue;
		}
		n = recv(r->fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* Forward everything; stop once the readiness line went by. */
		if (forward(buf, (size_t)n, err) < 0)
			return -1;
		if (strstr(buf, "READY=1"))
			return 0;
	}
}

void notify_relay_close(struct notify_relay *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
