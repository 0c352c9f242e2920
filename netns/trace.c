/* HULL_NET_TRACE step timings (see trace.h). */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "netns/trace.h"

static int trace_fd = -2;       /* -2: not looked at yet, -1: off */
static long long last_wall, last_cpu;

static long long usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static bool trace_on(void)
{
	if (trace_fd == -2) {
		const char *path = getenv("HULL_NET_TRACE");

		/* O_APPEND: concurrent Hull processes' lines do not tear. */
		trace_fd = path && *path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
	}
	return trace_fd >= 0;
}

void net_trace_start(void)
{
	if (!trace_on())
		return;
	last_wall = usec(CLOCK_MONOTONIC);
	last_cpu = usec(CLOCK_PROCESS_CPUTIME_ID);
}

void net_trace(const char *step)
{
	long long w, c;

	if (!trace_on())
		return;
	w = usec(CLOCK_MONOTONIC);
	c = usec(CLOCK_PROCESS_CPUTIME_ID);
	if (last_wall)
		dprintf(trace_fd, "%d %s %lld %lld\n", (int)getpid(), step, w - last_wall, c - last_cpu);
	last_wall = w;
	last_cpu = c;
}
