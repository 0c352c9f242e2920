/* virtio-mmio v2 register file and queue plumbing. */
#include "vmm/virtio_mmio.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

enum {
	REG_MAGIC = 0x000, REG_VERSION = 0x004, REG_DEVICE_ID = 0x008, REG_VENDOR_ID = 0x00c,
	REG_DEV_FEATURES = 0x010, REG_DEV_FEATURES_SEL = 0x014,
	REG_DRV_FEATURES = 0x020, REG_DRV_FEATURES_SEL = 0x024,
	REG_QUEUE_SEL = 0x030, REG_QUEUE_NUM_MAX = 0x034, REG_QUEUE_NUM = 0x038,
	REG_QUEUE_READY = 0x044, REG_QUEUE_NOTIFY = 0x050,
	REG_INT_STATUS = 0x060, REG_INT_ACK = 0x064, REG_STATUS = 0x070,
	REG_DESC_LO = 0x080, REG_DESC_HI = 0x084, REG_DRIVER_LO = 0x090, REG_DRIVER_HI = 0x094,
	REG_DEVICE_LO = 0x0a0, REG_DEVICE_HI = 0x0a4,
	REG_CONFIG_GEN = 0x0fc, REG_CONFIG = 0x100,
};

#define VIRTIO_MMIO_MAGIC  0x74726976   /* "virt" */
#define VIRTIO_VENDOR_HULL 0x4c4c5548   /* "HULL" */
#define INT_USED_BUFFER 1
#define INT_CONFIG      2

static void raise_irq(struct virtio_mmio *d)
{
	uint64_t one = 1;

	/* irqfd: KVM injects on the GSI without a round trip through us. */
	if (d->irqfd >= 0 && write(d->irqfd, &one, sizeof(one)) == sizeof(one))
		return;
	vm_pulse_irq(d->vm, d->irq);
}

void virtio_mmio_signal_used(struct virtio_mmio *d, unsigned int q)
{
	d->interrupt_status |= INT_USED_BUFFER;
	if (virtq_wants_interrupt(&d->q[q], &d->vm->mem))
		raise_irq(d);
}

void virtio_mmio_used_irq(struct virtio_mmio *d)
{
	d->interrupt_status |= INT_USED_BUFFER;
	raise_irq(d);
}

void virtio_mmio_fail(struct virtio_mmio *d, const struct hull_error *e)
{
	/* Spec 2.1.2: the device sets DEVICE_NEEDS_RESET and notifies; it
	 * touches no queue again until the driver resets it. */
	d->failed = true;
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	d->interrupt_status |= INT_CONFIG;
	raise_irq(d);
	vm_guest_error(d->vm, d->ops->name, e);
}

void virtio_mmio_config_changed(struct virtio_mmio *d)
{
	d->config_generation++;
	d->interrupt_status |= INT_CONFIG;
	raise_irq(d);
}

bool virtio_mmio_queue_live(const struct virtio_mmio *d, unsigned int q)
{
	return !d->failed && (d->status & VIRTIO_STATUS_DRIVER_OK) &&
	       q < d->ops->num_queues && d->q[q].ready;
}

static void process_queue(struct virtio_mmio *d, unsigned int q)
{
	struct hull_error e = { 0 };

	if (!virtio_mmio_queue_live(d, q))
		return;
	if (d->ops->queue_notify(d, q, &e) < 0)
		virtio_mmio_fail(d, &e);
}

void virtio_mmio_kick(struct virtio_mmio *d, unsigned int q)
{
	pthread_mutex_lock(&d->lock);
	process_queue(d, q);
	pthread_mutex_unlock(&d->lock);
}

static void device_reset(struct virtio_mmio *d)
{
	d->status = 0;
	d->dev_features_sel = d->drv_features_sel = d->queue_sel = 0;
	d->driver_features = 0;
	d->interrupt_status = 0;
	d->failed = false;
	/* The device's own reset first, while it can still see which queues
	 * were live: virtio-fs must stop the back-end's rings (GET_VRING_BASE
	 * for each ready queue).  With the queues forgotten first it stopped
	 * none, virtiofsd kept serving rings the driver had freed, and a
	 * driver that reset and set up again wedged the device (found by
	 * vm_abuse.bats' flood with mid-flight resets). */
	if (d->ops->reset)
		d->ops->reset(d);
	for (unsigned int i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		virtq_reset(&d->q[i]);
}

static void write_status(struct virtio_mmio *d, uint32_t v)
{
	bool was_live;

	if (v == 0) {
		device_reset(d);
		return;
	}
	/* FEATURES_OK only if the driver took a subset of what we offered and
	 * speaks virtio 1.x; otherwise leave it clear so the driver sees the
	 * refusal when it reads status back (spec 3.1.1). */
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(d->status & VIRTIO_STATUS_FEATURES_OK) &&
	    ((d->driver_features & ~d->features) || !(d->driver_features & VIRTIO_F_VERSION_1)))
		v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
	/* NEEDS_RESET is ours to set; keep it while failed. */
	v &= ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET;
	if (d->failed)
		v |= VIRTIO_STATUS_NEEDS_RESET;
	was_live = d->status & VIRTIO_STATUS_DRIVER_OK;
	d->status = v;
	/* Drivers post buffers (Linux's virtio-console fills its receive
	 * queue) and ring the doorbell during probe, before DRIVER_OK, when
	 * process_queue ignores them: look at every queue once it goes live. */
	if (!was_live && (v & VIRTIO_STATUS_DRIVER_OK))
		for (unsigned int q = 0; q < d->ops->num_queues; q++)
			process_queue(d, q);
}

