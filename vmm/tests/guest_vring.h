/* The split virtqueue as a freestanding test guest lays it out in its own
 * memory (virtio 1.x, 2.6): one definition for vmm/tests/guest.c and the
 * hostile guests of tests/vm-guests/abuse.c.  The includer defines QSZ,
 * the queue size both sides agree on, before including this. */
#ifndef HULL_VMM_TESTS_GUEST_VRING_H
#define HULL_VMM_TESTS_GUEST_VRING_H

#include <stdint.h>

/* device status bits (2.1) and descriptor flags (2.6.5) */
#define ST_ACK 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define ST_FEATURES_OK 8
#define ST_NEEDS_RESET 0x40

#define F_NEXT 1
#define F_WRITE 2
#define F_INDIRECT 4

#ifndef QSZ
#error "define QSZ (the queue size) before including guest_vring.h"
#endif

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct avail { uint16_t flags, idx, ring[QSZ], used_event; };
struct used_elem { uint32_t id, len; };
struct used { uint16_t flags, idx; struct used_elem ring[QSZ]; uint16_t avail_event; };

/* The alignments are the spec's minimums for each part (2.6). */
struct vq {
	struct desc desc[QSZ] __attribute__((aligned(16)));
	struct avail avail __attribute__((aligned(4)));
	struct used used __attribute__((aligned(4)));
	uint16_t last_used;
};

#endif
