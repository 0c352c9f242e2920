/* Network definitions: networks/<name>.json in the network state dir. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fsutil.h"
#include "netns/internal.h"
#include "netns/ipam.h"

static const char *const mode_names[] = {
	[NET_NONE] = "none", [NET_HOST] = "host", [NET_NAT] = "nat",
	[NET_BRIDGE] = "bridge", [NET_ROUTED] = "routed",
};

const char *net_mode_name(enum net_mode m)
{
	return m <= NET_ROUTED ? mode_names[m] : "?";
}

int net_mode_parse(const char *s, enum net_mode *out)
{
	for (int m = NET_NONE; m <= NET_ROUTED; m++)
		if (strcmp(s, mode_names[m]) == 0) {
			*out = (enum net_mode)m;
			return 0;
		}
	return -1;
}

static int check_name(const char *name, struct hull_error *err)
{
	size_t n = strlen(name);

	if (n == 0 || n >= NETNS_NAME_MAX || strspn(name,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n ||
	    name[0] == '.')
		return hull_error_set(err, EINVAL,
				      "network name \"%s\": use 1-%d letters, digits, '_', '.', '-'",
				      name, NETNS_NAME_MAX - 1);
	return 0;
}

void network_gen(json_gen *g, const struct net_network *n)
{
	char b[NET_ADDR_STRLEN + 8];

	json_gen_kv_string(g, "name", n->name);
	json_gen_kv_string(g, "mode", net_mode_name(n->mode));
	if (n->has_subnet)
		json_gen_kv_string(g, "subnet", net_cidr_format(&n->subnet, b, sizeof(b)));
	if (n->has_gateway)
		json_gen_kv_string(g, "gateway", net_addr_format(&n->gateway, b));
	if (n->bridge[0])
		json_gen_kv_string(g, "bridge", n->bridge);
}

static int network_save(const char *netdir, const struct net_network *n,
			struct hull_error *err)
{
	json_gen *g = json_gen_new(true);
	autofree char *text = NULL, *dir = netdir_path(netdir, "networks", NULL, NULL);
	autofree char *file = NULL;
	autoclose int dfd = -1;
	size_t len;

	json_gen_object_open(g);
	network_gen(g, n);
	json_gen_object_close(g);
	text = json_gen_finish(g, &len);
	json_gen_free(g);
	if (text == NULL || dir == NULL || asprintf(&file, "%s.json", n->name) < 0)
		return hull_error_errno(err, "saving network %s", n->name);
	if ((dfd = open(dir, O_DIRECTORY | O_CLOEXEC)) < 0)
		return hull_error_errno(err, "open %s", dir);
	return fs_write_atomic(dfd, file, text, len, 0644, err);
}

int network_load_locked(const char *netdir, const char *name, struct net_network *out,
			struct hull_error *err)
{
	autofree char *path = NULL;
	autofree char *mode = NULL, *subnet = NULL, *gw = NULL, *bridge = NULL;
	json_node *root = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (check_name(name, err) < 0)
		return -1;
	if ((path = netdir_path(netdir, "networks", name, ".json")) == NULL)
		return hull_error_errno(err, "asprintf");
	if (access(path, F_OK) < 0)
		return hull_error_set(err, ENOENT, "network \"%s\" does not exist (see `hull network ls`)", name);
	if (json_parse_file(path, &root, err) < 0)
		return -1;
	snprintf(out->name, sizeof(out->name), "%s", name);
	if (json_get_string(root, "mode", "", &mode, err) < 0 ||
	    json_get_string(root, "subnet", "", &subnet, err) < 0 ||
	    json_get_string(root, "gateway", "", &gw, err) < 0 ||
	    json_get_string(root, "bridge", "", &bridge, err) < 0)
		goto out;
	if (mode == NULL || net_mode_parse(mode, &out->mode) < 0) {
		hull_error_set(err, EINVAL, "%s: bad mode", path);
		goto out;
	}
	if (subnet) {
		if (net_cidr_parse(subnet, &out->subnet, err) < 0)
			goto out;
		out->has_subnet = true;
	}
	if (gw) {
		if (net_addr_parse(gw, &out->gateway, err) < 0)
			goto out;
		out->has_gateway = true;
	}
	if (bridge)
		snprintf(out->bridge, sizeof(out->bridge), "%s", bridge);
	rc = 0;
out:
	json_free(root);
	if (rc < 0)
		hull_error_prefix(err, "network \"%s\"", name);
	return rc;
}

int network_list_locked(const char *netdir, struct net_network **out, size_t *n,
		       struct hull_error *err)
{
	autofree char *dir = netdir_path(netdir, "networks", NULL, NULL);
	autoclosedir DIR *d = NULL;
	struct dirent *e;
	struct net_network *v = NULL;
	size_t cnt = 0;

	*out = NULL;
	*n = 0;
	if (dir == NULL || (d = opendir(dir)) == NULL)
		return hull_error_errno(err, "opendir %s", dir ? dir : netdir);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char name[NETNS_NAME_MAX + 8];
		struct net_network *nv;

		if (len < 6 || len >= sizeof(name) || strcmp(e->d_name + len - 5, ".json") != 0 ||
		    e->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5), e->d_name);
		if ((nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL) {
			free(v);
			return hull_error_errno(err, "realloc");
		}
		v = nv;
		if (network_load_locked(netdir, name, &v[cnt], err) < 0) {
			free(v);
			return -1;
		}
		cnt++;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* Defaults filled and everything checked; nothing is written. */
