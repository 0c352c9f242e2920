/* virtio-fs over vhost-user (vmm/virtio_fs.h).
 *
 * Who touches guest memory: the back-end, for the rings and the FUSE
 * buffers, through its own mapping of the memfds.  The monitor reads no
 * descriptor of this device: it passes the ring addresses the transport
 * validated (virtq_validate: aligned, wholly inside one RAM region) as
 * host pointers of that same region, so the back-end's translation
 * through the memory table lands exactly where the driver put them.
 *
 * Ordering:
 *  - Rings go to the back-end only once the driver set DRIVER_OK (the
 *    transport calls queue_notify for every ready queue at that point):
 *    before that their addresses may still change.  Per ring: NUM, BASE,
 *    ADDR, CALL, then KICK last, because libvhost-user starts serving a
 *    ring when it gets its kick fd.
 *  - A driver reset stops every ring with GET_VRING_BASE (it replies only
 *    after the ring is stopped) before the transport forgets the queues,
 *    so the back-end never touches rings the driver has freed.
 *  - Kicks: a guest write of q to QueueNotify signals ring q's kick
 *    eventfd inside KVM (KVM_IOEVENTFD straight onto the fd the back-end
 *    polls: no exit, no hop through the I/O thread).  Kicks before the
 *    rings are handed over just accumulate in the counter; the back-end
 *    looks at the ring when it gets the fd anyway.  Without ioeventfd the
 *    MMIO exit reaches fs_queue_notify, which writes the same fd.
 *  - Interrupts: the back-end decides (it reads the driver's suppression
 *    flags) and signals the call eventfd; the I/O thread then sets
 *    InterruptStatus and raises the line, as for the monitor's own
 *    devices, because the guest's handler reads InterruptStatus first. */
#include "vmm/virtio_fs.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "vmm/vhost_user.h"

#define VIRTIO_FS_DEVICE_ID 26
#define VIRTIO_FS_QUEUE_MAX 128
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
/* A back-end that does not answer within this is broken: the vCPU that
 * asked must not hang forever on it. */
#define VHOST_USER_TIMEOUT_S 10

/* struct virtio_fs_config: tag[36], le32 num_request_queues. */
static void fs_config_read(struct virtio_mmio *t, uint32_t off, uint8_t *data, uint32_t len)
{
	struct virtio_fs *f = t->dev;
	uint8_t cfg[VIRTIO_FS_TAG_MAX + 4];
	uint32_t nreq = VIRTIO_FS_QUEUES - 1;

	memcpy(cfg, f->tag, VIRTIO_FS_TAG_MAX);
	memcpy(cfg + VIRTIO_FS_TAG_MAX, &nreq, 4);
	/* The transport checked off + len <= config_size (sizeof cfg). */
	memcpy(data, cfg + off, len);
}

static int start_ring(struct virtio_fs *f, unsigned int q, struct hull_error *err)
{
	const struct virtq *vq = &f->t.q[q];
	/* Validated when the driver set QueueReady: each ring lies wholly in
	 * one RAM region, so these pointers and the sizes behind them are
	 * inside our mapping of the region the back-end maps too. */
	void *desc = vmm_mem_ptr(&f->t.vm->mem, vq->desc_gpa, 1);
	void *avail = vmm_mem_ptr(&f->t.vm->mem, vq->avail_gpa, 1);
	void *used = vmm_mem_ptr(&f->t.vm->mem, vq->used_gpa, 1);

	if (desc == NULL || avail == NULL || used == NULL)
		return hull_error_set(err, EINVAL, "queue %u rings outside guest RAM", q);
	if (vhost_user_set_state(f->sock, VHOST_USER_SET_VRING_NUM, q, vq->size, err) < 0 ||
	    vhost_user_set_state(f->sock, VHOST_USER_SET_VRING_BASE, q, 0, err) < 0 ||
	    vhost_user_set_addr(f->sock, q, (uint64_t)(uintptr_t)desc, (uint64_t)(uintptr_t)used,
				(uint64_t)(uintptr_t)avail, err) < 0 ||
	    vhost_user_set_vring_fd(f->sock, VHOST_USER_SET_VRING_CALL, q, f->call[q], err) < 0 ||
	    vhost_user_set_vring_fd(f->sock, VHOST_USER_SET_VRING_KICK, q, f->kick[q], err) < 0)
		return -1;
	return 0;
}

