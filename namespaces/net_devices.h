/* linux.netDevices: moving host interfaces into a container's network
 * namespace (runtime-spec 1.3), with libnl-route-3. */
#ifndef HULL_NET_DEVICES_H
#define HULL_NET_DEVICES_H

#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"
#include "oci/spec.h"

/* Moves each devs[i].host_name from the caller's network namespace into
 * the network namespace of `pid`, renamed to devs[i].name in the same
 * request (the kernel does both at once, so no other name is ever seen in
 * either namespace).  All devices are looked up first: a missing one fails
 * before anything moved.  Called by the parent after the clone, before
 * the child goes on, so the devices are there for hooks and the process.
 *
 * Nothing moves them back: like runc, Hull leaves that to the kernel, which
 * returns physical devices to the initial network namespace when the
 * container's namespace dies (on delete, or a failed create) and destroys
 * virtual ones (veth, dummy, macvlan...). */
int net_devices_move(pid_t pid, const struct spec_net_device *devs, size_t n,
		     struct hull_error *err);

#endif
