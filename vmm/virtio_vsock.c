/* virtio-vsock device: packets from the guest's tx queue are validated and
 * applied to the connection table; what the device owes the guest
 * (responses, resets, data, credit) goes out through vsock_rx_pump when the
 * guest has rx buffers.  Everything here runs with t.lock held: from the
 * doorbells (queue_notify) and from the I/O thread (vsock_host.c).
 *
 * Guest-controlled input and where it is checked:
 *   - descriptor lengths and addresses: virtq_pop (virtio_queue.c);
 *   - the header fits the chain's readable part, hdr.len fits what follows
 *     it and the 64 KiB payload limit, the source CID is the guest's:
 *     vsock_tx_packet (a violation is a guest error, counted, fatal unless
 *     the VM tolerates guest errors);
 *   - type, destination CID, op, ports (no connection, wrong state): answered
 *     with RST, as a peer would, and never trusted further;
 *   - credit: a guest that sends more than the buf_alloc we gave it, or data
 *     after it said SHUTDOWN(SEND), gets RST on that connection; the fwd_cnt
 *     it reports can never make us send more than its buf_alloc
 *     (vsock_peer_credit);
 *   - rx buffers must hold a header: vsock_rx_pump. */
#include "vmm/virtio_vsock.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define RXQ  0
#define TXQ  1
#define EVTQ 2

/* First host-side port for host-initiated connections (Firecracker's
 * choice too): far above the ports guests listen on. */
#define VSOCK_HOST_PORT_BASE (1u << 30)

