/* A freestanding x86-64 test guest.  The monitor enters it in 64-bit mode
 * at 1 MiB with the low 4 GiB identity-mapped, interrupts off.  It drives
 * Hull's virtio-mmio devices by polling, checks the answers, feeds the
 * devices malformed descriptor chains that must be refused, and reports
 * the result on Hull's control port (0 = all passed, else the number of
 * the failed check).  Progress goes to the debug port 0xe9. */
#include <stddef.h>
#include <stdint.h>

#define MMIO_BASE 0xd0000000ul
#define MMIO_SIZE 0x1000ul
#define CONTROL_PORT 0x600
#define DEBUG_PORT 0xe9


#define QSZ 8

#include "guest_vring.h"

struct dev {
	volatile uint32_t *regs;
	struct vq q[3];
};

static struct dev blk, con, rng, vs;
static uint8_t sector_buf[512] __attribute__((aligned(512)));
static uint8_t read_buf[512] __attribute__((aligned(512)));
static struct { uint32_t type, reserved; uint64_t sector; } hdr;
static volatile uint8_t status_byte;
static struct desc indirect_table[3] __attribute__((aligned(16)));
static uint8_t misc_buf[64];

/* gcc may emit calls to these even in freestanding code. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n)
{
	volatile uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}
void *memcpy(void *d, const void *s, size_t n)
{
	volatile uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

static void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static void barrier(void) { __asm__ volatile("mfence" ::: "memory"); }

static void puts_dbg(const char *s)
{
	while (*s)
		outb(DEBUG_PORT, (uint8_t)*s++);
}

static __attribute__((noreturn)) void finish(uint32_t code)
{
	puts_dbg(code ? "guest: FAILED\n" : "guest: all checks passed\n");
	outl(CONTROL_PORT, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void check(int ok, uint32_t code, const char *what)
{
	puts_dbg(ok ? "guest: ok   " : "guest: FAIL ");
	puts_dbg(what);
	puts_dbg("\n");
	if (!ok)
		finish(code);
}

static uint32_t rd(struct dev *d, unsigned off) { return d->regs[off / 4]; }
static void wr(struct dev *d, unsigned off, uint32_t v) { d->regs[off / 4] = v; }

static int dev_init(struct dev *d, uint64_t features, unsigned nq)
{
	uint64_t offered;

	wr(d, 0x70, 0);
	wr(d, 0x70, ST_ACK);
	wr(d, 0x70, ST_ACK | ST_DRIVER);
	wr(d, 0x14, 1);
	offered = (uint64_t)rd(d, 0x10) << 32;
	wr(d, 0x14, 0);
	offered |= rd(d, 0x10);
	if (!(offered & (1ull << 32)))
		return 0;
	features = (features | (1ull << 32)) & offered;
	wr(d, 0x24, 0);
	wr(d, 0x20, (uint32_t)features);
	wr(d, 0x24, 1);
	wr(d, 0x20, (uint32_t)(features >> 32));
	wr(d, 0x70, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	if (!(rd(d, 0x70) & ST_FEATURES_OK))
		return 0;
	for (unsigned i = 0; i < nq; i++) {
		struct vq *q = &d->q[i];

		memset(q, 0, sizeof(*q));
		wr(d, 0x30, i);
		if (rd(d, 0x34) < QSZ || rd(d, 0x44) != 0)
			return 0;
		wr(d, 0x38, QSZ);
		wr(d, 0x80, (uint32_t)(uintptr_t)q->desc);
		wr(d, 0x84, 0);
		wr(d, 0x90, (uint32_t)(uintptr_t)&q->avail);
		wr(d, 0x94, 0);
		wr(d, 0xa0, (uint32_t)(uintptr_t)&q->used);
		wr(d, 0xa4, 0);
		wr(d, 0x44, 1);
	}
	wr(d, 0x70, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	return rd(d, 0x70) == (ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
}

/* Publish descriptor `head` and ring the doorbell. */
static void submit(struct dev *d, unsigned qi, uint16_t head)
{
	struct vq *q = &d->q[qi];

	q->avail.ring[q->avail.idx % QSZ] = head;
	barrier();
	q->avail.idx++;
	barrier();
	wr(d, 0x50, qi);
}

