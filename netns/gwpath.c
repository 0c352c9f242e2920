/* The gateway shortcut of a NAT network's veth: frames a container sends
 * to its gateway address skip the bridge.
 *
 * Why: a frame from a bridge port to the bridge's own address goes through
 * br_handle_frame, br_netfilter's inet hooks (with the host-wide
 * bridge-nf-call-iptables=1: conntrack, a route lookup, header checks) and
 * a second pass of the receive path before ip_rcv sees it; that costs
 * ~6 % of container -> host TCP throughput against a bare veth (bench/net.sh,
 * bench/README.md).  An ingress u32 filter on the host end hands a frame
 * whose destination is the bridge's MAC and the gateway's address straight
 * to the bridge device's receive path (mirred ingress redirect): the IP
 * stack sees it exactly as it does after the bridge, with the bridge as
 * its input device, so the nft rules, conntrack and NAT see what they
 * always saw.  Every other frame (to a neighbour, ARP, to other addresses
 * through the gateway, and so hairpin replies that need br_netfilter) still
 * takes the bridge.
 *
 * Hairpin through the gateway's address (DNAT to a neighbour) is now
 * routed out of the bridge instead of bridged by br_netfilter; the ICMP
 * redirect ip_forward sends for it is ignored by the client, whose route to
 * its gateway's address has no gateway (__ip_do_redirect).
 *
 * The bridge no longer sees those frames, so it no longer learns the
 * container's MAC from them: the container's MAC gets a static entry in
 * the bridge's forwarding table, or the host's frames to it would be
 * flooded to every port once the learned entry aged out (300 s without
 * ARP, which a busy TCP connection does not need).
 *
 * Best effort: a kernel without u32 or mirred keeps the bridge path, which
 * is correct, only slower.  Everything here hangs off the veth and goes
 * with it. */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/neighbour.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <netinet/in.h>
#include <netlink/addr.h>
#include <netlink/attr.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/route/neighbour.h>
#include <string.h>

#include "netns/internal.h"

/* u32 keys are 32-bit words at offsets from the network header; the
 * Ethernet header is the 14 bytes before it. */
static uint32_t word(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* tc qdisc add|del dev PORT ingress, by hand as the filter below (and
 * without libnl's tc object registry, whose constructors a program that
 * links libhull.a piecemeal may run in an order that crashes it). */
static int ingress_qdisc(struct nl_sock *sk, int port, bool add)
{
	struct tcmsg tcm = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = port,
		.tcm_parent = TC_H_INGRESS,
		.tcm_handle = TC_H_MAKE(TC_H_INGRESS, 0),
	};
	struct nl_msg *msg = nlmsg_alloc_simple(add ? RTM_NEWQDISC : RTM_DELQDISC,
						add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	int r = -NLE_MSGSIZE;

	if (msg == NULL)
		return -NLE_NOMEM;
	if (nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) == 0 &&
	    nla_put_string(msg, TCA_KIND, "ingress") == 0 &&
	    (r = nl_send_auto_complete(sk, msg)) >= 0)
		r = nl_wait_for_ack(sk);
	nlmsg_free(msg);
	return r;
}

/* tc filter add dev PORT ingress prio 1 protocol ip[v6] u32
 *	match <dst MAC> match <dst address> action mirred ingress redirect dev BRIDGE
 * built by hand: libnl's mirred refuses the ingress actions
 * (rtnl_mirred_set_action answers NLE_OPNOTSUPP for them). */
