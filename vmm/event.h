/* The monitor's I/O thread: an epoll loop over doorbell eventfds, the
 * console's input and the VM's stop eventfd. */
#ifndef HULL_VMM_EVENT_H
#define HULL_VMM_EVENT_H

#include <stdint.h>

#include "base/error.h"

#define VMM_EVENT_MAX 64

typedef void (*vmm_event_fn)(void *opaque, int fd, uint32_t events);

struct vmm_event_handler {
	int fd;
	vmm_event_fn fn;
	void *opaque;
};

struct vmm_event_loop {
	int epfd;
	unsigned int n;
	struct vmm_event_handler h[VMM_EVENT_MAX];
};

int vmm_event_init(struct vmm_event_loop *l, struct hull_error *err);
void vmm_event_destroy(struct vmm_event_loop *l);
/* Watch fd for `events` (EPOLLIN...).  events 0 registers it paused. */
int vmm_event_add(struct vmm_event_loop *l, int fd, uint32_t events,
		  vmm_event_fn fn, void *opaque, struct hull_error *err);
/* Change what fd is watched for (0 pauses it). */
int vmm_event_modify(struct vmm_event_loop *l, int fd, uint32_t events);
/* Dispatch events until stop_fd becomes readable. */
int vmm_event_run(struct vmm_event_loop *l, int stop_fd, struct hull_error *err);

#endif
