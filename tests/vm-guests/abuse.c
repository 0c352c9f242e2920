/* A hostile guest "kernel" for the microVM backend's bad-input tests
 * (tests/integration/vm_abuse.bats).  The threat model is a guest kernel
 * that attacks the monitor: this one is built as a PVH ELF (entry.S,
 * abuse.ld), so `hull run --vm --vm-kernel abuse-MODE.elf` boots it like
 * Hull's own kernel, and it finds the virtio-mmio devices the way Linux
 * does, at 0xd0000000 + n*0x1000 (vmm/README.md, "Guest ABI").
 *
 * One build per mode (-DMODE_...; the Makefile builds them all):
 *   flood        every queue of every device made live with empty rings,
 *                then QueueNotify on all of them in a tight loop, a valid
 *                rng request re-posted as fast as it is used, notifies of
 *                queues that do not exist, and writes to unmapped MMIO and
 *                port I/O, and every 128 rounds one device (not the
 *                console) reset mid-flight and set up again, for ever:
 *                the VM never ends by itself.
 *   regs         pseudo-random writes (and reads) of every register of
 *                every device at every width, QueueReady excepted (status
 *                resets mid-flight, features never offered, queue sizes 0
 *                and huge, ring addresses anywhere), unmapped MMIO and port
 *                I/O; then each device is reset and must read back sane,
 *                and the rng must still work; then a queue of size 3 is
 *                made ready on the rng, which the monitor must refuse.
 *   ring-blk     a descriptor loop on virtio-blk
 *   ring-console a chain longer than the queue on the stdio console
 *   ring-rng     a buffer of 4 GiB outside guest RAM on virtio-rng
 *   ring-vsock   avail.idx jumping by more than the queue size on vsock
 *   ring-net     a buffer outside guest RAM on virtio-net's transmit queue
 *   ring-fs      on virtio-fs (rings parsed by virtiofsd, not the
 *                monitor): a loop, a long chain, a huge buffer outside RAM
 *                and an avail.idx jump, then kicks for ever.
 * Progress goes to the stdio console (hvc0, the container's stdout) as
 * lines "abuse: ...", so the test sees how far the guest got. */
#include <stddef.h>
#include <stdint.h>

#define MMIO_BASE 0xd0000000ul
#define MMIO_SLOTS 32
#define QSZ 8

#define ID_NET 1
#define ID_BLK 2
#define ID_CONSOLE 3
#define ID_RNG 4
#define ID_VSOCK 19
#define ID_FS 26


enum {
	R_MAGIC = 0x000, R_DEVICE_ID = 0x008, R_DEV_FEATURES = 0x010, R_DEV_FEATURES_SEL = 0x014,
	R_DRV_FEATURES = 0x020, R_DRV_FEATURES_SEL = 0x024, R_QUEUE_SEL = 0x030,
	R_QUEUE_NUM_MAX = 0x034, R_QUEUE_NUM = 0x038, R_QUEUE_READY = 0x044,
	R_QUEUE_NOTIFY = 0x050, R_INT_STATUS = 0x060, R_INT_ACK = 0x064, R_STATUS = 0x070,
	R_DESC_LO = 0x080, R_DESC_HI = 0x084, R_DRIVER_LO = 0x090, R_DRIVER_HI = 0x094,
	R_DEVICE_LO = 0x0a0, R_DEVICE_HI = 0x0a4,
};

#include "vmm/tests/guest_vring.h"

#define MAX_QUEUES 4
struct dev {
	volatile uint32_t *regs;
	uint32_t id;
	unsigned int nq;
	struct vq q[MAX_QUEUES];
};

static struct dev devs[MMIO_SLOTS];
static unsigned int ndevs;
static struct dev *con;         /* the first console: hvc0, the container's stdio */
static uint8_t line_buf[128];
static uint8_t rng_buf[64];