/* Wait for the device to use one buffer; returns the used length or -1. */
static int64_t wait_used(struct dev *d, unsigned qi)
{
	struct vq *q = &d->q[qi];

	for (uint64_t spin = 0; spin < 2000000000ull; spin++) {
		if (*(volatile uint16_t *)&q->used.idx != q->last_used) {
			barrier();
			return q->used.ring[q->last_used++ % QSZ].len;
		}
		__asm__ volatile("pause");
	}
	return -1;
}

/* Wait until the device reports NEEDS_RESET (the broken request must
 * never be completed). */
static int wait_needs_reset(struct dev *d, unsigned qi)
{
	for (uint64_t spin = 0; spin < 200000; spin++) {
		if (rd(d, 0x70) & ST_NEEDS_RESET)
			return *(volatile uint16_t *)&d->q[qi].used.idx == d->q[qi].last_used;
	}
	return 0;
}

static int blk_rw(uint32_t type, uint64_t sector, uint8_t *buf, uint32_t len)
{
	struct vq *q = &blk.q[0];

	hdr.type = type;
	hdr.sector = sector;
	status_byte = 0xff;
	q->desc[0] = (struct desc){ (uintptr_t)&hdr, 16, F_NEXT, 1 };
	q->desc[1] = (struct desc){ (uintptr_t)buf, len, F_NEXT | (type == 1 ? 0 : F_WRITE), 2 };
	q->desc[2] = (struct desc){ (uintptr_t)&status_byte, 1, F_WRITE, 0 };
	submit(&blk, 0, 0);
	if (wait_used(&blk, 0) < 0)
		return -1;
	return status_byte;
}

static void find_devices(void)
{
	for (unsigned i = 0; i < 8; i++) {
		volatile uint32_t *r = (volatile uint32_t *)(MMIO_BASE + i * MMIO_SIZE);

		if (r[0] != 0x74726976 || r[1] != 2)
			continue;
		switch (r[2]) {
		case 2: blk.regs = r; break;
		case 3: if (!con.regs) con.regs = r; break;      /* the first: stdio; then the agent's channel */
		case 4: rng.regs = r; break;
		case 19: vs.regs = r; break;
		default: break;
		}
	}
	check(blk.regs && con.regs && rng.regs, 1, "found virtio-mmio v2 blk, console, rng");
}

static void test_blk(void)
{
	int st;

	check(dev_init(&blk, 1ull << 28, 1), 10, "blk: init with INDIRECT_DESC");
	for (unsigned i = 0; i < 512; i++)
		sector_buf[i] = (uint8_t)(i * 7 + 3);
	check(blk_rw(1, 1, sector_buf, 512) == 0, 11, "blk: write sector 1");

	/* Read back through an indirect table. */
	hdr.type = 0;
	hdr.sector = 1;
	status_byte = 0xff;
	indirect_table[0] = (struct desc){ (uintptr_t)&hdr, 16, F_NEXT, 1 };
	indirect_table[1] = (struct desc){ (uintptr_t)read_buf, 512, F_NEXT | F_WRITE, 2 };
	indirect_table[2] = (struct desc){ (uintptr_t)&status_byte, 1, F_WRITE, 0 };
	blk.q[0].desc[3] = (struct desc){ (uintptr_t)indirect_table, sizeof(indirect_table), F_INDIRECT, 0 };
	submit(&blk, 0, 3);
	check(wait_used(&blk, 0) == 513 && status_byte == 0, 12, "blk: indirect read sector 1");
	st = 1;
	for (unsigned i = 0; i < 512; i++)
		if (read_buf[i] != sector_buf[i])
			st = 0;
	check(st, 13, "blk: data read back matches");

	memset(misc_buf, 0, sizeof(misc_buf));
	check(blk_rw(8, 0, misc_buf, 20) == 0 && misc_buf[0] == 'h' && misc_buf[4] == '-',
	      14, "blk: get-id");
	check(blk_rw(4, 0, misc_buf, 0 + 1) == 0, 15, "blk: flush");
	check(blk_rw(0, 1u << 30, read_buf, 512) == 1, 16, "blk: read past the end fails (IOERR)");
}