static int start(struct virtio_fs *f, struct hull_error *err)
{
	/* The driver's features, which are a subset of ours, which are a
	 * subset of the back-end's (virtio_fs_init): the back-end must parse
	 * the rings exactly as the driver writes them (e.g. indirect). */
	if (vhost_user_set_u64(f->sock, VHOST_USER_SET_FEATURES,
			       f->t.driver_features & f->backend_features, err) < 0)
		return -1;
	for (unsigned int q = 0; q < VIRTIO_FS_QUEUES; q++)
		if (f->t.q[q].ready && start_ring(f, q, err) < 0)
			return -1;
	f->started = true;
	return 0;
}

/* d->lock held.  The guest rang queue q (or the queue went live). */
static int fs_queue_notify(struct virtio_mmio *t, unsigned int q, struct hull_error *err)
{
	struct virtio_fs *f = t->dev;
	uint64_t one = 1;

	if (!f->started && start(f, err) < 0)
		return hull_error_prefix(err, "vhost-user back-end");
	/* Forward the doorbell; a full counter (never in practice) already
	 * means "look at the ring". */
	if (write(f->kick[q], &one, sizeof(one)) < 0 && errno != EAGAIN)
		return hull_error_errno(err, "kick");
	return 0;
}

/* d->lock held: the driver reset the device. */
static void fs_reset(struct virtio_mmio *t)
{
	struct virtio_fs *f = t->dev;
	struct hull_error e = { 0 };
	uint32_t base;

	if (!f->started)
		return;
	f->started = false;
	for (unsigned int q = 0; q < VIRTIO_FS_QUEUES; q++)
		if (t->q[q].ready && vhost_user_get_vring_base(f->sock, q, &base, &e) < 0) {
			/* The back-end may still use rings the driver is about
			 * to free: stop the VM rather than let that happen. */
			hull_error_prefix(&e, "virtio-fs: stopping ring %u", q);
			vm_fail(t->vm, &e);
			return;
		}
}

/* I/O thread: the back-end used buffers on one queue and wants the guest
 * told. */
static void call_event(void *opaque, int fd, uint32_t events)
{
	struct virtio_fs_call *c = opaque;
	uint64_t n;

	(void)events;
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	pthread_mutex_lock(&c->fs->t.lock);
	if (c->fs->started)
		virtio_mmio_used_irq(&c->fs->t);
	pthread_mutex_unlock(&c->fs->t.lock);
}

/* I/O thread: the back-end hung up.  Why watch for it: virtiofsd exits
 * (libvhost-user's panic) when the guest's rings are malformed (a loop, a
 * buffer outside RAM, a bad avail idx: tests/integration/vm_abuse.bats),
 * and without this the VM ran on with a file system whose requests never
 * complete.  End the VM instead, naming the device. */
static void backend_hangup(void *opaque, int fd, uint32_t events)
{
	struct virtio_fs *f = opaque;
	struct hull_error e = { 0 };

	(void)events;
	/* Level-triggered and final: report once. */
	vmm_event_modify(&f->t.vm->events, fd, 0);
	hull_error_set(&e, EPIPE, "virtio-fs \"%.*s\": the vhost-user back-end closed its "
		       "connection (it refused the guest's rings, or died)",
		       (int)strnlen((const char *)f->tag, VIRTIO_FS_TAG_MAX), (const char *)f->tag);
	vm_fail(f->t.vm, &e);
}

static const struct virtio_device_ops fs_ops = {
	.name = "virtio-fs",
	.device_id = VIRTIO_FS_DEVICE_ID,
	.num_queues = VIRTIO_FS_QUEUES,
	.queue_max = VIRTIO_FS_QUEUE_MAX,
	.config_size = VIRTIO_FS_TAG_MAX + 4,
	.config_read = fs_config_read,
	.queue_notify = fs_queue_notify,
	.reset = fs_reset,
};

