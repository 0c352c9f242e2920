/* The microVM's tap and its tc redirects (see netns/vmtap.h), all through
 * libnl-route-3: no tc or ip binaries. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <netlink/addr.h>
#include <netlink/netlink.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/addr.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/route.h>
#include <netlink/route/tc.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "netns/internal.h"
#include "netns/vmtap.h"

static int nl_err(struct hull_error *err, int nlerr, const char *what)
{
	return hull_error_set(err, EIO, "%s: %s", what, nl_geterror(nlerr));
}

struct sk_guard { struct nl_sock *sk; };
static void sk_release(struct sk_guard *g) { link_sock_free(g->sk); }
static void cache_release(struct nl_cache **c) { if (*c) nl_cache_free(*c); }

/* The IPv4 default route's interface and gateway (main table). */
static int default_route(struct nl_sock *sk, int *ifindex, struct vmtap_link *out,
			 struct hull_error *err)
{
	__attribute__((cleanup(cache_release))) struct nl_cache *rc = NULL;
	int r;

	*ifindex = 0;
	if ((r = rtnl_route_alloc_cache(sk, AF_INET, 0, &rc)) < 0)
		return nl_err(err, r, "reading routes");
	for (struct nl_object *o = nl_cache_get_first(rc); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *rt = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(rt);
		struct rtnl_nexthop *nh;
		struct nl_addr *gw;

		if (rtnl_route_get_table(rt) != RT_TABLE_MAIN ||
		    (dst && nl_addr_get_prefixlen(dst) != 0) || rtnl_route_get_nnexthops(rt) < 1)
			continue;
		nh = rtnl_route_nexthop_n(rt, 0);
		*ifindex = rtnl_route_nh_get_ifindex(nh);
		gw = rtnl_route_nh_get_gateway(nh);
		if (gw && nl_addr_get_family(gw) == AF_INET && nl_addr_get_len(gw) == 4) {
			out->has_gateway = true;
			out->gateway.family = AF_INET;
			memcpy(out->gateway.b, nl_addr_get_binary_addr(gw), 4);
		}
		return 0;
	}
	return 0;
}

/* The IPv4 addresses of ifindex (the host's own, with their prefix). */
static int link_addrs(struct nl_sock *sk, int ifindex, struct vmtap_link *out,
		      struct hull_error *err)
{
	__attribute__((cleanup(cache_release))) struct nl_cache *ac = NULL;
	int r;

	out->n_addrs = 0;
	if ((r = rtnl_addr_alloc_cache(sk, &ac)) < 0)
		return nl_err(err, r, "reading addresses");
	for (struct nl_object *o = nl_cache_get_first(ac); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);

		if (rtnl_addr_get_ifindex(a) != ifindex || local == NULL ||
		    nl_addr_get_family(local) != AF_INET || nl_addr_get_len(local) != 4 ||
		    out->n_addrs == VMTAP_MAX_ADDRS)
			continue;
		out->addrs[out->n_addrs].addr.family = AF_INET;
		memcpy(out->addrs[out->n_addrs].addr.b, nl_addr_get_binary_addr(local), 4);
		out->addrs[out->n_addrs].prefix = (unsigned int)rtnl_addr_get_prefixlen(a);
		out->n_addrs++;
	}
	return 0;
}

