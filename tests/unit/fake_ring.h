/* A split virtqueue in a plain buffer standing in for guest RAM, shared by
 * the unit tests of the queue and of the devices on it: no KVM needed.
 * The including test defines RAM_SIZE (and may use BUF and TABLE for its
 * buffers and indirect tables); mem must be set up over ram by the test. */
#ifndef HULL_TESTS_FAKE_RING_H
#define HULL_TESTS_FAKE_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "vmm/memory.h"
#include "vmm/virtio_queue.h"

#define RAM_GPA  0x10000ull
#define QSZ 8
#define DESC  (RAM_GPA + 0x0000)
#define AVAIL (RAM_GPA + 0x1000)
#define USED  (RAM_GPA + 0x2000)
#define TABLE (RAM_GPA + 0x3000)
#define BUF   (RAM_GPA + 0x8000)

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static struct vmm_mem mem;
static struct virtq q;
static struct virtq_chain chain;

static void *at(uint64_t gpa) { return ram + (gpa - RAM_GPA); }

/* Descriptor i of the table at gpa `table` (DESC, or an indirect one). */
static inline void set_desc_in(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
			       uint16_t flags, uint16_t next)
{
	struct desc d = { addr, len, flags, next };

	memcpy(at(table + 16ull * i), &d, sizeof(d));
}

/* Zeroed RAM and a ready queue of QSZ entries at DESC/AVAIL/USED. */
static inline void reset_ring(bool indirect)
{
	memset(ram, 0, sizeof(ram));
	virtq_reset(&q);
	q.size = QSZ;
	q.desc_gpa = DESC;
	q.avail_gpa = AVAIL;
	q.used_gpa = USED;
	q.indirect = indirect;
	q.ready = true;
}

/* Put `head` in the avail ring and bump avail->idx by one. */
static inline void publish(uint16_t head)
{
	uint16_t idx;

	memcpy(&idx, at(AVAIL + 2), 2);
	memcpy(at(AVAIL + 4 + 2ull * (idx % QSZ)), &head, 2);
	idx++;
	memcpy(at(AVAIL + 2), &idx, 2);
}

#endif
