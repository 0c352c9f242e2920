/* linux.netDevices: host interfaces to move into the container's new
 * network namespace, each optionally renamed (runtime/net_devices.c does
 * the move).  Validated here: the container must have a network namespace
 * of its own, new or joined by path (moving devices into the runtime's own
 * is refused, as runc does), and both names must be valid interface names,
 * unique among the entries. */
#include "oci/spec.h"

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

/* The kernel's dev_valid_name(): 1..IFNAMSIZ-1 bytes, not "." or "..",
 * no '/', ':' or whitespace. */
bool spec_ifname_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= IFNAMSIZ || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *c = name; *c; c++)
		if (*c == '/' || *c == ':' || *c == ' ' || (*c >= '\t' && *c <= '\r'))
			return false;
	return true;
}

int spec_parse_net_devices(const json_node *node, struct spec_linux *l,
			   struct hull_error *err)
{
	const json_node *devs;
	size_t n;
	int r = json_get_object(node, "netDevices", "linux", &devs, err);

	if (r <= 0)
		return r;
	n = json_object_size(devs);
	if (n == 0)
		return 0;
	if (!l->ns[NS_NET].enabled)
		return hull_error_set(err, EINVAL,
				      "linux.netDevices: unable to move network devices without a network namespace");
	l->net_devices = calloc(n, sizeof(*l->net_devices));
	if (l->net_devices == NULL)
		return hull_error_errno(err, "calloc");
	for (size_t i = 0; i < n; i++) {
		const char *host = json_object_key(devs, i);
		const json_node *d = json_object_value(devs, i);
		struct spec_net_device *nd = &l->net_devices[i];
		char where[64];

		snprintf(where, sizeof(where), "linux.netDevices.%.*s", IFNAMSIZ, host);
		if (json_type_of(d) != JSON_OBJECT)
			return json_path_error(err, where, NULL, "expected an object");
		nd->host_name = strdup(host);
		if (nd->host_name == NULL)
			return hull_error_errno(err, "strdup");
		l->n_net_devices = i + 1;
		if (!spec_ifname_valid(host))
			return json_path_error(err, "linux.netDevices", NULL,
					       "\"%s\" is not a valid interface name", host);
		if (json_get_string(d, "name", where, &nd->name, err) < 0)
			return -1;
		if (nd->name == NULL || nd->name[0] == '\0') {
			free(nd->name);
			nd->name = strdup(host);
			if (nd->name == NULL)
				return hull_error_errno(err, "strdup");
		}
		if (!spec_ifname_valid(nd->name))
			return json_path_error(err, where, "name", "\"%s\" is not a valid interface name",
					       nd->name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(l->net_devices[j].name, nd->name) == 0)
				return json_path_error(err, where, "name",
						       "\"%s\" is already the name of another device",
						       nd->name);
	}
	return 0;
}