static void guest_error(struct virtio_vsock *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void guest_error(struct virtio_vsock *v, const char *fmt, ...)
{
	struct hull_error e = { .code = EINVAL, .set = true };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	vm_guest_error(v->t.vm, v->t.ops->name, &e);
}

uint32_t vsock_peer_credit(const struct vsock_conn *c)
{
	/* tx_cnt - peer_fwd_cnt is what the guest has not consumed yet; a
	 * guest reporting a fwd_cnt beyond what we sent makes it "negative",
	 * i.e. huge as u32: treated as no credit rather than as more. */
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

static struct vsock_conn *conn_find(struct virtio_vsock *v, uint32_t host_port,
				    uint32_t guest_port)
{
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &v->conn[i];

		if (c->state > VSOCK_CONN_HANDSHAKE && c->host_port == host_port &&
		    c->guest_port == guest_port)
			return c;
	}
	return NULL;
}

/* An RST for a packet that matches no connection.  The backlog is bounded
 * (a guest flooding us with stray packets cannot grow it); when it is full
 * the RST is dropped and the guest's connect times out instead. */
static void rst_stray(struct virtio_vsock *v, const struct virtio_vsock_hdr *h)
{
	if (le16toh(h->op) == VSOCK_OP_RST || v->nrst >= VSOCK_RST_BACKLOG)
		return;
	v->rst[v->nrst].src_port = le32toh(h->dst_port);
	v->rst[v->nrst].dst_port = le32toh(h->src_port);
	v->nrst++;
}

void vsock_conn_close(struct virtio_vsock *v, struct vsock_conn *c, bool rst)
{
	if (rst && c->state > VSOCK_CONN_HANDSHAKE && v->nrst < VSOCK_RST_BACKLOG) {
		v->rst[v->nrst].src_port = c->host_port;
		v->rst[v->nrst].dst_port = c->guest_port;
		v->nrst++;
	}
	if (c->fd >= 0) {
		/* Closing the fd also removes it from the epoll set. */
		close(c->fd);
	}
	free(c->ring);
	free(c->stage);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->state = VSOCK_CONN_FREE;
}

static void close_all(struct virtio_vsock *v)
{
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
		if (v->conn[i].state != VSOCK_CONN_FREE)
			vsock_conn_close(v, &v->conn[i], false);
	v->nrst = 0;
}

/* Both directions are over once the guest shut down both and everything
 * it sent reached the host: RST ends it on the guest's side too (Linux
 * waits for that RST before it frees the socket). */
static void conn_maybe_finish(struct virtio_vsock *v, struct vsock_conn *c)
{
	if (c->ring_len > 0 && !c->host_gone)
		return;
	if (c->guest_shut_send && !c->host_wr_shut && !c->host_gone) {
		shutdown(c->fd, SHUT_WR);
		c->host_wr_shut = true;
	}
	if ((c->guest_shut_send && c->guest_shut_rcv) ||
	    ((c->guest_shut_send || c->guest_shut_rcv) && c->host_eof && c->host_gone &&
	     c->stage_len == 0 && !c->send_shutdown))
		vsock_conn_close(v, c, true);
}

/* Guest -> host data: hdr.len bytes after the header, already checked to
 * be inside the chain's readable part. */
static void conn_receive(struct virtio_vsock *v, struct vsock_conn *c,
			 const struct virtq_chain *ch, uint32_t len)
{
	uint32_t tail, first;

	/* The guest may only send what our buf_alloc minus the unconsumed
	 * bytes allows; more would overrun the ring, so it is a reset. */
	if (c->state != VSOCK_CONN_ESTABLISHED || c->guest_shut_send ||
	    c->rx_cnt - c->fwd_cnt + (uint64_t)len > VSOCK_BUF_ALLOC) {
		vsock_conn_close(v, c, true);
		return;
	}
	if (c->host_gone) {
		/* Nobody to give it to: count it as consumed so the guest's
		 * credit does not run dry while the RST is on its way. */
		c->rx_cnt += len;
		c->fwd_cnt += len;
		return;
	}
	/* Copy into the ring in at most two pieces: [tail, end) and [0, ...).
	 * ring_len + len <= VSOCK_RING_SIZE (checked above: ring_len ==
	 * rx_cnt - fwd_cnt + own_len, own_len < 64), so nothing unread is
	 * overwritten. */
	tail = (c->ring_head + c->ring_len) % VSOCK_RING_SIZE;
	first = len < VSOCK_RING_SIZE - tail ? len : VSOCK_RING_SIZE - tail;
	virtq_chain_read(ch, VSOCK_HDR_SIZE, c->ring + tail, first);
	if (len > first)
		virtq_chain_read(ch, VSOCK_HDR_SIZE + first, c->ring, len - first);
	c->ring_len += len;
	c->rx_cnt += len;
	vsock_host_flush(v, c);
}

/* Guest -> host REQUEST: connect to "<uds>_<port>" or answer RST. */
static void conn_request(struct virtio_vsock *v, const struct virtio_vsock_hdr *h)
{
	uint32_t host_port = le32toh(h->dst_port), guest_port = le32toh(h->src_port);
	struct vsock_conn *c = NULL;
	int fd;

	for (unsigned int i = 0; i < VSOCK_MAX_CONNS && c == NULL; i++)
		if (v->conn[i].state == VSOCK_CONN_FREE)
			c = &v->conn[i];
	fd = c ? vsock_host_connect(v, host_port) : -1;
	if (fd < 0) {
		rst_stray(v, h);
		return;
	}
	c->ring = malloc(VSOCK_RING_SIZE);
	c->stage = malloc(VSOCK_STAGE_SIZE);
	c->fd = fd;
	if (c->ring == NULL || c->stage == NULL) {
		vsock_conn_close(v, c, false);
		rst_stray(v, h);
		return;
	}
	c->state = VSOCK_CONN_ESTABLISHED;
	c->host_port = host_port;
	c->guest_port = guest_port;
	c->peer_buf_alloc = le32toh(h->buf_alloc);
	c->peer_fwd_cnt = le32toh(h->fwd_cnt);
	c->send_response = true;
	vsock_host_update_poll(v, c);
}

static void conn_established(struct virtio_vsock *v, struct vsock_conn *c)
{
	char ok[32];
	int n = snprintf(ok, sizeof(ok), "OK %u\n", c->host_port);

	c->state = VSOCK_CONN_ESTABLISHED;
	/* The reply goes through the ring, ahead of any guest data. */
	vsock_ring_put(c, ok, (uint32_t)n);
	vsock_host_flush(v, c);
	vsock_host_update_poll(v, c);
}

/* One packet from the tx queue.  Returns nothing: a broken packet is a
 * guest error (reported) or an RST, never a reason to touch memory
 * outside what the chain proved. */
static void vsock_tx_packet(struct virtio_vsock *v, const struct virtq_chain *ch)
{
	struct virtio_vsock_hdr h;
	struct vsock_conn *c;
	uint32_t len, flags;
	uint16_t op;

	/* Guest-controlled sizes: a whole header in the readable part ... */
	if (ch->readable < VSOCK_HDR_SIZE) {
		guest_error(v, "packet of %u bytes is shorter than the %u-byte header",
			    (uint32_t)ch->readable, VSOCK_HDR_SIZE);
		return;
	}
	virtq_chain_read(ch, 0, &h, VSOCK_HDR_SIZE);
	len = le32toh(h.len);
	op = le16toh(h.op);
	/* ... and hdr.len within what follows it and within the largest
	 * packet a driver may send. */
	if (len > ch->readable - VSOCK_HDR_SIZE || len > VSOCK_MAX_PAYLOAD) {
		guest_error(v, "header says %u payload bytes, the buffer holds %u",
			    len, (uint32_t)(ch->readable - VSOCK_HDR_SIZE));
		return;
	}
	/* The guest speaks only for its own CID. */
	if (le64toh(h.src_cid) != v->guest_cid) {
		guest_error(v, "source CID %u is not the guest's (%u)",
			    (uint32_t)le64toh(h.src_cid), (uint32_t)v->guest_cid);
		return;
	}
	/* Only the host is reachable, only stream sockets exist. */
	if (le64toh(h.dst_cid) != VSOCK_HOST_CID || le16toh(h.type) != VSOCK_TYPE_STREAM) {
		rst_stray(v, &h);
		return;
	}
	if (op == VSOCK_OP_REQUEST) {
		c = conn_find(v, le32toh(h.dst_port), le32toh(h.src_port));
		if (c)          /* a second REQUEST on a live connection */
			vsock_conn_close(v, c, true);
		else
			conn_request(v, &h);
		return;
	}
	c = conn_find(v, le32toh(h.dst_port), le32toh(h.src_port));
	if (c == NULL) {
		rst_stray(v, &h);
		return;
	}
	/* Every header carries the sender's credit. */
	c->peer_buf_alloc = le32toh(h.buf_alloc);
	c->peer_fwd_cnt = le32toh(h.fwd_cnt);
	switch (op) {
	case VSOCK_OP_RESPONSE:
		if (c->state != VSOCK_CONN_CONNECTING) {
			vsock_conn_close(v, c, true);
			return;
		}
		conn_established(v, c);
		return;
	case VSOCK_OP_RST:
		vsock_conn_close(v, c, false);
		return;
	case VSOCK_OP_SHUTDOWN:
		flags = le32toh(h.flags);
		c->guest_shut_rcv |= (flags & VSOCK_SHUTDOWN_RCV) != 0;
		c->guest_shut_send |= (flags & VSOCK_SHUTDOWN_SEND) != 0;
		if (c->state != VSOCK_CONN_ESTABLISHED) {
			vsock_conn_close(v, c, true);
			return;
		}
		conn_maybe_finish(v, c);
		break;
	case VSOCK_OP_RW:
		conn_receive(v, c, ch, len);
		return;
	case VSOCK_OP_CREDIT_UPDATE:
		break;
	case VSOCK_OP_CREDIT_REQUEST:
		c->send_credit = true;
		break;
	default:
		/* Unknown (or INVALID) op on a connection: reset it. */
		vsock_conn_close(v, c, true);
		return;
	}
	if (c->state != VSOCK_CONN_FREE)
		vsock_host_update_poll(v, c);
}

static int vsock_tx(struct virtio_vsock *v, struct hull_error *err)
{
	struct virtio_mmio *t = &v->t;
	struct virtq_chain *ch = &t->chain;
	bool used = false;
	int r;

	while ((r = virtq_pop(&t->q[TXQ], &t->vm->mem, ch, err)) == 1) {
		vsock_tx_packet(v, ch);
		if (virtq_push(&t->q[TXQ], &t->vm->mem, ch->head, 0, err) < 0)
			return -1;
		used = true;
	}
	if (used)
		virtio_mmio_signal_used(t, TXQ);
	return r;
}

/* --- device -> guest --- */

static bool conn_owes(const struct vsock_conn *c)
{
	if (c->state <= VSOCK_CONN_HANDSHAKE)
		return false;
	return c->send_rst || c->send_request || c->send_response || c->send_credit ||
	       (c->state == VSOCK_CONN_ESTABLISHED && (c->stage_len > 0 || c->send_shutdown));
}

static bool rx_owed(const struct virtio_vsock *v)
{
	if (v->nrst > 0)
		return true;
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
		if (conn_owes(&v->conn[i]))
			return true;
	return false;
}

static void hdr_fill(struct virtio_vsock *v, struct virtio_vsock_hdr *h, uint32_t host_port,
		     uint32_t guest_port, uint16_t op)
{
	memset(h, 0, sizeof(*h));
	h->src_cid = htole64(VSOCK_HOST_CID);
	h->dst_cid = htole64(v->guest_cid);
	h->src_port = htole32(host_port);
	h->dst_port = htole32(guest_port);
	h->type = htole16(VSOCK_TYPE_STREAM);
	h->op = htole16(op);
	h->buf_alloc = htole32(VSOCK_BUF_ALLOC);
}

/* Fill one rx chain (ch->writable >= header, checked by the caller) with
 * the next thing owed; returns the bytes written. */
static uint32_t rx_one(struct virtio_vsock *v, const struct virtq_chain *ch)
{
	struct virtio_vsock_hdr h;
	struct vsock_conn *c = NULL;
	uint32_t payload = 0;

	if (v->nrst > 0) {
		v->nrst--;
		hdr_fill(v, &h, v->rst[v->nrst].src_port, v->rst[v->nrst].dst_port, VSOCK_OP_RST);
		virtq_chain_write(ch, 0, &h, sizeof(h));
		return VSOCK_HDR_SIZE;
	}
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS && c == NULL; i++)
		if (conn_owes(&v->conn[i]))
			c = &v->conn[i];
	if (c == NULL)
		return 0;
	if (c->send_request) {
		hdr_fill(v, &h, c->host_port, c->guest_port, VSOCK_OP_REQUEST);
		c->send_request = false;
	} else if (c->send_response) {
		hdr_fill(v, &h, c->host_port, c->guest_port, VSOCK_OP_RESPONSE);
		c->send_response = false;
	} else if (c->state == VSOCK_CONN_ESTABLISHED && c->stage_len > 0) {
		uint64_t room = ch->writable - VSOCK_HDR_SIZE;

		/* Data: what is staged, as much as this buffer takes.  The
		 * credit was reserved when it was read (tx_cnt). */
		payload = room < c->stage_len ? (uint32_t)room : c->stage_len;
		hdr_fill(v, &h, c->host_port, c->guest_port, VSOCK_OP_RW);
		h.len = htole32(payload);
		virtq_chain_write(ch, VSOCK_HDR_SIZE, c->stage + c->stage_off, payload);
		c->stage_off += payload;
		c->stage_len -= payload;
		if (c->stage_len == 0)
			c->stage_off = 0;
	} else if (c->state == VSOCK_CONN_ESTABLISHED && c->send_shutdown) {
		hdr_fill(v, &h, c->host_port, c->guest_port, VSOCK_OP_SHUTDOWN);
		h.flags = htole32(VSOCK_SHUTDOWN_SEND | (c->host_gone ? VSOCK_SHUTDOWN_RCV : 0));
		c->send_shutdown = false;
	} else {
		hdr_fill(v, &h, c->host_port, c->guest_port, VSOCK_OP_CREDIT_UPDATE);
	}
	/* Every packet tells the guest what we consumed. */
	h.fwd_cnt = htole32(c->fwd_cnt);
	c->fwd_sent = c->fwd_cnt;
	c->send_credit = false;
	virtq_chain_write(ch, 0, &h, sizeof(h));
	vsock_host_update_poll(v, c);
	return VSOCK_HDR_SIZE + payload;
}

