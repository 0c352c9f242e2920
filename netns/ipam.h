/* Address management: which address a new container gets.  The choice is
 * a pure function of the subnet, the gateway and the leases (unit-tested
 * in tests/unit/test_netns_ipam.c); the leases live in one text file per
 * network, "<address> <key>" a line, read and rewritten under the network
 * state lock (netns/netdir.c). */
#ifndef HULL_NETNS_IPAM_H
#define HULL_NETNS_IPAM_H

#include <stddef.h>

#include "base/error.h"
#include "netns/addr.h"

#define IPAM_KEY_MAX 32

struct ipam_lease {
	struct net_addr addr;
	char key[IPAM_KEY_MAX];     /* the container's network key */
};

/* The lowest address of subnet that is not the network address, not the
 * IPv4 broadcast address, not gw (may be NULL) and not leased.  An
 * exhausted subnet is an error naming it. */
int ipam_pick(const struct net_cidr *subnet, const struct net_addr *gw,
	      const struct ipam_lease *leases, size_t n, struct net_addr *out,
	      struct hull_error *err);

/* Parses a lease file's text (tolerates a missing trailing newline; bad
 * lines are errors naming the line). */
int ipam_parse(const char *text, struct ipam_lease **out, size_t *n,
	       struct hull_error *err);
/* The text of a lease file (caller frees). */
char *ipam_format(const struct ipam_lease *l, size_t n);

int ipam_read(const char *path, struct ipam_lease **out, size_t *n,
	      struct hull_error *err);
int ipam_write(const char *path, const struct ipam_lease *l, size_t n,
	       struct hull_error *err);

#endif