static int validate(const char *netdir, struct net_network *n, struct hull_error *err)
{
	autofree struct net_network *all = NULL;
	size_t cnt = 0;
	char a[NET_ADDR_STRLEN + 8], b[NET_ADDR_STRLEN + 8];

	if (check_name(n->name, err) < 0)
		return -1;
	if (n->mode != NET_NAT && n->mode != NET_BRIDGE && n->mode != NET_ROUTED)
		return hull_error_set(err, EINVAL, "network %s: mode must be nat, bridge or routed", n->name);
	if (!n->has_subnet && n->mode != NET_BRIDGE)
		return hull_error_set(err, EINVAL, "network %s: --subnet is required for mode %s",
				      n->name, net_mode_name(n->mode));
	if (n->has_subnet) {
		unsigned int hb = net_cidr_host_bits(&n->subnet);

		if (hb < 2)
			return hull_error_set(err, EINVAL, "network %s: subnet %s is too small",
					      n->name, net_cidr_format(&n->subnet, a, sizeof(a)));
		if (!n->has_gateway && (n->mode != NET_BRIDGE)) {
			net_cidr_nth(&n->subnet, 1, &n->gateway);
			n->has_gateway = true;
		}
	}
	if (n->has_gateway) {
		struct net_addr first;

		net_cidr_nth(&n->subnet, 0, &first);
		if (!n->has_subnet || !net_cidr_contains(&n->subnet, &n->gateway) ||
		    net_addr_equal(&first, &n->gateway))
			return hull_error_set(err, EINVAL, "network %s: gateway %s is not a host address of the subnet",
					      n->name, net_addr_format(&n->gateway, a));
	}
	if (n->mode == NET_BRIDGE) {
		struct nl_sock *sk;
		bool is_br = false;
		int idx;

		if (n->bridge[0] == '\0')
			return hull_error_set(err, EINVAL, "network %s: mode bridge needs --bridge NAME (an existing bridge)", n->name);
		if (link_sock(&sk, err) < 0)
			return -1;
		idx = link_index(sk, n->bridge, &is_br);
		link_sock_free(sk);
		if (idx == 0 || !is_br)
			return hull_error_set(err, ENODEV, "network %s: bridge \"%s\" %s", n->name, n->bridge,
					      idx == 0 ? "does not exist" : "is not a bridge");
	} else if (n->mode == NET_NAT && n->bridge[0] == '\0') {
		snprintf(n->bridge, sizeof(n->bridge), "hull-%.10s", n->name);
	} else if (n->mode == NET_ROUTED) {
		n->bridge[0] = '\0';
	}
	if (network_list_locked(netdir, &all, &cnt, err) < 0)
		return -1;
	for (size_t i = 0; i < cnt; i++) {
		if (strcmp(all[i].name, n->name) == 0)
			return hull_error_set(err, EEXIST, "network \"%s\" already exists", n->name);
		if (n->has_subnet && all[i].has_subnet && net_cidr_overlap(&n->subnet, &all[i].subnet))
			return hull_error_set(err, EEXIST, "network %s: subnet %s overlaps network %s's %s",
					      n->name, net_cidr_format(&n->subnet, a, sizeof(a)),
					      all[i].name, net_cidr_format(&all[i].subnet, b, sizeof(b)));
		if (n->mode == NET_NAT && all[i].bridge[0] && strcmp(all[i].bridge, n->bridge) == 0)
			return hull_error_set(err, EEXIST, "network %s: bridge %s is already network %s's",
					      n->name, n->bridge, all[i].name);
	}
	return 0;
}

int netns_network_create(const char *netdir, struct net_network *n, struct hull_error *err)
{
	autoclose int lock = netdir_lock(netdir, err);

	if (lock < 0)
		return -1;
	if (validate(netdir, n, err) < 0)
		return -1;
	return network_save(netdir, n, err);
}

int network_default_locked(const char *netdir, struct net_network *out,
			   struct hull_error *err)
{
	struct net_network n = { .name = NETNS_DEFAULT_NETWORK, .mode = NET_NAT,
				 .bridge = "hull0", .has_subnet = true };

	if (network_load_locked(netdir, NETNS_DEFAULT_NETWORK, out, err) == 0)
		return 0;
	if (err->code != ENOENT)
		return -1;
	hull_error_clear(err);
	net_cidr_parse("10.89.0.0/16", &n.subnet, err);
	if (validate(netdir, &n, err) < 0 || network_save(netdir, &n, err) < 0)
		return hull_error_prefix(err, "creating the default network");
	*out = n;
	return 0;
}

int netns_network_get(const char *netdir, const char *name, struct net_network *out,
		      struct hull_error *err)
{
	autoclose int lock = netdir_lock(netdir, err);

	if (lock < 0)
		return -1;
	return network_load_locked(netdir, name, out, err);
}

