/* virtio-net over a tap: see vmm/virtio_net.h.
 *
 * Receive is driven by the tap: while the guest has buffers posted, the
 * tap fd is polled and each frame is read straight into the next receive
 * chain (readv over its writable segments).  When the guest has none, the
 * fd is paused until a receive doorbell brings more, so a guest that stops
 * reading costs nothing and frames queue in the tap (which drops when its
 * own queue is full, as a NIC would).  Transmit writes each chain with one
 * writev over its readable segments. */
#include "vmm/virtio_net.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define RXQ 0
#define TXQ 1
#define RX_BUDGET 64            /* frames per tap event: other fds get a turn */

#define VIRTIO_NET_F_CSUM       (1ull << 0)
#define VIRTIO_NET_F_GUEST_CSUM (1ull << 1)
#define VIRTIO_NET_F_MTU        (1ull << 3)
#define VIRTIO_NET_F_MAC        (1ull << 5)
#define VIRTIO_NET_F_GUEST_TSO4 (1ull << 7)
#define VIRTIO_NET_F_GUEST_TSO6 (1ull << 8)
#define VIRTIO_NET_F_HOST_TSO4  (1ull << 11)
#define VIRTIO_NET_F_HOST_TSO6  (1ull << 12)

#define NET_OFFLOADS (VIRTIO_NET_F_CSUM | VIRTIO_NET_F_GUEST_CSUM | VIRTIO_NET_F_GUEST_TSO4 | \
		      VIRTIO_NET_F_GUEST_TSO6 | VIRTIO_NET_F_HOST_TSO4 | VIRTIO_NET_F_HOST_TSO6)

/* The chain's readable (or writable) segments as an iovec.  Every seg is
 * a host pointer virtq_pop proved to lie inside guest RAM for its whole
 * length; the kernel then copies between them and the tap. */
static int chain_iov(const struct virtq_chain *c, bool writable, struct iovec *iov)
{
	int n = 0;

	for (unsigned int i = 0; i < c->nseg; i++)
		if (c->seg[i].writable == writable)
			iov[n++] = (struct iovec){ c->seg[i].host, c->seg[i].len };
	return n;
}

int virtio_net_tx(struct virtq *q, const struct vmm_mem *mem, struct virtq_chain *c,
		  int fd, uint64_t *dropped, struct hull_error *err)
{
	struct iovec iov[VIRTQ_MAX_SIZE];
	int r, frames = 0;

	while ((r = virtq_pop(q, mem, c, err)) == 1) {
		/* The guest must put its header first; a chain too short for
		 * it, or longer than any frame, is a broken driver. */
		if (c->readable < VIRTIO_NET_HDR_LEN ||
		    c->readable > VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME)
			return hull_error_set(err, EINVAL, "virtio-net: transmit chain of %llu bytes "
					      "(header %d, frame at most %d)",
					      (unsigned long long)c->readable, VIRTIO_NET_HDR_LEN,
					      VIRTIO_NET_MAX_FRAME);
		/* Writable segments are meaningless on transmit: ignored. */
		if (writev(fd, iov, chain_iov(c, false, iov)) < 0)
			(*dropped)++;   /* tap full or down: the frame is lost, as on a wire */
		if (virtq_push(q, mem, c->head, 0, err) < 0)
			return -1;
		frames++;
	}
	return r < 0 ? -1 : frames;
}

int virtio_net_rx(struct virtq *q, const struct vmm_mem *mem, struct virtq_chain *c,
		  int fd, unsigned int budget, bool *starved, uint64_t *dropped,
		  struct hull_error *err)
{
	struct iovec iov[VIRTQ_MAX_SIZE];
	int frames = 0;

	*starved = false;
	while ((unsigned int)frames < budget) {
		ssize_t n;
		int r = virtq_pop(q, mem, c, err);

		if (r < 0)
			return -1;
		if (r == 0) {
			*starved = true;
			break;
		}
		if (c->writable < VIRTIO_NET_HDR_LEN)
			return hull_error_set(err, EINVAL, "virtio-net: receive chain of %llu writable "
					      "bytes, less than the %d-byte header",
					      (unsigned long long)c->writable, VIRTIO_NET_HDR_LEN);
		/* The kernel writes the tap's vnet header and the frame into
		 * the guest's buffers (all checked, all device-writable). */
		n = readv(fd, iov, chain_iov(c, true, iov));
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			/* No frame: hand the chain back to the avail ring
			 * untouched (it was popped, not used), for the next. */
			q->last_avail--;
			break;
		}
		if (n < 0) {
			/* A frame larger than the chain (the tap drops it) or
			 * a tap gone: the buffer returns empty and Linux's
			 * driver counts a length error. */
			(*dropped)++;
			n = 0;
		}
		if (virtq_push(q, mem, c->head, (uint32_t)n, err) < 0)
			return -1;
		frames++;
	}
	return frames;
}

/* Tell the tap which offloads the guest accepted, once the features are
 * final (the first doorbell after DRIVER_OK).  A guest that took no
 * GUEST_* offload gets plain, checksummed frames. */
