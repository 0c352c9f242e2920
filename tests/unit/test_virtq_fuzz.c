/* Randomised ring contents against the virtqueue: whatever the guest
 * writes, virtq_pop must either refuse it or return segments that lie
 * wholly inside guest memory, never more than the queue size of them, with
 * consistent byte totals.  Deterministic seed; run under `make asan` to
 * catch out-of-bounds accesses too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/memory.h"
#include "vmm/virtio_queue.h"

#define RAM_GPA  0x100000ull
#define RAM_SIZE 0x8000ull
#define ROUNDS   200000

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Mostly plausible addresses, sometimes wild ones. */
static uint64_t rnd_addr(void)
{
	switch (rnd() % 8) {
	case 0: return rnd();
	case 1: return RAM_GPA + RAM_SIZE - rnd() % 64;
	case 2: return RAM_GPA - rnd() % 64;
	default: return RAM_GPA + rnd() % RAM_SIZE;
	}
}

static uint32_t rnd_len(void)
{
	switch (rnd() % 16) {
	case 0: return 0;
	case 1: return (uint32_t)rnd();
	case 2: case 3: return 16 * (uint32_t)(rnd() % 10);
	default: return 1 + (uint32_t)(rnd() % 512);
	}
}

int main(void)
{
	struct vmm_mem mem = { 0 };
	struct hull_error err = { 0 };
	static struct virtq_chain c;
	unsigned long popped = 0, refused = 0, bad = 0;

	if (vmm_mem_add_buffer(&mem, RAM_GPA, ram, RAM_SIZE, &err) < 0)
		return 1;
	for (int round = 0; round < ROUNDS; round++) {
		struct virtq q;
		uint16_t size = (uint16_t)(1u << (rnd() % 6));  /* 1..32 */

		virtq_reset(&q);
		q.size = size;
		q.desc_gpa = RAM_GPA;
		q.avail_gpa = RAM_GPA + 0x1000;
		q.used_gpa = RAM_GPA + 0x2000;
		q.indirect = rnd() & 1;
		q.ready = true;
		q.last_avail = (uint16_t)rnd();
		/* Random descriptors, avail ring, idx and indirect tables. */
		for (unsigned i = 0; i < size; i++) {
			uint64_t a = rnd_addr();
			uint32_t l = rnd_len();
			uint16_t f = (uint16_t)((rnd() & 1) | (rnd() % 4 == 0 ? 2 : 0) |
					       (rnd() % 16 == 0 ? 4 : 0));
			uint16_t n = (uint16_t)(rnd() % (size + 1));

			memcpy(ram + 16 * i, &a, 8);
			memcpy(ram + 16 * i + 8, &l, 4);
			memcpy(ram + 16 * i + 12, &f, 2);
			memcpy(ram + 16 * i + 14, &n, 2);
		}
		for (unsigned i = 0; i < 64; i++)
			ram[0x3000 + rnd() % 0x1000] = (uint8_t)rnd();
		for (unsigned i = 0; i < size; i++) {
			uint16_t head = (uint16_t)(rnd() % 32 ? rnd() % size : rnd());

			memcpy(ram + 0x1004 + 2 * i, &head, 2);
		}
		{
			uint16_t idx = (uint16_t)(q.last_avail + (rnd() % 32 ? rnd() % (size + 1) : rnd()));

			memcpy(ram + 0x1002, &idx, 2);
		}
		for (int k = 0; k < 4; k++) {
			int r;

			hull_error_clear(&err);
			r = virtq_pop(&q, &mem, &c, &err);
			if (r <= 0) {
				refused += r < 0;
				break;
			}
			popped++;
			uint64_t rd = 0, wr = 0;

			if (c.nseg == 0 || c.nseg > size || c.head >= size)
				bad++;
			for (unsigned s = 0; s < c.nseg; s++) {
				const uint8_t *p = c.seg[s].host;

				if (c.seg[s].len == 0 || p < ram || p + c.seg[s].len > ram + RAM_SIZE)
					bad++;
				if (c.seg[s].writable)
					wr += c.seg[s].len;
				else
					rd += c.seg[s].len;
			}
			if (rd != c.readable || wr != c.writable)
				bad++;
			if (virtq_push(&q, &mem, c.head, 0, &err) < 0)
				bad++;
		}
	}
	printf("# %d rounds: %lu chains accepted, %lu refused, %lu invariant violations\n",
	       ROUNDS, popped, refused, bad);
	printf("%s - random rings never yield segments outside guest memory\n", bad ? "not ok" : "ok");
	return bad ? 1 : 0;
}
