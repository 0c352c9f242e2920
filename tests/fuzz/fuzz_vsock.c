/* libFuzzer target: the virtio-vsock device's packet handling, driven the
 * way a guest drives it.  The input is a series of records; each puts one
 * packet (header and payload, possibly split over two descriptors, one of
 * them device-writable) on the tx queue of a real device (virtio_vsock_init
 * over a fake VM: guest RAM is a plain buffer, no KVM) and kicks it, so the
 * packet goes through the same virtq_pop -> vsock_tx_packet -> rx pump
 * path as in a running VM.  Records may also post rx buffers (some too
 * small for a header) and act as the host: a listener at "<uds>_1024"
 * accepts guest-initiated connections, writes to them, or hangs up.
 *
 * Besides ASan/UBSan, it checks the device's invariants after each record:
 * every connection's ring and stage stay within their buffers and the
 * guest's credit, the RST backlog stays bounded, no rx buffer is reported
 * written beyond its length, and no fd outlives a device reset.
 *   make build-fuzz/fuzz_vsock && build-fuzz/fuzz_vsock -max_total_time=60 \
 *       tests/fuzz/corpus-vsock */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/virtio_vsock.h"
#include "vmm/vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_GPA   0x100000ull
#define RAM_SIZE  0x40000ull
#define QSIZE     16
#define RXQ       0
#define TXQ       1
/* Guest-physical layout inside RAM: rings, then tx and rx buffers. */
#define TX_DESC   (RAM_GPA + 0x0000)
#define TX_AVAIL  (RAM_GPA + 0x1000)
#define TX_USED   (RAM_GPA + 0x2000)
#define RX_DESC   (RAM_GPA + 0x3000)
#define RX_AVAIL  (RAM_GPA + 0x4000)
#define RX_USED   (RAM_GPA + 0x5000)
#define TX_BUF    (RAM_GPA + 0x8000)
#define RX_BUF    (RAM_GPA + 0x20000)
#define RX_BUF_SZ 0x1000u
#define MAX_PAYLOAD_IN 4096u    /* payload bytes a record carries */
#define LISTEN_PORT 1024u
#define MAX_PEERS 8

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static struct vm vm;
static struct virtio_vsock dev;
static char uds[108];
static int listen_fd = -1, peer_listen_fd = -1;
static int peers[MAX_PEERS];
static unsigned int npeers;
static uint16_t tx_avail, rx_avail, rx_seen;
static uint32_t rx_len[QSIZE];  /* the length each rx descriptor was posted with */
static int fd_baseline;

static void *gpa(uint64_t a)
{
	return ram + (a - RAM_GPA);
}

static void put_desc(uint64_t table, unsigned int i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t *d = gpa(table + 16 * i);
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t f = htole16(flags), n = htole16(next);

	memcpy(d, &a, 8);
	memcpy(d + 8, &l, 4);
	memcpy(d + 12, &f, 2);
	memcpy(d + 14, &n, 2);
}

static void avail_push(uint64_t avail, uint16_t *idx, uint16_t head)
{
	uint16_t h = htole16(head), i;

	memcpy((uint8_t *)gpa(avail) + 4 + 2 * (*idx % QSIZE), &h, 2);
	(*idx)++;
	i = htole16(*idx);
	memcpy((uint8_t *)gpa(avail) + 2, &i, 2);
}

static uint16_t used_idx(uint64_t used)
{
	uint16_t i;

	memcpy(&i, (uint8_t *)gpa(used) + 2, 2);
	return le16toh(i);
}

static void queues_reset(void)
{
	memset(ram, 0, 0x8000);
	for (unsigned int q = 0; q < 3; q++)
		virtq_reset(&dev.t.q[q]);
	dev.t.q[RXQ] = (struct virtq){ .size = QSIZE, .ready = true, .desc_gpa = RX_DESC,
				       .avail_gpa = RX_AVAIL, .used_gpa = RX_USED };
	dev.t.q[TXQ] = (struct virtq){ .size = QSIZE, .ready = true, .desc_gpa = TX_DESC,
				       .avail_gpa = TX_AVAIL, .used_gpa = TX_USED };
	dev.t.status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		       VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
	dev.t.failed = false;
	tx_avail = rx_avail = rx_seen = 0;
}

