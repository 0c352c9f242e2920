/* The unix-socket side of virtio-vsock (Firecracker's hybrid protocol, see
 * virtio_vsock.h): the listener, the "CONNECT <port>\n" handshake, the
 * connections' fds.  Runs in the I/O thread with the device lock held.
 *
 * Host clients are not trusted either: the handshake line is bounded and
 * parsed strictly, and a client is only ever read from as far as the
 * guest's credit allows, so a fast writer cannot make the monitor buffer
 * more than VSOCK_STAGE_SIZE per connection. */
#include "vmm/virtio_vsock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define RXQ 0

int vsock_host_listen(const char *path, struct hull_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	int dir_fd = -1;

	if (strlen(path) < sizeof(sa.sun_path)) {
		strcpy(sa.sun_path, path);
	} else {
		/* Too deep for sun_path: bind through an fd on its directory. */
		char dir[4096];
		const char *base = strrchr(path, '/');

		if (base == NULL || (size_t)(base - path) >= sizeof(dir))
			return hull_error_set(err, ENAMETOOLONG, "vsock socket %s: path too long", path);
		memcpy(dir, path, (size_t)(base - path));
		dir[base - path] = '\0';
		dir_fd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dir_fd < 0)
			return hull_error_errno(err, "vsock socket directory %s", dir);
		if (snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dir_fd,
			     base + 1) >= (int)sizeof(sa.sun_path)) {
			close(dir_fd);
			return hull_error_set(err, ENAMETOOLONG, "vsock socket %s: name too long", path);
		}
	}
	/* A socket left by an earlier VM of the same name is stale (its
	 * monitor is gone with its state directory's lock); anything else at
	 * that path is not ours to remove. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		hull_error_errno(err, "vsock socket");
	} else if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		   chmod(sa.sun_path, 0600) < 0 || listen(fd, 64) < 0) {
		hull_error_errno(err, "vsock socket %s", path);
		close(fd);
		fd = -1;
	}
	if (dir_fd >= 0)
		close(dir_fd);
	return fd;
}

bool vsock_ring_put(struct vsock_conn *c, const void *p, uint32_t n)
{
	const uint8_t *b = p;

	/* Only before any guest data (at the head), within the slack the
	 * ring has beyond the guest's credit. */
	if (c->ring_len != c->own_len || c->own_len + n > VSOCK_RING_SIZE - VSOCK_BUF_ALLOC)
		return false;
	for (uint32_t i = 0; i < n; i++)
		c->ring[(c->ring_head + c->ring_len + i) % VSOCK_RING_SIZE] = b[i];
	c->ring_len += n;
	c->own_len += n;
	return true;
}