static void net_set_offloads(struct virtio_net *n)
{
	uint64_t f = n->t.driver_features;
	unsigned int tun = 0;

	if (n->offloads_set)
		return;
	n->offloads_set = true;
	if (f & VIRTIO_NET_F_GUEST_CSUM) {
		tun |= TUN_F_CSUM;
		if (f & VIRTIO_NET_F_GUEST_TSO4)
			tun |= TUN_F_TSO4;
		if (f & VIRTIO_NET_F_GUEST_TSO6)
			tun |= TUN_F_TSO6;
	}
	if (ioctl(n->tap_fd, TUNSETOFFLOAD, tun) < 0)
		ioctl(n->tap_fd, TUNSETOFFLOAD, 0);
}

static void net_poll_rx(struct virtio_net *n, bool on)
{
	if (n->rx_polled == on)
		return;
	if (vmm_event_modify(&n->t.vm->events, n->tap_fd, on ? EPOLLIN : 0) == 0)
		n->rx_polled = on;
}

/* Move frames from the tap into receive buffers; t->lock held. */
static int net_rx(struct virtio_net *n, struct hull_error *err)
{
	bool starved = true;
	int r = 0;

	if (virtio_mmio_queue_live(&n->t, RXQ))
		r = virtio_net_rx(&n->t.q[RXQ], &n->t.vm->mem, &n->t.chain, n->tap_fd, RX_BUDGET,
				  &starved, &n->rx_dropped, err);
	if (r > 0)
		virtio_mmio_signal_used(&n->t, RXQ);
	/* Out of buffers (or not live): stop polling until the guest posts
	 * more, else the level-triggered fd would spin the loop. */
	net_poll_rx(n, r >= 0 && !starved);
	return r < 0 ? -1 : 0;
}

static void net_tap_event(void *opaque, int fd, uint32_t events)
{
	struct virtio_net *n = opaque;
	struct hull_error e = { 0 };

	pthread_mutex_lock(&n->t.lock);
	if (!n->t.failed && net_rx(n, &e) < 0)
		virtio_mmio_fail(&n->t, &e);
	if (n->t.failed)
		net_poll_rx(n, false);
	pthread_mutex_unlock(&n->t.lock);
}

static int net_queue_notify(struct virtio_mmio *t, unsigned int q, struct hull_error *err)
{
	struct virtio_net *n = t->dev;
	int r;

	net_set_offloads(n);
	if (q == RXQ)
		return net_rx(n, err);
	r = virtio_net_tx(&t->q[TXQ], &t->vm->mem, &t->chain, n->tap_fd, &n->tx_dropped, err);
	if (r > 0)
		virtio_mmio_signal_used(t, TXQ);
	return r < 0 ? -1 : 0;
}

static void net_reset(struct virtio_mmio *t)
{
	struct virtio_net *n = t->dev;

	n->offloads_set = false;
	net_poll_rx(n, false);
}

/* struct virtio_net_config: u8 mac[6], le16 status, le16
 * max_virtqueue_pairs, le16 mtu.  off + len is inside it (the transport
 * checked against config_size). */
static void net_config_read(struct virtio_mmio *t, uint32_t off, uint8_t *data, uint32_t len)
{
	struct virtio_net *n = t->dev;
	uint8_t cfg[12] = { 0 };

	memcpy(cfg, n->mac, 6);
	cfg[8] = 1;                     /* max_virtqueue_pairs */
	cfg[10] = (uint8_t)n->mtu;
	cfg[11] = (uint8_t)(n->mtu >> 8);
	memcpy(data, cfg + off, len);
}

static const struct virtio_device_ops net_ops = {
	.name = "virtio-net",
	.device_id = 1,
	.num_queues = 2,
	.queue_max = 256,
	.config_size = 12,
	.config_read = net_config_read,
	.queue_notify = net_queue_notify,
	.reset = net_reset,
};

int virtio_net_init(struct virtio_net *n, struct vm *vm, unsigned int index, int tap_fd,
		    const uint8_t mac[6], uint16_t mtu, bool no_offloads, bool use_ioeventfd,
		    struct hull_error *err)
{
	uint64_t features = VIRTIO_NET_F_MAC | (mtu ? VIRTIO_NET_F_MTU : 0);
	int hdr = VIRTIO_NET_HDR_LEN;

	memset(n, 0, sizeof(*n));
	n->tap_fd = tap_fd;
	memcpy(n->mac, mac, 6);
	n->mtu = mtu;
	if (ioctl(tap_fd, TUNSETVNETHDRSZ, &hdr) < 0)
		return hull_error_errno(err, "virtio-net: tap vnet header (IFF_VNET_HDR needed)");
	/* Offer offloads only if this tap takes them all; off until the
	 * guest says what it accepts. */
	if (!no_offloads && ioctl(tap_fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) == 0)
		features |= NET_OFFLOADS;
	ioctl(tap_fd, TUNSETOFFLOAD, 0);
	if (virtio_mmio_init(&n->t, vm, index, &net_ops, features, n, use_ioeventfd, err) < 0)
		return -1;
	/* Registered paused: receive starts when the guest posts buffers. */
	if (vmm_event_add(&vm->events, tap_fd, 0, net_tap_event, n, err) < 0) {
		virtio_mmio_destroy(&n->t);
		return -1;
	}
	return 0;
}

void virtio_net_destroy(struct virtio_net *n)
{
	virtio_mmio_destroy(&n->t);
}
