/* runstat: runs a command N times and reports, per run, what the runtime
 * cost: wall time, user and system CPU time and peak RSS, as wait4() gives
 * them for the child (and its descendants it waited for: the runtime's own
 * re-exec and helper processes, and the container's process).
 *
 *   runstat [-j P] N CMD ARG...
 *
 * In the arguments, "{}" becomes the run's number and "{w}" the worker's
 * (0..P-1), so each run can name its own container and each worker its own
 * bundle.  With -j P, P workers run the N runs between them, each one
 * sequence of runs at a time.  Output, one line per run:
 *
 *   run WALL_US USER_US SYS_US MAXRSS_KB STATUS
 *
 * and last `total WALL_US` for the whole batch.  The command's stdin and
 * stdout are /dev/null (a created container keeps the stdio it inherits, and
 * must not hold this tool's output open); its stderr is this tool's.  A failed run (non-zero
 * status) is reported, not fatal; the caller decides. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long long tv_us(struct timeval tv)
{
	return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* Copies template argv with "{}" and "{w}" replaced. */
static char **expand(char **tmpl, int n, int run, int worker)
{
	char **argv = calloc((size_t)n + 1, sizeof(*argv));

	if (argv == NULL)
		return NULL;
	for (int i = 0; i < n; i++) {
		const char *t = tmpl[i];
		char buf[4096];
		size_t o = 0;

		while (*t && o < sizeof(buf) - 16) {
			if (strncmp(t, "{}", 2) == 0) {
				o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%d", run);
				t += 2;
			} else if (strncmp(t, "{w}", 3) == 0) {
				o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%d", worker);
				t += 3;
			} else {
				buf[o++] = *t++;
			}
		}
		buf[o] = '\0';
		argv[i] = strdup(buf);
	}
	return argv;
}

static void one_run(char **tmpl, int n, int run, int worker)
{
	char **argv = expand(tmpl, n, run, worker);
	struct rusage ru;
	long long t0;
	int status;
	pid_t pid;

	if (argv == NULL) {
		perror("runstat");
		exit(2);
	}
	t0 = now_us();
	pid = fork();
	if (pid < 0) {
		perror("runstat: fork");
		exit(2);
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0) {
			perror("runstat: /dev/null");
			_exit(127);
		}
		if (null > 2)
			close(null);
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("runstat: wait4");
			exit(2);
		}
	printf("run %lld %lld %lld %ld %d\n", now_us() - t0, tv_us(ru.ru_utime),
	       tv_us(ru.ru_stime), ru.ru_maxrss,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	fflush(stdout);
	for (int i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
}

int main(int argc, char **argv)
{
	int jobs = 1, runs;
	long long t0;

	if (argc > 2 && strcmp(argv[1], "-j") == 0) {
		jobs = atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc < 3 || jobs < 1 || (runs = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: runstat [-j P] N CMD ARG...\n");
		return 2;
	}
	t0 = now_us();
	/* Worker w does runs w, w+P, w+2P, ...: one at a time each. */
	for (int w = 0; w < jobs; w++) {
		pid_t pid = jobs == 1 ? 0 : fork();

		if (pid < 0) {
			perror("runstat: fork");
			return 2;
		}
		if (pid == 0) {
			for (int r = w; r < runs; r += jobs)
				one_run(argv + 2, argc - 2, r, w);
			if (jobs > 1)
				_exit(0);
		}
	}
	if (jobs > 1)
		while (wait(NULL) > 0 || errno == EINTR)
			;
	printf("total %lld\n", now_us() - t0);
	return 0;
}
