/* virtio-console, one port, no multiport or size features.
 *
 * Input is held back until the guest is ready for it: Linux's driver posts
 * receive buffers while probing, before the port is set up, and throws away
 * whatever arrives in them then.  Without multiport there is no PORT_OPEN
 * message, so "ready" is the first of: the guest writing to the console
 * (the port exists by then), or Hull's agent saying so on the control
 * console ('R', see vmm.c) or port 0x604 once it has /dev/hvc0 open. */
#include "vmm/virtio_console.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#define RXQ 0
#define TXQ 1

static int console_write_seg(void *ctx, uint8_t *p, uint32_t n, uint64_t done)
{
	int fd = *(int *)ctx;

	/* p..p+n is inside a checked, readable chain segment. */
	while (n > 0) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return 0;       /* reader gone: drop output, keep the guest running */
		p += r;
		n -= (uint32_t)r;
	}
	return 0;
}

static int console_message_seg(void *ctx, uint8_t *p, uint32_t n, uint64_t done)
{
	struct virtio_console *c = ctx;

	/* p..p+n is inside a checked, readable chain segment. */
	c->on_output(c->output_opaque, p, n);
	return 0;
}

static int console_tx(struct virtio_console *c, struct hull_error *err)
{
	struct virtio_mmio *t = &c->t;
	struct virtq_chain *ch = &t->chain;
	bool used = false;
	int r;

	while ((r = virtq_pop(&t->q[TXQ], &t->vm->mem, ch, err)) == 1) {
		c->in_open = true;
		if (c->on_output)
			virtq_chain_foreach(ch, false, 0, ch->readable, console_message_seg, c);
		else if (c->out_fd >= 0)
			virtq_chain_foreach(ch, false, 0, ch->readable, console_write_seg, &c->out_fd);
		if (virtq_push(&t->q[TXQ], &t->vm->mem, ch->head, 0, err) < 0)
			return -1;
		used = true;
	}
	if (used)
		virtio_mmio_signal_used(t, TXQ);
	return r;
}

/* Move pending input into receive buffers; d->lock held.  Returns the
 * number of buffers filled, or -1. */
static int console_rx_deliver(struct virtio_console *c, struct hull_error *err)
{
	struct virtio_mmio *t = &c->t;
	struct virtq_chain *ch = &t->chain;
	int used = 0;

	while (c->in_open && c->pending_len > 0 && virtio_mmio_queue_live(t, RXQ)) {
		size_t n;
		int r = virtq_pop(&t->q[RXQ], &t->vm->mem, ch, err);

		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n = virtq_chain_write(ch, 0, c->pending + c->pending_off, c->pending_len);
		c->pending_off += (uint32_t)n;
		c->pending_len -= (uint32_t)n;
		c->in_total += n;
		if (virtq_push(&t->q[RXQ], &t->vm->mem, ch->head, (uint32_t)n, err) < 0)
			return -1;
		used++;
	}
	if (used)
		virtio_mmio_signal_used(t, RXQ);
	return used;
}

static void console_read_input(struct virtio_console *c)
{
	ssize_t r;

	if (c->in_eof || c->pending_len > 0 || c->in_fd < 0)
		return;
	r = read(c->in_fd, c->pending, sizeof(c->pending));
	if (r > 0) {
		c->pending_off = 0;
		c->pending_len = (uint32_t)r;
	} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
		/* A single-port console has no way to signal EOF to the guest;
		 * stop watching the fd so it does not spin the loop. */
		c->in_eof = true;
		if (c->in_polled)
			vmm_event_modify(&c->t.vm->events, c->in_fd, 0);
	}
}

/* Deliver what input there is, and tell the driver whether we want to hear
 * about new receive buffers.  Linux's driver posts one buffer at a time
 * and rings the doorbell for each (64 per console while probing, each an
 * exit), and reposts one after every read: we need none of those kicks
 * except when input is waiting for a buffer.  A file that cannot be polled
 * is read on here until it is used up or the buffers are. */
static int console_rx_pump(struct virtio_console *c, struct hull_error *err)
{
	struct virtio_mmio *t = &c->t;

	for (;;) {
		bool want;
		int n;

		if (!c->in_polled)
			console_read_input(c);
		n = console_rx_deliver(c, err);
		if (n < 0)
			return -1;
		if (n > 0 && c->pending_len == 0 && !c->in_polled && !c->in_eof)
			continue;
		if (!virtio_mmio_queue_live(t, RXQ))
			return 0;
		want = c->in_open && c->pending_len > 0;
		virtq_set_notify(&t->q[RXQ], &t->vm->mem, want);
		if (!want)
			return 0;
		/* Buffers posted before the driver saw the flag sent no kick. */
		n = console_rx_deliver(c, err);
		if (n <= 0)
			return n;
	}
}

/* Pause input polling while we hold data the guest has no buffer for;
 * report end-of-file once everything before it reached the guest. */