void vsock_rx_pump(struct virtio_vsock *v)
{
	struct virtio_mmio *t = &v->t;
	struct virtq_chain *ch = &t->chain;
	struct hull_error e = { 0 };
	bool used = false;

	vsock_host_drain_gone(v);
	while (virtio_mmio_queue_live(t, RXQ) && rx_owed(v)) {
		uint32_t n;
		int r = virtq_pop(&t->q[RXQ], &t->vm->mem, ch, &e);

		if (r < 0) {
			virtio_mmio_fail(t, &e);
			return;
		}
		v->rx_starved = r == 0;
		if (r == 0)
			break;
		/* Guest-controlled: an rx buffer too small for a header
		 * cannot carry anything; handed back empty. */
		if (ch->writable < VSOCK_HDR_SIZE) {
			guest_error(v, "rx buffer of %u bytes is shorter than the %u-byte header",
				    (uint32_t)ch->writable, VSOCK_HDR_SIZE);
			n = 0;
		} else {
			n = rx_one(v, ch);
		}
		if (virtq_push(&t->q[RXQ], &t->vm->mem, ch->head, n, &e) < 0) {
			virtio_mmio_fail(t, &e);
			return;
		}
		used = true;
	}
	if (used)
		virtio_mmio_signal_used(t, RXQ);
	/* Connections that owed a SHUTDOWN may be complete now. */
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
		if (v->conn[i].state == VSOCK_CONN_ESTABLISHED)
			conn_maybe_finish(v, &v->conn[i]);
}

