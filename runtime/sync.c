#include "runtime/sync.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *type_name(int t)
{
	switch (t) {
	case SYNC_GO: return "go";
	case SYNC_MOUNTS_READY: return "mounts-ready";
	case SYNC_HOOKS_DONE: return "hooks-done";
	case SYNC_PTY: return "pty";
	case SYNC_SECCOMP_FD: return "seccomp-fd";
	case SYNC_READY: return "ready";
	case SYNC_ERROR: return "error";
	default: return "unknown";
	}
}

int unix_send_fd(int sock, int fd, const char *data, size_t len,
		 struct hull_error *err)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char dummy = 0;
	struct iovec iov = {
		.iov_base = data ? (void *)data : &dummy,
		.iov_len = data ? len : 1,
	};
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return hull_error_errno(err, "sendmsg");
	return 0;
}

int unix_recv_fd(int sock, int *fd, char *data, size_t *len,
		 struct hull_error *err)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char dummy;
	struct iovec iov = {
		.iov_base = data ? data : &dummy,
		.iov_len = data ? *len : 1,
	};
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return hull_error_errno(err, "recvmsg");
	if (n == 0)
		return hull_error_set(err, EPIPE, "peer closed the connection");
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (len)
		*len = (size_t)n;
	return 0;
}

int unix_connect(const char *path, int type, struct hull_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return hull_error_set(err, ENAMETOOLONG, "socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hull_error_errno(err, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		hull_error_errno(err, "connect %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

static int send_packet(int sock, int type, long long arg, int fd,
		       struct hull_error *err)
{
	struct sync_packet p;

	memset(&p, 0, sizeof(p));
	p.type = type;
	p.arg = arg;
	if (unix_send_fd(sock, fd, (const char *)&p, sizeof(p), err) < 0)
		return hull_error_prefix(err, "sync %s", type_name(type));
	return 0;
}

int sync_send(int sock, int type, int fd, struct hull_error *err)
{
	return send_packet(sock, type, 0, fd, err);
}

int sync_send_arg(int sock, int type, long long arg, struct hull_error *err)
{
	return send_packet(sock, type, arg, -1, err);
}

int sync_send_error(int sock, const struct hull_error *e)
{
	struct sync_packet p;
	struct hull_error ignored = { 0 };

	memset(&p, 0, sizeof(p));
	p.type = SYNC_ERROR;
	p.err = *e;
	return unix_send_fd(sock, -1, (const char *)&p, sizeof(p), &ignored);
}

int sync_recv(int sock, struct sync_packet *p, int *fd, struct hull_error *err)
{
	size_t len = sizeof(*p);

	memset(p, 0, sizeof(*p));
	if (unix_recv_fd(sock, fd, (char *)p, &len, err) < 0)
		return -1;
	if (len != sizeof(*p))
		return hull_error_set(err, EPROTO, "sync: short packet (%zu bytes)", len);
	return 0;
}

static int expect(int sock, int type, int *fd, long long *arg,
		  struct hull_error *err)
{
	struct sync_packet p;
	int got = -1;

	if (sync_recv(sock, &p, &got, err) < 0) {
		if (err->code == EPIPE) {
			hull_error_clear(err);
			return hull_error_set(err, EPIPE,
					      "container process exited while waiting for \"%s\"",
					      type_name(type));
		}
		return -1;
	}
	if (p.type == SYNC_ERROR) {
		if (got >= 0)
			close(got);
		p.err.msg[sizeof(p.err.msg) - 1] = '\0';
		*err = p.err;
		err->set = true;
		return -1;
	}
	if (p.type != type) {
		if (got >= 0)
			close(got);
		return hull_error_set(err, EPROTO, "sync: expected \"%s\", got \"%s\"",
				      type_name(type), type_name(p.type));
	}
	if (fd)
		*fd = got;
	else if (got >= 0)
		close(got);
	if (arg)
		*arg = p.arg;
	return 0;
}

int sync_expect(int sock, int type, int *fd, struct hull_error *err)
{
	return expect(sock, type, fd, NULL, err);
}

int sync_expect_arg(int sock, int type, long long *arg, struct hull_error *err)
{
	return expect(sock, type, NULL, arg, err);
}
