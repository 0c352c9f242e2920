#include "namespaces/net_devices.h"

#include <errno.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>
#include <stdlib.h>

static void sock_freep(struct nl_sock **s)
{
	if (*s)
		nl_socket_free(*s);
}

static void links_free(struct rtnl_link **links, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (links[i])
			rtnl_link_put(links[i]);
	free(links);
}

/* libnl's errors are its own numbers; this keeps the message readable. */
static int nl_fail(struct hull_error *err, int nlerr, const char *what, const char *dev)
{
	int code = nlerr == -NLE_OBJ_NOTFOUND || nlerr == -NLE_NODEV ? ENODEV :
		   nlerr == -NLE_PERM ? EPERM : nlerr == -NLE_EXIST ? EEXIST : EIO;

	return hull_error_set(err, code, "linux.netDevices.%s: %s: %s", dev, what,
			      nl_geterror(nlerr));
}

int net_devices_move(pid_t pid, const struct spec_net_device *devs, size_t n,
		     struct hull_error *err)
{
	struct nl_sock *sk __attribute__((cleanup(sock_freep))) = NULL;
	struct rtnl_link **links;
	int r, rc = -1;

	if (n == 0)
		return 0;
	sk = nl_socket_alloc();
	if (sk == NULL)
		return hull_error_set(err, ENOMEM, "linux.netDevices: nl_socket_alloc");
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0)
		return hull_error_set(err, EIO, "linux.netDevices: netlink: %s", nl_geterror(r));
	links = calloc(n, sizeof(*links));
	if (links == NULL)
		return hull_error_errno(err, "calloc");
	/* Look every device up before moving any: a typo must not leave the
	 * first devices in a namespace that is about to be torn down (which
	 * would destroy a virtual one). */
	for (size_t i = 0; i < n; i++) {
		r = rtnl_link_get_kernel(sk, 0, devs[i].host_name, &links[i]);
		if (r < 0) {
			nl_fail(err, r, "no such interface on the host", devs[i].host_name);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct rtnl_link *change = rtnl_link_alloc();

		if (change == NULL) {
			hull_error_set(err, ENOMEM, "rtnl_link_alloc");
			goto out;
		}
		/* IFLA_NET_NS_PID and IFLA_IFNAME in one RTM_NEWLINK: the
		 * kernel moves and renames at once (dev_change_net_namespace
		 * with the new name), so a clash with a name inside fails
		 * the move instead of leaving a half-done device. */
		rtnl_link_set_ns_pid(change, pid);
		rtnl_link_set_name(change, devs[i].name);
		r = rtnl_link_change(sk, links[i], change, 0);
		rtnl_link_put(change);
		if (r < 0) {
			nl_fail(err, r, "moving into the container's network namespace",
				devs[i].host_name);
			goto out;
		}
	}
	rc = 0;
out:
	links_free(links, n);
	return rc;
}
