/* A microVM's view of a container's network namespace (kata's "tcfilter"
 * model): a tap in the namespace, joined to the namespace's interface by
 * two tc redirects, so whatever made the namespace's network (Hull's
 * --net, podman's netavark, a CNI plugin) reaches the guest unchanged.
 * The guest takes over the interface's MAC, addresses and default route;
 * the namespace's own stack never sees a frame again.
 *
 * A mechanism: it works in the calling thread's network namespace (the
 * VM monitor, before its jail) and takes plain values. */
#ifndef HULL_NETNS_VMTAP_H
#define HULL_NETNS_VMTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "netns/addr.h"

#define VMTAP_NAME "tap0"
#define VMTAP_MAX_ADDRS 8

struct vmtap_link {
	char ifname[16];            /* the namespace's interface */
	uint8_t mac[6];
	unsigned int mtu;
	size_t n_addrs;
	struct net_cidr addrs[VMTAP_MAX_ADDRS];   /* addr: the host's own address
						     (not the network) */
	bool has_gateway;           /* IPv4 default route's gateway */
	struct net_addr gateway;
};

/* Find the interface the guest should be (the one of the IPv4 default
 * route, else the only non-loopback one with an address).  Returns 1 and
 * fills *out, 0 when the namespace has none (the guest gets no NIC). */
int vmtap_find(struct vmtap_link *out, struct hull_error *err);

/* Create VMTAP_NAME (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, non-blocking),
 * give it l's MTU, bring it up, and redirect each one's ingress to the
 * other's egress.  Returns the tap fd (the tap lives as long as it), or -1
 * with everything made so far undone. */
int vmtap_open(const struct vmtap_link *l, struct hull_error *err);

/* Remove the ingress qdisc (and so the redirect) from `ifname` in the
 * network namespace nsfd.  Gone already is not an error. */
int vmtap_undo(int nsfd, const char *ifname, struct hull_error *err);

/* The guest's kernel command line: " hull.ip=A/P ... hull.gw=G" (IPv4
 * only; the agent applies them, vmm/guest/agent_net.c; the MAC and MTU go
 * in the virtio-net device's config). */
int vmtap_cmdline(const struct vmtap_link *l, char *buf, size_t n);

#endif
