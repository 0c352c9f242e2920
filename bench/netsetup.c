/* netsetup: times netns/'s phases alone, without the rest of a container's
 * lifecycle: prepare (IPAM, record), attach (veth into a fresh netns,
 * addresses, routes, rules) and detach (after the netns's process died, as
 * `delete` does).  Prints the median and p90 of each phase in microseconds.
 *
 *   netsetup NETDIR NETWORK N [PORTSPEC]
 *
 * Built and run by bench/net.sh (it links build/libhull.a). */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netns/netns.h"

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static long long cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static void report(const char *name, long long *v, long long *cpu, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	qsort(cpu, (size_t)n, sizeof(*cpu), cmp);
	printf("%-8s wall p50 %7lld us  p90 %7lld us   cpu p50 %6lld us\n", name, v[n / 2],
	       v[(n * 9) / 10], cpu[n / 2]);
}

int main(int argc, char **argv)
{
	struct hull_error err = { 0 };
	struct net_port port;
	int n = argc > 3 ? atoi(argv[3]) : 0;
	long long *t[4], *u[4];
	char owner[] = "/tmp/hull-netsetup.XXXXXX", state[64];

	if (argc < 4 || n <= 0) {
		fprintf(stderr, "usage: netsetup NETDIR NETWORK N [PORTSPEC]\n");
		return 2;
	}
	if (argc > 4 && net_port_parse(argv[4], &port, &err) < 0) {
		fprintf(stderr, "netsetup: %s\n", err.msg);
		return 2;
	}
	/* The record's owner: a directory with a state.json, as a container's. */
	if (mkdtemp(owner) == NULL)
		return 1;
	snprintf(state, sizeof(state), "%s/state.json", owner);
	fclose(fopen(state, "w"));
	for (int k = 0; k < 4; k++) {
		t[k] = calloc((size_t)n, sizeof(long long));
		u[k] = calloc((size_t)n, sizeof(long long));
	}
	for (int i = 0; i < n; i++) {
		struct netns_request r = { .id = "netsetup", .owner_dir = owner, .mode = NET_NAT,
					   .network = argv[2], .ports = argc > 4 ? &port : NULL,
					   .n_ports = argc > 4 ? 1 : 0 };
		struct netns_plan plan;
		char key[NETNS_KEY_LEN + 1];
		int pipefd[2], ready[2];
		long long a, b, c, d, ca, cb, cc, cd;
		pid_t pid;

		netns_key(owner, key);
		r.key = key;
		if (pipe(pipefd) < 0 || pipe(ready) < 0)
			return 1;
		pid = fork();
		if (pid == 0) {
			char x;

			close(pipefd[1]);
			close(ready[0]);
			if (unshare(CLONE_NEWNET) < 0)
				_exit(1);
			close(ready[1]);        /* in its own netns now */
			if (read(pipefd[0], &x, 1) < 0)
				_exit(1);
			_exit(0);
		}
		close(pipefd[0]);
		close(ready[1]);
		{
			char x;

			if (read(ready[0], &x, 1) != 0)
				return 1;
			close(ready[0]);
		}
		ca = cpu_us();
		a = now_us();
		if (netns_prepare(argv[1], &r, &plan, &err) < 0)
			goto fail;
		b = now_us();
		cb = cpu_us();
		if (netns_attach(argv[1], &plan, pid, r.ports, r.n_ports, r.id, &err) < 0)
			goto fail;
		c = now_us();
		cc = cpu_us();
		close(pipefd[1]);
		waitpid(pid, NULL, 0);
		d = now_us();
		cd = cpu_us();
		if (netns_detach(argv[1], key, &err) < 0)
			goto fail;
		t[0][i] = b - a;
		t[1][i] = c - b;
		t[2][i] = now_us() - d;
		t[3][i] = c - a;
		u[0][i] = cb - ca;
		u[1][i] = cc - cb;
		u[2][i] = cpu_us() - cd;
		u[3][i] = cc - ca;
		continue;
fail:
		fprintf(stderr, "netsetup: %s\n", err.msg);
		kill(pid, SIGKILL);
		netns_detach(argv[1], key, &err);
		return 1;
	}
	report("prepare", t[0], u[0], n);
	report("attach", t[1], u[1], n);
	report("setup", t[3], u[3], n);
	report("detach", t[2], u[2], n);
	unlink(state);
	rmdir(owner);
	return 0;
}
