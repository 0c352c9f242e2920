/* virtio-vsock (device id 19, virtio 1.2 section 5.10) with Firecracker's
 * "hybrid" host side: the guest speaks AF_VSOCK, the host AF_UNIX.
 *
 *   host -> guest  a client connects to the device's unix socket, writes
 *                  "CONNECT <port>\n" and, once the guest accepted, reads
 *                  "OK <hostport>\n"; then the socket is a byte stream to
 *                  the guest's <port>.
 *   guest -> host  a connection to host (CID 2) port P is connected to the
 *                  unix socket "<uds>_P" when someone listens there; else
 *                  the guest gets RST.
 *
 * Queues: 0 rx (device -> driver), 1 tx (driver -> device), 2 event
 * (never used: Hull does not migrate or snapshot, so no transport reset).
 * Stream sockets only; flow control is the spec's credit scheme in both
 * directions (buf_alloc / fwd_cnt in every header).
 *
 * virtio_vsock.c is the device (packets, validation, connection state,
 * credit); vsock_host.c the unix-socket side (listener, handshake, the
 * connections' fds).  Both share the definitions below. */
#ifndef HULL_VMM_VIRTIO_VSOCK_H
#define HULL_VMM_VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/virtio_mmio.h"

#define VSOCK_HOST_CID     2
#define VSOCK_DEFAULT_CID  3
#define VSOCK_MAX_CONNS    64
/* What each connection buffers for guest -> host data that the host
 * client has not read yet: the buf_alloc we advertise to the guest. */
#define VSOCK_BUF_ALLOC    (64u * 1024)
/* The ring holds the guest's VSOCK_BUF_ALLOC plus our own "OK <port>\n",
 * which is not the guest's data and must not count against its credit. */
#define VSOCK_RING_SIZE    (VSOCK_BUF_ALLOC + 64u)
/* host -> guest bytes read from a unix socket but not yet in a guest
 * buffer (one guest rx buffer's worth). */
#define VSOCK_STAGE_SIZE   4096u
/* Largest payload a guest packet may carry (Linux's
 * VIRTIO_VSOCK_MAX_PKT_BUF_SIZE); anything larger is a guest error. */
#define VSOCK_MAX_PAYLOAD  (64u * 1024)
#define VSOCK_RST_BACKLOG  32

/* The packet header, little-endian, packed (spec 5.10.6). */
struct virtio_vsock_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type;
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc;
	uint32_t fwd_cnt;
} __attribute__((packed));

#define VSOCK_HDR_SIZE 44
_Static_assert(sizeof(struct virtio_vsock_hdr) == VSOCK_HDR_SIZE, "vsock header is 44 bytes");

#define VSOCK_TYPE_STREAM 1

enum vsock_op {
	VSOCK_OP_INVALID = 0,
	VSOCK_OP_REQUEST = 1,
	VSOCK_OP_RESPONSE = 2,
	VSOCK_OP_RST = 3,
	VSOCK_OP_SHUTDOWN = 4,
	VSOCK_OP_RW = 5,
	VSOCK_OP_CREDIT_UPDATE = 6,
	VSOCK_OP_CREDIT_REQUEST = 7,
};

#define VSOCK_SHUTDOWN_RCV  1   /* the sender will receive no more */
#define VSOCK_SHUTDOWN_SEND 2   /* the sender will send no more */

enum vsock_conn_state {
	VSOCK_CONN_FREE,
	VSOCK_CONN_HANDSHAKE,   /* host client: reading "CONNECT <port>\n" */
	VSOCK_CONN_CONNECTING,  /* REQUEST to the guest, waiting for RESPONSE */
	VSOCK_CONN_ESTABLISHED,
};

struct vsock_conn {
	enum vsock_conn_state state;
	int fd;                 /* the unix socket */
	uint32_t host_port, guest_port;
	uint32_t poll_events;   /* what fd is registered for in the vsock epoll */
	bool in_epoll;

	/* Control packets owed to the guest (sent when it has rx buffers). */
	bool send_request, send_response, send_credit, send_shutdown, send_rst;

