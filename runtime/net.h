/* The runtime's side of built-in networking (netns/): which network a
 * container asked for (--net/-p, or the io.hull.net / io.hull.net.ports
 * annotations), and the three points of the lifecycle that touch it.
 * create.c and ops.c call these once each, so the rest of the lifecycle
 * does not know networking exists. */
#ifndef HULL_RUNTIME_NET_H
#define HULL_RUNTIME_NET_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"
#include "netns/netns.h"
#include "oci/spec.h"
#include "runtime/lifecycle.h"
#include "runtime/state.h"

#define HULL_NET_ANNOTATION "io.hull.net"
#define HULL_NET_PORTS_ANNOTATION "io.hull.net.ports"
#define HULL_NET_IP_ANNOTATION "io.hull.net.ip"

struct runtime_net {
	bool active;                /* a veth is to be made (nat/bridge/routed) */
	char *netdir;
	struct net_port *ports;
	size_t n_ports;
	struct netns_plan plan;
};

/* Before the clone (work before fork): resolves the request, edits the
 * parsed spec (host: no new netns; others: a new one, plus bind mounts of
 * the generated /etc/hosts, /etc/hostname, /etc/resolv.conf from the
 * state dir), leases the address and records the attachment.  Validation
 * errors come before any change. */
int runtime_net_prepare(const struct create_opts *o, struct spec *s, struct container *c,
			bool vm, struct runtime_net *n, struct hull_error *err);
/* After the clone: plumbs the container's namespace (that of pid). */
int runtime_net_attach(struct runtime_net *n, const char *id, pid_t pid,
		       struct hull_error *err);
/* Failed create: undoes whatever prepare/attach made; frees n. */
void runtime_net_undo(struct runtime_net *n);
void runtime_net_release(struct runtime_net *n);
/* delete: undoes a container's attachment (if it has one), from the
 * net.json its state dir holds. */
int runtime_net_teardown(struct container *c, struct hull_error *err);

#endif