void vsock_host_update_poll(struct virtio_vsock *v, struct vsock_conn *c)
{
	uint32_t want = 0;
	struct epoll_event ev;

	if (c->fd < 0)
		return;
	/* A hung-up fd reports EPOLLHUP whatever it is registered for: once
	 * that is known it leaves the set instead of spinning the loop, and
	 * vsock_host_drain_gone reads what it left. */
	if (c->host_gone) {
		if (c->in_epoll)
			epoll_ctl(v->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		c->in_epoll = false;
		return;
	}
	if (c->state == VSOCK_CONN_HANDSHAKE)
		want = EPOLLIN;
	else if (c->state == VSOCK_CONN_ESTABLISHED) {
		/* Read only what the guest has room for, one stage at a time. */
		if (!c->host_eof && !c->guest_shut_rcv && c->stage_len == 0 &&
		    vsock_peer_credit(c) > 0)
			want |= EPOLLIN;
		if (c->ring_len > 0)
			want |= EPOLLOUT;
	}
	if (c->in_epoll && want == c->poll_events)
		return;
	/* data.u64: the connection's index + 1 (0 is the listener). */
	ev = (struct epoll_event){ .events = want, .data.u64 = (uint64_t)(c - v->conn) + 1 };
	if (epoll_ctl(v->epfd, c->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev) == 0) {
		c->in_epoll = true;
		c->poll_events = want;
	}
}

int vsock_host_connect(struct virtio_vsock *v, uint32_t port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (v->uds[0] == '\0')
		return -1;      /* the path did not fit sun_path */
	/* "<uds>_<port>"; uds was checked at init to leave room for it.  A
	 * jailed monitor's uds is the path inside its root (vmm.c). */
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", v->uds, port) >=
	    (int)sizeof(sa.sun_path))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* A unix connect completes at once or fails (EAGAIN: backlog full,
	 * treated like nobody listening). */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Host-initiated: take a new client off the listener. */
static void host_accept(struct virtio_vsock *v)
{
	for (;;) {
		struct vsock_conn *c = NULL;
		int fd = accept4(v->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			return;
		for (unsigned int i = 0; i < VSOCK_MAX_CONNS && c == NULL; i++)
			if (v->conn[i].state == VSOCK_CONN_FREE)
				c = &v->conn[i];
		if (c == NULL) {
			close(fd);      /* table full: the client sees EOF */
			continue;
		}
		c->fd = fd;
		c->state = VSOCK_CONN_HANDSHAKE;
		vsock_host_update_poll(v, c);
	}
}

/* A free host port for a new host-initiated connection. */
static uint32_t alloc_host_port(struct virtio_vsock *v)
{
	for (;;) {
		uint32_t p = v->next_port++;
		bool used = false;

		if (v->next_port == 0xffffffffu)
			v->next_port = 1u << 30;
		for (unsigned int i = 0; i < VSOCK_MAX_CONNS && !used; i++)
			used = v->conn[i].state > VSOCK_CONN_HANDSHAKE && v->conn[i].host_port == p;
		if (!used)
			return p;
	}
}

/* "CONNECT <port>\n", decimal, nothing else. */
static bool parse_connect(const char *line, uint32_t *port)
{
	unsigned long long p = 0;
	const char *s = line + 8;

	if (strncmp(line, "CONNECT ", 8) != 0 || *s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		p = p * 10 + (unsigned)(*s - '0');
		if (p > 0xffffffffull)
			return false;
	}
	if (strcmp(s, "\n") != 0)
		return false;
	*port = (uint32_t)p;
	return true;
}

static void host_handshake(struct virtio_vsock *v, struct vsock_conn *c)
{
	uint32_t port;

	/* One byte at a time: the client may send data right after the line,
	 * and that belongs to the stream, not to us. */
	while (c->line_len < sizeof(c->line) - 1) {
		ssize_t n = read(c->fd, c->line + c->line_len, 1);

		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			vsock_conn_close(v, c, false);
			return;
		}
		if (c->line[c->line_len++] == '\n')
			break;
	}
	c->line[c->line_len] = '\0';
	/* A bad line, or no driver to talk to yet: close, and the client
	 * may try again (as with Firecracker before the guest is up). */
	if (!parse_connect(c->line, &port) || !virtio_mmio_queue_live(&v->t, RXQ)) {
		vsock_conn_close(v, c, false);
		return;
	}
	c->ring = malloc(VSOCK_RING_SIZE);
	c->stage = malloc(VSOCK_STAGE_SIZE);
	if (c->ring == NULL || c->stage == NULL) {
		vsock_conn_close(v, c, false);
		return;
	}
	c->guest_port = port;
	c->host_port = alloc_host_port(v);
	c->state = VSOCK_CONN_CONNECTING;
	c->send_request = true;
	vsock_host_update_poll(v, c);
}

/* Read what the guest's credit allows into the stage. */
static void host_read(struct virtio_vsock *v, struct vsock_conn *c)
{
	uint32_t credit = vsock_peer_credit(c);
	ssize_t n;

	if (c->stage_len > 0 || credit == 0 || c->host_eof || c->guest_shut_rcv)
		return;
	n = read(c->fd, c->stage, credit < VSOCK_STAGE_SIZE ? credit : VSOCK_STAGE_SIZE);
	if (n > 0) {
		c->stage_off = 0;
		c->stage_len = (uint32_t)n;
		c->tx_cnt += (uint32_t)n;
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		/* End of the host's stream: SHUTDOWN(SEND) after the data. */
		c->host_eof = true;
		c->send_shutdown = true;
	}
}

void vsock_host_flush(struct virtio_vsock *v, struct vsock_conn *c)
{
	while (c->ring_len > 0 && !c->host_gone) {
		uint32_t n = c->ring_len;
		ssize_t w;

		if (n > VSOCK_RING_SIZE - c->ring_head)
			n = VSOCK_RING_SIZE - c->ring_head;
		w = send(c->fd, c->ring + c->ring_head, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0) {
			/* The host client is gone: the guest learns by RST. */
			vsock_conn_close(v, c, true);
			return;
		}
		c->ring_head = (c->ring_head + (uint32_t)w) % VSOCK_RING_SIZE;
		c->ring_len -= (uint32_t)w;
		/* Our own "OK" line first; only the guest's bytes are credit. */
		if (c->own_len >= (uint32_t)w) {
			c->own_len -= (uint32_t)w;
		} else {
			c->fwd_cnt += (uint32_t)w - c->own_len;
			c->own_len = 0;
		}
	}
	/* Tell the guest about the room once it has used half its credit, or
	 * when everything is through (it may be waiting on the last bytes). */
	if (c->fwd_cnt != c->fwd_sent &&
	    (c->ring_len == 0 || c->fwd_cnt - c->fwd_sent >= VSOCK_BUF_ALLOC / 2))
		c->send_credit = true;
	if (c->ring_len == 0)
		c->ring_head = 0;
}

static void conn_event(struct virtio_vsock *v, struct vsock_conn *c, uint32_t events)
{
	if (c->state == VSOCK_CONN_HANDSHAKE) {
		host_handshake(v, c);
		return;
	}
	if (c->state == VSOCK_CONN_CONNECTING) {
		/* Registered for nothing, so only a hang-up wakes us: the client
		 * gave up before the guest answered. */
		if (events & (EPOLLHUP | EPOLLERR))
			vsock_conn_close(v, c, true);
		return;
	}
	if (c->state != VSOCK_CONN_ESTABLISHED)
		return;
	if (events & EPOLLOUT)
		vsock_host_flush(v, c);
	if (c->state == VSOCK_CONN_FREE)
		return;
	if (events & EPOLLIN)
		host_read(v, c);
	if (events & (EPOLLHUP | EPOLLERR)) {
		/* Peer closed both ways: read what it left (data, then EOF)
		 * as credit allows, then SHUTDOWN(RCV|SEND) to the guest. */
		c->host_gone = true;
		c->ring_len = c->own_len = 0;
		c->fwd_cnt = c->rx_cnt;
		host_read(v, c);
	}
	vsock_host_update_poll(v, c);
}

void vsock_host_drain_gone(struct virtio_vsock *v)
{
	/* A hung-up peer was taken out of the epoll set: read what it left
	 * here, as the guest's credit allows (it no longer wakes us). */
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &v->conn[i];

		if (c->state == VSOCK_CONN_ESTABLISHED && c->host_gone && !c->host_eof)
			host_read(v, c);
	}
}

void vsock_host_event(void *opaque, int fd, uint32_t events)
{
	struct virtio_vsock *v = opaque;
	struct epoll_event evs[32];
	int n;

	(void)fd;
	(void)events;
	pthread_mutex_lock(&v->t.lock);
	n = epoll_wait(v->epfd, evs, 32, 0);
	for (int i = 0; i < n; i++) {
		uint64_t id = evs[i].data.u64;

		if (id == 0)
			host_accept(v);
		else if (id <= VSOCK_MAX_CONNS && v->conn[id - 1].state != VSOCK_CONN_FREE)
			conn_event(v, &v->conn[id - 1], evs[i].events);
	}
	if (!v->t.failed)
		vsock_rx_pump(v);
	pthread_mutex_unlock(&v->t.lock);
}