	/* guest -> host: a ring of VSOCK_RING_SIZE bytes (malloc'ed when the
	 * connection is set up) that drains into fd. */
	uint8_t *ring;
	uint32_t ring_head, ring_len;
	uint32_t own_len;       /* our bytes at the ring's head (not credit) */
	uint32_t rx_cnt;        /* payload bytes received from the guest */
	uint32_t fwd_cnt;       /* of those, written to fd (our fwd_cnt) */
	uint32_t fwd_sent;      /* fwd_cnt as the guest last heard it */
	bool guest_shut_send;   /* guest sent SHUTDOWN(SEND): EOF to the host */
	bool guest_shut_rcv;    /* guest sent SHUTDOWN(RCV): stop reading fd */
	bool host_wr_shut;      /* shutdown(fd, SHUT_WR) done */

	/* host -> guest */
	uint8_t *stage;         /* VSOCK_STAGE_SIZE bytes */
	uint32_t stage_off, stage_len;
	uint32_t peer_buf_alloc, peer_fwd_cnt;
	uint32_t tx_cnt;        /* bytes taken from fd for the guest */
	bool host_eof;          /* fd read end-of-file (or hang-up) */
	bool host_gone;         /* fd hung up or failed: nothing more to write */

	/* "CONNECT <port>\n" as it arrives, byte by byte (so that no byte of
	 * the stream after it is swallowed). */
	char line[32];
	uint32_t line_len;
};

struct virtio_vsock {
	struct virtio_mmio t;
	uint64_t guest_cid;
	int listen_fd;          /* the host clients' unix socket, listening */
	char uds[108];          /* its path: guest -> host goes to "<uds>_P"
				   ("" when too long for sun_path: then every
				   guest -> host connection gets RST) */
	int epfd;               /* the listener and every connection's fd */
	uint32_t next_port;     /* host-side ports for host-initiated conns */
	struct vsock_conn conn[VSOCK_MAX_CONNS];
	/* RSTs for packets that match no connection (guest ports, host port). */
	struct { uint32_t src_port, dst_port; } rst[VSOCK_RST_BACKLOG];
	unsigned int nrst;
	bool rx_starved;        /* last pump found no rx buffer */
};

/* listen_fd: a listening AF_UNIX stream socket (vsock_host_listen), still
 * the caller's to close; uds: its path (for "<uds>_P"). */
int virtio_vsock_init(struct virtio_vsock *v, struct vm *vm, unsigned int index,
		      uint64_t guest_cid, int listen_fd, const char *uds,
		      bool use_ioeventfd, struct hull_error *err);
void virtio_vsock_destroy(struct virtio_vsock *v);

/* --- shared between virtio_vsock.c and vsock_host.c (lock held) --- */

/* Move what is owed to the guest into its rx buffers. */
void vsock_rx_pump(struct virtio_vsock *v);
/* Drop a connection: close its fd, free its buffers.  With rst, an RST
 * goes to the guest first (not for handshakes it never saw). */
void vsock_conn_close(struct virtio_vsock *v, struct vsock_conn *c, bool rst);
/* Credit the guest has given us: bytes we may still send it. */
uint32_t vsock_peer_credit(const struct vsock_conn *c);

/* vsock_host.c */
/* Create, bind and listen on the unix socket at path (removing a stale
 * socket there first); returns the fd. */
int vsock_host_listen(const char *path, struct hull_error *err);
/* The I/O thread's handler for the device's epoll fd. */
void vsock_host_event(void *opaque, int fd, uint32_t events);
/* Read what hung-up host clients left, as credit allows. */
void vsock_host_drain_gone(struct virtio_vsock *v);
/* Re-register c->fd for what c wants now (read, write, neither). */
void vsock_host_update_poll(struct virtio_vsock *v, struct vsock_conn *c);
/* Guest -> host: connect to "<uds>_<port>"; -1 when nobody listens. */
int vsock_host_connect(struct virtio_vsock *v, uint32_t port);
/* Write as much of the ring as fd takes now. */
void vsock_host_flush(struct virtio_vsock *v, struct vsock_conn *c);
/* Append bytes for the host (our own "OK <port>\n"); false if no room. */
bool vsock_ring_put(struct vsock_conn *c, const void *p, uint32_t n);

#endif