int vmtap_find(struct vmtap_link *out, struct hull_error *err)
{
	__attribute__((cleanup(sk_release))) struct sk_guard g = { NULL };
	__attribute__((cleanup(cache_release))) struct nl_cache *lc = NULL;
	int ifindex, r;
	struct rtnl_link *l;
	struct nl_addr *mac;

	memset(out, 0, sizeof(*out));
	if (link_sock(&g.sk, err) < 0 || default_route(g.sk, &ifindex, out, err) < 0)
		return -1;
	if ((r = rtnl_link_alloc_cache(g.sk, AF_UNSPEC, &lc)) < 0)
		return nl_err(err, r, "reading links");
	/* No default route: the only non-loopback interface with an IPv4
	 * address (a namespace with a network but no way out of it). */
	if (ifindex == 0) {
		int found = 0;

		for (struct nl_object *o = nl_cache_get_first(lc); o; o = nl_cache_get_next(o)) {
			struct rtnl_link *c = (struct rtnl_link *)o;

			if (rtnl_link_get_flags(c) & IFF_LOOPBACK)
				continue;
			if (link_addrs(g.sk, rtnl_link_get_ifindex(c), out, err) < 0)
				return -1;
			if (out->n_addrs == 0)
				continue;
			if (found)
				return hull_error_set(err, EINVAL, "the network namespace has no default "
						      "route and more than one interface with an "
						      "address: which one the VM should be is unclear");
			found = ifindex = rtnl_link_get_ifindex(c);
		}
		if (ifindex == 0)
			return 0;
	}
	if ((l = rtnl_link_get(lc, ifindex)) == NULL)
		return hull_error_set(err, ENODEV, "default route's interface %d is gone", ifindex);
	snprintf(out->ifname, sizeof(out->ifname), "%s", rtnl_link_get_name(l));
	out->mtu = rtnl_link_get_mtu(l);
	mac = rtnl_link_get_addr(l);
	if (mac == NULL || nl_addr_get_len(mac) != 6) {
		rtnl_link_put(l);
		return hull_error_set(err, EINVAL, "interface %s has no Ethernet address: only "
				      "Ethernet-like links (veth, macvlan) can be joined to a VM",
				      out->ifname);
	}
	memcpy(out->mac, nl_addr_get_binary_addr(mac), 6);
	rtnl_link_put(l);
	if (strcmp(out->ifname, VMTAP_NAME) == 0)
		return hull_error_set(err, EEXIST, "the network namespace already has %s", VMTAP_NAME);
	return link_addrs(g.sk, ifindex, out, err) < 0 ? -1 : 1;
}

/* ingress qdisc on ifindex, and a u32 filter on it matching every frame
 * (key 0/0 at offset 0) that redirects it to to_ifindex's egress: kata's
 * tcfilter model.  u32 rather than matchall: older and in every distro
 * kernel (matchall is often not built). */
static int redirect(struct nl_sock *sk, int ifindex, int to_ifindex, const char *name,
		    struct hull_error *err)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct rtnl_cls *cls = rtnl_cls_alloc();
	struct rtnl_act *act = rtnl_act_alloc();
	int r = -NLE_NOMEM;

	if (q == NULL || cls == NULL || act == NULL)
		goto out;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_INGRESS);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(0xffff, 0));
	if ((r = rtnl_tc_set_kind(TC_CAST(q), "ingress")) < 0 ||
	    (r = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_EXCL)) < 0)
		goto out;
	rtnl_tc_set_ifindex(TC_CAST(cls), ifindex);
	rtnl_tc_set_parent(TC_CAST(cls), TC_HANDLE(0xffff, 0));
	rtnl_cls_set_protocol(cls, ETH_P_ALL);
	rtnl_cls_set_prio(cls, 1);
	if ((r = rtnl_tc_set_kind(TC_CAST(cls), "u32")) < 0 ||
	    (r = rtnl_tc_set_kind(TC_CAST(act), "mirred")) < 0 ||
	    (r = rtnl_u32_add_key_uint32(cls, 0, 0, 0, 0)) < 0 ||
	    (r = rtnl_u32_set_cls_terminal(cls)) < 0)
		goto out;
	rtnl_mirred_set_action(act, TCA_EGRESS_REDIR);
	rtnl_mirred_set_policy(act, TC_ACT_STOLEN);
	rtnl_mirred_set_ifindex(act, (uint32_t)to_ifindex);
	if ((r = rtnl_u32_add_action(cls, act)) < 0)
		goto out;
	r = rtnl_cls_add(sk, cls, NLM_F_CREATE | NLM_F_EXCL);