static void set_queue_ready(struct virtio_mmio *d, struct virtq *q, uint32_t v)
{
	struct hull_error e = { 0 };

	if (!v) {
		q->ready = false;
		return;
	}
	q->indirect = d->driver_features & VIRTIO_F_INDIRECT_DESC;
	/* Size, alignment and ring placement are guest-chosen: check them all
	 * once here; a bad queue fails the device rather than being used. */
	if (virtq_validate(q, &d->vm->mem, d->ops->queue_max, &e) < 0) {
		hull_error_prefix(&e, "queue %u", d->queue_sel);
		virtio_mmio_fail(d, &e);
		return;
	}
	q->last_avail = 0;
	q->used_idx = 0;
	q->ready = true;
}

static uint32_t read_reg(struct virtio_mmio *d, uint64_t off)
{
	struct virtq *q = d->queue_sel < d->ops->num_queues ? &d->q[d->queue_sel] : NULL;

	switch (off) {
	case REG_MAGIC:       return VIRTIO_MMIO_MAGIC;
	case REG_VERSION:     return 2;
	case REG_DEVICE_ID:   return d->ops->device_id;
	case REG_VENDOR_ID:   return VIRTIO_VENDOR_HULL;
	case REG_DEV_FEATURES:
		return d->dev_features_sel == 0 ? (uint32_t)d->features :
		       d->dev_features_sel == 1 ? (uint32_t)(d->features >> 32) : 0;
	case REG_QUEUE_NUM_MAX: return q ? d->ops->queue_max : 0;
	case REG_QUEUE_READY:   return q ? q->ready : 0;
	case REG_INT_STATUS:    return d->interrupt_status;
	case REG_STATUS:        return d->status;
	case REG_CONFIG_GEN:    return d->config_generation;
	default:                return 0;
	}
}

static void set_lo(uint64_t *x, uint32_t v) { *x = (*x & ~0xffffffffull) | v; }
static void set_hi(uint64_t *x, uint32_t v) { *x = (*x & 0xffffffffull) | ((uint64_t)v << 32); }

static void write_reg(struct virtio_mmio *d, uint64_t off, uint32_t v)
{
	/* queue_sel is guest-chosen: only a selected queue that exists is
	 * written, and only while it is not live (spec 4.2.2.2). */
	struct virtq *q = d->queue_sel < d->ops->num_queues ? &d->q[d->queue_sel] : NULL;
	bool q_config = q && !q->ready;

	switch (off) {
	case REG_DEV_FEATURES_SEL: d->dev_features_sel = v; break;
	case REG_DRV_FEATURES:
		if (d->status & VIRTIO_STATUS_FEATURES_OK)
			break;  /* features are frozen after FEATURES_OK */
		if (d->drv_features_sel == 0)
			set_lo(&d->driver_features, v);
		else if (d->drv_features_sel == 1)
			set_hi(&d->driver_features, v);
		break;
	case REG_DRV_FEATURES_SEL: d->drv_features_sel = v; break;
	case REG_QUEUE_SEL:     d->queue_sel = v; break;
	case REG_QUEUE_NUM:     if (q_config) q->size = (uint16_t)(v > 0xffff ? 0 : v); break;
	case REG_QUEUE_READY:   if (q) set_queue_ready(d, q, v); break;
	case REG_QUEUE_NOTIFY:
		/* Reached only without an ioeventfd for this queue (or when the
		 * value does not match one): process in this vCPU thread. */
		if (v < d->ops->num_queues)
			process_queue(d, v);
		break;
	case REG_INT_ACK:       d->interrupt_status &= ~v; break;
	case REG_STATUS:        write_status(d, v); break;
	case REG_DESC_LO:       if (q_config) set_lo(&q->desc_gpa, v); break;
	case REG_DESC_HI:       if (q_config) set_hi(&q->desc_gpa, v); break;
	case REG_DRIVER_LO:     if (q_config) set_lo(&q->avail_gpa, v); break;
	case REG_DRIVER_HI:     if (q_config) set_hi(&q->avail_gpa, v); break;
	case REG_DEVICE_LO:     if (q_config) set_lo(&q->used_gpa, v); break;
	case REG_DEVICE_HI:     if (q_config) set_hi(&q->used_gpa, v); break;
	default:                break;  /* read-only or unknown: ignored */
	}
}

