/* runstat CMD...: run CMD, then print its wall time and peak RSS (wait4's
 * ru_maxrss) on stderr as "runstat: wall_ms=N maxrss_kib=N status=N".
 * Used by vm-boot-bench.sh to compare monitors the same way. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	struct rusage ru;
	int st = 0;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: runstat CMD...\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) < 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &b);
	fprintf(stderr, "runstat: wall_ms=%.1f maxrss_kib=%ld status=%d\n",
		(b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6, ru.ru_maxrss,
		WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
