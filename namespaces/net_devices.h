/* linux.netDevices: moving host interfaces into a container's network
 * namespace (runtime-spec 1.3), with libnl-route-3. */
#ifndef HULL_NET_DEVICES_H
#define HULL_NET_DEVICES_H

#include <stddef.h>

#include "base/error.h"
#include "oci/spec.h"

/* Moves each devs[i].host_name from the caller's network namespace into
 * the one `netns_fd` refers to, renamed to devs[i].name in the same
 * request (the kernel does both at once, so no other name is ever seen in
 * either namespace).  As runc does, the device keeps its addresses (the
 * kernel drops them on a move: they are read before and added again
 * inside) and is brought up again if it was up.  All devices are looked up
 * first: a missing one fails before anything moved.  The caller is the
 * parent, after the clone and before the child goes on, so the devices
 * are there for hooks and the process.
 *
 * Nothing moves them back: like runc, Hull leaves that to the kernel.  When
 * a container's own namespace dies (on delete, or a failed create) the
 * kernel returns physical devices to the initial network namespace and
 * destroys virtual ones (veth, dummy, macvlan...); in a namespace joined by
 * path they stay there. */
int net_devices_move(int netns_fd, const struct spec_net_device *devs, size_t n,
		     struct hull_error *err);

#endif
