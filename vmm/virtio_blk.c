/* virtio-blk: requests are a 16-byte header (type, reserved, sector) in the
 * readable part of a chain, data, and a one-byte status at the very end of
 * the writable part (spec 5.2.6). */
#include "vmm/virtio_blk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define VIRTIO_BLK_F_SEG_MAX (1ull << 2)
#define VIRTIO_BLK_F_RO      (1ull << 5)
#define VIRTIO_BLK_F_FLUSH   (1ull << 9)

#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define BLK_QUEUE_MAX 256
#define SECTOR 512ull

struct blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct blk_io {
	int fd;
	uint64_t pos;           /* file offset of the first byte */
	bool write;             /* guest -> file */
};

static int blk_seg_io(void *ctx, uint8_t *p, uint32_t n, uint64_t done)
{
	struct blk_io *io = ctx;

	/* p..p+n is inside one checked chain segment (virtq_chain_foreach). */
	while (n > 0) {
		ssize_t r = io->write ? pwrite(io->fd, p, n, (off_t)(io->pos + done))
				      : pread(io->fd, p, n, (off_t)(io->pos + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			/* Past EOF inside the capacity (sparse tail): zeros. */
			if (io->write)
				return -1;
			memset(p, 0, n);
			return 0;
		}
		p += r;
		n -= (uint32_t)r;
		done += (uint64_t)r;
	}
	return 0;
}

/* Check that [sector, sector + bytes/512) is inside the disk; the header's
 * sector is guest-controlled, so compare without adding. */
static bool blk_range_ok(const struct virtio_blk *b, uint64_t sector, uint64_t bytes)
{
	return bytes % SECTOR == 0 && sector <= b->capacity &&
	       bytes / SECTOR <= b->capacity - sector;
}

static uint8_t blk_do_request(struct virtio_blk *b, const struct virtq_chain *c,
			      const struct blk_req_hdr *h, uint32_t *written)
{
	struct blk_io io = { .fd = b->fd, .pos = h->sector * SECTOR };
	uint64_t len;
	size_t n;

	switch (h->type) {
	case VIRTIO_BLK_T_IN:
		len = c->writable - 1;          /* all but the status byte */
		if (!blk_range_ok(b, h->sector, len))
			return VIRTIO_BLK_S_IOERR;
		io.write = false;
		if (virtq_chain_foreach(c, true, 0, len, blk_seg_io, &io) < 0)
			return VIRTIO_BLK_S_IOERR;
		*written = (uint32_t)len;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_OUT:
		if (b->read_only)
			return VIRTIO_BLK_S_IOERR;
		len = c->readable - sizeof(*h);
		if (!blk_range_ok(b, h->sector, len))
			return VIRTIO_BLK_S_IOERR;
		io.write = true;
		if (virtq_chain_foreach(c, false, sizeof(*h), len, blk_seg_io, &io) < 0)
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_FLUSH:
		if (!b->read_only && fdatasync(b->fd) < 0)
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		n = c->writable - 1 < sizeof(b->id) ? c->writable - 1 : sizeof(b->id);
		*written = (uint32_t)virtq_chain_write(c, 0, b->id, n);
		return VIRTIO_BLK_S_OK;
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

static int blk_queue_notify(struct virtio_mmio *t, unsigned int q, struct hull_error *err)
{
	struct virtio_blk *b = t->dev;
	struct virtq_chain *c = &t->chain;
	bool used = false;
	int r;

	while ((r = virtq_pop(&t->q[q], &t->vm->mem, c, err)) == 1) {
		struct blk_req_hdr h;
		uint32_t written = 0;
		uint8_t status;

		/* Without a writable byte there is nowhere to put the status:
		 * the request is malformed, not merely failed. */
		if (c->writable < 1)
			return hull_error_set(err, EINVAL, "request without a status byte");
		if (c->readable < sizeof(h))
			status = VIRTIO_BLK_S_IOERR;
		else {
			virtq_chain_read(c, 0, &h, sizeof(h));
			status = blk_do_request(b, c, &h, &written);
		}
		/* Status goes in the last writable byte (offset writable - 1). */
		virtq_chain_write(c, c->writable - 1, &status, 1);
		if (virtq_push(&t->q[q], &t->vm->mem, c->head, written + 1, err) < 0)
			return -1;
		used = true;
	}
	if (used)
		virtio_mmio_signal_used(t, q);
	return r;
}

static void blk_config_read(struct virtio_mmio *t, uint32_t off, uint8_t *data, uint32_t len)
{
	const struct virtio_blk *b = t->dev;
	struct __attribute__((packed)) {
		uint64_t capacity;
		uint32_t size_max;
		uint32_t seg_max;
	} cfg = { .capacity = b->capacity, .size_max = 0, .seg_max = BLK_QUEUE_MAX - 2 };

	/* The transport checked off + len <= config_size == sizeof(cfg). */
	memcpy(data, (const uint8_t *)&cfg + off, len);
}

static const struct virtio_device_ops blk_ops = {
	.name = "virtio-blk",
	.device_id = 2,
	.num_queues = 1,
	.queue_max = BLK_QUEUE_MAX,
	.config_size = 16,
	.config_read = blk_config_read,
	.queue_notify = blk_queue_notify,
};

static int blk_open(struct virtio_blk *b, unsigned int index, const char *path,
		    bool read_only, struct hull_error *err)
{
	struct stat st;

	b->fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0)
		return hull_error_errno(err, "open");
	/* Two VMs writing one image corrupt it: writers take it exclusively,
	 * readers shared. */
	if (flock(b->fd, (read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0)
		return hull_error_errno(err, "lock");
	if (fstat(b->fd, &st) < 0)
		return hull_error_errno(err, "stat");
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return hull_error_set(err, EINVAL, "not a file or block device");
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(b->fd, 0, SEEK_END);

		if (end < 0)
			return hull_error_errno(err, "size");
		st.st_size = end;
	}
	b->capacity = (uint64_t)st.st_size / SECTOR;
	b->read_only = read_only;
	snprintf(b->id, sizeof(b->id), "hull-disk%u", index);
	return 0;
}

int virtio_blk_init(struct virtio_blk *b, struct vm *vm, unsigned int index,
		    const char *path, bool read_only, bool use_ioeventfd,
		    struct hull_error *err)
{
	uint64_t features = VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_FLUSH;

	memset(b, 0, sizeof(*b));
	if (read_only)
		features |= VIRTIO_BLK_F_RO;
	if (blk_open(b, index, path, read_only, err) < 0 ||
	    virtio_mmio_init(&b->t, vm, index, &blk_ops, features, b, use_ioeventfd, err) < 0) {
		if (b->fd >= 0)
			close(b->fd);
		b->fd = -1;
		return hull_error_prefix(err, "disk %s", path);
	}
	return 0;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	virtio_mmio_destroy(&b->t);
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}
