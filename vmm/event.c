/* epoll loop of the I/O thread. */
#include "vmm/event.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

int vmm_event_init(struct vmm_event_loop *l, struct hull_error *err)
{
	l->n = 0;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return hull_error_errno(err, "epoll_create1");
	return 0;
}

void vmm_event_destroy(struct vmm_event_loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int vmm_event_add(struct vmm_event_loop *l, int fd, uint32_t events,
		  vmm_event_fn fn, void *opaque, struct hull_error *err)
{
	struct epoll_event ev = { .events = events };

	if (l->n >= VMM_EVENT_MAX)
		return hull_error_set(err, ENOSPC, "too many event sources");
	l->h[l->n] = (struct vmm_event_handler){ fd, fn, opaque };
	/* data.ptr points into l->h, which lives as long as the loop. */
	ev.data.ptr = &l->h[l->n];
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return hull_error_errno(err, "epoll_ctl add fd %d", fd);
	l->n++;
	return 0;
}

int vmm_event_modify(struct vmm_event_loop *l, int fd, uint32_t events)
{
	for (unsigned int i = 0; i < l->n; i++)
		if (l->h[i].fd == fd) {
			struct epoll_event ev = { .events = events, .data.ptr = &l->h[i] };

			return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
		}
	errno = ENOENT;
	return -1;
}

int vmm_event_run(struct vmm_event_loop *l, int stop_fd, struct hull_error *err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct epoll_event evs[16];

	/* data.ptr NULL marks the stop fd. */
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, stop_fd, &ev) < 0)
		return hull_error_errno(err, "epoll_ctl add stop fd");
	for (;;) {
		int n = epoll_wait(l->epfd, evs, 16, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return hull_error_errno(err, "epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			struct vmm_event_handler *h = evs[i].data.ptr;

			if (h == NULL)
				return 0;
			h->fn(h->opaque, h->fd, evs[i].events);
		}
	}
}
