/* See systemd_trace.h.  A measuring aid, off unless the environment names
 * a file: the bench reads it to say where the driver's time goes. */
#include "cgroups/systemd_trace.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static uint64_t last_usec;

static uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

void sd_trace_start(void)
{
	if (getenv("HULL_SYSTEMD_TRACE"))
		last_usec = mono_usec();
}

void sd_trace_mark(const char *step)
{
	const char *path = getenv("HULL_SYSTEMD_TRACE");
	uint64_t now;
	char line[128];
	int fd, n;

	if (path == NULL)
		return;
	now = mono_usec();
	n = snprintf(line, sizeof(line), "%s %llu\n", step,
		     (unsigned long long)(last_usec ? now - last_usec : 0));
	last_usec = now;
	/* One write of the whole line with O_APPEND: lines of concurrent
	 * processes do not interleave. */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (n > 0 && write(fd, line, (size_t)n) < 0) {
		/* a lost trace line is not an error of the driver */
	}
	close(fd);
}
