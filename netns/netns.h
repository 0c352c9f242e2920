/* Hull's built-in container networking (issue 9).
 *
 * A mechanism: it takes plain values (a state directory, a container's
 * key and pid) and never calls runtime/.  Links, addresses and routes go
 * through libnl-route-3; NAT and published ports through libnftables
 * (dlopen'ed, netns/nft.c) into one private `inet hull` table, one atomic
 * batch per change, each rule's comment naming its owner.
 *
 * State lives in a network directory (default /var/lib/hull/net, or
 * $HULL_NET_DIR), all changed under one flock:
 *   networks/<name>.json   network definitions (`hull network create`)
 *   leases/<name>          IPAM leases, "<address> <key>" per line
 *   attach/<key>.json      per container: what was (or is about to be) made
 * A record is written BEFORE anything is made and removed AFTER all of it
 * is undone, so a Hull killed at any point leaves a record that `delete`,
 * or a reconcile pass, can finish from.  Every step of the undo tolerates
 * objects that are already gone. */
#ifndef HULL_NETNS_H
#define HULL_NETNS_H

#ifndef IFNAMSIZ
#define IFNAMSIZ 16
#endif
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"
#include "netns/addr.h"

#define NETNS_DEFAULT_DIR "/var/lib/hull/net"
#define NETNS_DEFAULT_NETWORK "hull"
#define NETNS_KEY_LEN 10            /* hex digits of a container's key */
#define NETNS_NAME_MAX 32

enum net_mode { NET_NONE, NET_HOST, NET_NAT, NET_BRIDGE, NET_ROUTED };

const char *net_mode_name(enum net_mode m);
int net_mode_parse(const char *s, enum net_mode *out);

struct net_network {
	char name[NETNS_NAME_MAX];
	enum net_mode mode;         /* NAT, BRIDGE or ROUTED */
	bool has_subnet;
	struct net_cidr subnet;
	bool has_gateway;
	struct net_addr gateway;
	char bridge[IFNAMSIZ];      /* NAT: Hull's bridge; BRIDGE: the admin's */
};

/* --- network definitions (`hull network`) --- */
/* Fills defaults (gateway = first address, bridge name), validates
 * (malformed values, overlapping subnets, a missing admin bridge, a name
 * taken) and only then saves. */
int netns_network_create(const char *netdir, struct net_network *n,
			 struct hull_error *err);
int netns_network_get(const char *netdir, const char *name,
		      struct net_network *out, struct hull_error *err);
int netns_network_list(const char *netdir, struct net_network **out, size_t *n,
		       struct hull_error *err);
/* Refuses while containers use it; removes its rules and (NAT) bridge. */
int netns_network_remove(const char *netdir, const char *name,
			 struct hull_error *err);
/* `hull network inspect`: the definition, leases and attachments (JSON). */
int netns_network_inspect(const char *netdir, const char *name, char **json,
			  struct hull_error *err);

/* --- a container's attachment --- */
struct netns_request {
	const char *id;             /* container id, for rule comments */
	const char *key;            /* NETNS_KEY_LEN hex digits, unique per container */
	const char *owner_dir;      /* the container's state dir: while it
	                             * exists, the attachment is live */
	enum net_mode mode;         /* NAT, BRIDGE or ROUTED */
	const char *network;        /* NULL: the default NAT network */
	const struct net_port *ports;
	size_t n_ports;
	/* A static address (--ip) instead of IPAM's pick: inside the
	 * network's subnet, or with its own prefix on a bridge network
	 * without one.  Leased like a picked one, so a second container
	 * asking for it is refused. */
	bool has_ip;
	struct net_addr ip;
	unsigned int ip_prefix;     /* 0: the subnet's */
};

/* What netns_prepare decided: enough to write /etc/hosts before the
 * container exists, and everything netns_attach needs. */
struct netns_plan {
	char key[NETNS_KEY_LEN + 1];
	struct net_network net;
	bool has_addr;
	struct net_addr addr;
	unsigned int prefix;        /* addr's prefix length on the link */
	char host_if[IFNAMSIZ];
};

/* The key of a container: a hash of its state dir (unique per root + id). */
void netns_key(const char *owner_dir, char out[NETNS_KEY_LEN + 1]);

/* Before the container exists: reconciles stale attachments, validates
 * the request (network, mode, ports not already published), leases an
 * address and writes the record.  Nothing else on the host changes. */
int netns_prepare(const char *netdir, const struct netns_request *r,
		  struct netns_plan *out, struct hull_error *err);
/* After the container's first process exists (its netns is that of pid):
 * the bridge if needed, the veth with its peer created straight in the
 * container's netns, addresses, routes, rules. */
int netns_attach(const char *netdir, const struct netns_plan *p, pid_t pid,
		 const struct net_port *ports, size_t n_ports, const char *id,
		 struct hull_error *err);
/* Undoes an attachment in reverse order from its record (rules, links,
 * lease, record).  A key with no record is not an error.  On return the
 * container's veth is unlisted (no link, bridge port, address or route);
 * the kernel's release of its memory is left to a helper process
 * (link_remove.c). */
int netns_detach(const char *netdir, const char *key, struct hull_error *err);
/* Detaches every record whose owner dir is gone; with sweep, also deletes
 * rules tagged with a key that has no record.  *removed counts them. */
int netns_reconcile(const char *netdir, bool sweep, size_t *removed,
		    struct hull_error *err);

#endif
