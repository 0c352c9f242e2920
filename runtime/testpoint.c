#include "runtime/testpoint.h"

#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* HULL_TIMING's file: -2 until the first point looks, then -1 (none) or
 * the fd.  Close-on-exec, so neither the re-executed runtime nor a
 * container's process inherits it (the re-executed one opens its own).
 * Two threads looking at once (run --image's fill) may both open it: one
 * keeps its fd, the other closes its own. */
static int timing_fd = -2;

static int timing_file(void)
{
	int fd = __atomic_load_n(&timing_fd, __ATOMIC_ACQUIRE);
	int expected = -2;
	const char *path;

	if (fd != -2)
		return fd;
	path = getenv("HULL_TIMING");
	fd = path && *path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;
	if (!__atomic_compare_exchange_n(&timing_fd, &expected, fd, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (fd >= 0)
			close(fd);
		fd = expected;
	}
	return fd;
}

void hull_test_point(const char *name)
{
	const char *at = getenv("HULL_TEST_STOP_AT");
	int fd = timing_file();

	if (fd >= 0) {
		struct timespec ts;
		char line[160];
		int n;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		n = snprintf(line, sizeof(line), "%s %lld %d %d\n", name,
			     (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, sched_getcpu(), (int)getpid());
		if (n > 0 && (size_t)n < sizeof(line) && write(fd, line, (size_t)n) < 0) {
			/* a lost line only thins the bench's figures */
		}
	}
	if (at && strcmp(at, name) == 0)
		raise(SIGSTOP);
}