/* Each malformed request must flip the device to NEEDS_RESET without
 * completing; afterwards a reset brings it back. */
static void test_malformed(void)
{
	struct vq *q = &blk.q[0];

	hdr.type = 0;
	hdr.sector = 0;
	q->desc[0] = (struct desc){ (uintptr_t)&hdr, 16, F_NEXT, 1 };
	q->desc[1] = (struct desc){ 0x7fff00000000ull, 512, F_NEXT | F_WRITE, 2 };
	q->desc[2] = (struct desc){ (uintptr_t)&status_byte, 1, F_WRITE, 0 };
	submit(&blk, 0, 0);
	check(wait_needs_reset(&blk, 0), 20, "malformed: buffer beyond guest memory refused");

	check(dev_init(&blk, 1ull << 28, 1), 21, "malformed: reset and re-init");
	q->desc[0] = (struct desc){ (uintptr_t)&hdr, 16, F_NEXT, 1 };
	q->desc[1] = (struct desc){ (uintptr_t)read_buf, 512, F_NEXT | F_WRITE, 2 };
	q->desc[2] = (struct desc){ (uintptr_t)&status_byte, 1, F_NEXT | F_WRITE, 1 };
	submit(&blk, 0, 0);
	check(wait_needs_reset(&blk, 0), 22, "malformed: loop in the chain refused");

	check(dev_init(&blk, 1ull << 28, 1), 23, "malformed: reset and re-init");
	q->desc[0] = (struct desc){ (uintptr_t)&hdr, 16, F_NEXT, 1 };
	q->desc[1] = (struct desc){ (uintptr_t)read_buf, 0, F_NEXT | F_WRITE, 2 };
	q->desc[2] = (struct desc){ (uintptr_t)&status_byte, 1, F_WRITE, 0 };
	submit(&blk, 0, 0);
	check(wait_needs_reset(&blk, 0), 24, "malformed: zero-length descriptor refused");

	check(dev_init(&blk, 1ull << 28, 1), 25, "malformed: reset and re-init");
	q->avail.ring[0] = 200;         /* head index past the table */
	barrier();
	q->avail.idx = 1;
	barrier();
	wr(&blk, 0x50, 0);
	check(wait_needs_reset(&blk, 0), 26, "malformed: head index out of range refused");

	check(dev_init(&blk, 1ull << 28, 1), 27, "malformed: reset and re-init");
	q->avail.idx = 100;             /* more entries than the ring holds */
	barrier();
	wr(&blk, 0x50, 0);
	check(wait_needs_reset(&blk, 0), 28, "malformed: avail idx beyond queue size refused");

	check(dev_init(&blk, 1ull << 28, 1), 29, "malformed: reset and re-init");
	q->desc[0] = (struct desc){ (uintptr_t)indirect_table, 16 * 3, F_INDIRECT, 0 };
	indirect_table[0] = (struct desc){ (uintptr_t)&hdr, 16, F_NEXT, 1 };
	indirect_table[1] = (struct desc){ (uintptr_t)read_buf, 512, F_NEXT | F_WRITE, 2 };
	indirect_table[2] = (struct desc){ (uintptr_t)&status_byte, 1, F_NEXT | F_WRITE, 1 };
	submit(&blk, 0, 0);
	check(wait_needs_reset(&blk, 0), 30, "malformed: loop in an indirect table refused");

	check(dev_init(&blk, 1ull << 28, 1), 31, "malformed: reset and re-init");
	check(blk_rw(0, 1, read_buf, 512) == 0 && read_buf[5] == sector_buf[5], 32,
	      "blk: works again after reset");
}

