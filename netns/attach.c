/* A container's attachment: prepare (before the clone), attach (after
 * it), detach (reverse order, from the record), reconcile. */
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
#include "netns/ipam.h"
#include "netns/trace.h"

static int lease_release(const char *netdir, const char *network, const char *key,
			 struct hull_error *err)
{
	autofree char *dir = netdir_path(netdir, "leases", network, NULL);

	if (dir == NULL)
		return hull_error_errno(err, "asprintf");
	return ipam_release(dir, key, NULL, err);
}

int detach_locked(const char *netdir, const char *key, struct hull_error *err)
{
	struct netns_record r;
	char tag[32], ndt[16];
	autofree char *path = netdir_path(netdir, "attach", key, ".json");
	int rc;

	if ((rc = record_load(netdir, key, &r, err)) != 0)
		return rc > 0 ? 0 : -1;
	net_trace("detach.record_load");
	netdir_tag(netdir, ndt);
	snprintf(tag, sizeof(tag), "%s:%s", ndt, key);
	/* Reverse of attach: first the rules (no new traffic is steered to
	 * an address that is about to go), then the link (its routes and
	 * the peer go with it), then the lease (the address may be reused
	 * only once nothing points at it), the record last. */
	rc = -1;
	/* Only published ports make per-container rules (an attachment
	 * without them costs no nftables round trip at all). */
	if (r.n_ports && nft_delete_tagged(tag, NULL, NULL, NULL, NULL, err) < 0)
		goto out;
	net_trace("detach.rules");
	if (link_remove(r.host_if, err) < 0)
		goto out;
	net_trace("detach.link");
	if (r.has_addr && lease_release(netdir, r.net.name, key, err) < 0)
		goto out;
	net_trace("detach.lease");
	if (path == NULL || (unlink(path) < 0 && errno != ENOENT)) {
		hull_error_errno(err, "unlink %s", path ? path : key);
		goto out;
	}
	net_trace("detach.unlink");
	rc = 0;
out:
	record_free(&r);
	if (rc < 0)
		hull_error_prefix(err, "detaching container %s from network %s", r.id, r.net.name);
	return rc;
}

static bool has_record(const char *key, void *netdir)
{
	autofree char *rec = netdir_path(netdir, "attach", key, ".json");

	return rec == NULL || access(rec, F_OK) == 0;
}

/* Leases whose key has no record (Hull killed between the two writes). */
static int drop_orphan_leases(const char *netdir, size_t *removed, struct hull_error *err)
{
	autofree struct net_network *nets = NULL;
	size_t nn = 0;

	if (network_list_locked(netdir, &nets, &nn, err) < 0)
		return -1;
	for (size_t i = 0; i < nn; i++) {
		autofree char *dir = netdir_path(netdir, "leases", nets[i].name, NULL);

		if (dir == NULL || ipam_prune(dir, has_record, (void *)netdir, removed, err) < 0)
			return -1;
	}
	return 0;
}

static int reconcile_locked(const char *netdir, size_t *removed, struct hull_error *err)
{
	char **keys = NULL;
	int rc = 0;

	if (record_list(netdir, &keys, err) < 0)
		return -1;
	for (size_t i = 0; keys[i] && rc == 0; i++) {
		struct netns_record r;
		int lr = record_load(netdir, keys[i], &r, err);

		if (lr < 0) {
			rc = -1;
			break;
		}
		if (lr == 0) {
			bool alive = record_owner_alive(r.owner_dir);

			record_free(&r);
			if (!alive) {
				rc = detach_locked(netdir, keys[i], err);
				(*removed)++;
			}
		}
	}
	strv_free(keys);
	return rc;
}

struct sweep_arg {
	const char *netdir;
};

/* A rule is stale when its owner is a container key with no record, or a
 * network that no longer exists. */
static bool rule_stale(const char *owner, void *p)
{
	struct sweep_arg *a = p;
	autofree char *path = NULL;

	if (strncmp(owner, "net:", 4) == 0)
		path = netdir_path(a->netdir, "networks", owner + 4, ".json");
	else
		path = netdir_path(a->netdir, "attach", owner, ".json");
	return path && access(path, F_OK) < 0;
}

int netns_reconcile(const char *netdir, bool sweep, size_t *removed, struct hull_error *err)
{
	autoclose int lock = netdir_lock(netdir, err);
	struct sweep_arg a = { netdir };
	char prefix[24], ndt[16];

	*removed = 0;
	if (lock < 0 || reconcile_locked(netdir, removed, err) < 0 ||
	    drop_orphan_leases(netdir, removed, err) < 0)
		return -1;
	if (!sweep)
		return 0;
	netdir_tag(netdir, ndt);
	snprintf(prefix, sizeof(prefix), "%s:", ndt);
	return nft_delete_tagged(NULL, prefix, rule_stale, &a, removed, err);
}