static int vsock_queue_notify(struct virtio_mmio *t, unsigned int q, struct hull_error *err)
{
	struct virtio_vsock *v = t->dev;

	if (q == TXQ && vsock_tx(v, err) < 0)
		return -1;
	/* New rx buffers, or tx answers (RESPONSE, RST) to deliver.  The
	 * event queue (2) is never used: nothing to do for it. */
	if (q != EVTQ)
		vsock_rx_pump(v);
	return 0;
}

static void vsock_config_read(struct virtio_mmio *t, uint32_t off, uint8_t *data, uint32_t len)
{
	struct virtio_vsock *v = t->dev;
	uint64_t cid = htole64(v->guest_cid);

	/* The transport checked off + len <= config_size (8). */
	memcpy(data, (uint8_t *)&cid + off, len);
}

static void vsock_reset(struct virtio_mmio *t)
{
	/* The driver went away: its sockets are gone, so are ours. */
	close_all(t->dev);
}

static const struct virtio_device_ops vsock_ops = {
	.name = "virtio-vsock",
	.device_id = 19,
	.num_queues = 3,
	.queue_max = 128,
	.config_size = 8,
	.config_read = vsock_config_read,
	.queue_notify = vsock_queue_notify,
	.reset = vsock_reset,
};

int virtio_vsock_init(struct virtio_vsock *v, struct vm *vm, unsigned int index,
		      uint64_t guest_cid, int listen_fd, const char *uds,
		      bool use_ioeventfd, struct hull_error *err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };

	memset(v, 0, sizeof(*v));
	v->epfd = -1;
	v->listen_fd = listen_fd;
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++)
		v->conn[i].fd = -1;
	/* CIDs 0-2 are the hypervisor, local and host; U32_MAX is "any". */
	if (guest_cid < 3 || guest_cid >= 0xffffffffull)
		return hull_error_set(err, EINVAL, "vsock: guest CID %llu not in 3..4294967294",
				      (unsigned long long)guest_cid);
	/* "<uds>_<port>" must fit sun_path; host -> guest still works
	 * through listen_fd when it does not. */
	if (uds && strlen(uds) + 12 <= sizeof(v->uds))
		snprintf(v->uds, sizeof(v->uds), "%s", uds);
	v->guest_cid = guest_cid;
	v->next_port = VSOCK_HOST_PORT_BASE;
	/* One epoll set for the listener and the connections, itself watched
	 * by the I/O thread's loop (which has no way to remove fds). */
	v->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (v->epfd < 0)
		return hull_error_errno(err, "vsock: epoll_create1");
	if (epoll_ctl(v->epfd, EPOLL_CTL_ADD, listen_fd, &ev) < 0) {
		hull_error_errno(err, "vsock: epoll_ctl");
		goto fail;
	}
	if (virtio_mmio_init(&v->t, vm, index, &vsock_ops, 0, v, use_ioeventfd, err) < 0)
		goto fail;
	if (vmm_event_add(&vm->events, v->epfd, EPOLLIN, vsock_host_event, v, err) < 0) {
		virtio_mmio_destroy(&v->t);
		goto fail;
	}
	return 0;
fail:
	close(v->epfd);
	v->epfd = -1;
	return -1;
}

void virtio_vsock_destroy(struct virtio_vsock *v)
{
	close_all(v);
	if (v->epfd >= 0)
		close(v->epfd);
	/* listen_fd stays the caller's (it may outlive the VM). */
	v->epfd = -1;
	virtio_mmio_destroy(&v->t);
}
