#include "namespaces/net_devices.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/cleanup.h"

struct moving {
	struct rtnl_link *link;     /* as found on the host */
	struct rtnl_addr **addrs;   /* its global-scope addresses, cloned */
	size_t n_addrs;
};

static void sock_freep(struct nl_sock **s)
{
	if (*s)
		nl_socket_free(*s);
}

static void moving_free(struct moving *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (m[i].link)
			rtnl_link_put(m[i].link);
		for (size_t j = 0; j < m[i].n_addrs; j++)
			rtnl_addr_put(m[i].addrs[j]);
		free(m[i].addrs);
	}
	free(m);
}

/* libnl's errors are its own numbers; this keeps the message readable. */
static int nl_fail(struct hull_error *err, int nlerr, const char *what, const char *dev)
{
	int code = nlerr == -NLE_OBJ_NOTFOUND || nlerr == -NLE_NODEV ? ENODEV :
		   nlerr == -NLE_PERM ? EPERM : nlerr == -NLE_EXIST ? EEXIST : EIO;

	return hull_error_set(err, code, "linux.netDevices.%s: %s: %s", dev, what,
			      nl_geterror(nlerr));
}

static struct nl_sock *route_socket(struct hull_error *err)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (sk == NULL) {
		hull_error_set(err, ENOMEM, "linux.netDevices: nl_socket_alloc");
		return NULL;
	}
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(sk);
		hull_error_set(err, EIO, "linux.netDevices: netlink: %s", nl_geterror(r));
		return NULL;
	}
	return sk;
}

/* A netlink socket stays in the network namespace it was made in: make
 * one inside the container's, then come back.  (The runtime parent is
 * single-threaded, so the setns round trip affects nothing else.) */
static struct nl_sock *route_socket_in(int netns_fd, struct hull_error *err)
{
	autoclose int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct nl_sock *sk;

	if (self < 0) {
		hull_error_errno(err, "linux.netDevices: open /proc/self/ns/net");
		return NULL;
	}
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		hull_error_errno(err, "linux.netDevices: entering the container's network namespace");
		return NULL;
	}
	sk = route_socket(err);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* Cannot happen with our own namespace's fd; if it did, the
		 * runtime would go on in the wrong namespace: stop here. */
		hull_error_errno(err, "linux.netDevices: returning to the runtime's network namespace");
		abort();
	}
	return sk;
}

static int collect_addrs(struct nl_cache *cache, struct moving *m, struct hull_error *err)
{
	int ifindex = rtnl_link_get_ifindex(m->link);

	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct rtnl_addr **na;

		/* Link-local ones come back by themselves (IPv6) or are not
		 * the config's to carry (scope host/link). */
		if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_scope(a) != RT_SCOPE_UNIVERSE)
			continue;
		na = realloc(m->addrs, (m->n_addrs + 1) * sizeof(*na));
		if (na == NULL)
			return hull_error_errno(err, "realloc");
		m->addrs = na;
		m->addrs[m->n_addrs] = (struct rtnl_addr *)nl_object_clone(o);
		if (m->addrs[m->n_addrs] == NULL)
			return hull_error_set(err, ENOMEM, "nl_object_clone");
		m->n_addrs++;
	}
	return 0;
}

static int restore_inside(struct nl_sock *in, const struct spec_net_device *d,
			  const struct moving *m, struct hull_error *err)
{
	struct rtnl_link *now = NULL;
	int r = rtnl_link_get_kernel(in, 0, d->name, &now);

	if (r < 0)
		return nl_fail(err, r, "finding it in the container", d->host_name);
	for (size_t i = 0; i < m->n_addrs && r >= 0; i++) {
		rtnl_addr_set_ifindex(m->addrs[i], rtnl_link_get_ifindex(now));
		r = rtnl_addr_add(in, m->addrs[i], 0);
		if (r < 0)
			nl_fail(err, r, "adding its address back", d->host_name);
	}
	if (r >= 0 && (rtnl_link_get_flags(m->link) & IFF_UP)) {
		struct rtnl_link *up = rtnl_link_alloc();

		if (up == NULL) {
			r = hull_error_set(err, ENOMEM, "rtnl_link_alloc");
		} else {
			rtnl_link_set_flags(up, IFF_UP);
			r = rtnl_link_change(in, now, up, 0);
			rtnl_link_put(up);
			if (r < 0)
				nl_fail(err, r, "setting it up", d->host_name);
		}
	}
	rtnl_link_put(now);
	return r < 0 ? -1 : 0;
}

int net_devices_move(int netns_fd, const struct spec_net_device *devs, size_t n,
		     struct hull_error *err)
{
	struct nl_sock *sk __attribute__((cleanup(sock_freep))) = NULL;
	struct nl_sock *in __attribute__((cleanup(sock_freep))) = NULL;
	struct nl_cache *addrs = NULL;
	struct moving *m;
	int r, rc = -1;

	if (n == 0)
		return 0;
	sk = route_socket(err);
	if (sk == NULL)
		return -1;
	m = calloc(n, sizeof(*m));
	if (m == NULL)
		return hull_error_errno(err, "calloc");
	r = rtnl_addr_alloc_cache(sk, &addrs);
	if (r < 0) {
		hull_error_set(err, EIO, "linux.netDevices: reading addresses: %s", nl_geterror(r));
		goto out;
	}
	/* Look every device up before moving any: a typo must not leave the
	 * first devices in a namespace that is about to be torn down (which
	 * would destroy a virtual one). */
	for (size_t i = 0; i < n; i++) {
		r = rtnl_link_get_kernel(sk, 0, devs[i].host_name, &m[i].link);
		if (r < 0) {
			nl_fail(err, r, "no such interface on the host", devs[i].host_name);
			goto out;
		}
		if (collect_addrs(addrs, &m[i], err) < 0)
			goto out;
	}
	in = route_socket_in(netns_fd, err);
	if (in == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct rtnl_link *change = rtnl_link_alloc();

		if (change == NULL) {
			hull_error_set(err, ENOMEM, "rtnl_link_alloc");
			goto out;
		}
		/* IFLA_NET_NS_FD and IFLA_IFNAME in one RTM_NEWLINK: the
		 * kernel moves and renames at once (dev_change_net_namespace
		 * with the new name), so a clash with a name inside fails
		 * the move instead of leaving a half-done device. */
		rtnl_link_set_ns_fd(change, netns_fd);
		rtnl_link_set_name(change, devs[i].name);
		r = rtnl_link_change(sk, m[i].link, change, 0);
		rtnl_link_put(change);
		if (r < 0) {
			nl_fail(err, r, "moving into the container's network namespace",
				devs[i].host_name);
			goto out;
		}
		if (restore_inside(in, &devs[i], &m[i], err) < 0)
			goto out;
	}
	rc = 0;
out:
	if (addrs)
		nl_cache_free(addrs);
	moving_free(m, n);
	return rc;
}
