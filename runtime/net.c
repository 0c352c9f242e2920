/* Built-in networking, runtime side (see runtime/net.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fsutil.h"
#include "base/json.h"
#include "netns/trace.h"
#include "runtime/net.h"

#define NET_RECORD "net.json"

static const char *net_dir(void)
{
	const char *d = getenv("HULL_NET_DIR");

	return d && *d ? d : NETNS_DEFAULT_DIR;
}

static int parse_ports(const struct create_opts *o, const char *annotation,
		       struct runtime_net *n, struct hull_error *err)
{
	autofree char *copy = NULL;
	char *tok, *save = NULL;
	size_t max = o->n_ports;

	if (o->n_ports == 0 && annotation) {
		if ((copy = strdup(annotation)) == NULL)
			return hull_error_errno(err, "strdup");
		max = 1;
		for (const char *p = copy; *p; p++)
			max += *p == ',';
	}
	if (max == 0)
		return 0;
	if ((n->ports = calloc(max, sizeof(*n->ports))) == NULL)
		return hull_error_errno(err, "calloc");
	for (size_t i = 0; i < o->n_ports; i++)
		if (net_port_parse(o->ports[i], &n->ports[n->n_ports++], err) < 0)
			return hull_error_prefix(err, "-p");
	if (copy)
		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (net_port_parse(tok, &n->ports[n->n_ports++], err) < 0)
				return hull_error_prefix(err, "annotations." HULL_NET_PORTS_ANNOTATION);
	return 0;
}

static int add_mount(struct spec *s, const char *dst, const char *src, struct hull_error *err)
{
	struct spec_mount *nm, *m;

	for (size_t i = 0; i < s->n_mounts; i++)
		if (strcmp(s->mounts[i].destination, dst) == 0)
			return 0;   /* the bundle (or its engine) brings its own */
	if ((nm = realloc(s->mounts, (s->n_mounts + 1) * sizeof(*nm))) == NULL)
		return hull_error_errno(err, "realloc");
	s->mounts = nm;
	m = &nm[s->n_mounts];
	memset(m, 0, sizeof(*m));
	m->destination = strdup(dst);
	m->source = strdup(src);
	m->type = strdup("bind");
	m->options = calloc(3, sizeof(char *));
	if (m->destination == NULL || m->source == NULL || m->type == NULL || m->options == NULL ||
	    (m->options[0] = strdup("bind")) == NULL || (m->options[1] = strdup("private")) == NULL) {
		s->n_mounts++;      /* spec_free frees what was allocated */
		return hull_error_errno(err, "strdup");
	}
	m->n_options = 2;
	s->n_mounts++;
	return spec_parse_mount_options(m, dst, err);
}

/* The host's resolv.conf without loopback name servers (a stub resolver
 * on the host's 127.0.0.53 is unreachable from the container's netns). */
static char *resolv_conf(void)
{
	autofclose FILE *f = fopen("/etc/resolv.conf", "re");
	char line[512], *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);

	if (m == NULL)
		return NULL;
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "nameserver", 10) != 0 ||
		    (strstr(line, " 127.") == NULL && strstr(line, " ::1") == NULL))
			fputs(line, m);
	fclose(m);
	return out;
}

static int write_etc(struct spec *s, struct container *c, const struct netns_plan *p,
		     struct hull_error *err)
{
	char dir[4200], path[4300], addr[NET_ADDR_STRLEN], host[64];
	autofree char *hosts = NULL, *resolv = resolv_conf();
	static const char *const names[] = { "hosts", "hostname", "resolv.conf" };
	const char *text[3];
	autoclose int dfd = -1;

	snprintf(host, sizeof(host), "%.63s", s->hostname && *s->hostname ? s->hostname : c->id);
	if (asprintf(&hosts, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s%s%s%s",
		     p->has_addr ? net_addr_format(&p->addr, addr) : "", p->has_addr ? "\t" : "",
		     p->has_addr ? host : "", p->has_addr ? "\n" : "") < 0 || resolv == NULL)
		return hull_error_errno(err, "building /etc files");
	strcat(host, "\n");
	text[0] = hosts;
	text[1] = host;
	text[2] = resolv;
	snprintf(dir, sizeof(dir), "%s/etc", c->dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return hull_error_errno(err, "mkdir %s", dir);
	if ((dfd = open(dir, O_DIRECTORY | O_CLOEXEC)) < 0)
		return hull_error_errno(err, "open %s", dir);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (fs_write_atomic(dfd, names[i], text[i], strlen(text[i]), 0644, err) < 0)
			return -1;
		/* A missing target is created (empty) in the rootfs before the
		 * read-only remount, as for any file bind mount. */
		snprintf(addr, sizeof(addr), "/etc/%s", names[i]);
		if (add_mount(s, addr, path, err) < 0)
			return -1;
	}
	return 0;
}

/* <state>/net.json names the netdir and key, so `delete` finds the
 * attachment whatever $HULL_NET_DIR says then. */
static int save_pointer(struct container *c, const char *netdir, const char *key,
			struct hull_error *err)
{
	json_gen *g = json_gen_new(false);
	autofree char *text = NULL;
	size_t len;

