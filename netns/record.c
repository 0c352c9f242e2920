/* attach/<key>.json: what an attachment made, or is about to make. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fsutil.h"
#include "netns/internal.h"

int record_save(const char *netdir, const struct netns_record *r, struct hull_error *err)
{
	json_gen *g = json_gen_new(true);
	autofree char *text = NULL, *dir = netdir_path(netdir, "attach", NULL, NULL);
	char file[64], b[NET_ADDR_STRLEN];
	autoclose int dfd = -1;
	size_t len;

	json_gen_object_open(g);
	json_gen_kv_string(g, "key", r->key);
	json_gen_kv_string(g, "id", r->id);
	json_gen_kv_string(g, "owner_dir", r->owner_dir);
	json_gen_kv_string(g, "host_if", r->host_if);
	if (r->has_addr)
		json_gen_kv_string(g, "address", net_addr_format(&r->addr, b));
	json_gen_key(g, "network");
	json_gen_object_open(g);
	network_gen(g, &r->net);
	json_gen_object_close(g);
	json_gen_key(g, "ports");
	json_gen_array_open(g);
	for (size_t i = 0; i < r->n_ports; i++) {
		char p[128];

		json_gen_string(g, net_port_format(&r->ports[i], p, sizeof(p)));
	}
	json_gen_array_close(g);
	json_gen_object_close(g);
	text = json_gen_finish(g, &len);
	json_gen_free(g);
	if (text == NULL || dir == NULL)
		return hull_error_set(err, ENOMEM, "saving attachment record");
	if ((dfd = open(dir, O_DIRECTORY | O_CLOEXEC)) < 0)
		return hull_error_errno(err, "open %s", dir);
	snprintf(file, sizeof(file), "%s.json", r->key);
	return fs_write_atomic(dfd, file, text, len, 0600, err);
}

static int get_str(const json_node *o, const char *key, char *buf, size_t size,
		   struct hull_error *err)
{
	autofree char *s = NULL;
	int r = json_get_string(o, key, "", &s, err);

	if (r <= 0)
		return r;
	if (strlen(s) >= size)
		return hull_error_set(err, EINVAL, "%s: too long", key);
	strcpy(buf, s);
	return 1;
}

int record_load(const char *netdir, const char *key, struct netns_record *r,
		struct hull_error *err)
{
	autofree char *path = netdir_path(netdir, "attach", key, ".json");
	const json_node *net = NULL, *ports = NULL;
	char addr[64] = "", mode[16] = "", s[64] = "";
	json_node *root = NULL;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (path == NULL)
		return hull_error_errno(err, "asprintf");
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 1;
	if (json_parse_file(path, &root, err) < 0)
		return -1;
	snprintf(r->key, sizeof(r->key), "%s", key);
	if (get_str(root, "id", r->id, sizeof(r->id), err) < 0 ||
	    get_str(root, "owner_dir", r->owner_dir, sizeof(r->owner_dir), err) < 0 ||
	    get_str(root, "host_if", r->host_if, sizeof(r->host_if), err) < 0 ||
	    get_str(root, "address", addr, sizeof(addr), err) < 0 ||
	    json_get_object(root, "network", "", &net, err) < 0 ||
	    json_get_array(root, "ports", "", &ports, err) < 0)
		goto out;
	if (addr[0]) {
		if (net_addr_parse(addr, &r->addr, err) < 0)
			goto out;
		r->has_addr = true;
	}
	if (net) {
		if (get_str(net, "name", r->net.name, sizeof(r->net.name), err) < 0 ||
		    get_str(net, "mode", mode, sizeof(mode), err) < 0 ||
		    get_str(net, "bridge", r->net.bridge, sizeof(r->net.bridge), err) < 0)
			goto out;
		net_mode_parse(mode, &r->net.mode);
		if (get_str(net, "subnet", s, sizeof(s), err) > 0 &&
		    net_cidr_parse(s, &r->net.subnet, err) == 0)
			r->net.has_subnet = true;
		if (get_str(net, "gateway", s, sizeof(s), err) > 0 &&
		    net_addr_parse(s, &r->net.gateway, err) == 0)
			r->net.has_gateway = true;
		if (err->set)
			goto out;
	}
	if (ports && json_array_len(ports)) {
		r->ports = calloc(json_array_len(ports), sizeof(*r->ports));
		if (r->ports == NULL) {
			hull_error_errno(err, "calloc");
			goto out;
		}
		for (size_t i = 0; i < json_array_len(ports); i++) {
			const json_node *p = json_array_get(ports, i);

			if (json_type_of(p) != JSON_STRING ||
			    net_port_parse(json_string(p), &r->ports[r->n_ports], err) < 0)
				goto out;
			r->n_ports++;
		}
	}
	rc = 0;
out:
	json_free(root);
	if (rc < 0) {
		record_free(r);
		hull_error_set(err, EINVAL, "bad record");
		hull_error_prefix(err, "%s", path);
	}
	return rc;
}

void record_free(struct netns_record *r)
{
	free(r->ports);
	r->ports = NULL;
	r->n_ports = 0;
}

int record_list(const char *netdir, char ***keys, struct hull_error *err)
{
	autofree char *dir = netdir_path(netdir, "attach", NULL, NULL);
	autoclosedir DIR *d = NULL;
	struct dirent *e;
	char **v = calloc(1, sizeof(char *));
	size_t n = 0;

	if (v == NULL || dir == NULL || (d = opendir(dir)) == NULL) {
		free(v);
		return hull_error_errno(err, "opendir %s", dir ? dir : netdir);
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char **nv;

		if (len != NETNS_KEY_LEN + 5 || strcmp(e->d_name + NETNS_KEY_LEN, ".json") != 0)
			continue;
		if ((nv = realloc(v, (n + 2) * sizeof(char *))) == NULL) {
			strv_free(v);
			return hull_error_errno(err, "realloc");
		}
		v = nv;
		if ((v[n] = strndup(e->d_name, NETNS_KEY_LEN)) == NULL) {
			strv_free(v);
			return hull_error_errno(err, "strndup");
		}
		v[++n] = NULL;
	}
	*keys = v;
	return 0;
}

bool record_owner_alive(const char *owner_dir)
{
	char st[4200];

	/* The container's state.json: gone after delete, after a reboot
	 * (the state root is a tmpfs), or when lost. */
	snprintf(st, sizeof(st), "%s/state.json", owner_dir);
	return access(st, F_OK) == 0;
}
