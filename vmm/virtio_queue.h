/* The split virtqueue (virtio 1.x, section 2.7), device side.  Every index,
 * address and length read from the rings is guest-controlled and checked
 * here before use; devices only ever see host pointers that were proven to
 * lie inside guest RAM. */
#ifndef HULL_VMM_VIRTIO_QUEUE_H
#define HULL_VMM_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "vmm/memory.h"

/* Largest queue any Hull device offers; also the bound on a chain's length
 * (the spec forbids chains longer than the queue size, indirect included). */
#define VIRTQ_MAX_SIZE 256

#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4

struct virtq {
	uint16_t size;          /* QueueNum from the driver; power of two */
	bool ready;
	bool indirect;          /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t last_avail;    /* next avail ring slot we will consume */
	uint16_t used_idx;      /* our copy of used->idx */
};

struct virtq_seg {
	uint8_t *host;          /* inside guest RAM for all of len */
	uint32_t len;           /* > 0 */
	bool writable;          /* device-writable (VIRTQ_DESC_F_WRITE) */
};

struct virtq_chain {
	uint16_t head;          /* descriptor index to hand back in used ring */
	unsigned int nseg;
	uint64_t readable;      /* total bytes in device-readable segments */
	uint64_t writable;      /* total bytes in device-writable segments */
	struct virtq_seg seg[VIRTQ_MAX_SIZE];
};

/* Reset a queue to its power-on state. */
void virtq_reset(struct virtq *q);

/* Check a queue the driver is about to enable: size a power of two no larger
 * than max_size, rings aligned as the spec requires and wholly in guest RAM. */
int virtq_validate(const struct virtq *q, const struct vmm_mem *mem,
		   uint16_t max_size, struct hull_error *err);

/* Take the next available chain.  Returns 1 and fills *c, 0 if the queue is
 * empty, -1 with err set if the guest broke the ring or a chain (the device
 * must then stop using the queue: NEEDS_RESET). */
int virtq_pop(struct virtq *q, const struct vmm_mem *mem,
	      struct virtq_chain *c, struct hull_error *err);

/* Return a chain to the driver with `written` bytes written into it. */
int virtq_push(struct virtq *q, const struct vmm_mem *mem, uint16_t head,
	       uint32_t written, struct hull_error *err);

/* True unless the driver set VIRTQ_AVAIL_F_NO_INTERRUPT. */
bool virtq_wants_interrupt(const struct virtq *q, const struct vmm_mem *mem);

/* Ask the driver to notify (kick) us about new buffers, or not
 * (VIRTQ_USED_F_NO_NOTIFY; without EVENT_IDX).  After turning them back on,
 * look at the avail ring once more: buffers posted meanwhile sent no kick. */
void virtq_set_notify(const struct virtq *q, const struct vmm_mem *mem, bool wanted);

/* Gather/scatter over the readable (or writable) bytes of a chain, starting
 * `off` bytes into that part.  Return the number of bytes copied. */
size_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *dst, size_t len);
size_t virtq_chain_write(const struct virtq_chain *c, uint64_t off, const void *src, size_t len);

/* Call fn on each host piece of [off, off + len) of the readable or writable
 * part.  Stops at the first negative return and returns it; otherwise the
 * number of bytes visited. */
typedef int (*virtq_seg_fn)(void *ctx, uint8_t *p, uint32_t n, uint64_t pos);
long long virtq_chain_foreach(const struct virtq_chain *c, bool writable,
			      uint64_t off, uint64_t len, virtq_seg_fn fn, void *ctx);

#endif