	json_gen_object_open(g);
	json_gen_kv_string(g, "netdir", netdir);
	json_gen_kv_string(g, "key", key);
	json_gen_object_close(g);
	text = json_gen_finish(g, &len);
	json_gen_free(g);
	if (text == NULL)
		return hull_error_set(err, ENOMEM, "net.json");
	return fs_write_atomic(c->dir_fd, NET_RECORD, text, len, 0600, err);
}

int runtime_net_prepare(const struct create_opts *o, struct spec *s, struct container *c,
			bool vm, struct runtime_net *n, struct hull_error *err)
{
	const char *ask = o->net ? o->net : spec_annotation(s, HULL_NET_ANNOTATION);
	const char *what = o->net ? "--net" : "annotations." HULL_NET_ANNOTATION;
	char mode[16], key[NETNS_KEY_LEN + 1], owner[PATH_MAX];
	const char *colon = ask ? strchr(ask, ':') : NULL;
	const char *ip = o->net_ip ? o->net_ip : spec_annotation(s, HULL_NET_IP_ANNOTATION);
	struct netns_request r = { .id = c->id, .owner_dir = owner, .key = key };

	memset(n, 0, sizeof(*n));
	if (parse_ports(o, spec_annotation(s, HULL_NET_PORTS_ANNOTATION), n, err) < 0)
		return -1;
	if (ip && net_addr_prefix_parse(ip, &r.ip, &r.ip_prefix, err) < 0)
		return hull_error_prefix(err, "%s", o->net_ip ? "--ip" : "annotations." HULL_NET_IP_ANNOTATION);
	r.has_ip = ip != NULL;
	if (ask == NULL)
		ask = "none";
	snprintf(mode, sizeof(mode), "%.*s", (int)(colon ? colon - ask : (long)strlen(ask)), ask);
	if (net_mode_parse(mode, &r.mode) < 0)
		return hull_error_set(err, EINVAL, "%s \"%s\": mode must be none, host, nat, bridge or routed",
				      what, ask);
	if (n->n_ports && r.mode != NET_NAT)
		return hull_error_set(err, EINVAL, "published ports need --net nat (the network is %s)", mode);
	if (colon && (r.mode == NET_NONE || r.mode == NET_HOST))
		return hull_error_set(err, EINVAL, "%s \"%s\": mode %s takes no network", what, ask, mode);
	if (ip && (r.mode == NET_NONE || r.mode == NET_HOST))
		return hull_error_set(err, EINVAL, "--ip %s: mode %s gives the container no address of Hull's", ip, mode);
	if (r.mode == NET_NONE)
		return 0;
	if (r.mode == NET_HOST) {
		/* The host's namespace: drop the bundle's request for a new one. */
		if (s->linux.ns[NS_NET].path)
			return hull_error_set(err, EINVAL, "%s host: linux.namespaces asks to join %s",
					      what, s->linux.ns[NS_NET].path);
		s->linux.ns[NS_NET].enabled = false;
		return 0;
	}
	if (s->linux.ns[NS_NET].path)
		return hull_error_set(err, EINVAL, "%s %s: linux.namespaces joins the network namespace %s; a new one is needed",
				      what, mode, s->linux.ns[NS_NET].path);
	s->linux.ns[NS_NET].enabled = true;
	/* Absolute: reconcile, from any cwd, tests whether it still exists. */
	if (realpath(c->dir, owner) == NULL)
		return hull_error_errno(err, "realpath %s", c->dir);
	r.network = colon ? colon + 1 : NULL;
	r.ports = n->ports;
	r.n_ports = n->n_ports;
	netns_key(owner, key);
	if ((n->netdir = strdup(net_dir())) == NULL)
		return hull_error_errno(err, "strdup");
	if (save_pointer(c, n->netdir, key, err) < 0)
		return -1;
	n->active = true;
	if (netns_prepare(n->netdir, &r, &n->plan, err) < 0 || write_etc(s, c, &n->plan, err) < 0)
		return -1;
	net_trace("runtime.etc");
	return 0;
}

int runtime_net_attach(struct runtime_net *n, const char *id, pid_t pid, struct hull_error *err)
{
	if (!n->active)
		return 0;
	return netns_attach(n->netdir, &n->plan, pid, n->ports, n->n_ports, id, err);
}

void runtime_net_release(struct runtime_net *n)
{
	free(n->netdir);
	free(n->ports);
	memset(n, 0, sizeof(*n));
}

void runtime_net_undo(struct runtime_net *n)
{
	struct hull_error ignored = { 0 };
	char key[NETNS_KEY_LEN + 1];

	if (n->active) {
		/* The plan's key may be unset if prepare failed early. */
		snprintf(key, sizeof(key), "%s", n->plan.key);
		if (key[0])
			netns_detach(n->netdir, key, &ignored);
	}
	runtime_net_release(n);
}

int runtime_net_teardown(struct container *c, struct hull_error *err)
{
	char path[4200];
	json_node *root = NULL;
	autofree char *netdir = NULL, *key = NULL;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/%s", c->dir, NET_RECORD);
	if (access(path, F_OK) < 0)
		return 0;
	if (json_parse_file(path, &root, err) < 0)
		return -1;
	if (json_get_string(root, "netdir", "", &netdir, err) > 0 &&
	    json_get_string(root, "key", "", &key, err) > 0)
		rc = netns_detach(netdir, key, err);
	else
		hull_error_set(err, EINVAL, "%s: netdir or key missing", path);
	json_free(root);
	return rc;
}
