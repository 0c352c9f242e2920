/* netkern: what the kernel's own link operations cost, apart from Hull,
 * so that bench/net.sh can say which part of the network setup cost is the
 * kernel's.  Each figure is the wall time of one rtnetlink request (its
 * sendmsg, which runs the whole operation, to its ack), over N rounds:
 *
 *   create    a veth pair, the peer straight into a netns (as Hull does),
 *             with the kernel's default queue counts: veth_init_queues()
 *             then cuts them to one, two expedited RCU grace periods
 *   create1q  the same asking for one queue each (Hull's request)
 *   delete    RTM_DELLINK of the host end, to the ack: includes
 *             netdev_run_todo()'s rcu_barrier()
 *   unlisted  the same request, to the RTM_DELLINK announcement a
 *             RTNLGRP_LINK listener gets (when the link is gone from view)
 *   move      moving the host end into the netns (__dev_change_net_namespace
 *             has an rcu_barrier() of its own)
 *   nsdeath   from the netns's last process exiting to the announcement
 *             of its veth's host end going (the kernel's cleanup_net)
 *
 *   netkern N
 *
 * Built and run by bench/net.sh; links libnl-route-3 only.  Names its
 * links nk<pid>, removes them. */
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { CREATE, CREATE1Q, DELETE, UNLISTED, MOVE, NSDEATH, NFIG };
static const char *const names[NFIG] = { "create", "create1q", "delete", "unlisted", "move",
					 "nsdeath" };

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* The listener: the time of the last RTM_DELLINK of `watch`. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int watch;
static long long gone_at;

static void *listener(void *arg)
{
	int fd = *(int *)arg;
	char buf[16384] __attribute__((aligned(4)));

	for (;;) {
		int len = (int)recv(fd, buf, sizeof(buf), 0);
		long long t = now_us();

		if (len < 0)
			continue;       /* ENOBUFS: the next message will do */
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			struct ifinfomsg *ifi = NLMSG_DATA(h);

			pthread_mutex_lock(&mu);
			if (h->nlmsg_type == RTM_DELLINK && ifi->ifi_index == watch && !gone_at) {
				gone_at = t;
				pthread_cond_signal(&cv);
			}
			pthread_mutex_unlock(&mu);
		}
	}
	return NULL;
}

static void arm(int ifindex)
{
	pthread_mutex_lock(&mu);
	watch = ifindex;
	gone_at = 0;
	pthread_mutex_unlock(&mu);
}

static long long wait_gone(void)
{
	long long t;

	pthread_mutex_lock(&mu);
	while (!gone_at)
		pthread_cond_wait(&cv, &mu);
	t = gone_at;
	pthread_mutex_unlock(&mu);
	return t;
}

static int veth(struct nl_sock *sk, const char *name, int nsfd, bool one_queue)
{
	struct rtnl_link *l = rtnl_link_veth_alloc(), *peer = rtnl_link_veth_get_peer(l);
	int r;

	rtnl_link_set_name(l, name);
	rtnl_link_set_name(peer, "eth0");
	rtnl_link_set_ns_fd(peer, nsfd);
	if (one_queue) {
		rtnl_link_set_num_tx_queues(l, 1);
		rtnl_link_set_num_rx_queues(l, 1);
		rtnl_link_set_num_tx_queues(peer, 1);
		rtnl_link_set_num_rx_queues(peer, 1);
	}
	r = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	rtnl_link_veth_release(l);
	return r;
}

/* A process alone in a new netns, until its pipe closes. */
static pid_t netns_holder(int *release, int *nsfd)
{
	int go[2], ready[2];
	char x, path[64];
	pid_t pid;

	if (pipe(go) < 0 || pipe(ready) < 0)
		exit(1);
	if ((pid = fork()) == 0) {
		close(go[1]);
		close(ready[0]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		close(ready[1]);
		if (read(go[0], &x, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	if (read(ready[0], &x, 1) != 0)
		exit(1);
	close(ready[0]);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	*nsfd = open(path, O_RDONLY | O_CLOEXEC);
	*release = go[1];
	return pid;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0, mon;
	struct nl_sock *sk = nl_socket_alloc();
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	long long *v[NFIG];
	char name[IFNAMSIZ];
	pthread_t t;

	if (n <= 0) {
		fprintf(stderr, "usage: netkern N\n");
		return 2;
	}
	snprintf(name, sizeof(name), "nk%d", (int)getpid() % 1000000);
	mon = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (sk == NULL || nl_connect(sk, NETLINK_ROUTE) < 0 || mon < 0 ||
	    bind(mon, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    pthread_create(&t, NULL, listener, &mon) != 0) {
		perror("netkern: netlink");
		return 1;
	}
	for (int k = 0; k < NFIG; k++)
		v[k] = calloc((size_t)n, sizeof(long long));
	for (int i = 0; i < n; i++) {
		struct rtnl_link *l = rtnl_link_alloc(), *ch = rtnl_link_alloc();
		int release, nsfd, idx, r;
		pid_t pid = netns_holder(&release, &nsfd);
		long long a;

		a = now_us();
		r = veth(sk, name, nsfd, false);
		v[CREATE][i] = now_us() - a;
		idx = (int)if_nametoindex(name);
		if (r < 0 || idx == 0)
			goto fail;
		arm(idx);
		rtnl_link_set_ifindex(l, idx);
		a = now_us();
		r = rtnl_link_delete(sk, l);
		v[DELETE][i] = now_us() - a;
		v[UNLISTED][i] = wait_gone() - a;
		if (r < 0)
			goto fail;

		a = now_us();
		r = veth(sk, name, nsfd, true);
		v[CREATE1Q][i] = now_us() - a;
		if (r < 0 || (idx = (int)if_nametoindex(name)) == 0)
			goto fail;
		rtnl_link_set_ifindex(l, idx);
		rtnl_link_set_ns_fd(ch, nsfd);
		rtnl_link_set_name(ch, "hostend");
		a = now_us();
		r = rtnl_link_change(sk, l, ch, 0);
		v[MOVE][i] = now_us() - a;
		if (r < 0)
			goto fail;

		/* The moved pair dies with this netns; a fresh one for the last. */
		close(nsfd);
		close(release);
		waitpid(pid, NULL, 0);
		pid = netns_holder(&release, &nsfd);
		if (veth(sk, name, nsfd, true) < 0 || (idx = (int)if_nametoindex(name)) == 0)
			goto fail;
		arm(idx);
		close(nsfd);
		a = now_us();
		close(release);
		waitpid(pid, NULL, 0);
		v[NSDEATH][i] = wait_gone() - a;
		rtnl_link_put(l);
		rtnl_link_put(ch);
		continue;
fail:
		fprintf(stderr, "netkern: round %d: %s\n", i, nl_geterror(r));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		rtnl_link_delete(sk, l);
		return 1;
	}
	for (int k = 0; k < NFIG; k++) {
		qsort(v[k], (size_t)n, sizeof(long long), cmp);
		printf("%-9s p50 %7lld us  p90 %7lld us\n", names[k], v[k][(n - 1) / 2],
		       v[k][(n * 9 + 9) / 10 - 1]);
	}
	return 0;
}
