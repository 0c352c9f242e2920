/* virtio-rng: fill every writable buffer the driver offers. */
#include "vmm/virtio_rng.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

/* Cap per request so one huge buffer cannot stall the I/O thread. */
#define RNG_MAX_PER_REQUEST 65536u

static int rng_fill(void *ctx, uint8_t *p, uint32_t n, uint64_t done)
{
	/* p..p+n lies inside a checked, writable chain segment. */
	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (uint32_t)r;
	}
	return 0;
}

static int rng_queue_notify(struct virtio_mmio *t, unsigned int q, struct hull_error *err)
{
	struct virtq_chain *c = &t->chain;
	bool used = false;
	int r;

	while ((r = virtq_pop(&t->q[q], &t->vm->mem, c, err)) == 1) {
		uint64_t want = c->writable < RNG_MAX_PER_REQUEST ? c->writable : RNG_MAX_PER_REQUEST;
		long long got = virtq_chain_foreach(c, true, 0, want, rng_fill, NULL);

		if (virtq_push(&t->q[q], &t->vm->mem, c->head,
			       got < 0 ? 0 : (uint32_t)got, err) < 0)
			return -1;
		used = true;
	}
	if (used)
		virtio_mmio_signal_used(t, q);
	return r;
}

static const struct virtio_device_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = 4,
	.num_queues = 1,
	.queue_max = 64,
	.config_size = 0,
	.queue_notify = rng_queue_notify,
};

int virtio_rng_init(struct virtio_rng *r, struct vm *vm, unsigned int index,
		    bool use_ioeventfd, struct hull_error *err)
{
	memset(r, 0, sizeof(*r));
	return virtio_mmio_init(&r->t, vm, index, &rng_ops, 0, r, use_ioeventfd, err);
}

void virtio_rng_destroy(struct virtio_rng *r)
{
	virtio_mmio_destroy(&r->t);
}
