/* netns_attach: the host-side work once the container's process exists.
 * Order: the network's bridge and rules (once per network), the veth with
 * its peer born inside the container's namespace, the host side, the
 * container side (through a socket made inside its namespace), and the
 * container's published ports last, when there is an address to steer to. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "netns/internal.h"
#include "netns/trace.h"

/* Fault injection for the leak tests (tests/integration/network.bats):
 * HULL_NET_FAULT=<point> kills Hull with SIGKILL at that point of the
 * attachment, as a `kill -9` landing there would. */
static void fault_point(const char *point)
{
	const char *f = getenv("HULL_NET_FAULT");

	if (f && strcmp(f, point) == 0)
		kill(getpid(), SIGKILL);
}

struct buf {
	char *s;
	size_t len;
	bool oom;
};

static void add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL, *n;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (len < 0 || (n = realloc(b->s, b->len + (size_t)len + 1)) == NULL) {
		free(s);
		b->oom = true;
		return;
	}
	memcpy(n + b->len, s, (size_t)len + 1);
	b->len += (size_t)len;
	b->s = n;
	free(s);
}

static const char *fam(const struct net_addr *a)
{
	return a->family == AF_INET6 ? "ip6" : "ip";
}

/* Masquerade for traffic leaving the subnet; 127/8 sources (the host
 * reaching a published port on 127.0.0.1, rerouted into the bridge by
 * the output-hook DNAT, allowed there by route_localnet) masqueraded to
 * the bridge's address; published (DNAT'ed) traffic let in, other new
 * connections into the bridge from elsewhere (other networks, other
 * hosts) dropped: the isolation of a NAT network. */
static int nat_network_rules(const char *netdir, const struct net_network *n,
			     struct hull_error *err)
{
	char tag[64], ndt[16], s[NET_ADDR_STRLEN + 8];
	struct buf b = { 0 };
	const char *f = fam(&n->subnet.addr);
	int rc;

	netdir_tag(netdir, ndt);
	snprintf(tag, sizeof(tag), "%s:net:%s", ndt, n->name);
	if (nft_delete_tagged(tag, NULL, NULL, NULL, NULL, err) < 0)
		return -1;
	net_cidr_format(&n->subnet, s, sizeof(s));
	add(&b, "%s", nft_base);
	add(&b, "add rule inet hull postrouting %s saddr %s %s daddr != %s masquerade comment \"%s\"\n",
	    f, s, f, s, tag);
	if (n->subnet.addr.family == AF_INET)
		add(&b, "add rule inet hull postrouting ip saddr 127.0.0.0/8 oifname \"%s\" masquerade comment \"%s\"\n",
		    n->bridge, tag);
	/* Without br_netfilter, the reply of a hairpin connection (container
	 * to a port published by a neighbour) would go straight across the
	 * bridge, un-NAT'ed: masquerade those, losing the client's address,
	 * as the only way they work at all. */
	if (access("/proc/sys/net/bridge", F_OK) != 0)
		add(&b, "add rule inet hull postrouting iifname \"%s\" oifname \"%s\" ct status dnat masquerade comment \"%s\"\n",
		    n->bridge, n->bridge, tag);
	add(&b, "add rule inet hull forward oifname \"%s\" ct status dnat accept comment \"%s\"\n",
	    n->bridge, tag);
	add(&b, "add rule inet hull forward oifname \"%s\" iifname != \"%s\" ct state new drop comment \"%s\"\n",
	    n->bridge, n->bridge, tag);
	if (b.oom) {
		free(b.s);
		return hull_error_set(err, ENOMEM, "nft rules");
	}
	rc = nft_batch(b.s, err);
	free(b.s);
	return rc;
}

static int ensure_forwarding(const struct net_network *n, struct hull_error *err)
{
	if (n->has_subnet && n->subnet.addr.family == AF_INET6)
		return netns_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1", err);
	return netns_sysctl("/proc/sys/net/ipv4/ip_forward", "1", err);
}

/* The NAT network's bridge and rules, made on first use (the caller holds
 * the state lock).  Rules first, then the bridge: a bridge that exists
 * means its rules do. */
