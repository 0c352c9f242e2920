/* Unit tests of virtio-net's data path (vmm/virtio_net.c) against a plain
 * buffer standing in for guest RAM and a SOCK_SEQPACKET socketpair
 * standing in for the tap (one frame per read/write, like a tap): no KVM
 * and no tap needed.  Malformed chains must fail the device, never touch
 * memory outside guest RAM, and never lose a buffer the guest posted. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/virtio_net.h"

#define RAM_SIZE 0x20000ull
#include "tests/unit/fake_ring.h"

static int failures, checks;
static int sp[2];               /* [0]: the "tap" the device uses, [1]: the wire */
static uint64_t dropped;

#define CHECK(cond, what) do { \
	checks++; \
	if (cond) printf("ok - %s\n", what); \
	else { printf("not ok - %s (line %d)\n", what, __LINE__); failures++; } \
} while (0)

static uint16_t used_idx(void)
{
	uint16_t v;

	memcpy(&v, at(USED + 2), 2);
	return v;
}

static uint32_t used_len(unsigned slot)
{
	uint32_t v;

	memcpy(&v, at(USED + 4 + 8ull * slot + 4), 4);
	return v;
}

static void drain_wire(void)
{
	char b[2048];

	while (recv(sp[1], b, sizeof(b), MSG_DONTWAIT) > 0)
		;
	while (recv(sp[0], b, sizeof(b), MSG_DONTWAIT) > 0)
		;
}

static void test_tx(void)
{
	struct hull_error err = { 0 };
	char got[256];
	ssize_t n;

	/* Header and frame in two descriptors: one frame on the wire. */
	reset_ring(false);
	memset(at(BUF), 0xaa, VIRTIO_NET_HDR_LEN);
	memcpy(at(BUF + 0x100), "frame-bytes", 11);
	set_desc_in(DESC, 0, BUF, VIRTIO_NET_HDR_LEN, VIRTQ_DESC_F_NEXT, 1);
	set_desc_in(DESC, 1, BUF + 0x100, 11, 0, 0);
	publish(0);
	CHECK(virtio_net_tx(&q, &mem, &chain, sp[0], &dropped, &err) == 1, "tx: one frame sent");
	n = recv(sp[1], got, sizeof(got), MSG_DONTWAIT);
	CHECK(n == VIRTIO_NET_HDR_LEN + 11 && memcmp(got + VIRTIO_NET_HDR_LEN, "frame-bytes", 11) == 0,
	      "tx: header and frame gathered in order");
	CHECK(used_idx() == 1 && used_len(0) == 0, "tx: chain returned, nothing written");

	/* A chain shorter than the header is a broken driver. */
	reset_ring(false);
	set_desc_in(DESC, 0, BUF, 4, 0, 0);
	publish(0);
	hull_error_clear(&err);
	CHECK(virtio_net_tx(&q, &mem, &chain, sp[0], &dropped, &err) < 0 && err.code == EINVAL,
	      "tx: chain shorter than the header refused");
	CHECK(recv(sp[1], got, sizeof(got), MSG_DONTWAIT) < 0, "tx: nothing sent for it");

	/* A chain pointing outside guest RAM never reaches writev. */
	reset_ring(false);
	set_desc_in(DESC, 0, RAM_GPA + RAM_SIZE - 8, 64, 0, 0);
	publish(0);
	hull_error_clear(&err);
	CHECK(virtio_net_tx(&q, &mem, &chain, sp[0], &dropped, &err) < 0,
	      "tx: buffer running off guest memory refused");
	CHECK(recv(sp[1], got, sizeof(got), MSG_DONTWAIT) < 0, "tx: nothing sent from outside RAM");

	/* A descriptor loop. */
	reset_ring(false);
	set_desc_in(DESC, 0, BUF, 64, VIRTQ_DESC_F_NEXT, 1);
	set_desc_in(DESC, 1, BUF, 64, VIRTQ_DESC_F_NEXT, 0);
	publish(0);
	hull_error_clear(&err);
	CHECK(virtio_net_tx(&q, &mem, &chain, sp[0], &dropped, &err) < 0,
	      "tx: descriptor loop refused");

	/* Head index past the queue. */
	reset_ring(false);
	publish(QSZ + 3);
	hull_error_clear(&err);
	CHECK(virtio_net_tx(&q, &mem, &chain, sp[0], &dropped, &err) < 0,
	      "tx: head index out of range refused");

	/* Oversized: more readable bytes than any frame. */
	reset_ring(false);
	set_desc_in(DESC, 0, BUF, 0x8000, VIRTQ_DESC_F_NEXT, 1);
	set_desc_in(DESC, 1, BUF, 0x8000, VIRTQ_DESC_F_NEXT, 2);
	set_desc_in(DESC, 2, BUF, 0x8000, 0, 0);
	publish(0);
	hull_error_clear(&err);
	CHECK(virtio_net_tx(&q, &mem, &chain, sp[0], &dropped, &err) < 0 && err.code == EINVAL,
	      "tx: chain larger than a frame refused");
	drain_wire();
}