int netns_network_list(const char *netdir, struct net_network **out, size_t *n,
		       struct hull_error *err)
{
	autoclose int lock = netdir_lock(netdir, err);

	if (lock < 0)
		return -1;
	return network_list_locked(netdir, out, n, err);
}

static bool keep_none(const char *key, void *arg)
{
	return false;
}

int netns_network_remove(const char *netdir, const char *name, struct hull_error *err)
{
	autoclose int lock = netdir_lock(netdir, err);
	char **keys = NULL, tag[64], ndt[16];
	struct net_network n;
	autofree char *def = NULL, *leases = NULL;
	size_t users = 0;
	int rc = -1;

	if (lock < 0 || network_load_locked(netdir, name, &n, err) < 0)
		return -1;
	if (record_list(netdir, &keys, err) < 0)
		return -1;
	for (size_t i = 0; keys[i]; i++) {
		struct netns_record r;
		bool mine, alive;

		if (record_load(netdir, keys[i], &r, err) != 0) {
			hull_error_clear(err);
			continue;
		}
		mine = strcmp(r.net.name, name) == 0;
		alive = record_owner_alive(r.owner_dir);
		record_free(&r);
		/* A stale attachment does not keep the network: reconcile it. */
		if (mine && alive)
			users++;
		else if (mine && detach_locked(netdir, keys[i], err) < 0)
			goto out;
	}
	if (users) {
		hull_error_set(err, EBUSY, "network \"%s\" is in use by %zu container(s)", name, users);
		goto out;
	}
	netdir_tag(netdir, ndt);
	snprintf(tag, sizeof(tag), "%s:net:%s", ndt, name);
	if (nft_delete_tagged(tag, NULL, NULL, NULL, NULL, err) < 0)
		goto out;
	if (n.mode == NET_NAT) {
		struct nl_sock *sk;

		if (link_sock(&sk, err) < 0)
			goto out;
		rc = link_delete(sk, n.bridge, err);
		link_sock_free(sk);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	if ((def = netdir_path(netdir, "networks", name, ".json")) == NULL ||
	    (leases = netdir_path(netdir, "leases", name, NULL)) == NULL) {
		hull_error_errno(err, "asprintf");
		goto out;
	}
	{
		size_t gone = 0;

		/* Only stale leases can be left here (users were refused). */
		if (ipam_prune(leases, keep_none, NULL, &gone, err) < 0)
			goto out;
		rmdir(leases);
	}
	if (unlink(def) < 0) {
		hull_error_errno(err, "unlink %s", def);
		goto out;
	}
	rc = 0;
out:
	strv_free(keys);
	return rc;
}

int netns_network_inspect(const char *netdir, const char *name, char **json,
			  struct hull_error *err)
{
	autoclose int lock = netdir_lock(netdir, err);
	autofree struct ipam_lease *leases = NULL;
	autofree char *lpath = NULL;
	char **keys = NULL, b[NET_ADDR_STRLEN + 8];
	struct net_network n;
	size_t nl = 0;
	json_gen *g;

	if (lock < 0 || network_load_locked(netdir, name, &n, err) < 0)
		return -1;
	if ((lpath = netdir_path(netdir, "leases", name, NULL)) == NULL)
		return hull_error_errno(err, "asprintf");
	if (ipam_read(lpath, &leases, &nl, err) < 0 || record_list(netdir, &keys, err) < 0)
		return -1;
	g = json_gen_new(true);
	json_gen_object_open(g);
	network_gen(g, &n);
	json_gen_key(g, "containers");
	json_gen_array_open(g);
	for (size_t i = 0; keys[i]; i++) {
		struct netns_record r;

		if (record_load(netdir, keys[i], &r, err) != 0) {
			hull_error_clear(err);
			continue;
		}
		if (strcmp(r.net.name, name) == 0) {
			json_gen_object_open(g);
			json_gen_kv_string(g, "id", r.id);
			json_gen_kv_string(g, "key", r.key);
			json_gen_kv_string(g, "interface", r.host_if);
			if (r.has_addr)
				json_gen_kv_string(g, "address", net_addr_format(&r.addr, b));
			json_gen_key(g, "ports");
			json_gen_array_open(g);
			for (size_t k = 0; k < r.n_ports; k++) {
				char p[128];

				json_gen_string(g, net_port_format(&r.ports[k], p, sizeof(p)));
			}
			json_gen_array_close(g);
			json_gen_object_close(g);
		}
		record_free(&r);
	}
	json_gen_array_close(g);
	json_gen_key(g, "leases");
	json_gen_array_open(g);
	for (size_t i = 0; i < nl; i++) {
		json_gen_object_open(g);
		json_gen_kv_string(g, "address", net_addr_format(&leases[i].addr, b));
		json_gen_kv_string(g, "key", leases[i].key);
		json_gen_object_close(g);
	}
	json_gen_array_close(g);
	json_gen_object_close(g);
	*json = json_gen_finish(g, NULL);
	json_gen_free(g);
	strv_free(keys);
	if (*json == NULL)
		return hull_error_set(err, ENOMEM, "network inspect");
	return 0;
}
