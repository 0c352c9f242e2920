/* Split virtqueue, device side.  The guest writes the rings concurrently
 * with us, so every field is read once into a local copy and checked there;
 * nothing is re-read from guest memory after it has been validated. */
#include "vmm/virtio_queue.h"

#include <errno.h>
#include <string.h>

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

static uint64_t desc_bytes(uint16_t n)  { return 16ull * n; }
static uint64_t avail_bytes(uint16_t n) { return 6ull + 2ull * n; } /* flags, idx, ring, used_event */
static uint64_t used_bytes(uint16_t n)  { return 6ull + 8ull * n; } /* flags, idx, ring, avail_event */

void virtq_reset(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
}

int virtq_validate(const struct virtq *q, const struct vmm_mem *mem,
		   uint16_t max_size, struct hull_error *err)
{
	/* The size drives every modulo and bound below: zero or a non-power of
	 * two would make ring slot arithmetic wrong, and more than max_size would
	 * let chains outgrow struct virtq_chain. */
	if (q->size == 0 || q->size > max_size || (q->size & (q->size - 1)))
		return hull_error_set(err, EINVAL, "queue size %u invalid (max %u, power of two)",
				      q->size, max_size);
	/* Alignment from the spec (2.7): misaligned rings would give misaligned
	 * atomic accesses to idx fields on the host. */
	if (q->desc_gpa % 16 || q->avail_gpa % 2 || q->used_gpa % 4)
		return hull_error_set(err, EINVAL, "queue rings misaligned");
	/* Whole rings inside guest RAM, checked once here; pop/push still go
	 * through vmm_mem_ptr for each access, so this is an early, clear error
	 * rather than the only line of defence. */
	if (!vmm_mem_ptr(mem, q->desc_gpa, desc_bytes(q->size)) ||
	    !vmm_mem_ptr(mem, q->avail_gpa, avail_bytes(q->size)) ||
	    !vmm_mem_ptr(mem, q->used_gpa, used_bytes(q->size)))
		return hull_error_set(err, EFAULT, "queue rings outside guest memory");
	return 0;
}

static uint16_t load_u16(const struct vmm_mem *mem, uint64_t gpa, bool *ok)
{
	/* 2 bytes at gpa, alignment guaranteed by virtq_validate. */
	uint16_t *p = vmm_mem_ptr(mem, gpa, 2);

	if (p == NULL) {
		*ok = false;
		return 0;
	}
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Append one guest buffer to the chain after checking it. */
static int chain_add(struct virtq_chain *c, const struct vmm_mem *mem,
		     const struct vring_desc *d, struct hull_error *err)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	uint8_t *host;

	/* Bound the chain by the queue size (callers pass at most
	 * VIRTQ_MAX_SIZE entries); also what stops a loop in the next links. */
	if (c->nseg >= VIRTQ_MAX_SIZE)
		return hull_error_set(err, ELOOP, "descriptor chain too long");
	/* A zero-length buffer carries nothing and is how a confused driver
	 * shows itself; refusing it keeps every segment's len > 0. */
	if (d->len == 0)
		return hull_error_set(err, EINVAL, "zero-length descriptor");
	/* The buffer must be wholly guest RAM: vmm_mem_ptr checks
	 * [addr, addr + len) overflow-safely against the regions. */
	host = vmm_mem_ptr(mem, d->addr, d->len);
	if (host == NULL)
		return hull_error_set(err, EFAULT,
				      "descriptor buffer 0x%llx+%u outside guest memory",
				      (unsigned long long)d->addr, d->len);
	/* Spec 2.7.4.2: readable buffers come before writable ones. Devices
	 * rely on that to find headers at the front and status at the end. */
	if (!writable && c->writable > 0)
		return hull_error_set(err, EINVAL, "readable descriptor after a writable one");
	c->seg[c->nseg++] = (struct virtq_seg){ .host = host, .len = d->len,
						.writable = writable };
	if (writable)
		c->writable += d->len;
	else
		c->readable += d->len;
	return 0;
}