void *memset(void *d, int c, size_t n);
void *memset(void *d, int c, size_t n)
{
	volatile uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

static void barrier(void) { __asm__ volatile("mfence" ::: "memory"); }
static void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static uint32_t rd(struct dev *d, unsigned int off) { return d->regs[off / 4]; }
static void wr(struct dev *d, unsigned int off, uint32_t v) { d->regs[off / 4] = v; }

static unsigned int queues_of(uint32_t id)
{
	switch (id) {
	case ID_BLK: case ID_RNG: return 1;
	case ID_NET: case ID_CONSOLE: case ID_FS: return 2;
	case ID_VSOCK: return 3;
	default: return 0;
	}
}

static void find_devices(void)
{
	for (unsigned int i = 0; i < MMIO_SLOTS; i++) {
		volatile uint32_t *r = (volatile uint32_t *)(MMIO_BASE + 0x1000ul * i);
		struct dev *d;

		if (r[R_MAGIC / 4] != 0x74726976)
			continue;
		d = &devs[ndevs++];
		d->regs = r;
		d->id = r[R_DEVICE_ID / 4];
		d->nq = queues_of(d->id);
		if (!con && d->id == ID_CONSOLE)
			con = d;
	}
}

static __attribute__((unused)) struct dev *find(uint32_t id)
{
	for (unsigned int i = 0; i < ndevs; i++)
		if (devs[i].id == id)
			return &devs[i];
	return NULL;
}

/* The driver side of virtio 1.x init: VERSION_1 only, every queue live
 * with QSZ entries.  Returns 0 when the device took it. */
static int dev_init(struct dev *d)
{
	wr(d, R_STATUS, 0);
	wr(d, R_STATUS, ST_ACK);
	wr(d, R_STATUS, ST_ACK | ST_DRIVER);
	wr(d, R_DEV_FEATURES_SEL, 1);
	if (!(rd(d, R_DEV_FEATURES) & 1))
		return -1;
	wr(d, R_DRV_FEATURES_SEL, 0);
	wr(d, R_DRV_FEATURES, 0);
	wr(d, R_DRV_FEATURES_SEL, 1);
	wr(d, R_DRV_FEATURES, 1);
	wr(d, R_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	if (!(rd(d, R_STATUS) & ST_FEATURES_OK))
		return -1;
	for (unsigned int i = 0; i < d->nq; i++) {
		struct vq *q = &d->q[i];

		memset(q, 0, sizeof(*q));
		wr(d, R_QUEUE_SEL, i);
		if (rd(d, R_QUEUE_NUM_MAX) < QSZ)
			return -1;
		wr(d, R_QUEUE_NUM, QSZ);
		wr(d, R_DESC_LO, (uint32_t)(uintptr_t)q->desc);
		wr(d, R_DESC_HI, 0);
		wr(d, R_DRIVER_LO, (uint32_t)(uintptr_t)&q->avail);
		wr(d, R_DRIVER_HI, 0);
		wr(d, R_DEVICE_LO, (uint32_t)(uintptr_t)&q->used);
		wr(d, R_DEVICE_HI, 0);
		wr(d, R_QUEUE_READY, 1);
	}
	wr(d, R_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	return rd(d, R_STATUS) & ST_NEEDS_RESET ? -1 : 0;
}

static void submit(struct dev *d, unsigned int qi, uint16_t head)
{
	struct vq *q = &d->q[qi];

	q->avail.ring[q->avail.idx % QSZ] = head;
	barrier();
	q->avail.idx++;
	barrier();
	wr(d, R_QUEUE_NOTIFY, qi);
}

static int wait_used(struct dev *d, unsigned int qi)
{
	struct vq *q = &d->q[qi];

	for (uint64_t spin = 0; spin < 500000000ull; spin++) {
		if (*(volatile uint16_t *)&q->used.idx != q->last_used) {
			q->last_used++;
			return 0;
		}
		__asm__ volatile("pause");
	}
	return -1;
}

/* One line on hvc0 (the console's transmit queue is queue 1). */
static void say(const char *s)
{
	size_t n = 0;

	if (!con)
		return;
	while (s[n] && n < sizeof(line_buf) - 1) {
		line_buf[n] = (uint8_t)s[n];
		n++;
	}
	line_buf[n++] = '\n';
	con->q[1].desc[0] = (struct desc){ (uintptr_t)line_buf, (uint32_t)n, 0, 0 };
	submit(con, 1, 0);
	wait_used(con, 1);
}

/* "WHAT VALUE" on hvc0, VALUE in decimal. */
static void say_num(const char *what, uint64_t v)
{
	char b[112];
	const char *p = what;
	size_t n = 0;
	char digits[24];
	int k = 0;

	while (*p && n < 80)
		b[n++] = *p++;
	do {
		digits[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k)
		b[n++] = digits[--k];
	b[n] = 0;
	say(b);
}

static void say_dev(const char *what, const struct dev *d)
{
	char b[96];
	const char *p = what;
	size_t n = 0;

	while (*p && n < 80)
		b[n++] = *p++;
	for (p = " id="; *p; )
		b[n++] = *p++;
	b[n] = 0;
	say_num(b, d->id);
}

static int console_up(void)
{
	if (!con || dev_init(con) < 0)
		return -1;
	say("abuse: console up");
	for (unsigned int i = 0; i < ndevs; i++)
		say_dev("abuse: found device", &devs[i]);
	return 0;
}

/* Port I/O that cannot end the VM on purpose: not the i8042 (0x64 0xFE
 * resets), port 0x92, 0xcf9, Hull's control ports 0x600-0x607. */
static __attribute__((unused)) int port_ok(uint16_t p)
{
	return !(p >= 0x60 && p <= 0x64) && p != 0x92 && p != 0xcf9 && !(p >= 0x600 && p <= 0x607);
}

static __attribute__((unused)) void garbage_io(unsigned int rounds)
{
	/* MMIO nobody answers: past the devices, the rest of the 32-bit hole,
	 * and above guest RAM (the test VMs have well under 2 GiB). */
	static const uint64_t holes[] = { 0xc0000000ul, 0xdf000000ul, 0xe0000000ul,
					  0xf0000000ul, 0x80000000ul };

	for (unsigned int i = 0; i < rounds; i++) {
		uint64_t r = rnd();
		uint16_t port = (uint16_t)r;
		uint64_t a = holes[(r >> 16) % 5] + ((r >> 24) & 0xffff8);

		if (r & 1)
			a = MMIO_BASE + 0x1000ul * (ndevs + (r >> 40) % (MMIO_SLOTS - ndevs)) +
			    ((r >> 48) & 0xffc);
		*(volatile uint32_t *)a = (uint32_t)(r >> 8);
		(void)*(volatile uint32_t *)a;
		if (port_ok(port)) {
			outb(port, (uint8_t)(r >> 32));
			(void)inb(port);
		}
	}
}

static __attribute__((unused)) void garbage_regs(struct dev *d, unsigned int rounds)
{
	uint8_t *base = (uint8_t *)d->regs;

	for (unsigned int i = 0; i < rounds; i++) {
		uint64_t r = rnd();
		unsigned int off = (unsigned int)(r % 0x200);
		uint32_t v = (uint32_t)(r >> 32);

		/* Favour the interesting values. */
		switch ((r >> 12) % 8) {
		case 0: v = 0; break;
		case 1: v = 0xffffffffu; break;
		case 2: v = (uint32_t)(r >> 40) & 0xff; break;
		default: break;
		}
		switch ((r >> 9) % 8) {
		case 0: /* odd widths and alignment */
			*(volatile uint8_t *)(base + off) = (uint8_t)v;
			(void)*(volatile uint16_t *)(base + (off & ~1u));
			continue;
		case 1:
			*(volatile uint64_t *)(base + (off & ~7u)) = ((uint64_t)v << 32) | v;
			continue;
		default:
			off &= ~3u;
			break;
		}
		/* QueueReady=1 on a garbage queue is the one write the monitor
		 * ends the VM for: kept for the last step. */
		if (off == R_QUEUE_READY)
			v = 0;
		d->regs[off / 4] = v;
		(void)d->regs[(off ^ 4) / 4];
	}
}

static __attribute__((unused)) int rng_works(struct dev *rng)
{
	struct vq *q;

	if (dev_init(rng) < 0)
		return 0;
	q = &rng->q[0];
	memset(rng_buf, 0, sizeof(rng_buf));
	q->desc[0] = (struct desc){ (uintptr_t)rng_buf, sizeof(rng_buf), F_WRITE, 0 };
	submit(rng, 0, 0);
	if (wait_used(rng, 0) < 0)
		return 0;
	for (size_t i = 0; i < sizeof(rng_buf); i++)
		if (rng_buf[i])
			return 1;
	return 0;
}

static __attribute__((unused)) void idle(void)
{
	for (;;)
		__asm__ volatile("pause");
}

#if defined(MODE_FLOOD)
static void run_mode(void)
{
	struct dev *rng = find(ID_RNG);
	uint64_t rounds = 0;

	for (unsigned int i = 0; i < ndevs; i++)
		if (&devs[i] != con && dev_init(&devs[i]) < 0)
			say_dev("abuse: init refused", &devs[i]);
	if (rng) {
		rng->q[0].desc[0] = (struct desc){ (uintptr_t)rng_buf, sizeof(rng_buf), F_WRITE, 0 };
		rng->q[0].desc[1] = (struct desc){ (uintptr_t)rng_buf, 1, F_WRITE, 0 };
	}
	say("abuse: flooding");
	for (;;) {
		for (unsigned int i = 0; i < ndevs; i++) {
			struct dev *d = &devs[i];

			for (unsigned int q = 0; q < d->nq + 2; q++)
				wr(d, R_QUEUE_NOTIFY, q);       /* + two queues that do not exist */
			wr(d, R_INT_ACK, rd(d, R_INT_STATUS));
		}
		/* Keep the rng busy: a new request whenever the last was used. */
		if (rng && *(volatile uint16_t *)&rng->q[0].used.idx == rng->q[0].avail.idx)
			submit(rng, 0, (uint16_t)(rounds & 1));
		++rounds;
		if (rounds % 64 == 0)
			garbage_io(4);
		/* Reset a device mid-flight (the rng with a request posted a
		 * moment ago, virtio-fs with its rings at the back-end) and
		 * bring it up again. */
		if (rounds % 128 == 0) {
			struct dev *d = &devs[(rounds / 128) % ndevs];

			if (rng && d == rng)
				submit(rng, 0, 0);
			if (d != con) {
				wr(d, R_STATUS, 0);
				if (dev_init(d) < 0)
					say_dev("abuse: init refused after a reset", d);
				if (rng && d == rng) {
					rng->q[0].desc[0] = (struct desc){ (uintptr_t)rng_buf,
									   sizeof(rng_buf), F_WRITE, 0 };
					rng->q[0].desc[1] = (struct desc){ (uintptr_t)rng_buf, 1,
									   F_WRITE, 0 };
				}
			}
		}
		if (rounds % 1024 == 0)
			say_num("abuse: flood rounds=", rounds);
	}
}
#elif defined(MODE_REGS)
static void run_mode(void)
{
	struct dev *rng = find(ID_RNG);
	static uint8_t bad[MMIO_SLOTS];

	say("abuse: writing garbage");
	garbage_io(2000);
	for (unsigned int pass = 0; pass < 4; pass++)
		for (unsigned int i = 0; i < ndevs; i++)
			garbage_regs(&devs[i], 5000);
	garbage_io(2000);
	/* Every device, the console included, must come back from a reset
	 * reading sane (checked before the console is set up again). */
	con = NULL;
	for (unsigned int i = 0; i < ndevs; i++) {
		wr(&devs[i], R_STATUS, 0);
		bad[i] = rd(&devs[i], R_MAGIC) != 0x74726976 || rd(&devs[i], R_STATUS) != 0 ||
			 rd(&devs[i], R_QUEUE_READY) != 0;
		if (!con && devs[i].id == ID_CONSOLE)
			con = &devs[i];
	}
	if (console_up() < 0)
		idle();
	say("abuse: garbage written to every register");
	for (unsigned int i = 0; i < ndevs; i++)
		if (bad[i])
			say_dev("abuse: BAD after reset", &devs[i]);
	if (rng && rng_works(rng))
		say("abuse: rng works after the garbage");
	if (!rng)
		idle();
	/* Last: a queue the monitor must refuse (size 3, not a power of two). */
	say("abuse: making a queue of size 3 ready on the rng");
	wr(rng, R_STATUS, 0);
	wr(rng, R_STATUS, ST_ACK | ST_DRIVER);
	wr(rng, R_QUEUE_SEL, 0);
	wr(rng, R_QUEUE_NUM, 3);
	wr(rng, R_QUEUE_READY, 1);
	if (rd(rng, R_STATUS) & ST_NEEDS_RESET)
		say("abuse: rng says NEEDS_RESET");
	idle();
}
#elif defined(MODE_RING_BLK) || defined(MODE_RING_CONSOLE) || defined(MODE_RING_RNG) || \
	defined(MODE_RING_VSOCK) || defined(MODE_RING_NET) || defined(MODE_RING_FS)
#if defined(MODE_RING_BLK)
#define TARGET ID_BLK
#elif defined(MODE_RING_CONSOLE)
#define TARGET ID_CONSOLE
#elif defined(MODE_RING_RNG)
#define TARGET ID_RNG
#elif defined(MODE_RING_VSOCK)
#define TARGET ID_VSOCK
#elif defined(MODE_RING_NET)
#define TARGET ID_NET
#else
#define TARGET ID_FS
#endif

static __attribute__((unused)) void loop_chain(struct dev *d, unsigned int qi)
{
	struct vq *q = &d->q[qi];

	q->desc[0] = (struct desc){ (uintptr_t)rng_buf, 16, F_NEXT, 1 };
	q->desc[1] = (struct desc){ (uintptr_t)rng_buf, 16, F_NEXT, 0 };
	submit(d, qi, 0);
}

static __attribute__((unused)) void long_chain(struct dev *d, unsigned int qi)
{
	struct vq *q = &d->q[qi];

	/* Every descriptor points at the next, the last back at 1: a chain
	 * that never ends within the queue's size. */
	for (uint16_t i = 0; i < QSZ; i++)
		q->desc[i] = (struct desc){ (uintptr_t)line_buf, 4, F_NEXT,
					    (uint16_t)(i + 1 < QSZ ? i + 1 : 1) };
	submit(d, qi, 0);
}

static __attribute__((unused)) void outside_ram(struct dev *d, unsigned int qi)
{
	struct vq *q = &d->q[qi];

	q->desc[0] = (struct desc){ 0x7ffffff00000ull, 0xfffffff0u, F_WRITE, 0 };
	submit(d, qi, 0);
}

static __attribute__((unused)) void avail_jump(struct dev *d, unsigned int qi)
{
	struct vq *q = &d->q[qi];

	q->desc[0] = (struct desc){ (uintptr_t)rng_buf, 16, F_WRITE, 0 };
	q->avail.idx = (uint16_t)(q->avail.idx + 5 * QSZ);
	barrier();
	wr(d, R_QUEUE_NOTIFY, qi);
}

static void run_mode(void)
{
	struct dev *d = TARGET == ID_CONSOLE ? con : find(TARGET);

	if (!d) {
		say("abuse: no target device");
		idle();
	}
	if (d != con && dev_init(d) < 0) {
		say("abuse: target refused init");
		idle();
	}
	say_dev("abuse: attacking the ring of", d);
#if defined(MODE_RING_BLK)
	loop_chain(d, 0);
#elif defined(MODE_RING_CONSOLE)
	long_chain(d, 1);
#elif defined(MODE_RING_RNG)
	outside_ram(d, 0);
#elif defined(MODE_RING_VSOCK)
	avail_jump(d, 1);
#elif defined(MODE_RING_NET)
	{
		/* Readable (transmit) this time: the device reads from it. */
		struct vq *q = &d->q[1];

		q->desc[0] = (struct desc){ 0xfffffffffffff000ull, 0x2000, 0, 0 };
		submit(d, 1, 0);
	}
#else
	/* virtio-fs: the back-end parses these.  Each kind on a queue of its
	 * own where possible, then kicks for ever. */
	loop_chain(d, 1);
	long_chain(d, 0);
	outside_ram(d, 1);
	avail_jump(d, 0);
	say("abuse: fs rings broken, kicking");
	for (;;) {
		wr(d, R_QUEUE_NOTIFY, 0);
		wr(d, R_QUEUE_NOTIFY, 1);
	}
#endif
	for (unsigned int i = 0; i < 2000000; i++)
		if (rd(d, R_STATUS) & ST_NEEDS_RESET) {
			say_dev("abuse: NEEDS_RESET on", d);
			break;
		}
	idle();
}
#else
#error "build with one of -DMODE_FLOOD, -DMODE_REGS, -DMODE_RING_{BLK,CONSOLE,RNG,VSOCK,NET,FS}"
#endif

void abuse_main(void);
void abuse_main(void)
{
	find_devices();
	if (console_up() < 0)
		idle();
	run_mode();
	idle();
}
