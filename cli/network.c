/* `hull network create|ls|inspect|rm|reconcile`: Hull's named networks
 * (netns/netns.h).  The state dir is $HULL_NET_DIR or /var/lib/hull/net. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "netns/netns.h"

static const char *net_dir(void)
{
	const char *d = getenv("HULL_NET_DIR");

	return d && *d ? d : NETNS_DEFAULT_DIR;
}

static int net_create(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "subnet", required_argument, NULL, 's' },
		{ "gateway", required_argument, NULL, 'g' },
		{ "bridge", required_argument, NULL, 'b' },
		{ "mode", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct net_network n = { .mode = NET_NAT };
	struct hull_error err = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (net_cidr_parse(optarg, &n.subnet, &err) < 0) {
				hull_error_prefix(&err, "--subnet");
				return cli_fail(g, &err);
			}
			n.has_subnet = true;
			break;
		case 'g':
			if (net_addr_parse(optarg, &n.gateway, &err) < 0) {
				hull_error_prefix(&err, "--gateway");
				return cli_fail(g, &err);
			}
			n.has_gateway = true;
			break;
		case 'b':
			if (strlen(optarg) >= sizeof(n.bridge) || !*optarg)
				return cli_usage_error(g, "network", "--bridge: \"%s\" is not an interface name", optarg);
			strcpy(n.bridge, optarg);
			break;
		case 'm':
			if (net_mode_parse(optarg, &n.mode) < 0)
				return cli_usage_error(g, "network", "--mode: \"%s\" is not nat, bridge or routed", optarg);
			break;
		default:
			return cli_usage_error(g, "network", "invalid flags");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(g, "network", "create takes one network name");
	snprintf(n.name, sizeof(n.name), "%s", argv[optind]);
	if (strlen(argv[optind]) >= sizeof(n.name))
		return cli_usage_error(g, "network", "network name is too long");
	if (netns_network_create(net_dir(), &n, &err) < 0)
		return cli_fail(g, &err);
	return 0;
}

static int net_ls(struct cli_global *g)
{
	struct hull_error err = { 0 };
	struct net_network *v = NULL;
	size_t n = 0;
	char s[NET_ADDR_STRLEN + 8], gw[NET_ADDR_STRLEN];

	if (netns_network_list(net_dir(), &v, &n, &err) < 0)
		return cli_fail(g, &err);
	printf("%-20s %-7s %-20s %-16s %s\n", "NAME", "MODE", "SUBNET", "GATEWAY", "BRIDGE");
	for (size_t i = 0; i < n; i++)
		printf("%-20s %-7s %-20s %-16s %s\n", v[i].name, net_mode_name(v[i].mode),
		       v[i].has_subnet ? net_cidr_format(&v[i].subnet, s, sizeof(s)) : "-",
		       v[i].has_gateway ? net_addr_format(&v[i].gateway, gw) : "-",
		       v[i].bridge[0] ? v[i].bridge : "-");
	free(v);
	return 0;
}

static int cmd_network(struct cli_global *g, int argc, char **argv)
{
	struct hull_error err = { 0 };
	const char *sub = argc > 1 ? argv[1] : "";

	optind = 1;
	if (strcmp(sub, "create") == 0)
		return net_create(g, argc - 1, argv + 1);
	if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
		return net_ls(g);
	if (strcmp(sub, "inspect") == 0 && argc == 3) {
		char *json = NULL;

		if (netns_network_inspect(net_dir(), argv[2], &json, &err) < 0)
			return cli_fail(g, &err);
		printf("%s\n", json);
		free(json);
		return 0;
	}
	if (strcmp(sub, "rm") == 0 && argc == 3) {
		if (netns_network_remove(net_dir(), argv[2], &err) < 0)
			return cli_fail(g, &err);
		return 0;
	}
	if (strcmp(sub, "reconcile") == 0 && argc == 2) {
		size_t removed = 0;

		if (netns_reconcile(net_dir(), true, &removed, &err) < 0)
			return cli_fail(g, &err);
		printf("removed %zu stale item(s)\n", removed);
		return 0;
	}
	return cli_usage_error(g, "network", "expected create, ls, inspect NAME, rm NAME or reconcile");
}

HULL_COMMAND(network_cmd) = {
	.name = "network",
	.summary = "manage Hull's built-in networks (NAT, bridge, routed)",
	.usage =
	"Usage: hull network create [--mode nat|bridge|routed] [--subnet CIDR]\n"
	"                           [--gateway IP] [--bridge NAME] NAME\n"
	"       hull network ls\n"
	"       hull network inspect NAME\n"
	"       hull network rm NAME\n"
	"       hull network reconcile\n"
	"\n"
	"nat: Hull's bridge (made on first use), an address per container,\n"
	"masquerade and published ports (-p).  bridge: a veth into the existing\n"
	"bridge --bridge, with an address from --subnet if given.  routed: a veth\n"
	"and a host route to the container's /32, no bridge.  The default network\n"
	"\"hull\" (nat, 10.89.0.0/16, bridge hull0) is made on first use of --net nat.\n"
	"reconcile removes links, rules and leases of containers that no longer\n"
	"exist (it also runs before every new attachment).\n"
	"State: $HULL_NET_DIR, default " NETNS_DEFAULT_DIR ".\n",
	.run = cmd_network,
};