static void test_rng(void)
{
	int nonzero = 0;

	check(dev_init(&rng, 0, 1), 40, "rng: init");
	memset(misc_buf, 0, sizeof(misc_buf));
	rng.q[0].desc[0] = (struct desc){ (uintptr_t)misc_buf, 32, F_WRITE, 0 };
	submit(&rng, 0, 0);
	check(wait_used(&rng, 0) == 32, 41, "rng: 32 bytes returned");
	for (unsigned i = 0; i < 32; i++)
		nonzero |= misc_buf[i];
	check(nonzero != 0, 42, "rng: bytes are not all zero");
}

static void test_console(void)
{
	static const char msg[] = "hello from the hull test guest\n";
	static char in[16];
	int64_t n;

	check(dev_init(&con, 0, 2), 50, "console: init");
	con.q[1].desc[0] = (struct desc){ (uintptr_t)msg, sizeof(msg) - 1, 0, 0 };
	submit(&con, 1, 0);
	check(wait_used(&con, 1) == 0, 51, "console: output consumed");
	con.q[0].desc[0] = (struct desc){ (uintptr_t)in, sizeof(in), F_WRITE, 0 };
	submit(&con, 0, 0);
	n = wait_used(&con, 0);
	check(n == 5 && in[0] == 'p' && in[3] == 'g', 52, "console: input \"ping\\n\" received");
}

/* --- virtio-vsock (vmm/virtio_vsock.c) ---
 * Driven against test_vmm_guest.c's host thread: RST for a port nobody
 * listens on and for an unknown op, two malformed packets that must be
 * rejected without an answer (counted as guest errors), a guest -> host
 * connection to "<uds>_5000" carrying "ping"/"pong", and a host -> guest
 * one from "CONNECT 1234\n" carrying "hello"/"world". */
struct vhdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));

#define VS_RXLEN (44 + 256)
static uint8_t vs_rx[QSZ][VS_RXLEN];
static struct { struct vhdr h; uint8_t data[64]; } __attribute__((packed)) vs_tx;
static struct vhdr vs_in;
static uint8_t vs_data[256];
static uint32_t vs_fwd;

static void vs_post_rx(uint16_t i)
{
	vs.q[0].desc[i] = (struct desc){ (uintptr_t)vs_rx[i], VS_RXLEN, F_WRITE, 0 };
	submit(&vs, 0, i);
}

/* Send one packet; desc_len 0 means header + len. */
static void vs_send(uint16_t op, uint32_t sport, uint32_t dport, const char *data,
		    uint32_t len, uint32_t flags, uint32_t desc_len)
{
	vs_tx.h = (struct vhdr){ .src_cid = 3, .dst_cid = 2, .src_port = sport, .dst_port = dport,
				 .len = len, .type = 1, .op = op, .flags = flags,
				 .buf_alloc = 4096, .fwd_cnt = vs_fwd };
	for (uint32_t i = 0; i < len && i < sizeof(vs_tx.data); i++)
		vs_tx.data[i] = (uint8_t)data[i];
	vs.q[1].desc[0] = (struct desc){ (uintptr_t)&vs_tx, desc_len ? desc_len : 44 + len, 0, 0 };
	submit(&vs, 1, 0);
	wait_used(&vs, 1);
}

/* Next packet from the device, credit updates skipped; returns its op or
 * 0 on timeout.  The rx buffer goes back to the device at once. */
static uint16_t vs_recv(void)
{
	struct vq *q = &vs.q[0];

	for (;;) {
		int64_t n = -1;
		uint16_t id = 0;

		for (uint64_t spin = 0; spin < 2000000000ull && n < 0; spin++) {
			if (*(volatile uint16_t *)&q->used.idx != q->last_used) {
				barrier();
				id = (uint16_t)q->used.ring[q->last_used % QSZ].id;
				n = q->used.ring[q->last_used++ % QSZ].len;
			}
		}
		if (n < 44 || id >= QSZ)
			return 0;
		memcpy(&vs_in, vs_rx[id], 44);
		memcpy(vs_data, vs_rx[id] + 44, vs_in.len < sizeof(vs_data) ? vs_in.len : sizeof(vs_data));
		vs_fwd += vs_in.op == 5 ? vs_in.len : 0;
		vs_post_rx(id);
		if (vs_in.op != 6)
			return vs_in.op;
	}
}

