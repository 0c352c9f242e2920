/* See systemd_gone.h.  Why: on delete, the container's processes are killed
 * first; an empty scope then stops by itself and, with CollectMode
 * inactive-or-failed, is unloaded.  Watching the transient file go tells
 * Hull the unit is gone without loading libsystemd, connecting and
 * queueing a StopUnit job that has nothing left to stop (the dominant
 * cost of the driver's delete, bench/systemd-driver.sh). */
#include "cgroups/systemd_gone.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sd_unit_gone_wait(const char *dir, const char *unit, int timeout_ms)
{
	char path[PATH_MAX], buf[4096];
	autoclose int fd = -1;
	int64_t deadline = mono_ms() + timeout_ms;

	if (snprintf(path, sizeof(path), "%s/%s", dir, unit) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (access(path, F_OK) < 0)
		return 1;
	if ((fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0)
		return -1;
	if (inotify_add_watch(fd, dir, IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF) < 0)
		return access(path, F_OK) < 0 ? 1 : -1;
	/* Checked again after the watch exists: no removal is missed. */
	while (access(path, F_OK) == 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - mono_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno != EINTR)
			return -1;
		/* Drain; the name is checked with access() above. */
		while (read(fd, buf, sizeof(buf)) > 0) {
		}
	}
	return 1;
}
