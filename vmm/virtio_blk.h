/* virtio-blk (device id 2): a disk image file, read-only or read-write. */
#ifndef HULL_VMM_VIRTIO_BLK_H
#define HULL_VMM_VIRTIO_BLK_H

#include "vmm/virtio_mmio.h"

struct virtio_blk {
	struct virtio_mmio t;
	int fd;
	bool read_only;
	uint64_t capacity;      /* in 512-byte sectors */
	char id[20];            /* VIRTIO_BLK_ID_BYTES, not NUL-terminated if full */
};

int virtio_blk_init(struct virtio_blk *b, struct vm *vm, unsigned int index,
		    const char *path, bool read_only, bool use_ioeventfd,
		    struct hull_error *err);
void virtio_blk_destroy(struct virtio_blk *b);

#endif