int netns_detach(const char *netdir, const char *key, struct hull_error *err)
{
	autoclose int lock = -1;

	net_trace_start();
	if ((lock = netdir_lock(netdir, err)) < 0)
		return -1;
	net_trace("detach.lock");
	return detach_locked(netdir, key, err);
}

static int check_ports(const char *netdir, const struct netns_request *r,
		       const struct net_network *net, struct hull_error *err)
{
	char **keys = NULL, a[128], b[128];
	int rc = 0;

	if (r->n_ports && net->mode != NET_NAT)
		return hull_error_set(err, EINVAL, "published ports need mode nat (network %s is %s)",
				      net->name, net_mode_name(net->mode));
	for (size_t i = 0; i < r->n_ports; i++) {
		const struct net_port *p = &r->ports[i];

		if (p->has_host_ip && p->host_ip.family != net->subnet.addr.family)
			return hull_error_set(err, EINVAL, "port %s: host address family differs from network %s's",
					      net_port_format(p, a, sizeof(a)), net->name);
		/* IPv6 has no route_localnet: ::1 can never be DNAT'ed out of
		 * the host, so refuse it rather than publish a dead port. */
		if (p->has_host_ip && p->host_ip.family == AF_INET6 &&
		    memcmp(p->host_ip.b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0)
			return hull_error_set(err, EINVAL, "port %s: ::1 cannot be published to a container (IPv6 has no route_localnet); use one of the host's addresses",
					      net_port_format(p, a, sizeof(a)));
		for (size_t j = 0; j < i; j++)
			if (net_port_conflict(p, &r->ports[j]))
				return hull_error_set(err, EEXIST, "port %s overlaps port %s",
						      net_port_format(p, a, sizeof(a)),
						      net_port_format(&r->ports[j], b, sizeof(b)));
	}
	if (r->n_ports == 0)
		return 0;
	if (record_list(netdir, &keys, err) < 0)
		return -1;
	for (size_t k = 0; keys[k] && rc == 0; k++) {
		struct netns_record rec;

		if (record_load(netdir, keys[k], &rec, err) != 0) {
			hull_error_clear(err);
			continue;
		}
		for (size_t i = 0; i < r->n_ports && rc == 0; i++)
			for (size_t j = 0; j < rec.n_ports && rc == 0; j++)
				if (net_port_conflict(&r->ports[i], &rec.ports[j]))
					rc = hull_error_set(err, EADDRINUSE,
							    "port %s: already published by container %s (%s)",
							    net_port_format(&r->ports[i], a, sizeof(a)), rec.id,
							    net_port_format(&rec.ports[j], b, sizeof(b)));
		record_free(&rec);
	}
	strv_free(keys);
	return rc;
}

/* A static address: on the network's link, not one of its reserved
 * addresses, and not leased to another container. */
static int check_static(const char *netdir, const struct netns_request *r,
			const struct net_network *net, const struct ipam_lease *leases,
			size_t n, struct hull_error *err)
{
	char a[NET_ADDR_STRLEN], s[NET_ADDR_STRLEN + 8];
	struct net_addr first, last;

	net_addr_format(&r->ip, a);
	if (net->mode == NET_ROUTED && r->ip_prefix)
		return hull_error_set(err, EINVAL, "--ip %s/%u: a routed container's address is a /%u; give the address alone",
				      a, r->ip_prefix, r->ip.family == AF_INET6 ? 128 : 32);
	if (!net->has_subnet) {
		if (r->ip_prefix == 0)
			return hull_error_set(err, EINVAL, "--ip %s: network %s has no subnet; give the prefix length too (ADDR/PREFIX)",
					      a, net->name);
	} else {
		net_cidr_format(&net->subnet, s, sizeof(s));
		if (!net_cidr_contains(&net->subnet, &r->ip))
			return hull_error_set(err, EINVAL, "--ip %s: not inside network %s's subnet %s", a, net->name, s);
		if (r->ip_prefix && r->ip_prefix != net->subnet.prefix)
			return hull_error_set(err, EINVAL, "--ip %s/%u: network %s's subnet is %s", a, r->ip_prefix,
					      net->name, s);
		net_cidr_nth(&net->subnet, 0, &first);
		/* The last address of a v4 subnet is its broadcast address. */
		if (net_cidr_host_bits(&net->subnet) < 64)
			net_cidr_nth(&net->subnet, (UINT64_C(1) << net_cidr_host_bits(&net->subnet)) - 1, &last);
		if (net_addr_equal(&r->ip, &first) || (net->has_gateway && net_addr_equal(&r->ip, &net->gateway)) ||
		    (r->ip.family == AF_INET && net_cidr_host_bits(&net->subnet) < 64 &&
		     net_addr_equal(&r->ip, &last)))
			return hull_error_set(err, EINVAL, "--ip %s: the subnet's own, gateway or broadcast address", a);
	}
	for (size_t i = 0; i < n; i++)
		if (net_addr_equal(&leases[i].addr, &r->ip)) {
			struct netns_record rec;
			char id[300] = "another container";

			if (record_load(netdir, leases[i].key, &rec, err) == 0) {
				snprintf(id, sizeof(id), "container %s", rec.id);
				record_free(&rec);
			}
			hull_error_clear(err);
			return hull_error_set(err, EADDRINUSE, "--ip %s: already used by %s on network %s",
					      a, id, net->name);
		}
	return 0;
}

int netns_prepare(const char *netdir, const struct netns_request *r,
		  struct netns_plan *out, struct hull_error *err)
{
	autoclose int lock = -1;
	struct netns_record rec;
	autofree char *lpath = NULL;
	autofree struct ipam_lease *leases = NULL;
	size_t n = 0, removed = 0;

	memset(out, 0, sizeof(*out));
	memset(&rec, 0, sizeof(rec));
	net_trace_start();
	if ((lock = netdir_lock(netdir, err)) < 0)
		return -1;
	net_trace("prepare.lock");
	/* Stale attachments first (Hull killed, host rebooted): their ports
	 * and addresses must not block this container. */
	if (reconcile_locked(netdir, &removed, err) < 0)
		return -1;
	net_trace("prepare.reconcile");
	if (r->network == NULL && r->mode == NET_NAT) {
		if (network_default_locked(netdir, &out->net, err) < 0)
			return -1;
	} else if (r->network == NULL) {
		return hull_error_set(err, EINVAL, "--net %s needs a network name (%s:NETWORK)",
				      net_mode_name(r->mode), net_mode_name(r->mode));
	} else if (network_load_locked(netdir, r->network, &out->net, err) < 0) {
		return -1;
	}
	if (out->net.mode != r->mode)
		return hull_error_set(err, EINVAL, "--net %s:%s: network %s is a %s network",
				      net_mode_name(r->mode), out->net.name, out->net.name,
				      net_mode_name(out->net.mode));
	net_trace("prepare.network");
	if (check_ports(netdir, r, &out->net, err) < 0)
		return -1;
	net_trace("prepare.ports");
	snprintf(out->key, sizeof(out->key), "%s", r->key);
	snprintf(out->host_if, sizeof(out->host_if), "hv%s", r->key);
	if (out->net.has_subnet || r->has_ip) {
		if ((lpath = netdir_path(netdir, "leases", out->net.name, NULL)) == NULL)
			return hull_error_errno(err, "asprintf");
		if (ipam_read(lpath, &leases, &n, err) < 0)
			return hull_error_prefix(err, "network %s", out->net.name);
		if (r->has_ip) {
			if (check_static(netdir, r, &out->net, leases, n, err) < 0)
				return -1;
			out->addr = r->ip;
			out->prefix = r->ip_prefix ? r->ip_prefix : out->net.subnet.prefix;
		} else if (ipam_pick(&out->net.subnet, out->net.has_gateway ? &out->net.gateway : NULL,
				     leases, n, &out->addr, err) < 0) {
			return hull_error_prefix(err, "network %s", out->net.name);
		} else {
			out->prefix = out->net.subnet.prefix;
		}
		out->has_addr = true;
	}
	net_trace("prepare.ipam");
	/* The record goes first: from here on, whatever exists can be found. */
	snprintf(rec.key, sizeof(rec.key), "%s", r->key);
	snprintf(rec.id, sizeof(rec.id), "%s", r->id);
	snprintf(rec.owner_dir, sizeof(rec.owner_dir), "%s", r->owner_dir);
	snprintf(rec.host_if, sizeof(rec.host_if), "%s", out->host_if);
	rec.net = out->net;
	rec.has_addr = out->has_addr;
	rec.addr = out->addr;
	rec.ports = (struct net_port *)r->ports;
	rec.n_ports = r->n_ports;
	if (record_save(netdir, &rec, err) < 0)
		return -1;
	net_trace("prepare.record");
	if (out->has_addr) {
		struct ipam_lease nl = { .addr = out->addr };

		snprintf(nl.key, sizeof(nl.key), "%s", r->key);
		if (ipam_add(lpath, &nl, err) < 0)
			return -1;
	}
	net_trace("prepare.lease");
	if (getenv("HULL_NET_FAULT") && strcmp(getenv("HULL_NET_FAULT"), "prepared") == 0)
		kill(getpid(), SIGKILL);     /* fault injection, see plumb.c */
	return 0;
}
