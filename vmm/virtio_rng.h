/* virtio-rng (device id 4): entropy from the host's getrandom(). */
#ifndef HULL_VMM_VIRTIO_RNG_H
#define HULL_VMM_VIRTIO_RNG_H

#include "vmm/virtio_mmio.h"

struct virtio_rng {
	struct virtio_mmio t;
};

int virtio_rng_init(struct virtio_rng *r, struct vm *vm, unsigned int index,
		    bool use_ioeventfd, struct hull_error *err);
void virtio_rng_destroy(struct virtio_rng *r);

#endif