static void console_update_polling(struct virtio_console *c)
{
	bool pause = c->pending_len > 0 || c->in_eof;

	if (c->in_eof && c->pending_len == 0 && !c->eof_reported && c->on_eof) {
		c->eof_reported = true;
		c->on_eof(c->eof_opaque, c->in_total);
	}

	if (!c->in_polled || pause == c->in_paused)
		return;
	c->in_paused = pause;
	vmm_event_modify(&c->t.vm->events, c->in_fd, pause ? 0 : EPOLLIN);
}

static void console_input_event(void *opaque, int fd, uint32_t events)
{
	struct virtio_console *c = opaque;
	struct hull_error e = { 0 };

	pthread_mutex_lock(&c->t.lock);
	console_read_input(c);
	if (!c->t.failed && console_rx_pump(c, &e) < 0)
		virtio_mmio_fail(&c->t, &e);
	console_update_polling(c);
	pthread_mutex_unlock(&c->t.lock);
}

static int console_queue_notify(struct virtio_mmio *t, unsigned int q, struct hull_error *err)
{
	struct virtio_console *c = t->dev;
	int r;

	if (q == TXQ) {
		bool was_open = c->in_open;

		if (console_tx(c, err) < 0)
			return -1;
		if (was_open || !c->in_open)
			return 0;
		/* First output: input held so far may go now. */
	}
	/* New receive buffers (or the queue just went live): input that
	 * could not be placed may go now. */
	r = console_rx_pump(c, err);
	console_update_polling(c);
	return r < 0 ? -1 : 0;
}

#define VIRTIO_CONSOLE_F_SIZE (1ull << 0)

/* struct virtio_console_config: le16 cols, le16 rows, le32 max_nr_ports,
 * le32 emerg_wr.  off + len is inside it (checked by the transport). */
static void console_config_read(struct virtio_mmio *t, uint32_t off, uint8_t *data, uint32_t len)
{
	struct virtio_console *c = t->dev;
	uint8_t cfg[12] = { (uint8_t)c->cols, (uint8_t)(c->cols >> 8), (uint8_t)c->rows,
			    (uint8_t)(c->rows >> 8) };

	memcpy(data, cfg + off, len);
}

static const struct virtio_device_ops console_ops = {
	.name = "virtio-console",
	.device_id = 3,
	.num_queues = 2,
	.queue_max = 64,
	.config_size = 0,
	.queue_notify = console_queue_notify,
};

static const struct virtio_device_ops console_sized_ops = {
	.name = "virtio-console",
	.device_id = 3,
	.num_queues = 2,
	.queue_max = 64,
	.config_size = 12,
	.config_read = console_config_read,
	.queue_notify = console_queue_notify,
};

void virtio_console_update_size(struct virtio_console *c)
{
	struct winsize ws;

	if (c->size_fd < 0 || ioctl(c->size_fd, TIOCGWINSZ, &ws) < 0)
		return;
	pthread_mutex_lock(&c->t.lock);
	if (ws.ws_col != c->cols || ws.ws_row != c->rows) {
		c->cols = ws.ws_col;
		c->rows = ws.ws_row;
		virtio_mmio_config_changed(&c->t);
	}
	pthread_mutex_unlock(&c->t.lock);
}

int virtio_console_init(struct virtio_console *c, struct vm *vm, unsigned int index,
			int in_fd, int out_fd, bool use_ioeventfd,
			struct hull_error *err)
{
	return virtio_console_init_sized(c, vm, index, in_fd, out_fd, -1, use_ioeventfd, err);
}

int virtio_console_init_sized(struct virtio_console *c, struct vm *vm, unsigned int index,
			      int in_fd, int out_fd, int size_fd, bool use_ioeventfd,
			      struct hull_error *err)
{
	memset(c, 0, sizeof(*c));
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->size_fd = size_fd;
	if (virtio_mmio_init(&c->t, vm, index, size_fd >= 0 ? &console_sized_ops : &console_ops,
			     size_fd >= 0 ? VIRTIO_CONSOLE_F_SIZE : 0, c, use_ioeventfd, err) < 0)
		return -1;
	if (in_fd < 0)
		return 0;
	if (vmm_event_add(&vm->events, in_fd, EPOLLIN, console_input_event, c, err) == 0) {
		c->in_polled = true;
		return 0;
	}
	/* EPERM: regular files and /dev/null are always "ready" and epoll
	 * refuses them; those are read when the guest posts buffers. */
	if (err->code == EPERM) {
		hull_error_clear(err);
		return 0;
	}
	virtio_mmio_destroy(&c->t);
	return -1;
}

void virtio_console_open_input(struct virtio_console *c)
{
	struct hull_error e = { 0 };

	pthread_mutex_lock(&c->t.lock);
	c->in_open = true;
	if (!c->t.failed && console_rx_pump(c, &e) < 0)
		virtio_mmio_fail(&c->t, &e);
	console_update_polling(c);
	pthread_mutex_unlock(&c->t.lock);
}

void virtio_console_destroy(struct virtio_console *c)
{
	virtio_mmio_destroy(&c->t);
}
