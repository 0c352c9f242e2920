/* Address management: which address a new container gets.  The choice is
 * a pure function of the subnet, the gateway and the leases (unit-tested
 * in tests/unit/test_netns_ipam.c).  A network's leases are a directory
 * holding one symlink per leased address, "<address>" -> "<key>": taking
 * a lease is one symlink() (exclusive by nature), giving it back one
 * unlink(), and no file is ever rewritten in place (a rename over an
 * existing file costs a journal flush on ext4: milliseconds per container). */
#ifndef HULL_NETNS_IPAM_H
#define HULL_NETNS_IPAM_H

#include <stdbool.h>
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

/* The leases in dir (a missing dir has none). */
int ipam_read(const char *dir, struct ipam_lease **out, size_t *n,
	      struct hull_error *err);
/* Takes l->addr for l->key; EEXIST if it is taken. */
int ipam_add(const char *dir, const struct ipam_lease *l, struct hull_error *err);
/* Gives back every lease of key; *released counts them (may be NULL). */
int ipam_release(const char *dir, const char *key, size_t *released,
		 struct hull_error *err);
/* Gives back every lease whose key keep() rejects. */
int ipam_prune(const char *dir, bool (*keep)(const char *key, void *arg), void *arg,
	       size_t *released, struct hull_error *err);

#endif
