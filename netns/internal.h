/* netns/ internals shared by its files; nothing outside netns/ includes it. */
#ifndef HULL_NETNS_INTERNAL_H
#define HULL_NETNS_INTERNAL_H

#include <stdint.h>

#include "base/json.h"
#include "netns/netns.h"

/* --- netdir.c: the state directory and its lock --- */
/* Creates the directory tree and takes the lock (flock, blocking);
 * returns the lock fd.  Close it to unlock. */
int netdir_lock(const char *netdir, struct hull_error *err);
/* "<netdir>/<sub>/<name><ext>" into a heap string. */
char *netdir_path(const char *netdir, const char *sub, const char *name, const char *ext);
/* The tag prefix of this netdir's rules: a short hash of the directory,
 * so test suites with private netdirs never reconcile each other's rules. */
void netdir_tag(const char *netdir, char out[16]);

/* --- network.c --- */
int network_load_locked(const char *netdir, const char *name, struct net_network *out,
			struct hull_error *err);
/* The default NAT network, created on first use. */
int network_default_locked(const char *netdir, struct net_network *out,
			   struct hull_error *err);
void network_gen(json_gen *g, const struct net_network *n);
int network_list_locked(const char *netdir, struct net_network **out, size_t *n,
			struct hull_error *err);

/* --- record.c: attach/<key>.json --- */
struct netns_record {
	char key[NETNS_KEY_LEN + 1];
	char id[256];
	char owner_dir[4096];
	struct net_network net;
	bool has_addr;
	struct net_addr addr;
	char host_if[IFNAMSIZ];
	struct net_port *ports;
	size_t n_ports;
};
int record_save(const char *netdir, const struct netns_record *r, struct hull_error *err);
int record_load(const char *netdir, const char *key, struct netns_record *r,
		struct hull_error *err);   /* 0, 1 = absent, -1 */
void record_free(struct netns_record *r);
int record_list(const char *netdir, char ***keys, struct hull_error *err);
/* Whether the container a record belongs to still exists. */
bool record_owner_alive(const char *owner_dir);
/* With the lock held: undo everything of one record. */
int detach_locked(const char *netdir, const char *key, struct hull_error *err);

/* --- link.c: libnl-route --- */
struct nl_sock;
int link_sock(struct nl_sock **out, struct hull_error *err);
/* A netlink socket inside the network namespace nsfd (the socket keeps
 * the namespace it was made in; the caller's thread enters it for the
 * socket() call alone). */
int link_sock_in(int nsfd, struct nl_sock **out, struct hull_error *err);
void link_sock_free(struct nl_sock *sk);
int link_index(struct nl_sock *sk, const char *name, bool *is_bridge);   /* 0 = absent */
/* The ifindex of name in sk's namespace (0: absent), without a dump. */
int link_ifindex(struct nl_sock *sk, const char *name);
int link_up_index(struct nl_sock *sk, int ifindex, struct hull_error *err);
/* A bridge with a MAC of its own (random, locally administered), so that
 * its address never follows its ports' (the gateway shortcut matches it). */
int link_bridge_create(struct nl_sock *sk, const char *name, struct hull_error *err);
/* The pair, up, the host end in master (if > 0) with host_mac (NULL: the
 * kernel's choice), the peer in peer_nsfd with peer_mac (a random locally
 * administered one, filled in here). */
int link_veth_create(struct nl_sock *sk, const char *host_if, const char *peer,
		     int peer_nsfd, int master, const uint8_t *host_mac, uint8_t peer_mac[6],
		     struct hull_error *err);
/* name's MAC, without a dump (SIOCGIFHWADDR); -1 when absent. */
int link_hwaddr(struct nl_sock *sk, const char *name, uint8_t mac[6]);

/* --- gwpath.c: the gateway shortcut of a NAT network's veth --- */
/* Frames from the container to its gateway go straight to the bridge's
 * receive path; the container's MAC gets a static bridge table entry.
 * -1 (nothing to undo beyond the veth) when the kernel cannot. */
int gwpath_add(struct nl_sock *sk, int port, int bridge, const uint8_t br_mac[6],
	       const uint8_t ctr_mac[6], const struct net_addr *gw);
int link_up(struct nl_sock *sk, const char *name, int master_ifindex,
	    struct hull_error *err);
int link_delete(struct nl_sock *sk, const char *name, struct hull_error *err);
/* A container's veth (link_remove.c): returns once the kernel has unlisted
 * it (no link, bridge port, address or route left), leaving the wait for
 * its memory's release to a short-lived helper process. */
int link_remove(const char *name, struct hull_error *err);
int link_addr_add(struct nl_sock *sk, int ifindex, const struct net_addr *a,
		  unsigned int prefix, struct hull_error *err);
/* dst NULL: the default route of gw's family.  gw NULL: a link route. */
int link_route_add(struct nl_sock *sk, const struct net_cidr *dst, const struct net_addr *gw,
		   int ifindex, struct hull_error *err);

/* --- nft.c: libnftables --- */
/* Runs one batch of nft commands atomically. */
int nft_batch(const char *cmds, struct hull_error *err);
/* The table and its base chains (idempotent commands, to prefix batches). */
extern const char nft_base[];
/* Deletes, in one batch, every rule of the table whose comment's first
 * word is exactly `tag`, or (tag NULL) starts with `prefix` and names an
 * owner for which stale(owner, arg) is true. */
int nft_delete_tagged(const char *tag, const char *prefix,
		      bool (*stale)(const char *owner, void *arg), void *arg,
		      size_t *deleted, struct hull_error *err);

/* --- sysctl --- */
int netns_sysctl(const char *path, const char *value, struct hull_error *err);

#endif