static int handshake(struct virtio_fs *f, struct vm *vm, struct hull_error *err)
{
	struct timeval tv = { .tv_sec = VHOST_USER_TIMEOUT_S };
	const uint64_t need = VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC;

	if (setsockopt(f->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(f->sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return hull_error_errno(err, "vhost-user socket timeouts");
	if (vhost_user_set_u64(f->sock, VHOST_USER_SET_OWNER, 0, err) < 0 ||
	    vhost_user_get_u64(f->sock, VHOST_USER_GET_FEATURES, &f->backend_features, err) < 0)
		return -1;
	/* The transport always offers these two; the back-end must parse
	 * such rings. */
	if ((f->backend_features & need) != need)
		return hull_error_set(err, ENOTSUP, "vhost-user back-end lacks VERSION_1 or "
				      "INDIRECT_DESC (features %#llx)",
				      (unsigned long long)f->backend_features);
	return vhost_user_set_mem_table(f->sock, &vm->mem, err);
}

int virtio_fs_init(struct virtio_fs *f, struct vm *vm, unsigned int index, const char *tag,
		   int sock, bool use_ioeventfd, struct hull_error *err)
{
	size_t n = strlen(tag);

	memset(f, 0, sizeof(*f));
	f->sock = sock;
	for (unsigned int q = 0; q < VIRTIO_FS_QUEUES; q++)
		f->kick[q] = f->call[q] = -1;
	if (n == 0 || n > VIRTIO_FS_TAG_MAX) {
		close(sock);
		f->sock = -1;
		return hull_error_set(err, EINVAL, "virtio-fs tag \"%s\": 1..%d bytes", tag,
				      VIRTIO_FS_TAG_MAX);
	}
	memcpy(f->tag, tag, n);
	if (handshake(f, vm, err) < 0)
		goto fail;
	for (unsigned int q = 0; q < VIRTIO_FS_QUEUES; q++) {
		/* Nonblocking: the I/O thread drains call fds; a kick never
		 * waits on a back-end that stopped reading. */
		f->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		f->call[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (f->kick[q] < 0 || f->call[q] < 0) {
			hull_error_errno(err, "eventfd");
			goto fail;
		}
		f->calls[q] = (struct virtio_fs_call){ f, q };
	}
	/* No transport doorbells: the kick fds are the doorbells. */
	if (virtio_mmio_init(&f->t, vm, index, &fs_ops, 0, f, false, err) < 0)
		goto fail;
	for (unsigned int q = 0; use_ioeventfd && vm->has_ioeventfd && q < VIRTIO_FS_QUEUES; q++) {
		struct kvm_ioeventfd io = {
			.datamatch = q, .addr = f->t.base + VIRTIO_MMIO_QUEUE_NOTIFY, .len = 4,
			.fd = f->kick[q], .flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
		};

		if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
			hull_error_errno(err, "KVM_IOEVENTFD");
			virtio_mmio_destroy(&f->t);
			goto fail;
		}
	}
	for (unsigned int q = 0; q < VIRTIO_FS_QUEUES; q++)
		if (vmm_event_add(&vm->events, f->call[q], EPOLLIN, call_event, &f->calls[q],
				  err) < 0) {
			virtio_mmio_destroy(&f->t);
			goto fail;
		}
	/* Only the hang-up: replies are read synchronously by whoever asked. */
	if (vmm_event_add(&vm->events, f->sock, EPOLLRDHUP, backend_hangup, f, err) < 0) {
		virtio_mmio_destroy(&f->t);
		goto fail;
	}
	return 0;
fail:
	for (unsigned int q = 0; q < VIRTIO_FS_QUEUES; q++) {
		if (f->kick[q] >= 0)
			close(f->kick[q]);
		if (f->call[q] >= 0)
			close(f->call[q]);
		f->kick[q] = f->call[q] = -1;
	}
	close(f->sock);
	f->sock = -1;
	return hull_error_prefix(err, "virtio-fs \"%s\"", tag);
}

void virtio_fs_destroy(struct virtio_fs *f)
{
	virtio_mmio_destroy(&f->t);
	for (unsigned int q = 0; q < VIRTIO_FS_QUEUES; q++) {
		if (f->kick[q] >= 0)
			close(f->kick[q]);
		if (f->call[q] >= 0)
			close(f->call[q]);
	}
	/* Closing the connection is the back-end's signal to exit. */
	if (f->sock >= 0)
		close(f->sock);
}