static void test_vsock(void)
{
	uint32_t cid_lo, hport;

	/* The jailed runs have no vsock device (a jailed monitor cannot
	 * reach "<uds>_P" by path); the host side of the unjailed runs
	 * checks that the device was there and did its part. */
	if (vs.regs == 0) {
		puts_dbg("guest: skip vsock: no device in this run\n");
		return;
	}
	check(dev_init(&vs, 0, 3), 61, "vsock: init (rx, tx, event)");
	cid_lo = rd(&vs, 0x100);
	check(cid_lo == 3 && rd(&vs, 0x104) == 0, 62, "vsock: guest CID 3 in config space");
	for (uint16_t i = 0; i < QSZ; i++)
		vs_post_rx(i);

	vs_send(1, 40000, 9999, 0, 0, 0, 0);
	check(vs_recv() == 3 && vs_in.src_port == 9999 && vs_in.dst_port == 40000 &&
	      vs_in.src_cid == 2 && vs_in.dst_cid == 3, 63, "vsock: connect to a port nobody listens on gets RST");
	vs_send(99, 40000, 9999, 0, 0, 0, 0);
	check(vs_recv() == 3 && vs_in.src_port == 9999, 64, "vsock: unknown op gets RST");
	/* Malformed: a truncated header, then a len beyond the buffer. Neither
	 * may be answered: the next reply is the RST for port 7777. */
	vs_send(1, 40000, 8888, 0, 0, 0, 20);
	vs_send(5, 40000, 8888, "0123456789", 1000, 0, 44 + 10);
	vs_send(7, 40000, 7777, 0, 0, 0, 0);
	check(vs_recv() == 3 && vs_in.src_port == 7777, 65,
	      "vsock: truncated header and oversized len rejected without an answer");

	/* guest -> host: the test listens on <uds>_5000. */
	vs_send(1, 40001, 5000, 0, 0, 0, 0);
	check(vs_recv() == 2 && vs_in.src_port == 5000 && vs_in.dst_port == 40001, 66,
	      "vsock: connect to a listening host port gets RESPONSE");
	vs_send(5, 40001, 5000, "ping", 4, 0, 0);
	check(vs_recv() == 5 && vs_in.len == 4 && vs_data[0] == 'p' && vs_data[1] == 'o', 67,
	      "vsock: \"ping\" reached the host, \"pong\" came back");
	vs_send(4, 40001, 5000, 0, 0, 3, 0);
	check(vs_recv() == 3 && vs_in.dst_port == 40001, 68, "vsock: SHUTDOWN answered by RST");

	/* host -> guest: the test writes "CONNECT 1234\n". */
	check(vs_recv() == 1 && vs_in.dst_port == 1234 && vs_in.src_port >= (1u << 30), 69,
	      "vsock: host CONNECT 1234 arrives as REQUEST");
	hport = vs_in.src_port;
	vs_fwd = 0;     /* fwd_cnt is per connection */
	vs_send(2, 1234, hport, 0, 0, 0, 0);
	/* fwd_cnt counts only our bytes: the "OK" line the device wrote to
	 * the host client is not the guest's and must not look consumed. */
	check(vs_recv() == 5 && vs_in.len == 5 && vs_data[0] == 'h' && vs_data[4] == 'o' &&
	      vs_in.fwd_cnt == 0, 70, "vsock: \"hello\" from the host client, fwd_cnt 0");
	vs_send(5, 1234, hport, "world", 5, 0, 0);
	check(vs_recv() == 4, 71, "vsock: the host client's close arrives as SHUTDOWN");
	vs_send(3, 1234, hport, 0, 0, 0, 0);
}
/* --- end virtio-vsock --- */

__attribute__((section(".text.entry"), noreturn)) void _start(void);
void _start(void)
{
	puts_dbg("guest: started in long mode\n");
	find_devices();
	test_blk();
	test_malformed();
	test_rng();
	test_console();
	test_vsock();
	finish(0);
}
