/* virtio-mmio transport, version 2 (virtio 1.x, section 4.2).  Each device
 * is one file implementing struct virtio_device_ops over this transport and
 * the shared split-queue code; the guest finds it through
 * "virtio_mmio.device=4K@<base>:<irq>" on the kernel command line. */
#ifndef HULL_VMM_VIRTIO_MMIO_H
#define HULL_VMM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/virtio_queue.h"
#include "vmm/vm.h"

#define VIRTIO_MMIO_MAX_QUEUES 3   /* vsock: rx, tx, event */

#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED      0x80

#define VIRTIO_F_INDIRECT_DESC (1ull << 28)
#define VIRTIO_F_VERSION_1     (1ull << 32)

struct virtio_mmio;

struct virtio_device_ops {
	const char *name;
	uint32_t device_id;
	unsigned int num_queues;        /* <= VIRTIO_MMIO_MAX_QUEUES */
	uint16_t queue_max;             /* <= VIRTQ_MAX_SIZE */
	uint32_t config_size;
	/* Read device config; the transport has checked off + len <= config_size. */
	void (*config_read)(struct virtio_mmio *d, uint32_t off, uint8_t *data, uint32_t len);
	/* Consume buffers on queue q.  Called with d->lock held, only while the
	 * device is DRIVER_OK and not failed.  -1 with err set when the guest
	 * broke the rules: the device then goes NEEDS_RESET. */
	int (*queue_notify)(struct virtio_mmio *d, unsigned int q, struct hull_error *err);
	/* The driver reset the device (status 0); d->lock held. */
	void (*reset)(struct virtio_mmio *d);
};

struct virtio_mmio_doorbell {
	struct virtio_mmio *d;
	unsigned int queue;
	int fd;                         /* ioeventfd, or -1 */
};

struct virtio_mmio {
	struct vm *vm;
	const struct virtio_device_ops *ops;
	void *dev;                      /* the device's own state */
	uint64_t base;
	uint32_t irq;
	uint64_t features;              /* offered, VERSION_1 included */
	pthread_mutex_t lock;           /* registers, queues, device state */

	uint32_t status;
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	uint64_t driver_features;
	uint32_t interrupt_status;
	uint32_t config_generation;
	bool failed;                    /* guest error seen: NEEDS_RESET */
	struct virtq q[VIRTIO_MMIO_MAX_QUEUES];
	struct virtio_mmio_doorbell bell[VIRTIO_MMIO_MAX_QUEUES];
	int irqfd;                      /* KVM_IRQFD eventfd, or -1 */
	struct virtq_chain chain;       /* scratch for queue_notify (under lock) */
};

/* Set up device number `index` (window and IRQ follow from it), register
 * its MMIO range, and wire ioeventfd/irqfd where KVM offers them. */
int virtio_mmio_init(struct virtio_mmio *d, struct vm *vm, unsigned int index,
		     const struct virtio_device_ops *ops, uint64_t features,
		     void *dev, bool use_ioeventfd, struct hull_error *err);
void virtio_mmio_destroy(struct virtio_mmio *d);

/* Process queue q (takes d->lock). */
void virtio_mmio_kick(struct virtio_mmio *d, unsigned int q);

/* Buffers were used: raise the "used buffer" interrupt unless the driver
 * suppressed it (d->lock held). */
void virtio_mmio_signal_used(struct virtio_mmio *d, unsigned int q);

/* A back-end outside the monitor (vhost-user) used buffers and already
 * decided the guest wants to hear of it: set the used-buffer bit and raise
 * the line unconditionally (d->lock held). */
void virtio_mmio_used_irq(struct virtio_mmio *d);

/* The guest broke a rule on this device: NEEDS_RESET, config interrupt,
 * counted (d->lock held). */
void virtio_mmio_fail(struct virtio_mmio *d, const struct hull_error *e);

/* The device's config space changed: new generation, config interrupt
 * (d->lock held). */
void virtio_mmio_config_changed(struct virtio_mmio *d);

/* True when queue q may be used: DRIVER_OK, ready, not failed. */
bool virtio_mmio_queue_live(const struct virtio_mmio *d, unsigned int q);

/* Append " virtio_mmio.device=4K@0x...:N" to buf (size n). */
int virtio_mmio_cmdline(const struct virtio_mmio *d, char *buf, size_t n);

#endif