static void mmio_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct virtio_mmio *d = opaque;
	uint32_t v = 0;

	pthread_mutex_lock(&d->lock);
	if (off >= REG_CONFIG) {
		uint64_t coff = off - REG_CONFIG;

		/* Config space: any width, but wholly inside config_size
		 * (written so coff + len cannot overflow).  Writes ignored:
		 * none of Hull's devices has writable config. */
		if (!is_write) {
			memset(data, 0, len);
			if (len <= d->ops->config_size && coff <= d->ops->config_size - len &&
			    d->ops->config_read)
				d->ops->config_read(d, (uint32_t)coff, data, len);
		}
	} else if (len != 4 || off % 4) {
		/* Registers are 32-bit and aligned (spec 4.2.2.1). */
		if (!is_write)
			memset(data, 0, len);
	} else if (is_write) {
		memcpy(&v, data, 4);
		write_reg(d, off, v);
	} else {
		v = read_reg(d, off);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&d->lock);
}

static void doorbell_event(void *opaque, int fd, uint32_t events)
{
	struct virtio_mmio_doorbell *b = opaque;
	uint64_t n;

	/* Drain the counter; several notifies fold into one pass. */
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	virtio_mmio_kick(b->d, b->queue);
}

static int setup_doorbell(struct virtio_mmio *d, unsigned int q, struct hull_error *err)
{
	struct kvm_ioeventfd io;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		return hull_error_errno(err, "eventfd");
	io = (struct kvm_ioeventfd){
		.datamatch = q, .addr = d->base + REG_QUEUE_NOTIFY, .len = 4, .fd = fd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};
	/* A 4-byte guest write of value q to QueueNotify signals fd inside
	 * KVM, no exit to us; other values still reach mmio_io. */
	if (ioctl(d->vm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
		close(fd);
		return hull_error_errno(err, "KVM_IOEVENTFD");
	}
	d->bell[q].fd = fd;
	return vmm_event_add(&d->vm->events, fd, EPOLLIN, doorbell_event, &d->bell[q], err);
}

static int setup_irqfd(struct virtio_mmio *d, struct hull_error *err)
{
	struct kvm_irqfd irqfd;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		return hull_error_errno(err, "eventfd");
	irqfd = (struct kvm_irqfd){ .fd = (uint32_t)fd, .gsi = d->irq };
	/* Writes to fd become edges on GSI d->irq of the in-kernel irqchip. */
	if (ioctl(d->vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		close(fd);
		return hull_error_errno(err, "KVM_IRQFD");
	}
	d->irqfd = fd;
	return 0;
}

int virtio_mmio_init(struct virtio_mmio *d, struct vm *vm, unsigned int index,
		     const struct virtio_device_ops *ops, uint64_t features,
		     void *dev, bool use_ioeventfd, struct hull_error *err)
{
	memset(d, 0, sizeof(*d));
	d->vm = vm;
	d->ops = ops;
	d->dev = dev;
	d->base = VM_VIRTIO_MMIO_BASE + VM_VIRTIO_MMIO_SIZE * index;
	d->irq = VM_VIRTIO_IRQ_BASE + index;
	d->features = features | VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC;
	d->irqfd = -1;
	pthread_mutex_init(&d->lock, NULL);
	for (unsigned int i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		d->bell[i] = (struct virtio_mmio_doorbell){ d, i, -1 };
	if (ops->num_queues > VIRTIO_MMIO_MAX_QUEUES || ops->queue_max > VIRTQ_MAX_SIZE) {
		virtio_mmio_destroy(d);
		return hull_error_set(err, EINVAL, "%s: too many or too large queues", ops->name);
	}
	if (vmm_io_register(&vm->io.mmio, d->base, VM_VIRTIO_MMIO_SIZE, mmio_io, d, err) < 0) {
		virtio_mmio_destroy(d);
		return hull_error_prefix(err, "%s", ops->name);
	}
	if (use_ioeventfd && vm->has_ioeventfd)
		for (unsigned int i = 0; i < ops->num_queues; i++)
			if (setup_doorbell(d, i, err) < 0) {
				virtio_mmio_destroy(d);
				return hull_error_prefix(err, "%s doorbell", ops->name);
			}
	if (vm->has_irqfd && setup_irqfd(d, err) < 0) {
		virtio_mmio_destroy(d);
		return hull_error_prefix(err, "%s interrupt", ops->name);
	}
	return 0;
}

void virtio_mmio_destroy(struct virtio_mmio *d)
{
	for (unsigned int i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		if (d->bell[i].fd >= 0)
			close(d->bell[i].fd);
	if (d->irqfd >= 0)
		close(d->irqfd);
	d->irqfd = -1;
	pthread_mutex_destroy(&d->lock);
}

int virtio_mmio_cmdline(const struct virtio_mmio *d, char *buf, size_t n)
{
	size_t used = strlen(buf);
	int r;

	if (used >= n)
		return -1;
	r = snprintf(buf + used, n - used, " virtio_mmio.device=4K@0x%llx:%u",
		     (unsigned long long)d->base, d->irq);
	return r < 0 || (size_t)r >= n - used ? -1 : 0;
}