out:
	if (act)
		rtnl_act_put(act);
	if (cls)
		rtnl_cls_put(cls);
	if (q)
		rtnl_qdisc_put(q);
	if (r < 0)
		return hull_error_set(err, EIO, "redirecting %s's ingress (tc ingress + matchall "
				      "mirred): %s", name, nl_geterror(r));
	return 0;
}

static void drop_ingress(struct nl_sock *sk, int ifindex)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	if (q == NULL)
		return;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_INGRESS);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(0xffff, 0));
	rtnl_tc_set_kind(TC_CAST(q), "ingress");
	rtnl_qdisc_delete(sk, q);
	rtnl_qdisc_put(q);
}

static int tap_up(struct nl_sock *sk, int ifindex, unsigned int mtu, struct hull_error *err)
{
	struct rtnl_link *orig = rtnl_link_alloc(), *change = rtnl_link_alloc();
	int r = -NLE_NOMEM;

	if (orig && change) {
		rtnl_link_set_ifindex(orig, ifindex);
		rtnl_link_set_flags(change, IFF_UP);
		if (mtu)
			rtnl_link_set_mtu(change, mtu);
		r = rtnl_link_change(sk, orig, change, 0);
	}
	if (orig)
		rtnl_link_put(orig);
	if (change)
		rtnl_link_put(change);
	return r < 0 ? nl_err(err, r, VMTAP_NAME " up") : 0;
}

int vmtap_open(const struct vmtap_link *l, struct hull_error *err)
{
	__attribute__((cleanup(sk_release))) struct sk_guard g = { NULL };
	struct ifreq ifr = { 0 };
	int fd, tap_index, if_index;

	if (link_sock(&g.sk, err) < 0)
		return -1;
	if ((if_index = link_index(g.sk, l->ifname, NULL)) <= 0)
		return hull_error_set(err, ENODEV, "interface %s is gone", l->ifname);
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return hull_error_errno(err, "/dev/net/tun");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", VMTAP_NAME);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		hull_error_errno(err, "creating tap %s", VMTAP_NAME);
		close(fd);
		return -1;
	}
	/* Not persistent: closing fd (the monitor's end) removes the tap
	 * and every qdisc and filter on it. */
	if ((tap_index = link_index(g.sk, VMTAP_NAME, NULL)) <= 0) {
		close(fd);
		return hull_error_set(err, ENODEV, "tap %s vanished", VMTAP_NAME);
	}
	if (tap_up(g.sk, tap_index, l->mtu, err) < 0 ||
	    redirect(g.sk, tap_index, if_index, VMTAP_NAME, err) < 0 ||
	    redirect(g.sk, if_index, tap_index, l->ifname, err) < 0) {
		drop_ingress(g.sk, if_index);
		close(fd);
		return -1;
	}
	return fd;
}

int vmtap_undo(int nsfd, const char *ifname, struct hull_error *err)
{
	__attribute__((cleanup(sk_release))) struct sk_guard g = { NULL };
	int ifindex;

	if (link_sock_in(nsfd, &g.sk, err) < 0)
		return -1;
	ifindex = link_index(g.sk, ifname, NULL);
	if (ifindex > 0)
		drop_ingress(g.sk, ifindex);
	return 0;
}

int vmtap_cmdline(const struct vmtap_link *l, char *buf, size_t n)
{
	char a[NET_ADDR_STRLEN];
	size_t used = strlen(buf);
	int r;

	for (size_t i = 0; i < l->n_addrs; i++) {
		r = snprintf(buf + used, n - used, " hull.ip=%s/%u",
			     net_addr_format(&l->addrs[i].addr, a), l->addrs[i].prefix);
		if (r < 0 || (size_t)r >= n - used)
			return -1;
		used += (size_t)r;
	}
	if (l->has_gateway) {
		r = snprintf(buf + used, n - used, " hull.gw=%s", net_addr_format(&l->gateway, a));
		if (r < 0 || (size_t)r >= n - used)
			return -1;
	}
	return 0;
}