/* Walk an indirect table: a separate array of descriptors in guest RAM. */
static int walk_indirect(struct virtq_chain *c, const struct vmm_mem *mem,
			 const struct vring_desc *ind, uint16_t qsize,
			 struct hull_error *err)
{
	const uint8_t *table;
	uint32_t n, i, steps = 0;
	struct vring_desc d;

	/* The table length must hold whole descriptors, at least one, and no
	 * more than the queue size (spec: chains are bounded by it). */
	if (ind->len == 0 || ind->len % 16)
		return hull_error_set(err, EINVAL, "indirect table length %u invalid", ind->len);
	n = ind->len / 16;
	if (n > qsize)
		return hull_error_set(err, E2BIG, "indirect table longer than the queue");
	/* Whole table inside guest RAM (overflow-safe check). */
	table = vmm_mem_ptr(mem, ind->addr, ind->len);
	if (table == NULL)
		return hull_error_set(err, EFAULT, "indirect table outside guest memory");
	i = 0;
	for (;;) {
		/* i < n holds here: checked for the first entry (0 < n) and for
		 * each `next` below before it is followed. */
		memcpy(&d, table + 16ull * i, sizeof(d));
		/* Spec 2.7.5.3.1: no nested indirect tables. */
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return hull_error_set(err, EINVAL, "nested indirect descriptor");
		if (chain_add(c, mem, &d, err) < 0)
			return -1;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		/* A loop inside the table: n steps visit every entry once. */
		if (++steps >= n)
			return hull_error_set(err, ELOOP, "loop in indirect descriptor chain");
		if (d.next >= n)
			return hull_error_set(err, EINVAL, "indirect next index %u out of range", d.next);
		i = d.next;
	}
}

int virtq_pop(struct virtq *q, const struct vmm_mem *mem,
	      struct virtq_chain *c, struct hull_error *err)
{
	bool ok = true;
	uint16_t avail_idx, head, idx, steps = 0;
	struct vring_desc d;

	if (!q->ready || q->size == 0)
		return hull_error_set(err, EINVAL, "queue not ready");
	avail_idx = load_u16(mem, q->avail_gpa + 2, &ok);
	if (!ok)
		return hull_error_set(err, EFAULT, "avail ring outside guest memory");
	if (avail_idx == q->last_avail)
		return 0;
	/* The driver can have at most `size` buffers outstanding; a larger
	 * distance means a corrupt idx, and trusting it would make us consume
	 * ring slots the driver never filled. */
	if ((uint16_t)(avail_idx - q->last_avail) > q->size)
		return hull_error_set(err, EINVAL, "avail idx %u runs %u entries ahead (queue size %u)",
				      avail_idx, (uint16_t)(avail_idx - q->last_avail), q->size);
	/* Slot index reduced modulo size (a power of two) so it is in-ring. */
	head = load_u16(mem, q->avail_gpa + 4 + 2ull * (q->last_avail & (q->size - 1)), &ok);
	if (!ok)
		return hull_error_set(err, EFAULT, "avail ring outside guest memory");
	/* The head names a descriptor; it must exist in the table. */
	if (head >= q->size)
		return hull_error_set(err, EINVAL, "descriptor index %u out of range (size %u)",
				      head, q->size);
	q->last_avail++;

	c->head = head;
	c->nseg = 0;
	c->readable = c->writable = 0;
	idx = head;
	for (;;) {
		/* idx < size checked (head above, next below), so the 16 bytes
		 * lie inside the table that virtq_validate placed in RAM; copy
		 * once so the guest cannot change it between check and use. */
		if (vmm_mem_read(mem, q->desc_gpa + 16ull * idx, &d, sizeof(d)) < 0)
			return hull_error_set(err, EFAULT, "descriptor table outside guest memory");
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* Indirect only if negotiated, and (2.7.5.3.1) never
			 * combined with NEXT: the table ends the chain. */
			if (!q->indirect)
				return hull_error_set(err, EINVAL, "indirect descriptor not negotiated");
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return hull_error_set(err, EINVAL, "indirect descriptor with NEXT set");
			if (c->nseg != 0)
				return hull_error_set(err, EINVAL, "indirect descriptor after direct ones");
			return walk_indirect(c, mem, &d, q->size, err) < 0 ? -1 : 1;
		}
		if (chain_add(c, mem, &d, err) < 0)
			return -1;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 1;
		/* A chain visits each of the `size` descriptors at most once;
		 * more steps than that means the next links form a loop. */
		if (++steps >= q->size)
			return hull_error_set(err, ELOOP, "loop in descriptor chain");
		if (d.next >= q->size)
			return hull_error_set(err, EINVAL, "next index %u out of range (size %u)",
					      d.next, q->size);
		idx = d.next;
	}
}

