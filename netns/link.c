/* Links, addresses and routes through libnl-route-3. */
#include <errno.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "netns/internal.h"

static int nl_fail(struct hull_error *err, int nlerr, const char *what)
{
	return hull_error_set(err, EIO, "%s: %s", what, nl_geterror(nlerr));
}

int link_sock(struct nl_sock **out, struct hull_error *err)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (sk == NULL)
		return hull_error_set(err, ENOMEM, "netlink socket");
	if ((r = nl_connect(sk, NETLINK_ROUTE)) < 0) {
		nl_socket_free(sk);
		return nl_fail(err, r, "netlink connect");
	}
	*out = sk;
	return 0;
}

void link_sock_free(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

int link_sock_in(int nsfd, struct nl_sock **out, struct hull_error *err)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nl_sock *sk;
	int host, fd, r, saved;

	/* A socket stays in the namespace it was made in: this thread
	 * enters the container's namespace for the socket() call alone and
	 * comes straight back (setns(CLONE_NEWNET) changes only the calling
	 * thread's namespace, and nothing in between can fail or sleep).  A
	 * helper thread or child would do the same at the price of a
	 * wake-up: milliseconds on a loaded host. */
	if ((host = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		return hull_error_errno(err, "open /proc/thread-self/ns/net");
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		close(host);
		return hull_error_errno(err, "setns into the container's network namespace");
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	saved = errno;
	/* Back home.  This cannot fail (the fd is our own namespace, and we
	 * just showed we may setns); if it did, anything this process did
	 * next would land in the container's namespace: stop it here, as a
	 * kill -9 would (the attachment's record lets delete undo it). */
	if (setns(host, CLONE_NEWNET) < 0)
		abort();
	close(host);
	if (fd < 0) {
		errno = saved;
		return hull_error_errno(err, "netlink socket in the container's network namespace");
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		hull_error_errno(err, "binding a netlink socket");
		close(fd);
		return -1;
	}
	if ((sk = nl_socket_alloc()) == NULL) {
		close(fd);
		return hull_error_set(err, ENOMEM, "netlink socket");
	}
	if ((r = nl_socket_set_fd(sk, NETLINK_ROUTE, fd)) < 0) {
		close(fd);
		nl_socket_free(sk);
		return nl_fail(err, r, "netlink socket in the container's network namespace");
	}
	*out = sk;
	return 0;
}

int link_index(struct nl_sock *sk, const char *name, bool *is_bridge)
{
	struct rtnl_link *l = NULL;
	int idx;

	if (rtnl_link_get_kernel(sk, 0, name, &l) < 0)
		return 0;
	idx = rtnl_link_get_ifindex(l);
	if (is_bridge) {
		const char *t = rtnl_link_get_type(l);

		*is_bridge = t && strcmp(t, "bridge") == 0;
	}
	rtnl_link_put(l);
	return idx;
}

int link_ifindex(struct nl_sock *sk, const char *name)
{
	struct ifreq r;

	/* SIOCGIFINDEX on any socket answers for the socket's namespace (a
	 * netlink socket's ioctls fall through to dev_ioctl): a name lookup
	 * without the full link dump RTM_GETLINK builds and libnl parses. */
	memset(&r, 0, sizeof(r));
	if (strlen(name) >= sizeof(r.ifr_name))
		return 0;
	strcpy(r.ifr_name, name);
	if (ioctl(nl_socket_get_fd(sk), SIOCGIFINDEX, &r) < 0)
		return 0;
	return r.ifr_ifindex;
}

int link_up_index(struct nl_sock *sk, int ifindex, struct hull_error *err)
{
	struct rtnl_link *orig = rtnl_link_alloc(), *change = rtnl_link_alloc();
	int r = -NLE_NOMEM;

	/* By index, without fetching the link first: one round trip. */
	if (orig && change) {
		rtnl_link_set_ifindex(orig, ifindex);
		rtnl_link_set_flags(change, IFF_UP);
		r = rtnl_link_change(sk, orig, change, 0);
	}
	rtnl_link_put(orig);
	rtnl_link_put(change);
	if (r < 0)
		return hull_error_set(err, EIO, "setting link %d up: %s", ifindex, nl_geterror(r));
	return 0;
}

/* A random unicast, locally administered MAC (what the kernel picks for
 * a device without one, eth_random_addr). */
static void random_mac(uint8_t mac[6])
{
	if (getrandom(mac, 6, 0) != 6) {
		/* Cannot fail for 6 bytes once the pool is up; a fallback
		 * that still differs per call and per process. */
		struct timespec t;

		clock_gettime(CLOCK_MONOTONIC, &t);
		uint64_t v = (uint64_t)t.tv_nsec * 2654435761u ^ (uint64_t)getpid() << 20;
		memcpy(mac, &v, 6);
	}
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
}

static int set_mac(struct rtnl_link *l, const uint8_t mac[6])
{
	struct nl_addr *a = nl_addr_build(AF_LLC, mac, 6);

	if (a == NULL)
		return -NLE_NOMEM;
	rtnl_link_set_addr(l, a);       /* takes its own reference */
	nl_addr_put(a);
	return 0;
}

int link_bridge_create(struct nl_sock *sk, const char *name, struct hull_error *err)
{
	struct rtnl_link *l = rtnl_link_bridge_alloc();
	uint8_t mac[6];
	int r = -NLE_NOMEM;

	/* Without an address of its own a bridge takes its lowest port's,
	 * and changes it as containers come and go (under their ARP caches,
	 * and under the gateway shortcut's filters, gwpath.c).  Given one at
	 * birth, it keeps it (addr_assign_type "set"). */
	random_mac(mac);
	if (l) {
		rtnl_link_set_name(l, name);
		if ((r = set_mac(l, mac)) == 0)
			r = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
		rtnl_link_put(l);
	}
	if (r < 0 && r != -NLE_EXIST)
		return nl_fail(err, r, name);
	return 0;
}

int link_hwaddr(struct nl_sock *sk, const char *name, uint8_t mac[6])
{
	struct ifreq r;

	memset(&r, 0, sizeof(r));
	if (strlen(name) >= sizeof(r.ifr_name))
		return -1;
	strcpy(r.ifr_name, name);
	if (ioctl(nl_socket_get_fd(sk), SIOCGIFHWADDR, &r) < 0)
		return -1;
	memcpy(mac, r.ifr_hwaddr.sa_data, 6);
	return 0;
}

int link_veth_create(struct nl_sock *sk, const char *host_if, const char *peer_name,
		     int peer_nsfd, int master, const uint8_t *host_mac, uint8_t peer_mac[6],
		     struct hull_error *err)
{
	struct rtnl_link *l = rtnl_link_veth_alloc(), *peer;
	int r;

	if (l == NULL)
		return hull_error_set(err, ENOMEM, "veth");
	peer = rtnl_link_veth_get_peer(l);
	/* The whole pair in one request: the host end up and in its
	 * bridge, the peer as eth0 inside the container's namespace (it
	 * never exists on the host under a name that could clash with
	 * another container's).  The peer cannot be born up: veth_open()
	 * refuses (ENOTCONN) until both ends are linked, after its
	 * configuration.  One queue each, asked for explicitly: what veth
	 * would cut them down to anyway, without the two expedited RCU grace
	 * periods that cutting costs (veth_init_queues). */
	rtnl_link_set_name(l, host_if);
	rtnl_link_set_flags(l, IFF_UP);
	rtnl_link_set_num_tx_queues(l, 1);
	rtnl_link_set_num_rx_queues(l, 1);
	if (master > 0)
		rtnl_link_set_master(l, master);
	rtnl_link_set_name(peer, peer_name);
	rtnl_link_set_num_tx_queues(peer, 1);
	rtnl_link_set_num_rx_queues(peer, 1);
	rtnl_link_set_ns_fd(peer, peer_nsfd);
	/* The container's MAC chosen here, as the kernel would, so that
	 * the gateway shortcut can give it a static bridge entry. */
	random_mac(peer_mac);
	r = set_mac(peer, peer_mac);
	if (r == 0 && host_mac)
		r = set_mac(l, host_mac);
	if (r == 0)
		r = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	rtnl_link_veth_release(l);
	if (r < 0)
		return nl_fail(err, r, host_if);
	return 0;
}

int link_up(struct nl_sock *sk, const char *name, int master, struct hull_error *err)
{
	struct rtnl_link *orig = NULL, *change = rtnl_link_alloc();
	int r;

	if (change == NULL)
		return hull_error_set(err, ENOMEM, "link");
	if ((r = rtnl_link_get_kernel(sk, 0, name, &orig)) < 0) {
		rtnl_link_put(change);
		return nl_fail(err, r, name);
	}
	rtnl_link_set_flags(change, IFF_UP);
	if (master > 0)
		rtnl_link_set_master(change, master);
	r = rtnl_link_change(sk, orig, change, 0);
	rtnl_link_put(orig);
	rtnl_link_put(change);
	if (r < 0)
		return nl_fail(err, r, name);
	return 0;
}

int link_delete(struct nl_sock *sk, const char *name, struct hull_error *err)
{
	struct rtnl_link *l = rtnl_link_alloc();
	int r;

	if (l == NULL)
		return hull_error_set(err, ENOMEM, "link");
	rtnl_link_set_name(l, name);
	r = rtnl_link_delete(sk, l);
	rtnl_link_put(l);
	/* Already gone (the container's netns died and took the pair). */
	if (r < 0 && r != -NLE_NODEV && r != -NLE_OBJ_NOTFOUND)
		return nl_fail(err, r, name);
	return 0;
}

static struct nl_addr *to_nl(const struct net_addr *a, unsigned int prefix)
{
	struct nl_addr *n = nl_addr_build(a->family, a->b, net_addr_len(a));

	if (n)
		nl_addr_set_prefixlen(n, (int)prefix);
	return n;
}

int link_addr_add(struct nl_sock *sk, int ifindex, const struct net_addr *a,
		  unsigned int prefix, struct hull_error *err)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = to_nl(a, prefix);
	int r = -NLE_NOMEM;

	if (ra && local) {
		rtnl_addr_set_ifindex(ra, ifindex);
		rtnl_addr_set_local(ra, local);
		/* No duplicate address detection: the address is Hull's own
		 * lease, and a tentative v6 address would be unusable for the
		 * first second of the container's life. */
		if (a->family == AF_INET6)
			rtnl_addr_set_flags(ra, IFA_F_NODAD);
		r = rtnl_addr_add(sk, ra, 0);
		if (r == -NLE_EXIST)
			r = 0;
	}
	nl_addr_put(local);
	rtnl_addr_put(ra);
	if (r < 0) {
		char s[NET_ADDR_STRLEN];

		return hull_error_set(err, EIO, "adding address %s/%u: %s",
				      net_addr_format(a, s), prefix, nl_geterror(r));
	}
	return 0;
}

int link_route_add(struct nl_sock *sk, const struct net_cidr *dst, const struct net_addr *gw,
		   int ifindex, struct hull_error *err)
{
	struct net_cidr any = { .addr = { .family = gw ? gw->family : AF_INET } };
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *d = NULL, *g = NULL;
	int r = -NLE_NOMEM;

	if (dst == NULL)
		dst = &any;
	d = to_nl(&dst->addr, dst->prefix);
	if (rt && nh && d && (gw == NULL || (g = to_nl(gw, 0)) != NULL)) {
		rtnl_route_set_family(rt, (uint8_t)dst->addr.family);
		rtnl_route_set_dst(rt, d);
		rtnl_route_set_table(rt, RT_TABLE_MAIN);
		rtnl_route_set_protocol(rt, RTPROT_STATIC);
		rtnl_route_set_scope(rt, gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
		rtnl_route_nh_set_ifindex(nh, ifindex);
		if (g) {
			rtnl_route_nh_set_gateway(nh, g);
			/* onlink: the gateway need not be inside a connected
			 * prefix (routed mode gives the container a /32). */
			rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
		}
		rtnl_route_add_nexthop(rt, nh);
		nh = NULL;      /* owned by the route now */
		r = rtnl_route_add(sk, rt, NLM_F_CREATE | NLM_F_REPLACE);
	}
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(d);
	nl_addr_put(g);
	rtnl_route_put(rt);
	if (r < 0) {
		char s[NET_ADDR_STRLEN + 8];

		return hull_error_set(err, EIO, "adding route to %s: %s",
				      net_cidr_format(dst, s, sizeof(s)), nl_geterror(r));
	}
	return 0;
}