static int shortcut_filter(struct nl_sock *sk, int port, int bridge, const uint8_t br_mac[6],
			   const struct net_addr *gw)
{
	struct tcmsg tcm = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = port,
		.tcm_parent = TC_H_MAKE(TC_H_INGRESS, 0),
		.tcm_info = TC_H_MAKE(1u << 16, htons(gw->family == AF_INET6 ? ETH_P_IPV6 : ETH_P_IP)),
	};
	struct {
		struct tc_u32_sel sel;
		struct tc_u32_key keys[6];
	} u = { .sel = { .flags = TC_U32_TERMINAL } };
	struct tc_mirred m = {
		.action = TC_ACT_STOLEN,
		.eaction = TCA_INGRESS_REDIR,
		.ifindex = (uint32_t)bridge,
	};
	struct nl_msg *msg;
	struct nlattr *opt, *acts, *act, *aopt;
	size_t n = 0;
	int r;

	/* Destination MAC: bytes -14..-9 from the network header (u32 keys
	 * are aligned 32-bit words). */
	u.keys[n++] = (struct tc_u32_key){ .mask = htonl(0xffff),
					   .val = htonl((uint32_t)br_mac[0] << 8 | br_mac[1]),
					   .off = -16 };
	u.keys[n++] = (struct tc_u32_key){ .mask = 0xffffffff, .val = htonl(word(br_mac + 2)),
					   .off = -12 };
	/* Destination address: IPv4 bytes 16..19, IPv6 24..39. */
	for (size_t i = 0; i < net_addr_len(gw) / 4; i++)
		u.keys[n++] = (struct tc_u32_key){ .mask = 0xffffffff,
						   .val = htonl(word(gw->b + 4 * i)),
						   .off = (gw->family == AF_INET6 ? 24 : 16) + 4 * (int)i };
	u.sel.nkeys = (unsigned char)n;
	if ((msg = nlmsg_alloc_simple(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL)) == NULL)
		return -NLE_NOMEM;
	r = -NLE_MSGSIZE;
	if (nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, TCA_KIND, "u32") < 0 ||
	    (opt = nla_nest_start(msg, TCA_OPTIONS)) == NULL ||
	    nla_put(msg, TCA_U32_SEL, (int)(sizeof(u.sel) + n * sizeof(u.keys[0])), &u) < 0 ||
	    (acts = nla_nest_start(msg, TCA_U32_ACT)) == NULL ||
	    (act = nla_nest_start(msg, 1)) == NULL ||
	    nla_put_string(msg, TCA_ACT_KIND, "mirred") < 0 ||
	    (aopt = nla_nest_start(msg, TCA_ACT_OPTIONS)) == NULL ||
	    nla_put(msg, TCA_MIRRED_PARMS, sizeof(m), &m) < 0)
		goto out;
	nla_nest_end(msg, aopt);
	nla_nest_end(msg, act);
	nla_nest_end(msg, acts);
	nla_nest_end(msg, opt);
	if ((r = nl_send_auto_complete(sk, msg)) >= 0)
		r = nl_wait_for_ack(sk);
out:
	nlmsg_free(msg);
	return r;
}

/* bridge fdb add MAC dev PORT master static */
static int static_fdb(struct nl_sock *sk, int port, const uint8_t mac[6])
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *ll = nl_addr_build(AF_LLC, mac, 6);
	int r = -NLE_NOMEM;

	if (n && ll) {
		rtnl_neigh_set_family(n, AF_BRIDGE);
		rtnl_neigh_set_ifindex(n, port);
		rtnl_neigh_set_lladdr(n, ll);
		rtnl_neigh_set_state(n, NUD_NOARP);
		rtnl_neigh_set_flags(n, NTF_MASTER);
		r = rtnl_neigh_add(sk, n, NLM_F_CREATE | NLM_F_REPLACE);
	}
	nl_addr_put(ll);
	if (n)
		rtnl_neigh_put(n);
	return r;
}

int gwpath_add(struct nl_sock *sk, int port, int bridge, const uint8_t br_mac[6],
	       const uint8_t ctr_mac[6], const struct net_addr *gw)
{
	if (static_fdb(sk, port, ctr_mac) < 0)
		return -1;      /* without it, no shortcut (see the top) */
	if (ingress_qdisc(sk, port, true) < 0)
		return -1;
	if (shortcut_filter(sk, port, bridge, br_mac, gw) < 0) {
		ingress_qdisc(sk, port, false);
		return -1;
	}
	return 0;
}
