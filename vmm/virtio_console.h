/* virtio-console (device id 3), single port: port 0 is the container's
 * stdio.  Queue 0 carries host->guest input, queue 1 guest->host output. */
#ifndef HULL_VMM_VIRTIO_CONSOLE_H
#define HULL_VMM_VIRTIO_CONSOLE_H

#include "vmm/virtio_mmio.h"

struct virtio_console {
	struct virtio_mmio t;
	int in_fd, out_fd;
	bool in_polled;         /* in_fd is in the event loop (not a plain file) */
	bool in_paused;         /* waiting for receive buffers */
	bool in_eof;
	bool in_open;           /* the guest is ready for input (see .c) */
	uint8_t pending[4096];  /* input read but not yet given to the guest */
	uint32_t pending_off, pending_len;
	uint64_t in_total;      /* input bytes placed in guest buffers */
	/* Called once, with the lock held, when in_fd has ended and every
	 * byte of it is in guest buffers: the console itself cannot carry
	 * end-of-file, so the monitor tells the agent another way. */
	void (*on_eof)(void *opaque, uint64_t total);
	void *eof_opaque;
	bool eof_reported;
	/* When set, guest output goes here instead of out_fd (the control
	 * console's guest -> host messages); called with the lock held.
	 * p..p+n is a checked guest buffer: untrusted bytes. */
	void (*on_output)(void *opaque, const uint8_t *p, uint32_t n);
	void *output_opaque;
	/* VIRTIO_CONSOLE_F_SIZE: the guest console follows this tty's size
	 * (the host pty's slave), or -1. */
	int size_fd;
	uint16_t cols, rows;
};

int virtio_console_init(struct virtio_console *c, struct vm *vm, unsigned int index,
			int in_fd, int out_fd, bool use_ioeventfd,
			struct hull_error *err);
/* Same, following size_fd's window size (VIRTIO_CONSOLE_F_SIZE). */
int virtio_console_init_sized(struct virtio_console *c, struct vm *vm, unsigned int index,
			      int in_fd, int out_fd, int size_fd, bool use_ioeventfd,
			      struct hull_error *err);
void virtio_console_destroy(struct virtio_console *c);

/* Read size_fd's window size and, if it changed, tell the guest (config
 * interrupt; Linux then resizes hvc0 and sends SIGWINCH to its foreground
 * process group).  No-op without size_fd. */
void virtio_console_update_size(struct virtio_console *c);

/* The guest says its console is ready for input (control port 0x604). */
void virtio_console_open_input(struct virtio_console *c);

#endif