static void test_rx(void)
{
	struct hull_error err = { 0 };
	char frame[64];
	bool starved;
	int r;

	/* Nothing on the wire: the buffer stays the guest's, unused. */
	reset_ring(false);
	set_desc_in(DESC, 0, BUF, 2048, VIRTQ_DESC_F_WRITE, 0);
	publish(0);
	r = virtio_net_rx(&q, &mem, &chain, sp[0], 64, &starved, &dropped, &err);
	CHECK(r == 0 && !starved && used_idx() == 0 && q.last_avail == 0,
	      "rx: no frame leaves the posted buffer in the avail ring");

	/* A frame: written whole, used length = header + frame. */
	memset(frame, 0x55, sizeof(frame));
	CHECK(send(sp[1], frame, sizeof(frame), 0) == (ssize_t)sizeof(frame), "rx: frame queued");
	r = virtio_net_rx(&q, &mem, &chain, sp[0], 64, &starved, &dropped, &err);
	CHECK(r == 1 && used_idx() == 1 && used_len(0) == sizeof(frame), "rx: frame delivered");
	CHECK(memcmp(at(BUF), frame, sizeof(frame)) == 0, "rx: bytes land in the guest buffer");

	/* Another frame but no buffer: starved, frame stays queued. */
	CHECK(send(sp[1], frame, 32, 0) == 32, "rx: second frame queued");
	r = virtio_net_rx(&q, &mem, &chain, sp[0], 64, &starved, &dropped, &err);
	CHECK(r == 0 && starved, "rx: no buffer reports starved");
	set_desc_in(DESC, 1, BUF + 0x1000, 2048, VIRTQ_DESC_F_WRITE, 0);
	publish(1);
	r = virtio_net_rx(&q, &mem, &chain, sp[0], 64, &starved, &dropped, &err);
	CHECK(r == 1 && used_len(1) == 32, "rx: frame waits for the next buffer, not lost");

	/* Buffers the device may not write into: read-only descriptors. */
	reset_ring(false);
	set_desc_in(DESC, 0, BUF, 2048, 0, 0);
	publish(0);
	CHECK(send(sp[1], frame, 32, 0) == 32, "rx: frame queued for a read-only chain");
	hull_error_clear(&err);
	r = virtio_net_rx(&q, &mem, &chain, sp[0], 64, &starved, &dropped, &err);
	CHECK(r < 0 && err.code == EINVAL, "rx: chain with no writable header room refused");

	/* Writable area smaller than the header. */
	reset_ring(false);
	set_desc_in(DESC, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	publish(0);
	hull_error_clear(&err);
	r = virtio_net_rx(&q, &mem, &chain, sp[0], 64, &starved, &dropped, &err);
	CHECK(r < 0 && err.code == EINVAL, "rx: writable area under 12 bytes refused");

	/* A writable buffer outside guest RAM. */
	reset_ring(false);
	set_desc_in(DESC, 0, RAM_GPA - 0x1000, 2048, VIRTQ_DESC_F_WRITE, 0);
	publish(0);
	hull_error_clear(&err);
	r = virtio_net_rx(&q, &mem, &chain, sp[0], 64, &starved, &dropped, &err);
	CHECK(r < 0, "rx: buffer below guest RAM refused");

	/* Budget: at most `budget` frames per call. */
	drain_wire();
	reset_ring(false);
	for (unsigned i = 0; i < 4; i++) {
		set_desc_in(DESC, i, BUF + 0x800ull * i, 2048, VIRTQ_DESC_F_WRITE, 0);
		publish((uint16_t)i);
		send(sp[1], frame, 16, 0);
	}
	hull_error_clear(&err);
	r = virtio_net_rx(&q, &mem, &chain, sp[0], 2, &starved, &dropped, &err);
	CHECK(r == 2 && used_idx() == 2, "rx: budget bounds one pass");
	drain_wire();
}

/* A long transfer: more frames each way than the 16-bit ring indices
 * hold, through a ring of QSZ with the guest refilling as it goes (the
 * pattern of a bulk TCP stream without offloads: one MTU frame per chain).
 * Every chain must come back and every frame must reach the other side,
 * across the wrap of avail->idx, used->idx and last_avail. */
static void test_long_stream(void)
{
	struct hull_error err = { 0 };
	const unsigned int total = 70000;
	unsigned int sent = 0, delivered = 0, bad = 0;
	char frame[1514], got[2048];
	bool starved;

	drain_wire();
	memset(frame, 0x5a, sizeof(frame));
	reset_ring(false);
	for (unsigned int i = 0; i < total; i++) {
		uint16_t d = (uint16_t)(i % QSZ);

		set_desc_in(DESC, d, BUF + 0x800ull * d, VIRTIO_NET_HDR_LEN + 1500, 0, 0);
		publish(d);
		if (virtio_net_tx(&q, &mem, &chain, sp[0], &dropped, &err) != 1)
			bad++;
		if (recv(sp[1], got, sizeof(got), MSG_DONTWAIT) == VIRTIO_NET_HDR_LEN + 1500)
			sent++;
	}
	CHECK(bad == 0 && sent == total, "stream: 70000 tx frames, one chain each, all on the wire");
	CHECK(used_idx() == (uint16_t)total && q.last_avail == (uint16_t)total,
	      "stream: tx indices wrapped in step");

	reset_ring(false);
	bad = 0;
	for (unsigned int i = 0; i < total; i++) {
		uint16_t d = (uint16_t)(i % QSZ);

		set_desc_in(DESC, d, BUF + 0x800ull * d, VIRTIO_NET_HDR_LEN + 1518, VIRTQ_DESC_F_WRITE, 0);
		publish(d);
		if (send(sp[1], frame, sizeof(frame), 0) != (ssize_t)sizeof(frame) ||
		    virtio_net_rx(&q, &mem, &chain, sp[0], 64, &starved, &dropped, &err) != 1)
			bad++;
		else if (used_len(i % QSZ) == sizeof(frame))
			delivered++;
	}
	CHECK(bad == 0 && delivered == total, "stream: 70000 rx frames into 1530-byte buffers, all delivered");
	CHECK(used_idx() == (uint16_t)total && q.last_avail == (uint16_t)total,
	      "stream: rx indices wrapped in step");
	drain_wire();
}

int main(void)
{
	struct hull_error err = { 0 };

	if (vmm_mem_add_buffer(&mem, RAM_GPA, ram, RAM_SIZE, &err) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sp) < 0) {
		printf("not ok - setup\n");
		return 1;
	}
	test_tx();
	test_rx();
	test_long_stream();
	printf("# %d/%d virtio-net checks passed\n", checks - failures, checks);
	return failures ? 1 : 0;
}
