/* Removing a container's veth without sleeping through the kernel's
 * release of it.
 *
 * The kernel deletes a net device in two phases, both inside the one
 * sendmsg() of the RTM_DELLINK.  Under RTNL it closes the device, takes it
 * off its bridge (NETDEV_UNREGISTER), drops its addresses and routes,
 * unlists it and announces RTM_DELLINK to RTNLGRP_LINK: about 1 ms, three
 * expedited RCU grace periods.  Then netdev_run_todo() sleeps in
 * rcu_barrier() until the device's memory can be freed: 10-30 ms on a
 * two-core host (bench/net.sh prints both).  Moving the device to another
 * namespace pays the same barrier (__dev_change_net_namespace).
 *
 * Nothing anyone can see or reuse survives the first phase: the name, the
 * bridge port, the address are free once the link is unlisted.  So a
 * helper process sends the RTM_DELLINK and sleeps through the barrier,
 * while the caller returns as soon as the kernel announces the removal on
 * a RTNLGRP_LINK subscription made before the link was looked up (so the
 * announcement cannot slip past).  The helper is a grandchild, reparented
 * at once (no zombie for the caller to reap), with no fd but its pipe, its
 * cwd at /: it holds nothing a test or an admin could trip over, and it
 * exits by itself when the kernel returns, even if killed meanwhile. */
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns/internal.h"

struct helper_arg {
	int ifindex;
	int wfd;
};

/* The helper: deletes ifindex and writes libnl's result to wfd. */
static void __attribute__((noreturn)) remove_helper(int ifindex, int wfd)
{
	struct nl_sock *sk = NULL;
	struct rtnl_link *l;
	struct hull_error ignored = { 0 };
	int r = -NLE_NOMEM;

	/* Only the pipe stays open: the caller's stdout may be a pipe that
	 * someone reads to EOF, and its cwd a mount someone unmounts. */
	if (wfd > 0)
		close_range(0, (unsigned int)wfd - 1, 0);
	close_range((unsigned int)wfd + 1, ~0U, 0);
	if (chdir("/") < 0)
		_exit(1);
	signal(SIGPIPE, SIG_IGN);       /* the caller may be gone: no matter */
	prctl(PR_SET_NAME, "hull-linkdel");
	if (link_sock(&sk, &ignored) == 0 && (l = rtnl_link_alloc()) != NULL) {
		rtnl_link_set_ifindex(l, ifindex);
		r = rtnl_link_delete(sk, l);
		rtnl_link_put(l);
	}
	if (write(wfd, &r, sizeof(r)) < 0)
		_exit(1);
	_exit(0);
}

/* The intermediate, in the caller's memory while the caller waits
 * (CLONE_VM | CLONE_VFORK): it forks the helper with a raw clone (the
 * helper gets its own copy of the memory, the one copy made) and exits,
 * so the helper is reparented at once and nobody has to reap it. */
static int spawn_helper(void *p)
{
	struct helper_arg *a = p;
	long pid = syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);

	if (pid == 0)
		remove_helper(a->ifindex, a->wfd);
	_exit(pid < 0);
}

/* Reads what the subscription has; 1 when it announced ifindex's removal
 * (or lost messages and ifindex is gone), 0 otherwise, -1 on error. */
static int removal_announced(int fd, int ifindex, const char *name)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		int len = (int)n;

		if (n < 0 && errno == ENOBUFS)  /* overrun on a busy host: look */
			return if_nametoindex(name) != (unsigned int)ifindex;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			const struct ifinfomsg *ifi = NLMSG_DATA(h);

			if (h->nlmsg_type == RTM_DELLINK &&
			    h->nlmsg_len >= NLMSG_LENGTH(sizeof(*ifi)) && ifi->ifi_index == ifindex)
				return 1;
		}
	}
}

/* 0: gone; 1: the helper never ran (delete here); -1: error. */
static int wait_removed(struct nl_sock *mon, int ifindex, int rfd, const char *name,
			struct hull_error *err)
{
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = nl_socket_get_fd(mon), .events = POLLIN },
			{ .fd = rfd, .events = POLLIN },
		};
		int r;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return hull_error_errno(err, "%s: poll", name);
		}
		if (p[0].revents) {
			if ((r = removal_announced(p[0].fd, ifindex, name)) < 0)
				return hull_error_errno(err, "%s: netlink", name);
			if (r > 0)
				return 0;
		}
		if (p[1].revents) {
			ssize_t n = read(rfd, &r, sizeof(r));

			if (n != sizeof(r))
				return 1;
			/* Done (or gone already: the container's namespace died
			 * and took the pair) before its announcement was read. */
			if (r == 0 || r == -NLE_NODEV || r == -NLE_OBJ_NOTFOUND)
				return 0;
			return hull_error_set(err, EIO, "%s: %s", name, nl_geterror(r));
		}
	}
}

int link_remove(const char *name, struct hull_error *err)
{
	struct nl_sock *mon = NULL;
	int pfd[2] = { -1, -1 }, ifindex, rc = -1;
	pid_t mid = -1;

	if (link_sock(&mon, err) < 0)
		return -1;
	if (nl_socket_add_membership(mon, RTNLGRP_LINK) < 0) {
		hull_error_set(err, EIO, "%s: subscribing to link events", name);
		goto out;
	}
	if ((ifindex = (int)if_nametoindex(name)) == 0) {
		rc = 0;         /* gone already */
		goto out;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		rc = 1;
	} else {
		/* The intermediate's stack: this frame's, idle while the
		 * caller is suspended in clone() until it exits. */
		_Alignas(16) char stack[65536];   /* the helper runs libnl on its copy */
		struct helper_arg a = { .ifindex = ifindex, .wfd = pfd[1] };

		mid = clone(spawn_helper, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
		close(pfd[1]);
		pfd[1] = -1;
		if (mid < 0) {
			rc = 1;
		} else {
			while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
				;
			rc = wait_removed(mon, ifindex, pfd[0], name, err);
		}
	}
	if (rc == 1) {          /* no helper: delete and wait here */
		struct nl_sock *sk = NULL;

		/* On a socket of its own: mon's stream carries notifications
		 * that libnl's ack wait would take for a sequence mismatch. */
		rc = link_sock(&sk, err) < 0 ? -1 : link_delete(sk, name, err);
		link_sock_free(sk);
	}
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	link_sock_free(mon);
	return rc;
}
