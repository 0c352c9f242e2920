/* sd_unit_gone_wait (cgroups/systemd_gone.c): returns at once for a file
 * that is not there, wakes when another process removes it, and times out
 * when no one does. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/systemd_gone.h"

static int failures, n;

#define CHECK(cond, ...) do { \
	n++; \
	if (cond) { printf("ok %d - ", n); printf(__VA_ARGS__); printf("\n"); } \
	else { failures++; printf("not ok %d - ", n); printf(__VA_ARGS__); printf("  (%s:%d)\n", __FILE__, __LINE__); } \
} while (0)

int main(void)
{
	char dir[] = "/tmp/hull-sdgone.XXXXXX", path[256];
	pid_t pid;
	FILE *f;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/x.scope", dir);
	CHECK(sd_unit_gone_wait(dir, "x.scope", 1000) == 1, "a missing unit file is gone at once");
	CHECK(sd_unit_gone_wait("/nonexistent-hull-dir", "x.scope", 10) == 1,
	      "no transient directory: nothing to wait for");

	f = fopen(path, "w");
	CHECK(f != NULL, "made %s", path);
	if (f)
		fclose(f);
	CHECK(sd_unit_gone_wait(dir, "x.scope", 100) == 0, "a file no one removes times out");

	pid = fork();
	if (pid == 0) {
		usleep(200 * 1000);
		unlink(path);
		_exit(0);
	}
	CHECK(sd_unit_gone_wait(dir, "x.scope", 20000) == 1, "woken when another process removes it");
	CHECK(access(path, F_OK) < 0 && errno == ENOENT, "and it is really gone");
	waitpid(pid, NULL, 0);
	rmdir(dir);
	printf("1..%d\n", n);
	return failures ? 1 : 0;
}