static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* The sockets and their directory go when the fuzzer exits. */
static void remove_sockets(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s_%u", uds, LISTEN_PORT);
	unlink(path);
	unlink(uds);
	*strrchr(uds, '/') = '\0';
	rmdir(uds);
}

static int setup(void)
{
	struct hull_error err = { 0 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/hull-fuzz-vsock.XXXXXX";

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(uds, sizeof(uds), "%s/v", dir);
	atexit(remove_sockets);
	vm.vm_fd = vm.kvm_fd = -1;
	vm.stop_efd = -1;
	/* Guest errors are counted, not fatal: the device must keep going. */
	vm.tolerate_guest_errors = true;
	pthread_mutex_init(&vm.lock, NULL);
	if (vmm_mem_add_buffer(&vm.mem, RAM_GPA, ram, RAM_SIZE, &err) < 0 ||
	    vmm_event_init(&vm.events, &err) < 0)
		return -1;
	listen_fd = vsock_host_listen(uds, &err);
	if (listen_fd < 0)
		return -1;
	if (virtio_vsock_init(&dev, &vm, 0, VSOCK_DEFAULT_CID, listen_fd, uds, false, &err) < 0)
		return -1;
	/* The host's listener for guest -> host connections to port 1024. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", uds, LISTEN_PORT);
	peer_listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (peer_listen_fd < 0 || bind(peer_listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(peer_listen_fd, 128) < 0)
		return -1;
	queues_reset();
	fd_baseline = lowest_free_fd();
	return 0;
}

/* The device's invariants (virtio_vsock.h), after every record. */
static void check_invariants(void)
{
	if (dev.nrst > VSOCK_RST_BACKLOG)
		abort();
	for (unsigned int i = 0; i < VSOCK_MAX_CONNS; i++) {
		const struct vsock_conn *c = &dev.conn[i];

		if (c->state == VSOCK_CONN_FREE) {
			if (c->fd != -1 || c->ring || c->stage)
				abort();
			continue;
		}
		if (c->fd < 0)
			abort();
		if (c->state == VSOCK_CONN_HANDSHAKE)
			continue;
		if (c->ring_len > VSOCK_RING_SIZE || c->ring_head >= VSOCK_RING_SIZE ||
		    c->own_len > c->ring_len || c->stage_len > VSOCK_STAGE_SIZE ||
		    c->stage_off + c->stage_len > VSOCK_STAGE_SIZE ||
		    c->rx_cnt - c->fwd_cnt > VSOCK_BUF_ALLOC)
			abort();
		if (!c->host_gone && c->ring_len != c->rx_cnt - c->fwd_cnt + c->own_len)
			abort();
	}
	/* Every rx buffer handed back: written no further than it was long. */
	for (uint16_t u = used_idx(RX_USED); rx_seen != u; rx_seen++) {
		uint8_t *e = (uint8_t *)gpa(RX_USED) + 4 + 8 * (rx_seen % QSIZE);
		uint32_t id, len;

		memcpy(&id, e, 4);
		memcpy(&len, e + 4, 4);
		id = le32toh(id);
		len = le32toh(len);
		if (id >= QSIZE || len > rx_len[id])
			abort();
	}
}

/* Post up to n rx buffers (at most half the ring outstanding, so the
 * descriptor slot avail_idx % QSIZE is always free). */
static void post_rx(unsigned int n, uint8_t size_class)
{
	static const uint32_t sizes[] = { RX_BUF_SZ, VSOCK_HDR_SIZE, 20, 100 };

	while (n-- > 0 && (uint16_t)(rx_avail - used_idx(RX_USED)) < QSIZE / 2) {
		unsigned int i = rx_avail % QSIZE;

		rx_len[i] = sizes[size_class % 4];
		size_class /= 4;
		put_desc(RX_DESC, i, RX_BUF + (uint64_t)i * RX_BUF_SZ, rx_len[i],
			 VIRTQ_DESC_F_WRITE, 0);
		avail_push(RX_AVAIL, &rx_avail, (uint16_t)i);
	}
	virtio_mmio_kick(&dev.t, RXQ);
}

/* The host side of guest -> host connections: take what connected, write
 * to each, or hang one up. */
static void host_peers(size_t n, bool hang_up)
{
	static const uint8_t bytes[64] = "host to guest, host to guest, host to guest, host to guest...";
	int fd;

	while (npeers < MAX_PEERS &&
	       (fd = accept4(peer_listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
		peers[npeers++] = fd;
	for (unsigned int i = 0; i < npeers && n > 0; i++)
		(void)!send(peers[i], bytes, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (hang_up && npeers > 0)
		close(peers[--npeers]);
}

static void host_reset(void)
{
	int fd;

	while (npeers > 0)
		close(peers[--npeers]);
	while ((fd = accept4(peer_listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		close(fd);
}

/* One record: flags, aux, payload length (le16), header (44), payload. */
static size_t one_record(const uint8_t *p, size_t n)
{
	struct virtio_vsock_hdr h;
	uint8_t flags, aux;
	uint32_t plen, total, split;
	size_t used;
	uint8_t *buf = gpa(TX_BUF);

	if (n < 4)
		return n;
	flags = p[0];
	aux = p[1];
	plen = ((uint32_t)p[2] | (uint32_t)p[3] << 8) % (MAX_PAYLOAD_IN + 1);
	used = 4;
	memset(&h, 0, sizeof(h));
	memcpy(&h, p + used, n - used < sizeof(h) ? n - used : sizeof(h));
	used += n - used < sizeof(h) ? n - used : sizeof(h);
	if (plen > n - used)
		plen = (uint32_t)(n - used);
	/* Steer toward the interesting paths: a well-formed address, a
	 * length that matches, the port someone listens on, a chosen op. */
	if (flags & 0x01) {
		h.src_cid = htole64(VSOCK_DEFAULT_CID);
		h.dst_cid = htole64(VSOCK_HOST_CID);
		h.type = htole16(VSOCK_TYPE_STREAM);
	}
	if (flags & 0x02)
		h.len = htole32(plen);
	if (flags & 0x10) {
		h.dst_port = htole32(LISTEN_PORT);
		h.src_port = htole32(5000u + (aux & 3u));
	}
	if (flags & 0x80)
		h.op = htole16((uint16_t)((aux >> 2) % 8));
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), p + used, plen);
	used += plen;
	total = (uint32_t)sizeof(h) + plen;
	if (flags & 0x08)
		post_rx(2, aux);
	/* One descriptor, or two split at a fuzzer-chosen point (the second
	 * device-writable when aux says so, so less is readable than sent). */
	split = (flags & 0x04) && total > 1 ? 1 + (uint32_t)aux * 7 % (total - 1) : total;
	if (split < total) {
		put_desc(TX_DESC, 0, TX_BUF, split, VIRTQ_DESC_F_NEXT, 1);
		put_desc(TX_DESC, 1, TX_BUF + split, total - split,
			 (aux & 0x80) ? VIRTQ_DESC_F_WRITE : 0, 0);
	} else {
		put_desc(TX_DESC, 0, TX_BUF, total, 0, 0);
	}
	avail_push(TX_AVAIL, &tx_avail, 0);
	virtio_mmio_kick(&dev.t, TXQ);
	if (flags & 0x60)
		host_peers(flags & 0x20 ? (size_t)(aux & 0x3f) + 1 : 0, flags & 0x40);
	/* What the I/O thread does when a host fd is ready. */
	vsock_host_event(&dev, dev.epfd, 0);
	check_invariants();
	return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	int records = 0;

	if (!ready) {
		if (setup() < 0)
			abort();
		ready = true;
	}
	while (size > 0 && records++ < 64) {
		size_t used = one_record(data, size);

		data += used;
		size -= used;
	}
	/* The driver resets the device: every connection and its fd go. */
	pthread_mutex_lock(&dev.t.lock);
	dev.t.ops->reset(&dev.t);
	pthread_mutex_unlock(&dev.t.lock);
	queues_reset();
	host_reset();
	check_invariants();
	if (lowest_free_fd() != fd_baseline)
		abort();
	return 0;
}