static int ensure_nat_bridge(struct nl_sock *sk, const char *netdir,
			     const struct net_network *n, int *ifindex, struct hull_error *err)
{
	char path[128];
	bool is_br = false;

	if ((*ifindex = link_index(sk, n->bridge, &is_br)) > 0) {
		if (!is_br)
			return hull_error_set(err, EEXIST, "network %s: %s exists and is not a bridge",
					      n->name, n->bridge);
		return 0;       /* made meanwhile by another Hull */
	}
	if (nat_network_rules(netdir, n, err) < 0 || link_bridge_create(sk, n->bridge, err) < 0)
		return -1;
	if ((*ifindex = link_ifindex(sk, n->bridge)) <= 0)
		return hull_error_set(err, ENODEV, "bridge %s vanished", n->bridge);
	if (link_addr_add(sk, *ifindex, &n->gateway, n->subnet.prefix, err) < 0)
		return -1;
	/* Hairpin with the client's address kept: frames between two ports
	 * of this bridge pass the inet hooks (br_netfilter), so the reply of
	 * a DNAT'ed connection is un-NAT'ed although it never leaves the
	 * bridge.  Best effort: absent without the br_netfilter module. */
	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge/nf_call_iptables", n->bridge);
	if (access(path, F_OK) == 0 && netns_sysctl(path, "1", err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge/nf_call_ip6tables", n->bridge);
	if (access(path, F_OK) == 0 && netns_sysctl(path, "1", err) < 0)
		return -1;
	if (n->subnet.addr.family == AF_INET) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", n->bridge);
		if (netns_sysctl(path, "1", err) < 0)
			return -1;
	}
	return link_up(sk, n->bridge, 0, err);
}

/* The host end's master: the network's bridge, by index only.  Whether
 * it is a bridge is checked where that costs nothing on the common path:
 * when Hull makes it, and when enslaving to it fails (bridge_diagnose). */
static int find_master(struct nl_sock *sk, const char *netdir, const struct net_network *n,
		       int *master, struct hull_error *err)
{
	int lock, rc;

	*master = 0;
	if (n->mode == NET_ROUTED || (*master = link_ifindex(sk, n->bridge)) > 0)
		return 0;
	if (n->mode == NET_BRIDGE)
		return hull_error_set(err, ENODEV, "network %s: bridge \"%s\" does not exist",
				      n->name, n->bridge);
	/* First use of a NAT network: under the state lock, so that two
	 * containers starting at once do not both make its rules. */
	if ((lock = netdir_lock(netdir, err)) < 0)
		return -1;
	rc = ensure_nat_bridge(sk, netdir, n, master, err);
	close(lock);
	return rc;
}

/* The veth could not be made: say why in the network's terms when the
 * cause is its bridge (gone, or replaced by something else). */
static void bridge_diagnose(struct nl_sock *sk, const struct net_network *n,
			    struct hull_error *err)
{
	bool is_br = false;
	int idx;

	if (n->mode == NET_ROUTED)
		return;
	if ((idx = link_index(sk, n->bridge, &is_br)) == 0 || !is_br) {
		hull_error_clear(err);
		hull_error_set(err, ENODEV, "network %s: bridge \"%s\" %s", n->name, n->bridge,
			       idx == 0 ? "does not exist" : "is not a bridge");
	}
}

static void port_rule(struct buf *b, const char *chain, const struct net_port *p,
		      const struct net_addr *a, const char *tag)
{
	char ip[NET_ADDR_STRLEN], hip[NET_ADDR_STRLEN];
	const char *f = fam(a), *proto = net_proto_name(p->proto);
	bool v6 = a->family == AF_INET6;

	net_addr_format(a, ip);
	add(b, "add rule inet hull %s meta nfproto %s ", chain, v6 ? "ipv6" : "ipv4");
	if (p->has_host_ip)
		add(b, "%s daddr %s ", f, net_addr_format(&p->host_ip, hip));
	else
		add(b, "fib daddr type local ");
	if (p->host_lo == p->host_hi)
		add(b, "%s dport %u ", proto, p->host_lo);
	else
		add(b, "%s dport %u-%u ", proto, p->host_lo, p->host_hi);
	if (p->host_lo == p->ctr_lo) {
		/* Same ports on both sides: the destination port is kept, so a
		 * range of any length is this one rule. */
		add(b, "dnat %s to %s", f, ip);
	} else if (p->ctr_lo == p->ctr_hi) {
		add(b, v6 ? "dnat %s to [%s]:%u" : "dnat %s to %s:%u", f, ip, p->ctr_lo);
	} else {
		/* Shifted range: one anonymous map, one element per port. */
		add(b, "dnat %s to %s dport map { ", f, proto);
		for (unsigned int i = 0; i <= (unsigned int)(p->host_hi - p->host_lo); i++)
			add(b, "%s%u : %s . %u", i ? ", " : "", p->host_lo + i, ip, p->ctr_lo + i);
		add(b, " }");
	}
	add(b, " comment \"%s\"\n", tag);
}

static int port_rules(const char *netdir, const struct netns_plan *p,
		      const struct net_port *ports, size_t n, const char *id,
		      struct hull_error *err)
{
	char tag[128], ndt[16];
	struct buf b = { 0 };
	int rc;

	if (n == 0)
		return 0;
	netdir_tag(netdir, ndt);
	snprintf(tag, sizeof(tag), "%s:%s %.64s", ndt, p->key, id);
	add(&b, "%s", nft_base);
	for (size_t i = 0; i < n; i++) {
		/* prerouting: from other hosts and from containers (hairpin);
		 * output: from the host itself (127.0.0.1, its addresses). */
		port_rule(&b, "prerouting", &ports[i], &p->addr, tag);
		port_rule(&b, "output", &ports[i], &p->addr, tag);
	}
	if (b.oom) {
		free(b.s);
		return hull_error_set(err, ENOMEM, "nft rules");
	}
	rc = nft_batch(b.s, err);
	free(b.s);
	return rc;
}

/* A NAT network's veth gets the gateway shortcut (gwpath.c): its host
 * end takes the bridge's MAC, so that the frames the shortcut hands to the
 * bridge's receive path are addressed to it (PACKET_HOST, as the bridge
 * would have made them), and the filter matches that MAC.  A port with
 * its bridge's address is fine for the bridge (br_fdb_add_local: "it is
 * okay to have multiple ports with same address").  Returns whether. */
static bool shortcut_wanted(struct nl_sock *sk, const struct net_network *n, int bridge,
			    uint8_t br_mac[6])
{
	return n->mode == NET_NAT && n->has_gateway && bridge > 0 &&
	       link_hwaddr(sk, n->bridge, br_mac) == 0;
}

/* Best effort: without it the container's frames take the bridge, as
 * every other frame does. */
static void gateway_shortcut(struct nl_sock *sk, const struct net_network *n, const char *host_if,
			     int bridge, const uint8_t br_mac[6], const uint8_t ctr_mac[6])
{
	int port = link_ifindex(sk, host_if);

	if (port > 0)
		gwpath_add(sk, port, bridge, br_mac, ctr_mac, &n->gateway);
}

/* Inside the container's namespace: lo and eth0 up, the address, the
 * default route. */
static int configure_peer(int nsfd, const struct netns_plan *p, struct hull_error *err)
{
	struct nl_sock *sk = NULL;
	const struct net_network *n = &p->net;
	unsigned int full = p->addr.family == AF_INET6 ? 128 : 32;
	int idx, rc = -1;

	if (link_sock_in(nsfd, &sk, err) < 0)
		return -1;
	net_trace("attach.peer_sock");
	if ((idx = link_ifindex(sk, "eth0")) <= 0) {
		hull_error_set(err, ENODEV, "eth0 is missing in the container");
		goto out;
	}
	/* lo is ifindex 1 in every network namespace (LOOPBACK_IFINDEX). */
	if (link_up_index(sk, 1, err) < 0 || link_up_index(sk, idx, err) < 0)
		goto out;
	net_trace("attach.peer_up");
	if (p->has_addr &&
	    link_addr_add(sk, idx, &p->addr, n->mode == NET_ROUTED ? full : p->prefix, err) < 0)
		goto out;
	net_trace("attach.peer_addr");
	if (p->has_addr && n->has_gateway && link_route_add(sk, NULL, &n->gateway, idx, err) < 0)
		goto out;
	net_trace("attach.peer_route");
	rc = 0;
out:
	link_sock_free(sk);
	return rc;
}

int netns_attach(const char *netdir, const struct netns_plan *p, pid_t pid,
		 const struct net_port *ports, size_t n_ports, const char *id,
		 struct hull_error *err)
{
	const struct net_network *n = &p->net;
	struct nl_sock *sk = NULL;
	char nspath[64];
	autoclose int nsfd = -1;
	int master = 0, rc = -1;
	uint8_t ctr_mac[6], br_mac[6];
	bool shortcut;

	net_trace_start();
	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net", (int)pid);
	if ((nsfd = open(nspath, O_RDONLY | O_CLOEXEC)) < 0)
		return hull_error_errno(err, "open %s", nspath);
	if (link_sock(&sk, err) < 0)
		return -1;
	net_trace("attach.sock");
	if (find_master(sk, netdir, n, &master, err) < 0)
		goto out;
	net_trace("attach.bridge");
	if (n->mode != NET_BRIDGE && ensure_forwarding(n, err) < 0)
		goto out;
	net_trace("attach.forwarding");
	fault_point("bridge");
	shortcut = shortcut_wanted(sk, n, master, br_mac);
	if (link_veth_create(sk, p->host_if, "eth0", nsfd, master, shortcut ? br_mac : NULL,
			     ctr_mac, err) < 0) {
		bridge_diagnose(sk, n, err);
		goto out;
	}
	net_trace("attach.veth");
	fault_point("veth");
	if (shortcut) {
		gateway_shortcut(sk, n, p->host_if, master, br_mac, ctr_mac);
		net_trace("attach.shortcut");
	}
	if (n->mode == NET_ROUTED) {
		/* The gateway address on the host end (the same on every
		 * routed veth) and a /32 (/128) to the container. */
		struct net_cidr dst = { .addr = p->addr,
					.prefix = p->addr.family == AF_INET6 ? 128 : 32 };
		int idx = link_ifindex(sk, p->host_if);

		if (link_addr_add(sk, idx, &n->gateway, dst.prefix, err) < 0 ||
		    link_route_add(sk, &dst, NULL, idx, err) < 0)
			goto out;
	}
	if (configure_peer(nsfd, p, err) < 0)
		goto out;
	fault_point("peer");
	if (port_rules(netdir, p, ports, n_ports, id, err) < 0)
		goto out;
	net_trace("attach.rules");
	fault_point("rules");
	rc = 0;
out:
	link_sock_free(sk);
	if (rc < 0)
		hull_error_prefix(err, "network %s", n->name);
	return rc;
}