int virtq_push(struct virtq *q, const struct vmm_mem *mem, uint16_t head,
	       uint32_t written, struct hull_error *err)
{
	uint32_t elem[2] = { head, written };
	uint16_t *idxp;

	/* Slot index reduced modulo size; ring placed in RAM by validate, and
	 * each access is re-checked through vmm_mem_ptr anyway. */
	if (vmm_mem_write(mem, q->used_gpa + 4 + 8ull * (q->used_idx & (q->size - 1)),
			  elem, sizeof(elem)) < 0)
		return hull_error_set(err, EFAULT, "used ring outside guest memory");
	idxp = vmm_mem_ptr(mem, q->used_gpa + 2, 2);
	if (idxp == NULL)
		return hull_error_set(err, EFAULT, "used ring outside guest memory");
	q->used_idx++;
	/* Release: the element must be visible before the new idx. */
	__atomic_store_n(idxp, q->used_idx, __ATOMIC_RELEASE);
	return 0;
}

bool virtq_wants_interrupt(const struct virtq *q, const struct vmm_mem *mem)
{
	bool ok = true;
	uint16_t flags;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	flags = load_u16(mem, q->avail_gpa, &ok);
	return !ok || !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

void virtq_set_notify(const struct virtq *q, const struct vmm_mem *mem, bool wanted)
{
	/* used->flags, 2 bytes at the start of the used ring (placed in RAM
	 * and aligned by virtq_validate). */
	uint16_t *flags = vmm_mem_ptr(mem, q->used_gpa, 2);

	if (flags == NULL)
		return;
	__atomic_store_n(flags, wanted ? 0 : VIRTQ_USED_F_NO_NOTIFY, __ATOMIC_RELEASE);
	/* Order the flag before the caller looks at the avail ring again, so
	 * that a buffer posted while notifications were off is seen. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

long long virtq_chain_foreach(const struct virtq_chain *c, bool writable,
			      uint64_t off, uint64_t len, virtq_seg_fn fn, void *ctx)
{
	uint64_t pos = 0, done = 0;

	for (unsigned int i = 0; i < c->nseg && done < len; i++) {
		const struct virtq_seg *s = &c->seg[i];
		uint64_t skip, n;

		if (s->writable != writable)
			continue;
		if (off >= pos + s->len) {
			pos += s->len;
			continue;
		}
		/* Stay inside this segment: [skip, skip + n) within s->len. */
		skip = off > pos ? off - pos : 0;
		n = s->len - skip;
		if (n > len - done)
			n = len - done;
		if (fn) {
			int r = fn(ctx, s->host + skip, (uint32_t)n, done);

			if (r < 0)
				return r;
		}
		done += n;
		pos += s->len;
	}
	return (long long)done;
}

struct copy_ctx {
	uint8_t *buf;
	bool to_guest;
};

static int copy_seg(void *ctx, uint8_t *p, uint32_t n, uint64_t pos)
{
	struct copy_ctx *cc = ctx;

	if (cc->to_guest)
		memcpy(p, cc->buf + pos, n);
	else
		memcpy(cc->buf + pos, p, n);
	return 0;
}

size_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *dst, size_t len)
{
	struct copy_ctx cc = { .buf = dst, .to_guest = false };

	return (size_t)virtq_chain_foreach(c, false, off, len, copy_seg, &cc);
}

size_t virtq_chain_write(const struct virtq_chain *c, uint64_t off, const void *src, size_t len)
{
	struct copy_ctx cc = { .buf = (uint8_t *)src, .to_guest = true };

	return (size_t)virtq_chain_foreach(c, true, off, len, copy_seg, &cc);
}
