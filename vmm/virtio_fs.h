/* virtio-fs (device id 26) whose queues a vhost-user back-end serves
 * (virtiofsd): the monitor owns the transport registers, the config space
 * (tag, one request queue) and the interrupt; the back-end reads and
 * writes the rings and buffers itself, in the guest RAM it maps from the
 * memfds we send (vmm/vhost_user.h). */
#ifndef HULL_VMM_VIRTIO_FS_H
#define HULL_VMM_VIRTIO_FS_H

#include "vmm/virtio_mmio.h"

#define VIRTIO_FS_TAG_MAX 36    /* config.tag: not NUL-terminated when full */
#define VIRTIO_FS_QUEUES  2     /* hiprio + one request queue */

struct virtio_fs;

struct virtio_fs_call {
	struct virtio_fs *fs;
	unsigned int queue;
};

struct virtio_fs {
	struct virtio_mmio t;
	int sock;                       /* vhost-user connection (ours to close) */
	uint64_t backend_features;
	bool started;                   /* rings handed to the back-end */
	int kick[VIRTIO_FS_QUEUES];     /* eventfds: we signal, the back-end reads */
	int call[VIRTIO_FS_QUEUES];     /* eventfds: the back-end signals, we read */
	struct virtio_fs_call calls[VIRTIO_FS_QUEUES];
	uint8_t tag[VIRTIO_FS_TAG_MAX];
};

/* Before the jail: claims `sock` (closed by destroy, also on failure),
 * sends SET_OWNER, GET_FEATURES and the memory table (guest RAM must be
 * shared: vmm_mem.shared). */
int virtio_fs_init(struct virtio_fs *f, struct vm *vm, unsigned int index, const char *tag,
		   int sock, bool use_ioeventfd, struct hull_error *err);
void virtio_fs_destroy(struct virtio_fs *f);

#endif
